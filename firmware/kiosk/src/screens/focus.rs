//! Keyboard focus: which control the keypad's Up and Down move between and Action activates.
//! Each screen lists its controls in reading order (`focus_order` in its module) and says
//! what Action does to each (`activate`); this module names them. A control's focus id is the
//! `fid` its element has in `ui/app.slint`, and [`name`] gives the name it reports when laid
//! out (`Ui.control`), so the key-walk test can match the two.

use bitig_format::{Rgb, Theme};

/// The back button of a top bar (library, reader, contents, page grid).
pub const BACK: i32 = 1;
/// The reader's side-by-side button.
pub const PARALLEL: i32 = 2;
/// The reader's text size button.
pub const SIZE: i32 = 3;
/// The reader's contents button.
pub const CONTENTS: i32 = 4;
/// The reader's progress bar.
pub const PROGRESS: i32 = 5;
/// The reader's "back to page N" button.
pub const RETURN: i32 = 6;
/// The reader's page counter.
pub const COUNTER: i32 = 7;
/// The reader's page, when the kiosk has a voice: Action reads it aloud, pauses and resumes.
pub const LISTEN: i32 = 8;
/// The reader's swap button, side by side (where the text size button is otherwise): the
/// columns change places, so the voice reads the other one.
pub const SWAP: i32 = 9;
/// The reader's speed button, when the kiosk has a voice: slow, normal and fast in turn.
pub const SPEED: i32 = 10;
/// Language button `i` (the language screen and the reader's top bar): `LANGUAGE + i`.
pub const LANGUAGE: i32 = 100;
/// Digit `d` of the PIN pad: `DIGIT + d`.
pub const DIGIT: i32 = 200;
/// The PIN pad's clear button.
pub const CLEAR: i32 = 210;
/// The PIN pad's OK button.
pub const OK: i32 = 211;
/// Operator menu button `i`: `OPERATOR + i`.
pub const OPERATOR: i32 = 300;
/// Library card `i`: `CARD + i`.
pub const CARD: i32 = 1_000;
/// Contents entry `i`: `ENTRY + i`.
pub const ENTRY: i32 = 2_000;
/// The page grid's tile for page `i` (0-based): `TILE + i`.
pub const TILE: i32 = 3_000;
/// No control has the focus (a screen with none).
pub const NONE: i32 = -1;

/// The WCAG 2.x contrast ratio of two colours (1 to 21), from their relative luminance. The
/// accessibility tests use it for text too.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    fn luminance(c: Rgb) -> f64 {
        let lin = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.040_45 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The mark behind the sentence the voice speaks: the strongest tint of the accent over the
/// background (30% down to 5%) on which every colour a page's text takes (text, muted,
/// title) keeps a contrast of at least [`TEXT_CONTRAST`] (WCAG 1.4.3).
pub fn highlight_colour(theme: &Theme) -> Rgb {
    [30, 25, 20, 15, 10, 5]
        .into_iter()
        .map(|p| over(theme.accent, f64::from(p) / 100.0, theme.background))
        .find(|&h| {
            [theme.text, theme.muted, theme.title]
                .into_iter()
                .all(|t| contrast(t, h) >= TEXT_CONTRAST)
        })
        .unwrap_or(theme.background)
}

/// The least contrast of text on its background (WCAG 1.4.3, level AA).
pub const TEXT_CONTRAST: f64 = 4.5;

/// `top` at `alpha` (0 to 1) over `under`, as Slint blends `with-alpha`.
pub fn over(top: Rgb, alpha: f64, under: Rgb) -> Rgb {
    let mix = |t: u8, u: u8| (f64::from(t) * alpha + f64::from(u) * (1.0 - alpha)).round() as u8;
    Rgb(
        mix(top.0, under.0),
        mix(top.1, under.1),
        mix(top.2, under.2),
    )
}

/// Every colour the focus ring can touch, inside or outside: the screen's background, the
/// bars' and controls' surface, and a selected button's fill (ui/app.slint).
pub fn ring_neighbours(t: &Theme) -> [Rgb; 3] {
    [t.background, t.surface, over(t.accent, 0.15, t.surface)]
}

/// The ring's colour: of the theme's colours, the one whose lowest contrast against the
/// ring's neighbours is highest.
pub fn ring_colour(t: &Theme) -> Rgb {
    let worst = |c: Rgb| {
        ring_neighbours(t)
            .iter()
            .map(|&n| contrast(c, n))
            .fold(f64::MAX, f64::min)
    };
    [t.title, t.text, t.accent, t.muted]
        .into_iter()
        .max_by(|a, b| worst(*a).total_cmp(&worst(*b)))
        .unwrap_or(t.text)
}

/// Where the focus is, and whether its ring is shown (a touch hides it until the next key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Focus {
    pub id: i32,
    pub shown: bool,
}

impl Default for Focus {
    fn default() -> Self {
        Focus {
            id: NONE,
            shown: false,
        }
    }
}

/// The name the control with focus id `id` reports when laid out (`Ui.control`).
pub fn name(id: i32) -> String {
    match id {
        BACK => "back".into(),
        PARALLEL => "side by side".into(),
        SIZE => "text size".into(),
        CONTENTS => "contents".into(),
        PROGRESS => "progress bar".into(),
        RETURN => "back to page".into(),
        COUNTER => "page counter".into(),
        LISTEN => "listen".into(),
        SWAP => "swap columns".into(),
        SPEED => "speed".into(),
        CLEAR => "clear".into(),
        OK => "ok".into(),
        i if (LANGUAGE..LANGUAGE + 100).contains(&i) => format!("language {}", i - LANGUAGE),
        i if (DIGIT..DIGIT + 10).contains(&i) => format!("digit {}", i - DIGIT),
        i if (OPERATOR..OPERATOR + 100).contains(&i) => format!("operator {}", i - OPERATOR),
        i if (CARD..ENTRY).contains(&i) => format!("card {}", i - CARD),
        i if (ENTRY..TILE).contains(&i) => format!("contents entry {}", i - ENTRY),
        i if i >= TILE => format!("page {}", i - TILE + 1),
        _ => String::new(),
    }
}

/// A screen's controls in reading order, handed one by one to the closure (no list is
/// built: a key press allocates nothing).
pub type Order<'a> = &'a dyn Fn(&mut dyn FnMut(i32));

/// The control `by` places after (or, negative, before) `from` in `order`, going round at
/// the ends; the first control if `from` is not among them; [`NONE`] if there are none.
pub fn step(order: Order<'_>, from: i32, by: i32) -> i32 {
    let (mut len, mut at) = (0i32, None);
    order(&mut |id| {
        if id == from && at.is_none() {
            at = Some(len);
        }
        len += 1;
    });
    if len == 0 {
        return NONE;
    }
    let target = match at {
        Some(i) => (i + by).rem_euclid(len),
        None => 0,
    };
    nth(order, target)
}

/// The `n`th control of `order`, or [`NONE`].
pub fn nth(order: Order<'_>, n: i32) -> i32 {
    let (mut i, mut found) = (0, NONE);
    order(&mut |id| {
        if i == n {
            found = id;
        }
        i += 1;
    });
    found
}

/// Whether `id` is one of `order`'s controls.
pub fn contains(order: Order<'_>, id: i32) -> bool {
    let mut yes = false;
    order(&mut |c| yes |= c == id);
    yes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_round_and_start_at_the_first() {
        let order = |f: &mut dyn FnMut(i32)| {
            for id in [BACK, CARD, CARD + 1] {
                f(id)
            }
        };
        assert_eq!(step(&order, BACK, 1), CARD);
        assert_eq!(step(&order, CARD + 1, 1), BACK);
        assert_eq!(step(&order, BACK, -1), CARD + 1);
        assert_eq!(step(&order, OK, 1), BACK, "not among them: the first");
        assert_eq!(step(&|_| {}, BACK, 1), NONE);
        assert_eq!(name(TILE + 4), "page 5");
        assert_eq!(name(LANGUAGE + 2), "language 2");
        assert_eq!(name(ENTRY + 11), "contents entry 11");
    }

    #[test]
    fn contrast_is_wcags() {
        assert!((contrast(Rgb(0, 0, 0), Rgb(255, 255, 255)) - 21.0).abs() < 0.01);
        assert!((contrast(Rgb(0x77, 0x77, 0x77), Rgb(255, 255, 255)) - 4.48).abs() < 0.01);
        // A theme whose title is pale still gets a ring of 3:1: the text colour.
        let t = Theme {
            background: Rgb(255, 255, 255),
            surface: Rgb(250, 250, 250),
            text: Rgb(20, 20, 20),
            muted: Rgb(120, 120, 120),
            accent: Rgb(0, 122, 148),
            title: Rgb(200, 200, 230),
        };
        assert_eq!(ring_colour(&t), t.text);
    }
}
