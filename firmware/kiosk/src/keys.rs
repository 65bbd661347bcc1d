//! The tactile keypad (EZ Access layout: Up, Down, Back, Next, a round green Action key, a
//! blue Help key, volume − and +). Logical [`Key`]s come from Linux key codes
//! (`linux/input-event-codes.h`) through a [`KeyMap`] the operator can change in the config's
//! `[keys]` table; [`Keys`] turns presses and releases into what the kiosk does over time:
//! one action per press, repeats while a key is held, and the operator's chord.
//!
//! Every platform feeds the same codes: the device reads them from libinput, the simulator
//! maps the desktop keyboard's keys to them, and the headless script names them.

/// A logical key of the keypad, or a digit (the PIN pad).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Up,
    Down,
    Back,
    Next,
    Action,
    Help,
    VolumeDown,
    VolumeUp,
    /// The voice's speed: slow, normal, fast, in turn.
    Speed,
    Digit(u8),
}

/// The logical keys the `[keys]` table names, with their config names.
pub const LOGICAL: [(&str, Key); 9] = [
    ("up", Key::Up),
    ("down", Key::Down),
    ("back", Key::Back),
    ("next", Key::Next),
    ("action", Key::Action),
    ("help", Key::Help),
    ("volume_down", Key::VolumeDown),
    ("volume_up", Key::VolumeUp),
    ("speed", Key::Speed),
];

impl Key {
    /// The key's config name (`up`, `volume_down`), or its digit.
    pub fn name(self) -> &'static str {
        match self {
            Key::Digit(d) => {
                ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"][usize::from(d % 10)]
            }
            k => LOGICAL.iter().find(|l| l.1 == k).map_or("?", |l| l.0),
        }
    }

    /// A bit of its own, for the set of held keys.
    fn bit(self) -> u32 {
        match self {
            Key::Up => 1,
            Key::Down => 1 << 1,
            Key::Back => 1 << 2,
            Key::Next => 1 << 3,
            Key::Action => 1 << 4,
            Key::Help => 1 << 5,
            Key::VolumeDown => 1 << 6,
            Key::VolumeUp => 1 << 7,
            Key::Speed => 1 << 18,
            Key::Digit(d) => 1 << (8 + u32::from(d % 10)),
        }
    }

    /// Whether holding the key repeats it: moving, turning pages, volume. Action, Help and
    /// the digits act once per press.
    pub fn repeats(self) -> bool {
        matches!(
            self,
            Key::Up | Key::Down | Key::Back | Key::Next | Key::VolumeDown | Key::VolumeUp
        )
    }
}

/// Linux key codes by name (`linux/input-event-codes.h`): the keys a keypad or a keyboard
/// may send that the `[keys]` table can name.
pub const CODES: &[(&str, u16)] = &[
    ("KEY_ESC", 1),
    ("KEY_1", 2),
    ("KEY_2", 3),
    ("KEY_3", 4),
    ("KEY_4", 5),
    ("KEY_5", 6),
    ("KEY_6", 7),
    ("KEY_7", 8),
    ("KEY_8", 9),
    ("KEY_9", 10),
    ("KEY_0", 11),
    ("KEY_MINUS", 12),
    ("KEY_EQUAL", 13),
    ("KEY_BACKSPACE", 14),
    ("KEY_TAB", 15),
    ("KEY_Q", 16),
    ("KEY_W", 17),
    ("KEY_E", 18),
    ("KEY_R", 19),
    ("KEY_T", 20),
    ("KEY_Y", 21),
    ("KEY_U", 22),
    ("KEY_I", 23),
    ("KEY_O", 24),
    ("KEY_P", 25),
    ("KEY_ENTER", 28),
    ("KEY_A", 30),
    ("KEY_S", 31),
    ("KEY_D", 32),
    ("KEY_F", 33),
    ("KEY_G", 34),
    ("KEY_H", 35),
    ("KEY_J", 36),
    ("KEY_K", 37),
    ("KEY_L", 38),
    ("KEY_Z", 44),
    ("KEY_X", 45),
    ("KEY_C", 46),
    ("KEY_V", 47),
    ("KEY_B", 48),
    ("KEY_N", 49),
    ("KEY_M", 50),
    ("KEY_SLASH", 53),
    ("KEY_KPASTERISK", 55),
    ("KEY_SPACE", 57),
    ("KEY_F1", 59),
    ("KEY_F2", 60),
    ("KEY_F3", 61),
    ("KEY_F4", 62),
    ("KEY_F5", 63),
    ("KEY_F6", 64),
    ("KEY_F7", 65),
    ("KEY_F8", 66),
    ("KEY_F9", 67),
    ("KEY_F10", 68),
    ("KEY_KP7", 71),
    ("KEY_KP8", 72),
    ("KEY_KP9", 73),
    ("KEY_KPMINUS", 74),
    ("KEY_KP4", 75),
    ("KEY_KP5", 76),
    ("KEY_KP6", 77),
    ("KEY_KPPLUS", 78),
    ("KEY_KP1", 79),
    ("KEY_KP2", 80),
    ("KEY_KP3", 81),
    ("KEY_KP0", 82),
    ("KEY_KPDOT", 83),
    ("KEY_F11", 87),
    ("KEY_F12", 88),
    ("KEY_KPENTER", 96),
    ("KEY_KPSLASH", 98),
    ("KEY_HOME", 102),
    ("KEY_UP", 103),
    ("KEY_PAGEUP", 104),
    ("KEY_LEFT", 105),
    ("KEY_RIGHT", 106),
    ("KEY_END", 107),
    ("KEY_DOWN", 108),
    ("KEY_PAGEDOWN", 109),
    ("KEY_MUTE", 113),
    ("KEY_VOLUMEDOWN", 114),
    ("KEY_VOLUMEUP", 115),
    ("KEY_HELP", 138),
    ("KEY_BACK", 158),
    ("KEY_FORWARD", 159),
    ("KEY_PLAYPAUSE", 164),
    ("KEY_QUESTION", 214),
    ("KEY_OK", 352),
    ("KEY_SELECT", 353),
    ("KEY_NEXT", 407),
    ("KEY_PREVIOUS", 412),
];

/// The code of a key name (`KEY_UP`; `up` and `Up` too).
pub fn code_of(name: &str) -> Option<u16> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("KEY_") {
        upper
    } else {
        format!("KEY_{upper}")
    };
    CODES.iter().find(|c| c.0 == full).map(|c| c.1)
}

/// The name of a key code (`KEY_UP`), if [`CODES`] has it.
pub fn name_of(code: u16) -> Option<&'static str> {
    CODES.iter().find(|c| c.1 == code).map(|c| c.0)
}

/// The Linux code of a key as Slint names it (`KeyEvent.text`: the simulator's desktop
/// keyboard): the arrows, Enter, Escape, Backspace, F1 to F12, space, tab, digits, letters
/// and `? / - _ + =` (each on the key that has it on a US keyboard).
pub fn code_of_text(text: &str) -> Option<u16> {
    let mut chars = text.chars();
    let ch = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    let code = match ch {
        '\u{F700}' => 103,
        '\u{F701}' => 108,
        '\u{F702}' => 105,
        '\u{F703}' => 106,
        '\n' | '\r' => 28,
        '\u{1b}' => 1,
        '\u{8}' => 14,
        '\t' => 15,
        ' ' => 57,
        '?' | '/' => 53,
        '-' | '_' => 12,
        '+' | '=' => 13,
        '0' => 11,
        '1'..='9' => ch as u16 - '1' as u16 + 2,
        // Slint's F1 to F12.
        '\u{F704}'..='\u{F70D}' => ch as u16 - 0xF704 + 59,
        '\u{F70E}' => 87,
        '\u{F70F}' => 88,
        c if c.is_ascii_alphabetic() => {
            let mut name = *b"KEY_X";
            name[4] = c.to_ascii_uppercase() as u8;
            return code_of(std::str::from_utf8(&name).ok()?);
        }
        _ => return None,
    };
    Some(code)
}

/// The keys each logical key answers to unless the config says otherwise: the arrow keys;
/// Enter and keypad Enter; Escape and Backspace; F1 and `?` (the slash key); `-` and `+`
/// (the `=` key), on the main keys and the keypad; the media volume keys.
pub const DEFAULT_MAP: &[(Key, &[&str])] = &[
    (Key::Up, &["KEY_UP"]),
    (Key::Down, &["KEY_DOWN"]),
    (Key::Back, &["KEY_LEFT", "KEY_ESC", "KEY_BACKSPACE"]),
    (Key::Next, &["KEY_RIGHT"]),
    (Key::Action, &["KEY_ENTER", "KEY_KPENTER"]),
    (
        Key::Help,
        &["KEY_F1", "KEY_SLASH", "KEY_QUESTION", "KEY_HELP"],
    ),
    (
        Key::VolumeDown,
        &["KEY_MINUS", "KEY_KPMINUS", "KEY_VOLUMEDOWN"],
    ),
    (Key::VolumeUp, &["KEY_EQUAL", "KEY_KPPLUS", "KEY_VOLUMEUP"]),
    // Keypads in the EZ Access layout have no speed key: map a spare one in the config.
    (Key::Speed, &["KEY_S", "KEY_KPASTERISK", "KEY_F2"]),
];

/// The digits of the PIN pad: the number row and the keypad's.
const DIGITS: [(u16, u16); 10] = [
    (11, 82),
    (2, 79),
    (3, 80),
    (4, 81),
    (5, 75),
    (6, 76),
    (7, 77),
    (8, 71),
    (9, 72),
    (10, 73),
];

/// From Linux key codes to logical keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    map: Vec<(u16, Key)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let mut map = Vec::new();
        for (key, names) in DEFAULT_MAP {
            for n in *names {
                if let Some(code) = code_of(n) {
                    map.push((code, *key));
                }
            }
        }
        KeyMap { map }
    }
}

impl KeyMap {
    /// Gives `key` the codes `codes` in place of its own; another key that had one of them
    /// loses it.
    pub fn set(&mut self, key: Key, codes: &[u16]) {
        self.map.retain(|m| m.1 != key && !codes.contains(&m.0));
        self.map.extend(codes.iter().map(|&c| (c, key)));
    }

    /// The logical key a code stands for: the map first, then the digits.
    pub fn key(&self, code: u16) -> Option<Key> {
        if let Some(m) = self.map.iter().find(|m| m.0 == code) {
            return Some(m.1);
        }
        DIGITS
            .iter()
            .position(|d| d.0 == code || d.1 == code)
            .map(|d| Key::Digit(d as u8))
    }

    /// The first code that gives `key` (the headless script's `key up`).
    pub fn code(&self, key: Key) -> Option<u16> {
        match key {
            Key::Digit(d) => DIGITS.get(usize::from(d)).map(|c| c.0),
            k => self.map.iter().find(|m| m.1 == k).map(|m| m.0),
        }
    }
}

/// How long a key is held before it repeats (ms).
pub const REPEAT_DELAY_MS: u64 = 500;
/// The interval of its repeats (ms): 5 a second, slow enough to stop on the wanted control.
pub const REPEAT_EVERY_MS: u64 = 200;
/// A key held this long is stuck (a jammed keypad): it stops repeating, so the kiosk can
/// go back to rest.
pub const STUCK_MS: u64 = 30_000;
/// How long Help and Back are held together to open the operator's PIN pad (ms).
pub const CHORD_HOLD_MS: u64 = 5_000;

/// What a key does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAct {
    /// A press of the key.
    Press(Key),
    /// A repeat of a held key: most screens take it as a press; the voice goes a paragraph
    /// where a press goes a sentence.
    Repeat(Key),
    /// Help and Back were held together long enough: open the PIN pad.
    Chord,
}

/// The keys held down, their repeats and the operator's chord, in the kiosk's clock (ms).
#[derive(Debug, Default)]
pub struct Keys {
    held: u32,
    /// The held key that repeats, when it repeats next, and when it went down.
    repeat: Option<(Key, u64, u64)>,
    /// Since when Help and Back are both down.
    chord_since: Option<u64>,
    /// Help went down, and nothing else since (it acts when it comes up).
    help_alone: bool,
}

impl Keys {
    /// A key went down. A press of a key already down is the platform's own repeat and is
    /// dropped: repeats come from [`Keys::due`], the same on every platform.
    pub fn press(&mut self, key: Key, now: u64) -> Option<KeyAct> {
        if self.held & key.bit() != 0 {
            return None;
        }
        self.held |= key.bit();
        let both = Key::Help.bit() | Key::Back.bit();
        if self.held & both == both {
            self.chord_since = Some(now);
            self.repeat = None;
            self.help_alone = false;
            return None;
        }
        if key == Key::Help {
            self.help_alone = self.held == key.bit();
            return None;
        }
        self.help_alone = false;
        if self.held & Key::Help.bit() != 0 {
            return None;
        }
        self.repeat = key.repeats().then_some((key, now + REPEAT_DELAY_MS, now));
        Some(KeyAct::Press(key))
    }

    /// A key came up. Help acts here, if nothing else was pressed while it was down.
    pub fn release(&mut self, key: Key) -> Option<KeyAct> {
        if self.held & key.bit() == 0 {
            return None;
        }
        self.held &= !key.bit();
        if matches!(key, Key::Help | Key::Back) {
            self.chord_since = None;
        }
        if self.repeat.is_some_and(|r| r.0 == key) {
            self.repeat = None;
        }
        if key == Key::Help && std::mem::take(&mut self.help_alone) {
            return Some(KeyAct::Press(Key::Help));
        }
        None
    }

    /// What is due at `now`: a repeat, or the chord.
    pub fn due(&mut self, now: u64) -> Option<KeyAct> {
        if self.chord_since.is_some_and(|t| now >= t + CHORD_HOLD_MS) {
            self.chord_since = None;
            return Some(KeyAct::Chord);
        }
        match self.repeat {
            Some((_, at, down)) if now >= at && now >= down + STUCK_MS => {
                self.repeat = None;
                None
            }
            Some((key, at, down)) if now >= at => {
                let next = at.max(now.saturating_sub(REPEAT_EVERY_MS)) + REPEAT_EVERY_MS;
                self.repeat = Some((key, next, down));
                Some(KeyAct::Repeat(key))
            }
            _ => None,
        }
    }

    /// When [`Keys::due`] has something next.
    pub fn deadline(&self) -> Option<u64> {
        let chord = self.chord_since.map(|t| t + CHORD_HOLD_MS);
        [chord, self.repeat.map(|r| r.1)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Forgets what is held (the session ended, or the keypad was unplugged).
    pub fn reset(&mut self) {
        *self = Keys::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_map_covers_the_ez_access_keys() {
        let m = KeyMap::default();
        let k = |n: &str| m.key(code_of(n).unwrap());
        assert_eq!(k("KEY_UP"), Some(Key::Up));
        assert_eq!(k("KEY_KPENTER"), Some(Key::Action));
        assert_eq!(k("KEY_BACKSPACE"), Some(Key::Back));
        assert_eq!(k("KEY_SLASH"), Some(Key::Help));
        assert_eq!(k("KEY_VOLUMEUP"), Some(Key::VolumeUp));
        assert_eq!(k("KEY_KPMINUS"), Some(Key::VolumeDown));
        assert_eq!(k("KEY_KP7"), Some(Key::Digit(7)));
        assert_eq!(k("KEY_0"), Some(Key::Digit(0)));
        assert_eq!(k("KEY_Q"), None);
        for (name, code) in CODES {
            assert_eq!(code_of(name), Some(*code), "{name}");
        }
    }

    #[test]
    fn slint_key_text_maps_to_the_linux_codes() {
        let m = KeyMap::default();
        let k = |t: &str| code_of_text(t).and_then(|c| m.key(c));
        assert_eq!(k("\u{F700}"), Some(Key::Up));
        assert_eq!(k("\u{F703}"), Some(Key::Next));
        assert_eq!(k("\n"), Some(Key::Action));
        assert_eq!(k("\u{1b}"), Some(Key::Back));
        assert_eq!(k("\u{F704}"), Some(Key::Help));
        assert_eq!(k("?"), Some(Key::Help));
        assert_eq!(k("+"), Some(Key::VolumeUp));
        assert_eq!(k("7"), Some(Key::Digit(7)));
        assert_eq!(code_of_text("q"), code_of("KEY_Q"));
        assert_eq!(code_of_text("\u{F70F}"), code_of("KEY_F12"));
        assert_eq!(code_of_text("ab"), None);
    }

    #[test]
    fn a_remap_replaces_that_keys_codes_only() {
        let mut m = KeyMap::default();
        m.set(Key::Action, &[code_of("KEY_SPACE").unwrap()]);
        assert_eq!(m.key(code_of("KEY_SPACE").unwrap()), Some(Key::Action));
        assert_eq!(m.key(code_of("KEY_ENTER").unwrap()), None);
        assert_eq!(m.key(code_of("KEY_UP").unwrap()), Some(Key::Up));
        m.set(Key::Action, &[code_of("KEY_LEFT").unwrap()]);
        assert_eq!(m.key(code_of("KEY_LEFT").unwrap()), Some(Key::Action));
        assert_eq!(m.key(code_of("KEY_ESC").unwrap()), Some(Key::Back));
    }

    #[test]
    fn held_keys_repeat_at_their_rate_and_platform_repeats_are_dropped() {
        let mut k = Keys::default();
        assert_eq!(k.press(Key::Down, 0), Some(KeyAct::Press(Key::Down)));
        assert_eq!(k.press(Key::Down, 30), None, "the platform's repeat");
        assert_eq!(k.deadline(), Some(REPEAT_DELAY_MS));
        let mut t = 0;
        let mut repeats = 0;
        while t < 1_500 {
            t = k.deadline().unwrap();
            if k.due(t).is_some() {
                repeats += 1;
            }
        }
        // 500 ms of delay, then one every 200 ms up to 1.5 s: 500, 700, ..., 1500.
        assert_eq!(repeats, 6);
        k.release(Key::Down);
        assert_eq!(k.deadline(), None);
        // A stuck key stops repeating after STUCK_MS.
        let mut k = Keys::default();
        k.press(Key::Next, 0);
        let mut repeats = 0;
        while let Some(t) = k.deadline() {
            if k.due(t).is_some() {
                repeats += 1;
            }
        }
        assert_eq!(repeats, (STUCK_MS - REPEAT_DELAY_MS) / REPEAT_EVERY_MS + 1);
        assert_eq!(k.press(Key::Action, 0), Some(KeyAct::Press(Key::Action)));
        assert_eq!(k.deadline(), None, "Action does not repeat");
    }

    #[test]
    fn help_and_back_held_five_seconds_make_the_chord_and_nothing_shorter_does() {
        let mut k = Keys::default();
        assert_eq!(k.press(Key::Help, 0), None);
        assert_eq!(
            k.press(Key::Back, 100),
            None,
            "Back does not act inside the chord"
        );
        assert_eq!(k.due(100 + CHORD_HOLD_MS - 1), None);
        assert_eq!(k.deadline(), Some(100 + CHORD_HOLD_MS));
        assert_eq!(k.due(100 + CHORD_HOLD_MS), Some(KeyAct::Chord));
        assert_eq!(k.due(200 + CHORD_HOLD_MS), None, "once");
        // Released early: no chord.
        let mut k = Keys::default();
        k.press(Key::Back, 0);
        k.press(Key::Help, 10);
        k.release(Key::Help);
        assert_eq!(k.due(10 + CHORD_HOLD_MS), None);
        // Help alone acts when it comes up.
        let mut k = Keys::default();
        assert_eq!(k.press(Key::Help, 0), None);
        assert_eq!(k.release(Key::Help), Some(KeyAct::Press(Key::Help)));
        // No single key held reaches it.
        for key in [Key::Help, Key::Back, Key::Action] {
            let mut k = Keys::default();
            k.press(key, 0);
            let mut t = 0;
            while let Some(d) = k.deadline().filter(|d| *d < 20_000) {
                t = d;
                assert_ne!(k.due(t), Some(KeyAct::Chord), "{key:?}");
            }
            let _ = t;
        }
    }
}
