//! The tactile keypad, in one headless kiosk (800x480) driven by keys alone:
//!
//! - from the attract screen, every control of every screen is reached by Up/Down (Next on
//!   the page grid) and activated by Action, in reading order, and the walk comes back;
//! - the focus moves through exactly the controls the screen lays out (a control that only a
//!   finger reaches fails);
//! - keys on the overlays and the attract screen do what a first touch does and no more;
//! - the operator's chord (Help + Back for 5 s) and nothing shorter opens the PIN pad, whose
//!   lockout counts key entries;
//! - a touch hides the ring until the next key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitig_kiosk::app::Kiosk;
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::content::load_bundle;
use bitig_kiosk::keys::{self, Key};
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;

struct Pad<'a> {
    h: Headless,
    k: &'a Kiosk,
}

impl Pad<'_> {
    fn key(&mut self, key: Key) {
        let code = self.k.code_for(key).unwrap();
        self.h.key(self.k, code, 60);
    }

    fn hold(&mut self, key: Key, ms: u64) {
        let code = self.k.code_for(key).unwrap();
        self.h.key(self.k, code, ms);
    }

    fn focus(&self) -> String {
        self.k.focus().0
    }

    fn frame(&mut self) -> u64 {
        self.h.advance(400);
        let (_, _, rgb) = self.h.frame();
        rgb.iter().fold(0xcbf2_9ce4_8422_2325u64, |a, &b| {
            (a ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    /// Moves the focus to `name` by the key that walks `screen`, or fails.
    fn go_to(&mut self, name: &str) {
        let walk = self.walk_key();
        for _ in 0..200 {
            if self.focus() == name {
                return;
            }
            self.key(walk);
        }
        panic!("{name} cannot be reached by keys on {:?}", self.k.screen());
    }

    fn walk_key(&self) -> Key {
        if self.k.screen() == Screen::PageGrid {
            Key::Next
        } else {
            Key::Down
        }
    }

    /// Every control the focus visits, from where it is round to it again.
    fn walk(&mut self) -> Vec<String> {
        let walk = self.walk_key();
        let start = self.focus();
        let mut seen = vec![start.clone()];
        for _ in 0..300 {
            self.key(walk);
            let f = self.focus();
            if f == start {
                return seen;
            }
            seen.push(f);
        }
        panic!(
            "the focus never came round on {:?}: {seen:?}",
            self.k.screen()
        );
    }

    /// The controls laid out on the screen on show (their names), in reading order: rows top
    /// down (centres within 20 px are one row), left to right in a row.
    fn laid_out(&mut self) -> Vec<String> {
        self.h.advance(100);
        // Slint lays a screen out when it draws it.
        let _ = self.h.frame();
        let mut latest: Vec<(String, f32, f32)> = Vec::new();
        for (name, x, y, w, h) in self.k.take_controls() {
            latest.retain(|c| c.0 != name);
            latest.push((name, x + w / 2.0, y + h / 2.0));
        }
        latest.sort_by(|a, b| {
            if (a.2 - b.2).abs() < 20.0 {
                a.1.total_cmp(&b.1)
            } else {
                a.2.total_cmp(&b.2)
            }
        });
        latest.into_iter().map(|c| c.0).collect()
    }

    /// The focus visits exactly `screen`'s controls, in reading order (the page grid: its
    /// tiles row by row, as laid out).
    fn check_walk(&mut self, screen: Screen) -> Vec<String> {
        self.check_walk_but(screen, &[])
    }

    /// [`Pad::check_walk`], with controls laid out but disabled (`off`).
    fn check_walk_but(&mut self, screen: Screen, off: &[String]) -> Vec<String> {
        assert_eq!(self.k.screen(), screen);
        let mut laid = self.laid_out();
        laid.retain(|c| !off.contains(c));
        let order = self.k.focus_order();
        let mut walked = self.walk();
        // The walk starts at the screen's main action: rotate it to start where the order does.
        let at = walked.iter().position(|n| *n == order[0]).unwrap();
        walked.rotate_left(at);
        assert_eq!(walked, order, "{screen:?}: the keys walk the focus order");
        let mut a = laid.clone();
        let mut b = order.clone();
        a.sort();
        b.sort();
        assert_eq!(
            a, b,
            "{screen:?}: the controls laid out and the controls keys reach differ"
        );
        if screen != Screen::PageGrid {
            assert_eq!(order, laid, "{screen:?}: focus order against reading order");
        }
        order
    }

    /// Action on `name`, then the screen that comes up.
    fn activate(&mut self, name: &str) -> Screen {
        self.go_to(name);
        // What this screen laid out so far is not the next one's.
        let _ = self.h.frame();
        let _ = self.k.take_controls();
        self.key(Key::Action);
        self.h.advance(300);
        self.k.screen()
    }
}

#[test]
fn keys_alone_reach_and_activate_every_control() {
    let path = common::bundle("pi-touch-800x480");
    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    let kiosk = Kiosk::new(load_bundle(&path), Config::load(None).unwrap(), clock).unwrap();
    kiosk.record_controls();
    h.attach(&kiosk).unwrap();
    let mut p = Pad { h, k: &kiosk };

    // Attract: a key only wakes, and the ring is on the first language.
    p.key(Key::Down);
    assert_eq!(p.k.screen(), Screen::Language);
    assert_eq!(p.k.focus(), ("language 0".to_string(), true));

    // Language: each button chooses its language; Back on the library comes back.
    let langs = p.check_walk(Screen::Language);
    assert_eq!(langs.len(), 3);
    for l in &langs {
        assert_eq!(p.activate(l), Screen::Library, "{l}");
        p.key(Key::Back);
        assert_eq!(p.k.screen(), Screen::Language);
    }
    assert_eq!(p.activate("language 2"), Screen::Library);

    // Library: back, and every card opens its statement.
    let cards = p.check_walk(Screen::Library);
    assert!(cards.len() >= 3, "{cards:?}");
    assert_eq!(p.activate("back"), Screen::Language);
    assert_eq!(p.activate("language 2"), Screen::Library);
    for card in cards.iter().filter(|c| c.starts_with("card ")) {
        assert_eq!(p.activate(card), Screen::Reader, "{card}");
        assert_eq!(
            p.focus(),
            "page counter",
            "the reader's focus starts on the counter"
        );
        assert_eq!(p.activate("back"), Screen::Library);
    }

    // Reader: Next and Back turn pages; every control does what a touch does.
    assert_eq!(p.activate("card 0"), Screen::Reader);
    let page = p.k.page().0;
    p.key(Key::Next);
    p.key(Key::Next);
    assert_eq!(p.k.page().0, page + 2);
    p.key(Key::Back);
    assert_eq!(p.k.page().0, page + 1);
    // The language buttons of editions the statement lacks are disabled: no focus.
    let bytes = std::fs::read(&path).unwrap();
    let b = bitig_format::Bundle::from_bundle_bytes(&bytes).unwrap();
    let off: Vec<String> = bitig_format::Lang::ALL
        .iter()
        .enumerate()
        .filter(|(_, &l)| b.documents[0].edition(l).is_none())
        .map(|(i, _)| format!("language {i}"))
        .collect();
    let controls = p.check_walk_but(Screen::Reader, &off);
    for c in &controls {
        let before = p.frame();
        let screen = p.activate(c);
        match c.as_str() {
            "back" => assert_eq!(screen, Screen::Library),
            "contents" => assert_eq!(screen, Screen::Contents),
            "page counter" | "progress bar" => assert_eq!(screen, Screen::PageGrid),
            // The edition on show: nothing to change.
            "language 2" => assert_eq!(p.frame(), before, "{c}"),
            _ => {
                assert_eq!(screen, Screen::Reader, "{c}");
                assert_ne!(p.frame(), before, "{c} changed nothing");
            }
        }
        match p.k.screen() {
            Screen::Reader => {
                // Undo a toggle, or go back to the English edition.
                if c.starts_with("language") {
                    p.activate("language 2");
                } else if c != "back to page" {
                    p.activate(c);
                }
            }
            Screen::Library => {
                p.activate("card 0");
                p.key(Key::Next);
            }
            _ => assert_eq!(p.activate("back"), Screen::Reader, "back from {c}"),
        }
    }

    // Side by side: the swap button takes the text size button's place, and keys reach it
    // and swap the columns (and back).
    assert_eq!(p.activate("side by side"), Screen::Reader);
    let side = p.k.focus_order();
    assert!(side.contains(&"swap columns".to_string()), "{side:?}");
    assert!(!side.contains(&"text size".to_string()), "{side:?}");
    for _ in 0..2 {
        let before = p.frame();
        assert_eq!(p.activate("swap columns"), Screen::Reader);
        assert_ne!(p.frame(), before, "swapping the columns changed nothing");
    }
    assert_eq!(p.activate("side by side"), Screen::Reader);

    // Contents: every entry opens its part; back returns.
    assert_eq!(p.activate("contents"), Screen::Contents);
    let entries = p.check_walk(Screen::Contents);
    for e in entries.iter().filter(|e| e.starts_with("contents entry")) {
        assert_eq!(p.activate(e), Screen::Reader, "{e}");
        // The way back after a jump is a control of its own.
        assert!(p.k.focus_order().contains(&"back to page".to_string()) || e == "contents entry 0");
        assert_eq!(p.activate("contents"), Screen::Contents);
    }
    assert_eq!(p.activate("back"), Screen::Reader);

    // Page grid: every tile opens its page; Up and Down move by rows.
    assert_eq!(p.activate("page counter"), Screen::PageGrid);
    let tiles = p.check_walk(Screen::PageGrid);
    let pages = tiles.iter().filter(|t| t.starts_with("page ")).count();
    assert!(pages > 3);
    p.go_to("page 1");
    p.key(Key::Down);
    assert_ne!(p.focus(), "page 2", "Down moves a row");
    p.key(Key::Up);
    assert_eq!(p.focus(), "page 1");
    for i in 0..pages {
        let tile = format!("page {}", i + 1);
        assert_eq!(p.activate(&tile), Screen::Reader, "{tile}");
        assert_eq!(p.k.page().0 as usize, i, "{tile}");
        assert_eq!(p.activate("page counter"), Screen::PageGrid);
    }
    assert_eq!(p.activate("back"), Screen::Reader);

    // The operator: no single key, nor Help + Back for less than 5 s, opens the PIN pad.
    for key in [Key::Help, Key::Back, Key::Action, Key::Up] {
        p.hold(key, 6_000);
        assert_ne!(p.k.screen(), Screen::Pin, "{key:?} held alone");
        if p.k.screen() != Screen::Reader {
            // Action on the page counter opened the page grid.
            assert_eq!(p.activate("back"), Screen::Reader);
        }
    }
    let (help, back) = (
        p.k.code_for(Key::Help).unwrap(),
        p.k.code_for(Key::Back).unwrap(),
    );
    p.k.key(help, true);
    p.k.key(back, true);
    p.h.advance(4_900);
    p.k.key(back, false);
    p.k.key(help, false);
    p.h.advance(200);
    assert_eq!(p.k.screen(), Screen::Reader, "a chord of 4.9 s");
    p.k.key(help, true);
    p.k.key(back, true);
    p.h.advance(5_050);
    assert_eq!(p.k.screen(), Screen::Pin, "Help + Back for 5 s");
    p.k.key(back, false);
    p.k.key(help, false);

    // PIN: digits by the pad's keys and by Up/Down/Action; a wrong PIN by keys counts.
    let pad = p.check_walk(Screen::Pin);
    assert_eq!(pad.len(), 12);
    for d in ["digit 9", "digit 9", "digit 9", "digit 9"] {
        p.activate(d);
    }
    assert_eq!(p.activate("ok"), Screen::Pin, "a wrong PIN");
    let shown = p.frame();
    for d in [1u8, 2, 3] {
        p.key(Key::Digit(d));
    }
    assert_ne!(p.frame(), shown, "typed digits show");
    p.activate("clear");
    p.activate("digit 1");
    for d in [2u8, 3, 4] {
        p.key(Key::Digit(d));
    }
    assert_eq!(p.activate("ok"), Screen::Operator);

    // Operator: the test pattern by keys (Action steps it, Back closes it), then close.
    let buttons = p.check_walk(Screen::Operator);
    assert_eq!(buttons.len(), 3);
    assert_eq!(p.activate("operator 0"), Screen::TestPattern);
    p.key(Key::Action);
    assert_eq!(p.k.screen(), Screen::TestPattern);
    p.key(Key::Back);
    assert_eq!(p.k.screen(), Screen::Operator);
    assert_eq!(p.activate("operator 2"), Screen::Attract, "close");

    // A touch hides the ring; the next key shows it and moves nothing.
    p.key(Key::Action);
    assert_eq!(p.k.screen(), Screen::Language);
    p.h.tap(400.0, 132.0); // the first language
    assert_eq!(p.k.screen(), Screen::Library);
    assert!(!p.k.focus().1, "a touch hides the ring");
    let at = p.focus();
    p.key(Key::Down);
    assert_eq!(
        p.k.focus(),
        (at, true),
        "the first key after a touch only shows the ring"
    );

    // The simulator's keys come through Slint's own key events, mapped to the same codes.
    let at = p.focus();
    p.h.slint_key("\u{F701}"); // the down arrow
    assert_ne!(p.focus(), at, "a desktop down arrow moves the focus");
    p.h.slint_key("\u{1b}"); // Escape: Back
    assert_eq!(p.k.screen(), Screen::Language);
}

#[test]
fn the_config_maps_keys_and_names_the_place_of_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("bitig-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("kiosk.toml");
    std::fs::write(
        &p,
        "rotation = 0\n[keys]\naction = [\"KEY_SPACE\"]\nup = [\"KEY_W\", \"KEY_UP\"]\n",
    )
    .unwrap();
    let c = Config::load(Some(&p)).unwrap();
    let k = |n: &str| c.keys.key(keys::code_of(n).unwrap());
    assert_eq!(k("KEY_SPACE"), Some(Key::Action));
    assert_eq!(k("KEY_ENTER"), None, "action's defaults are replaced");
    assert_eq!(k("KEY_W"), Some(Key::Up));
    assert_eq!(k("KEY_DOWN"), Some(Key::Down), "the rest keep theirs");
    for (text, at, what) in [
        (
            "[keys]\njump = [\"KEY_J\"]\n",
            "kiosk.toml:2:1",
            "no key `jump`",
        ),
        (
            "[keys]\nup = [\"KEY_UP\", \"KEY_BOGUS\"]\n",
            "kiosk.toml:2:17",
            "`KEY_BOGUS` is not a key name",
        ),
        (
            "[keys]\nup = [\"KEY_J\"]\ndown = [\"KEY_J\"]\n",
            "kiosk.toml:3:9",
            "already the",
        ),
        (
            "[keys]\nup = \"KEY_J\"\n",
            "kiosk.toml:2:6",
            "[keys] must map",
        ),
    ] {
        std::fs::write(&p, text).unwrap();
        let e = Config::load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains(at) && e.contains(what), "{text:?}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
