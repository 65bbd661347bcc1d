//! Touch scripts for the headless kiosk. One command per line, coordinates in panel pixels:
//!
//! ```text
//! # comment
//! tap X Y                 press, 60 ms, release
//! press X Y | move X Y | release X Y
//! swipe X0 Y0 X1 Y1 [MS]  press, move in steps over MS (default 160), release
//! wait MS                 let MS of (virtual) time pass
//! shot NAME               write NAME.png into the screenshot folder
//! expect SCREEN           fail unless SCREEN is up (attract, language, library, reader,
//!                         pin, operator, test-pattern, maintenance)
//! mark NAME               print `mark NAME` with the process's wake-ups and CPU time so far
//! key NAME                press a key, 60 ms, release it
//! hold NAME MS            hold a key down for MS (repeats), release it
//! key-down NAME | key-up NAME   one key's press or release alone (chords: Help + Back)
//! expect-speaking         fail unless the voice is speaking
//! expect-silent           fail unless it is not
//! ```
//!
//! A key NAME is a keypad key (up, down, back, next, action, help, volume_down, volume_up:
//! whichever key the config's `[keys]` gives it), a digit, or a Linux key name (KEY_F1).
//!
//! With `--real-time`, `wait` lets real time pass (sleeping until the kiosk's next timer).

use crate::keys::Key;
use crate::nav::Screen;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Tap(f32, f32),
    Press(f32, f32),
    Move(f32, f32),
    Release(f32, f32),
    Swipe(f32, f32, f32, f32, u64),
    Wait(u64),
    Shot(String),
    Expect(Screen),
    /// `expect-speaking` (true) and `expect-silent` (false).
    ExpectSpeaking(bool),
    Mark(String),
    /// Print every control laid out since the last `controls` (name, x, y, width, height).
    Controls,
    /// Tap the centre of the control last laid out with this name (spaces written as `_`).
    TapOn(String),
    /// Press a key, 60 ms, release it.
    Key(KeyName),
    /// Hold a key down for MS, then release it.
    Hold(KeyName, u64),
    /// A key's press alone.
    KeyDown(KeyName),
    /// A key's release alone.
    KeyUp(KeyName),
}

/// A key as a script names it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyName {
    /// A keypad key or a digit: the code the config's key map gives it.
    Key(Key),
    /// A Linux key code.
    Code(u16),
}

/// Reads a key NAME (see the module's documentation).
pub fn key_name(name: &str) -> Option<KeyName> {
    let lower = name.to_ascii_lowercase();
    if let Some(k) = crate::keys::LOGICAL.iter().find(|l| l.0 == lower) {
        return Some(KeyName::Key(k.1));
    }
    if let Ok(d) = name.parse::<u8>() {
        return (d < 10).then_some(KeyName::Key(Key::Digit(d)));
    }
    name.to_ascii_uppercase()
        .starts_with("KEY_")
        .then(|| crate::keys::code_of(name))
        .flatten()
        .map(KeyName::Code)
}

pub fn screen_name(s: Screen) -> &'static str {
    match s {
        Screen::Attract => "attract",
        Screen::Language => "language",
        Screen::Library => "library",
        Screen::Reader => "reader",
        Screen::Pin => "pin",
        Screen::Operator => "operator",
        Screen::TestPattern => "test-pattern",
        Screen::Maintenance => "maintenance",
        Screen::Contents => "contents",
        Screen::PageGrid => "page-grid",
    }
}

/// Parses a script; errors name the file, line and column and say what is expected.
pub fn parse(path: &Path, text: &str) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let col = raw.len() - raw.trim_start().len() + 1;
        let at = || format!("{}:{}:{}", path.display(), n + 1, col);
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or("");
        let args: Vec<&str> = words.collect();
        let nums = |count: std::ops::RangeInclusive<usize>| -> anyhow::Result<Vec<f32>> {
            if !count.contains(&args.len()) {
                anyhow::bail!(
                    "{}: `{cmd}` takes {:?} numbers, got {}: {line}",
                    at(),
                    count,
                    args.len()
                );
            }
            args.iter()
                .map(|a| {
                    a.parse::<f32>()
                        .map_err(|_| anyhow::anyhow!("{}: `{a}` is not a number", at()))
                })
                .collect()
        };
        let step = match cmd {
            "tap" => nums(2..=2).map(|v| Step::Tap(v[0], v[1]))?,
            "press" => nums(2..=2).map(|v| Step::Press(v[0], v[1]))?,
            "move" => nums(2..=2).map(|v| Step::Move(v[0], v[1]))?,
            "release" => nums(2..=2).map(|v| Step::Release(v[0], v[1]))?,
            "swipe" => nums(4..=5).map(|v| Step::Swipe(v[0], v[1], v[2], v[3], v.get(4).map_or(160, |m| *m as u64)))?,
            "wait" => nums(1..=1).map(|v| Step::Wait(v[0].max(0.0) as u64))?,
            "controls" => Step::Controls,
            "tap-on" => match args.as_slice() {
                [name] => Step::TapOn(name.replace('_', " ")),
                _ => anyhow::bail!("{}: `tap-on` takes one control name (e.g. page_counter)", at()),
            },
            "key" | "hold" | "key-down" | "key-up" => {
                let (name, ms) = match (cmd, args.as_slice()) {
                    ("key" | "key-down" | "key-up", [name]) => (*name, None),
                    ("hold", [name, ms]) => (
                        *name,
                        Some(ms.parse::<u64>().map_err(|_| {
                            anyhow::anyhow!("{}: `{ms}` is not a number of milliseconds", at())
                        })?),
                    ),
                    _ => anyhow::bail!("{}: write `key NAME` or `hold NAME MS`: {line}", at()),
                };
                let Some(k) = key_name(name) else {
                    anyhow::bail!(
                        "{}: unknown key `{name}`; write up, down, back, next, action, help, volume_down, volume_up, a digit, or a Linux key name such as KEY_F1",
                        at()
                    );
                };
                match (cmd, ms) {
                    ("key-down", _) => Step::KeyDown(k),
                    ("key-up", _) => Step::KeyUp(k),
                    (_, None) => Step::Key(k),
                    (_, Some(ms)) => Step::Hold(k, ms),
                }
            }
            "mark" => match args.as_slice() {
                [name] => Step::Mark(name.to_string()),
                _ => anyhow::bail!("{}: `mark` takes one name", at()),
            },
            "shot" => match args.as_slice() {
                [name] if name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) => Step::Shot(name.to_string()),
                _ => anyhow::bail!("{}: `shot` takes one file name (letters, digits, - _ .)", at()),
            },
            "expect" => {
                let want = args.first().copied().unwrap_or("");
                match Screen::ALL.into_iter().find(|s| screen_name(*s) == want) {
                    Some(s) => Step::Expect(s),
                    None => anyhow::bail!("{}: unknown screen `{want}`", at()),
                }
            }
            "expect-speaking" | "expect-silent" if args.is_empty() => {
                Step::ExpectSpeaking(cmd == "expect-speaking")
            }
            "expect-speaking" | "expect-silent" => {
                anyhow::bail!("{}: `{cmd}` takes nothing after it", at())
            }
            other => anyhow::bail!("{}: unknown command `{other}` (tap, tap-on, press, move, release, swipe, wait, shot, expect, expect-speaking, expect-silent, mark, controls, key, hold, key-down, key-up)", at()),
        };
        steps.push(step);
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_positions() {
        let p = Path::new("s.txt");
        let s = parse(
            p,
            "tap 1 2\n  # c\nswipe 1 2 3 4\nwait 10\nshot a-b\nexpect reader\n",
        )
        .unwrap();
        assert_eq!(s[1], Step::Swipe(1.0, 2.0, 3.0, 4.0, 160));
        assert_eq!(s[4], Step::Expect(Screen::Reader));
        let e = parse(p, "tap 1 2\n   tap x 2\n").unwrap_err().to_string();
        assert!(e.starts_with("s.txt:2:4"), "{e}");
        let s = parse(p, "key action\nhold KEY_F1 5000\nkey 7\n").unwrap();
        assert_eq!(s[0], Step::Key(KeyName::Key(Key::Action)));
        assert_eq!(s[1], Step::Hold(KeyName::Code(59), 5000));
        assert_eq!(s[2], Step::Key(KeyName::Key(Key::Digit(7))));
        let e = parse(p, "wait 1\n  key jump\n").unwrap_err().to_string();
        assert!(
            e.starts_with("s.txt:2:3") && e.contains("unknown key `jump`"),
            "{e}"
        );
        let e = parse(p, "fly 1\n").unwrap_err().to_string();
        assert!(e.contains("unknown command `fly`"), "{e}");
    }
}
