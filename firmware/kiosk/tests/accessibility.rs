//! Touch targets and contrast, read from the laid-out screens and the themes.
//!
//! - Every control the kiosk lays out (each `Button`, library card, contents entry and the
//!   progress bar report their rectangle when Slint creates them) is at least 9 mm square on
//!   the 7" 800x480 panel (0.19 mm a pixel: 48 px) and at least 48 px on the 720x1280 one,
//!   and lies on the panel: in English without a voice, and in Kazakh (the longest labels)
//!   with one, whose speed button shares the reader's bottom bar with the way back.
//! - Text contrast (WCAG 2.x relative luminance) from both profiles' theme colours: body text
//!   on the page at least 7:1, every other text at least 4.5:1 on what it is drawn on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_format::{Bundle, Rgb, Theme};
use bitig_kiosk::screens::focus::{contrast, over};
use common::*;

/// 9 mm on the landscape panel (0.19 mm a pixel), rounded up; the portrait panel's minimum.
const MIN_PX: [(&str, f32); 2] = [("pi-touch-800x480", 48.0), ("pi-touch2-720x1280", 48.0)];

/// Every visitor and operator screen, with `controls` after each, in the language `lang`
/// (0 to 2) of the language screen's buttons.
fn tour(w: f32, h: f32, lang: usize) -> String {
    let lang_y = h / 2.0 - 108.0 + 108.0 * lang as f32; // 108 px a button
                                                        // The third card is below the first screen in Kazakh: the first there.
    let card = if lang == 0 { 0 } else { 2 };
    format!(
        "tap {cx} {cy}\nexpect language\ncontrols\n\
         tap {cx} {lang_y}\nexpect library\ncontrols\n\
         tap-on card_{card}\nexpect reader\nwait 100\ncontrols\n\
         tap-on contents\nexpect contents\ncontrols\n\
         tap-on contents_entry_1\nexpect reader\nwait 100\ncontrols\n\
         tap-on page_counter\nexpect page-grid\ncontrols\n\
         tap-on page_3\nexpect reader\n\
         press 20 {corner}\nwait 5100\nrelease 20 {corner}\nexpect pin\ncontrols\n\
         tap-on digit_1\ntap-on digit_2\ntap-on digit_3\ntap-on digit_4\ntap-on ok\n\
         expect operator\ncontrols\n",
        cx = w / 2.0,
        cy = h / 2.0 + 60.0,
        corner = h - 20.0,
    )
}

#[test]
fn every_control_is_a_finger_wide_on_both_panels() {
    let tours = MIN_PX
        .iter()
        .flat_map(|&(profile, min)| [(profile, min, 2, false), (profile, min, 0, true)]);
    for (profile, min, lang, voice) in tours {
        let (w, h) = bitig_kiosk::config::profile_size(profile).unwrap();
        let b = if voice {
            voice_bundle(profile)
        } else {
            bundle(profile)
        };
        let r = run(
            &format!("touch-{profile}-{lang}"),
            &b,
            &tour(w as f32, h as f32, lang),
            &["--profile", profile],
        );
        assert_eq!(r.code, Some(0), "{profile}: {}", r.stderr);
        let mut checked = 0;
        let mut small = Vec::new();
        let mut off = Vec::new();
        let mut screens = std::collections::BTreeSet::new();
        for line in r.stdout.lines().filter(|l| l.starts_with("control ")) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (name, screen) = (f[1], f[7]);
            let [x, y, cw, ch]: [f32; 4] = [f[2], f[3], f[4], f[5]].map(|v| v.parse().unwrap());
            screens.insert(screen.to_string());
            checked += 1;
            if cw < min || ch < min {
                small.push(format!("{name} on {screen}: {cw}x{ch} px"));
            }
            // Lists scroll (cards, contents entries, tiles): their rows may lie below.
            let tile = name
                .strip_prefix("page_")
                .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
            let bar = !name.starts_with("card") && !name.starts_with("contents_entry") && !tile;
            if bar && (x < 0.0 || y < 0.0 || x + cw > w as f32 || y + ch > h as f32) {
                off.push(format!("{name} on {screen}: {cw}x{ch} at {x},{y}"));
            }
        }
        assert!(small.is_empty(), "{profile}: under {min} px: {small:#?}");
        assert!(
            off.is_empty(),
            "{profile}, language {lang}: off the panel: {off:#?}"
        );
        for s in [
            "language",
            "library",
            "reader",
            "contents",
            "page-grid",
            "pin",
            "operator",
        ] {
            assert!(
                screens.contains(s),
                "{profile}: no control seen on {s}: {screens:?}"
            );
        }
        assert!(checked > 40, "{profile}: only {checked} controls");
    }
}

/// What text is drawn on what, in ui/app.slint and the page images.
fn pairs(t: &Theme) -> Vec<(&'static str, Rgb, Rgb, f64)> {
    vec![
        ("body text on the page", t.text, t.background, 7.0),
        ("titles on the page", t.title, t.background, 4.5),
        ("bylines on the page", t.muted, t.background, 4.5),
        ("labels on buttons and cards", t.text, t.surface, 4.5),
        ("card titles", t.title, t.surface, 4.5),
        ("card bylines, the page counter", t.muted, t.surface, 4.5),
        (
            "labels on a pressed button",
            t.text,
            over(t.accent, 0.25, t.surface),
            4.5,
        ),
        (
            "labels on a selected button",
            t.text,
            over(t.accent, 0.15, t.surface),
            4.5,
        ),
        ("countdowns and codes", t.accent, t.surface, 4.5),
        (
            "error codes on the maintenance screen",
            t.accent,
            t.background,
            4.5,
        ),
        (
            "\"touch to begin\"",
            t.text,
            over(t.accent, 0.12, t.background),
            4.5,
        ),
    ]
}

#[test]
fn text_contrast_meets_wcag_on_both_profiles() {
    let mut low = Vec::new();
    for (profile, _) in MIN_PX {
        let bytes = std::fs::read(bundle(profile)).unwrap();
        let b = Bundle::from_bundle_bytes(&bytes).unwrap();
        for (what, fg, bg, min) in pairs(&b.profile.theme) {
            let c = contrast(fg, bg);
            println!("{profile}: {what}: {c:.2}:1 (at least {min}:1)");
            if c < min {
                low.push(format!("{profile}: {what}: {c:.2}:1 < {min}:1"));
            }
        }
    }
    assert!(low.is_empty(), "{low:#?}");
}

#[test]
fn the_contrast_formula_matches_wcag_examples() {
    let (black, white) = (Rgb(0, 0, 0), Rgb(255, 255, 255));
    assert!((contrast(black, white) - 21.0).abs() < 1e-9);
    assert!((contrast(white, white) - 1.0).abs() < 1e-9);
    // #777777 on white is the classic 4.48:1 just under AA.
    let c = contrast(Rgb(0x77, 0x77, 0x77), white);
    assert!((c - 4.48).abs() < 0.01, "{c}");
}
