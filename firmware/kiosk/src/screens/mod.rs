//! One module per screen. Each owns that screen's state, what it draws (`refresh`), what its
//! controls do (`wire`) and its tests; the overlays any screen may show (the idle warning, a
//! notice) sit beside them, and so do the pieces they share: [`ctx`] (the kiosk's shared
//! state and the [`Act`] hook the app provides) and [`text`].
//!
//! Imports flow one way: app -> screens -> content, nav, stats, config, images -> format,
//! render. A screen never names the app: the app hands each `wire` an [`Act`].

pub mod attract;
pub mod contents;
pub mod ctx;
pub mod focus;
pub mod idle_warning;
pub mod language;
pub mod library;
pub mod maintenance;
pub mod notice;
pub mod operator;
pub mod page_grid;
pub mod pin;
pub mod reader;
pub mod test_pattern;
pub mod text;

pub use ctx::{Act, BundleContent, Ctx, Issue};

use crate::keys::{Key, KeyAct, Keys};
use crate::nav::Screen;
use crate::Ui;
use bitig_format::Lang;
use focus::Focus;

/// Every screen's own state.
pub struct Screens {
    pub attract: attract::Attract,
    pub library: library::Library,
    pub reader: reader::Reader,
    pub contents: contents::Contents,
    pub page_grid: page_grid::PageGrid,
    pub pin: pin::Pin,
    pub operator: operator::Operator,
    pub test_pattern: test_pattern::TestPattern,
    pub idle_warning: idle_warning::IdleWarning,
    pub notice: notice::Notice,
    /// The keys held down, their repeats and the operator's chord.
    pub keys: Keys,
    /// The control the keys move between and activate, and whether its ring is shown.
    pub focus: Focus,
    /// The screen as last drawn.
    shown: Option<Screen>,
    /// The state of a screen with none of its own (`Act<()>`).
    none: (),
}

/// Each screen's own state, as its `wire` asks for it (`Act<S>`), and `()` for a screen
/// with none: an `AsMut` for each, and [`ActOnAll`], an [`Act`] for every one of them (what
/// the app hands [`wire`]). One list, so a new screen is added in one place here.
macro_rules! own_state {
    ($($field:ident: $ty:ty),*) => {
        $(impl AsMut<$ty> for Screens {
            fn as_mut(&mut self) -> &mut $ty {
                &mut self.$field
            }
        })*

        /// An [`Act`] for every screen's state: what the app hands [`wire`].
        pub trait ActOnAll: $(Act<$ty> +)* {}

        impl<A> ActOnAll for A where A: $(Act<$ty> +)* {}
    };
}

own_state!(
    none: (),
    attract: attract::Attract,
    library: library::Library,
    reader: reader::Reader,
    contents: contents::Contents,
    page_grid: page_grid::PageGrid,
    pin: pin::Pin,
    operator: operator::Operator,
    test_pattern: test_pattern::TestPattern,
    idle_warning: idle_warning::IdleWarning,
    notice: notice::Notice
);

/// Wires every screen's controls to `act`. Back is every screen's own way back.
pub fn wire(ui: &Ui<'_>, act: &impl ActOnAll) {
    attract::wire(ui, act);
    language::wire(ui, act);
    library::wire(ui, act);
    reader::wire(ui, act);
    contents::wire(ui, act);
    page_grid::wire(ui, act);
    pin::wire(ui, act);
    operator::wire(ui, act);
    test_pattern::wire(ui, act);
    idle_warning::wire(ui, act);
    notice::wire(ui, act);
    let a = act.clone();
    ui.on_back(move || Act::<()>::act(&a, |c, _| c.nav.back()));
}

impl Screens {
    pub fn new(c: &Ctx) -> Screens {
        Screens {
            attract: Default::default(),
            library: Default::default(),
            reader: reader::Reader::new(c),
            contents: Default::default(),
            page_grid: Default::default(),
            pin: Default::default(),
            operator: Default::default(),
            test_pattern: Default::default(),
            idle_warning: Default::default(),
            notice: Default::default(),
            keys: Keys::default(),
            focus: Focus::default(),
            shown: None,
            none: (),
        }
    }

    /// Pushes the state into the UI: the screen on show, then the overlays.
    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx) {
        let screen = c.nav.screen;
        let first_show = self.shown != Some(screen);
        if first_show {
            self.reader.forget_drawn(c);
            self.focus.id = focus_start(screen, c);
        } else if !focus::contains(&|f| focus_order(screen, c, f), self.focus.id) {
            // Its control went (side by side turned off the size button).
            self.focus.id = focus_start(screen, c);
        }
        ui.set_focus(self.focus.id);
        ui.set_focus_shown(self.focus.shown);
        ui.set_screen(screen.index() as i32);
        match screen {
            Screen::Attract => {
                if first_show {
                    // At rest the kiosk holds only what every visit needs: the last
                    // statement's contents list and its page grid are made again when asked.
                    self.contents.release(ui);
                    self.page_grid.release(ui);
                }
                self.attract.refresh(ui, c, first_show);
            }
            Screen::Language => language::refresh(ui, c, first_show),
            Screen::Library => self.library.refresh(ui, c, first_show),
            Screen::Reader => self.reader.refresh(ui, c),
            Screen::Pin => self.pin.refresh(ui, c, first_show),
            Screen::Operator => self.operator.refresh(ui, c),
            Screen::Maintenance => maintenance::refresh(ui, c, first_show),
            Screen::Contents => self.contents.refresh(ui, c),
            Screen::PageGrid => self.page_grid.refresh(ui, c, first_show),
            Screen::TestPattern => {}
        }
        self.notice.refresh(ui);
        self.test_pattern.refresh(ui);
        self.idle_warning.refresh(ui, c);
        self.shown = Some(screen);
    }

    /// A key's press or repeat, or the operator's chord (see [`Keys`]). The overlays take
    /// a key first: a notice closes, and the idle warning only keeps the place; on the
    /// attract screen a key only wakes the kiosk. The first key after a touch shows the
    /// focus ring where it is and moves nothing.
    pub fn key(&mut self, c: &mut Ctx, act: KeyAct) {
        let (key, held) = match act {
            KeyAct::Chord => {
                // The PIN pad is silent (EN 301 549 5.1.3.8): the voice stops with the chord.
                c.stop_voice();
                c.nav.wake();
                c.nav.corner_held();
                return;
            }
            KeyAct::Press(k) => (k, false),
            KeyAct::Repeat(k) => (k, true),
        };
        let ring_was_shown = std::mem::replace(&mut self.focus.shown, true);
        let welcome = welcome_goes_on(c);
        if c.voice.reading() && !welcome && self.voice_key(c, key, held) {
            return;
        }
        if self.notice.until.take().is_some() || self.idle_warning.is_up() {
            return;
        }
        match key {
            Key::VolumeDown => c.volume = c.volume.saturating_sub(1),
            Key::VolumeUp => c.volume = (c.volume + 1).min(ctx::VOLUME_MAX),
            Key::Speed => c.change_speed(),
            // Help says what the keys do on this screen.
            Key::Help => say_help(c),
            _ => match c.nav.screen {
                Screen::Attract => {
                    c.nav.wake();
                    // Not again if a headset plugged in just now is hearing it.
                    if !welcome {
                        say_welcome(c);
                    }
                }
                Screen::Maintenance => maintenance::say(c),
                Screen::TestPattern if key == Key::Back => {
                    test_pattern::close(c, &mut self.test_pattern)
                }
                Screen::TestPattern => test_pattern::advance(c, &mut self.test_pattern),
                screen => self.key_on(c, screen, key, ring_was_shown),
            },
        }
    }

    /// A sound card came (a USB headset or a keypad with a headphone socket plugged in): at
    /// the attract screen a visitor is there to listen, so the voice says how to choose a
    /// language by keys; the first key then wakes the kiosk as ever, without saying it again.
    /// The maintenance screen says its message the same way. Elsewhere a card coming says
    /// nothing unasked.
    pub fn card_added(&mut self, c: &mut Ctx) {
        match c.nav.screen {
            Screen::Attract => say_welcome(c),
            Screen::Maintenance => maintenance::say(c),
            _ => {}
        }
    }

    /// A key while the voice reads (or is paused). On the page, Up and Down go a sentence
    /// back or on (`held`, repeating: a paragraph), and Next and Back a page, reading on from its top; Action goes to the
    /// page's own control (pause, resume), and the volume keys to theirs. Every other key
    /// cuts the voice at once (EN 301 549 5.1.3.5) and then does what it does. Returns
    /// whether the key was used up here.
    fn voice_key(&mut self, c: &mut Ctx, key: Key, held: bool) -> bool {
        let on_page = self.on_page(c);
        // The page's text, not a label or the page counter said over it: Up and Down move
        // the focus then, and Next and Back turn the page as ever.
        let page_read = on_page && c.voice.on_text();
        let now = c.now();
        match key {
            Key::VolumeDown | Key::VolumeUp | Key::Speed => {
                c.pump_voice();
                false
            }
            Key::Action if on_page => false,
            // While it speaks; paused, Up and Down leave the page as ever (no key trap).
            Key::Up | Key::Down if page_read && c.voice.speaking() => {
                let by = if key == Key::Up { -1 } else { 1 };
                if held {
                    c.voice.skip_paragraph(now, c.volume, by);
                } else {
                    c.voice.skip_sentence(now, c.volume, by);
                }
                true
            }
            Key::Next | Key::Back if page_read => {
                c.stop_voice();
                reader::turn(c, &mut self.reader, key == Key::Next);
                reader::listen(c);
                true
            }
            _ => {
                c.stop_voice();
                false
            }
        }
    }

    /// The focus is on the page (the voice's own control).
    fn on_page(&self, c: &Ctx) -> bool {
        c.nav.screen == Screen::Reader && self.focus.id == focus::LISTEN
    }

    /// A key went down. One the voice does not take cuts it at once, at its press, even a
    /// key that acts only on its release (Help) or held with another (the chord).
    pub fn key_down(&mut self, c: &mut Ctx, key: Key) {
        let on_page = self.on_page(c);
        let takes = matches!(key, Key::VolumeDown | Key::VolumeUp | Key::Speed)
            || (on_page && matches!(key, Key::Action | Key::Next | Key::Back))
            || (on_page && c.voice.speaking() && matches!(key, Key::Up | Key::Down));
        // At the attract screen the welcome a headset heard on its plug goes on: the key
        // that wakes the kiosk is the one it asks for.
        if c.voice.reading() && !takes && !welcome_goes_on(c) {
            c.stop_voice();
        }
    }

    /// A key on a screen with controls.
    fn key_on(&mut self, c: &mut Ctx, screen: Screen, key: Key, ring_was_shown: bool) {
        let from = self.focus.id;
        let page = c.nav.page;
        self.move_focus(c, screen, key, ring_was_shown);
        // Keys that turned the page, or opened the reader (a statement, a contents entry, a
        // page of the grid): the voice says where the reader is.
        if c.nav.screen == Screen::Reader && (screen != Screen::Reader || c.nav.page != page) {
            say_counter(c);
            return;
        }
        // The voice names the control the keys moved to (EN 301 549 5.1.3.1).
        if self.focus.id != from && c.nav.screen == screen && c.voice.available() {
            say_focus(c, self.focus.id);
        }
    }

    /// What a key does to the focus and the controls of `screen`.
    fn move_focus(&mut self, c: &mut Ctx, screen: Screen, key: Key, ring_was_shown: bool) {
        let from = self.focus.id;
        let step = |c: &Ctx, by: i32| focus::step(&|f| focus_order(screen, c, f), from, by);
        match (key, screen) {
            (Key::Digit(d), Screen::Pin) => pin::activate(c, focus::DIGIT + i32::from(d)),
            (Key::Digit(_), _) => {}
            (Key::Up | Key::Down | Key::Action, _) if !ring_was_shown => {}
            (Key::Up | Key::Down, Screen::PageGrid) => {
                let rows = if key == Key::Up { -1 } else { 1 };
                self.focus.id = page_grid::focus_rows(c, from, rows);
            }
            (Key::Up, _) => self.focus.id = step(c, -1),
            (Key::Down, _) => self.focus.id = step(c, 1),
            (Key::Action, _) => self.activate(c, screen, from),
            (Key::Next | Key::Back, Screen::Reader) => {
                reader::turn(c, &mut self.reader, key == Key::Next)
            }
            (Key::Next | Key::Back, Screen::PageGrid) => {
                let by = if key == Key::Next { 1 } else { -1 };
                self.focus.id = page_grid::focus_tiles(c, from, by);
            }
            (Key::Back, _) => c.nav.back(),
            (Key::Next, _) => self.focus.id = step(c, 1),
            _ => {}
        }
    }

    /// Action on the control `id` of `screen`: what a touch on it does.
    fn activate(&mut self, c: &mut Ctx, screen: Screen, id: i32) {
        match screen {
            Screen::Language => language::activate(c, id),
            Screen::Library => library::activate(c, id),
            Screen::Reader => reader::activate(c, &mut self.reader, id),
            Screen::Contents => contents::activate(c, id),
            Screen::PageGrid => page_grid::activate(c, id),
            Screen::Pin => pin::activate(c, id),
            Screen::Operator => operator::activate(c, id),
            Screen::Attract | Screen::TestPattern | Screen::Maintenance => {}
        }
    }

    /// On a timer: what changes on its own at `now`. Returns whether the screen must be
    /// refreshed.
    pub fn tick(&mut self, ui: &Ui<'_>, c: &mut Ctx, now: u64) -> bool {
        let mut dirty = self.notice.tick(now);
        while let Some(act) = self.keys.due(now) {
            c.nav.touched(now);
            self.key(c, act);
            dirty = true;
        }
        if c.nav.tick(now) {
            self.reader.stop(c);
            c.stop_voice();
            dirty = true;
        }
        if c.voice.reading() {
            c.pump_voice();
            // A visitor listening to a reading is there: the idle reset waits for its end
            // (not for a label's or the idle warning's own words).
            let reading = c.voice.on_text();
            if reading && c.voice.speaking() {
                c.nav.touched(now);
            }
            dirty |= reader::follow_voice(c, &mut self.reader);
        }
        dirty |= c.nav.screen == Screen::Reader && self.reader.mark_moved(c);
        dirty |= self.operator.tick(c, now);
        if c.nav.screen == Screen::Attract {
            self.attract.tick(ui, c, now);
        }
        dirty |= self.idle_warning.due(c, now);
        self.idle_warning.say_once(c, now, self.focus.shown);
        dirty |= self.pin.due(c, now);
        self.reader.tick(ui, c, now);
        dirty
    }

    /// The next moment something on screen changes on its own (clock ms).
    pub fn next_deadline(&self, c: &Ctx, now: u64) -> Option<u64> {
        let attract = (c.nav.screen == Screen::Attract).then(|| attract::Attract::deadline(now));
        [
            c.nav.idle_deadline(),
            idle_warning::IdleWarning::deadline(c, now),
            self.operator.deadline(),
            attract,
            pin::Pin::deadline(c, now),
            self.notice.until,
            self.keys.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// Says the name of the control `id` on the screen on show: its label's UI string in the UI
/// language, a language button in its own language, a card by its statement's title, a
/// contents entry by its heading. The PIN pad's digits are never said (EN 301 549 5.1.3.8).
fn say_focus(c: &mut Ctx, id: i32) {
    use bitig_format::speech::Said;
    let (n, lang) = (&c.nav, c.nav.lang);
    let ui = |key| Some(Said::Ui { key, lang });
    let said = match id {
        focus::BACK => ui("reader.back"),
        focus::PARALLEL => ui("reader.parallel"),
        focus::SWAP => ui("voice.swap"),
        focus::SIZE => ui("voice.size"),
        focus::LISTEN => ui("voice.listen"),
        focus::SPEED => ui(ctx::SPEED_NAMES[usize::from(c.voice.speed().min(2))]),
        focus::CONTENTS => ui("reader.contents"),
        focus::PROGRESS | focus::COUNTER => {
            let (page, count) = page_and_count(c);
            let [a, b, d, e] = counter(lang, page, count);
            let all = [
                Said::Ui {
                    key: "pages.title",
                    lang,
                },
                a,
                b,
                d,
                e,
            ];
            return c.say(&all);
        }
        i if i >= focus::TILE => {
            let n = u16::try_from(i - focus::TILE + 1).unwrap_or(u16::MAX);
            let [a, b, ..] = counter(lang, n, 0);
            return c.say(&[a, b]);
        }
        focus::RETURN => {
            // "Back to page 3": words that come before the number in every language.
            let page = n.return_to.map_or(0, |p| p.page.saturating_add(1));
            return c.say(&[
                Said::Ui {
                    key: "voice.return",
                    lang,
                },
                Said::Number { n: page, lang },
            ]);
        }
        i if (focus::LANGUAGE..focus::LANGUAGE + 3).contains(&i) => {
            ctx::lang_of(i - focus::LANGUAGE).map(|l| Said::Ui {
                key: "lang.name",
                lang: l,
            })
        }
        i if (focus::OPERATOR..focus::OPERATOR + 3).contains(&i) => {
            ["menu.test-pattern", "menu.restart", "menu.close"]
                .get((i - focus::OPERATOR) as usize)
                .and_then(|k| ui(k))
        }
        i if (focus::CARD..focus::ENTRY).contains(&i) => {
            let (all, n) = library::card_said(c, (i - focus::CARD) as usize, lang);
            return c.say(&all[..n]);
        }
        i if (focus::ENTRY..focus::TILE).contains(&i) => c
            .bundle
            .documents
            .get(n.doc)
            .and_then(|d| d.edition(n.edition))
            .and_then(|e| e.contents.get((i - focus::ENTRY) as usize))
            .map(|entry| Said::Block {
                doc: n.doc as u16,
                lang: n.edition,
                block: entry.block,
            }),
        _ => None,
    };
    let now = c.now();
    match said {
        Some(s) => {
            c.voice.say(now, c.volume, &s);
        }
        None => c.voice.stop(now, c.volume),
    }
}

/// "Page `page` of `count`" in `lang`: the pieces the voice strings together.
fn counter(lang: Lang, page: u16, count: u16) -> [bitig_format::speech::Said<'static>; 4] {
    use bitig_format::speech::Said;
    [
        Said::Ui {
            key: "voice.page",
            lang,
        },
        Said::Number { n: page, lang },
        Said::Ui {
            key: "voice.of",
            lang,
        },
        Said::Number { n: count, lang },
    ]
}

/// The page on show (from 1) and the page count of the reader's layout.
fn page_and_count(c: &Ctx) -> (u16, u16) {
    let count = c.nav.page_count(&BundleContent(&c.bundle));
    (c.nav.page + 1, count)
}

/// Says where the reader is: "Page 3 of 12" (after a page turn by keys, EN 301 549 5.1.3.1).
fn say_counter(c: &mut Ctx) {
    let (page, count) = page_and_count(c);
    let all = counter(c.nav.lang, page, count);
    let now = c.now();
    c.voice.say_all(now, c.volume, &all);
}

/// At the attract screen the voice is saying the welcome (in any of its languages), which a
/// headset heard on its plug: the key that wakes the kiosk lets it go on.
fn welcome_goes_on(c: &Ctx) -> bool {
    c.nav.screen == Screen::Attract
        && c.voice.speaking()
        && matches!(
            c.voice.said(),
            Some(bitig_format::speech::Said::Ui {
                key: "voice.welcome",
                ..
            })
        )
}

/// On the first key at the attract screen: how to choose a language by keys, in Kazakh,
/// Turkish and English.
fn say_welcome(c: &mut Ctx) {
    c.say_in_every_language("voice.welcome");
}

/// Help: what the keys do on the screen on show, in the UI language.
fn say_help(c: &mut Ctx) {
    use bitig_format::speech::Said;
    let key = match c.nav.screen {
        Screen::Language => "help.language",
        Screen::Library => "help.library",
        Screen::Reader => "help.reader",
        Screen::Contents => "help.contents",
        Screen::PageGrid => "help.pages",
        // The attract screen's help is the welcome; the operator's screens say nothing.
        Screen::Attract => return say_welcome(c),
        Screen::Maintenance => return maintenance::say(c),
        _ => return,
    };
    let lang = c.nav.lang;
    let now = c.now();
    c.voice.say(now, c.volume, &Said::Ui { key, lang });
}

/// `screen`'s controls in reading order (see [`focus`]).
pub fn focus_order(screen: Screen, c: &Ctx, f: &mut dyn FnMut(i32)) {
    match screen {
        Screen::Language => language::focus_order(f),
        Screen::Library => library::focus_order(c, f),
        Screen::Reader => reader::focus_order(c, f),
        Screen::Contents => contents::focus_order(c, f),
        Screen::PageGrid => page_grid::focus_order(c, f),
        Screen::Pin => pin::focus_order(f),
        Screen::Operator => operator::focus_order(f),
        Screen::Attract | Screen::TestPattern | Screen::Maintenance => {}
    }
}

/// Where the focus starts on `screen`: its main action.
fn focus_start(screen: Screen, c: &Ctx) -> i32 {
    match screen {
        Screen::Language => language::FOCUS_START,
        Screen::Library => library::FOCUS_START,
        Screen::Reader => reader::focus_start(c),
        Screen::Contents => contents::focus_start(c),
        Screen::PageGrid => page_grid::focus_start(c),
        Screen::Pin => pin::FOCUS_START,
        Screen::Operator => operator::FOCUS_START,
        Screen::Attract | Screen::TestPattern | Screen::Maintenance => focus::NONE,
    }
}
