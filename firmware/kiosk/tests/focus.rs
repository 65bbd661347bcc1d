//! The focus ring, seen: a walk by keys alone through every screen with controls, in each
//! language, shot for the goldens; and on every shot, the ring measured on the pixels: at
//! least 3 px thick, and at least 3:1 against the colours on both sides of it (WCAG 2.4.13,
//! EN 301 549 5.1.6.2 / 11.2.4.13).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_kiosk::screens::focus::{contrast, ring_colour, ring_neighbours};
use common::*;

/// Keys only: wake, the language `lang` (0 kk, 1 tr, 2 en), the library, the first
/// statement, its page grid, its contents, the operator's chord, the PIN pad, the menu.
/// After each shot (Slint lays a screen out when it draws it), `controls` prints where the
/// focused control is.
fn walk(lang: usize) -> String {
    let downs = "key down\n".repeat(lang);
    format!(
        "key action\nexpect language\n{downs}shot 0-language\ncontrols\nmark 0-language\n\
         key action\nexpect library\nshot 1-library\ncontrols\nmark 1-library\n\
         key down\nshot 2-library-second\ncontrols\nmark 2-library-second\n\
         key up\nkey action\nexpect reader\nwait 300\nshot 3-reader\ncontrols\nmark 3-reader\n\
         key action\nexpect page-grid\nshot 4-page-grid\ncontrols\nmark 4-page-grid\n\
         key up\nkey action\nexpect reader\nwait 300\n\
         key up\nkey up\nkey action\nexpect contents\nshot 5-contents\ncontrols\nmark 5-contents\n\
         key action\nexpect reader\nwait 300\n\
         key-down help\nkey-down back\nwait 5100\nkey-up back\nkey-up help\nexpect pin\nshot 6-pin\ncontrols\nmark 6-pin\n\
         key 1\nkey 2\nkey 3\nkey 4\nkey up\nkey action\nexpect operator\nshot 7-operator\ncontrols\nmark 7-operator\n"
    )
}

/// The control with the ring in each shot (by the walk above).
fn focused(lang: usize, shot: &str) -> String {
    match shot {
        "0-language" => format!("language {lang}"),
        "1-library" => "card 0".into(),
        "2-library-second" => "card 1".into(),
        "3-reader" => "page counter".into(),
        "4-page-grid" => "page 1".into(),
        "5-contents" => "contents entry 0".into(),
        "6-pin" => "digit 1".into(),
        _ => "operator 0".into(),
    }
}

fn rgb(px: &[u8]) -> bitig_format::Rgb {
    bitig_format::Rgb(px[0], px[1], px[2])
}

/// The ring across one edge of the control: from `(x, y)` on the edge, stepping `(dx, dy)`
/// inwards. Returns its thickness and the contrast against the pixel before and after it.
fn across(
    img: &(u32, u32, Vec<u8>),
    ring: bitig_format::Rgb,
    (x, y): (i32, i32),
    (dx, dy): (i32, i32),
) -> (i32, f64, f64) {
    let at = |x: i32, y: i32| {
        let i = ((y.clamp(0, img.1 as i32 - 1) * img.0 as i32 + x.clamp(0, img.0 as i32 - 1)) * 3)
            as usize;
        rgb(&img.2[i..i + 3])
    };
    let mut n = 0;
    while at(x + dx * n, y + dy * n) == ring && n < 40 {
        n += 1;
    }
    let outside = at(x - dx, y - dy);
    let inside = at(x + dx * n, y + dy * n);
    (n, contrast(ring, outside), contrast(ring, inside))
}

#[test]
fn the_ring_shows_on_every_screen_in_each_language() {
    let b = bundle("pi-touch-800x480");
    let bundle = bitig_format::Bundle::from_bundle_bytes(&std::fs::read(&b).unwrap())
        .map(|b| b.profile.theme)
        .unwrap();
    let ring = ring_colour(&bundle);
    let mut report = Vec::new();
    for (lang, code) in ["kk", "tr", "en"].iter().enumerate() {
        let set = format!("focus-{code}");
        let r = run(&set, &b, &walk(lang), &[]);
        assert_eq!(r.code, Some(0), "{code}: {}", r.stderr);
        // Where each control was last laid out, before each shot.
        let mut rects = std::collections::HashMap::new();
        let mut at_shot = std::collections::HashMap::new();
        for line in r.stdout.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.first() == Some(&"control") {
                // control NAME(with _) x y w h on SCREEN
                let num = |i: usize| f[i].parse::<f32>().unwrap();
                rects.insert(f[1].replace('_', " "), (num(2), num(3), num(4), num(5)));
            }
            if let Some(name) = line.strip_prefix("mark ") {
                let name = name.split_whitespace().next().unwrap_or("");
                at_shot.insert(name.to_string(), rects.clone());
            }
        }
        for shot in [
            "0-language",
            "1-library",
            "2-library-second",
            "3-reader",
            "4-page-grid",
            "5-contents",
            "6-pin",
            "7-operator",
        ] {
            let want = focused(lang, shot);
            let rect = at_shot
                .get(shot)
                .and_then(|r| r.get(&want))
                .unwrap_or_else(|| panic!("{code} {shot}: {want} was not laid out:\n{}", r.stdout));
            let img = bitig_io::png::read(&r.shots.join(format!("{shot}.png"))).unwrap();
            let img = (img.width, img.height, img.data);
            let (x, y, w, h) = (rect.0 as i32, rect.1 as i32, rect.2 as i32, rect.3 as i32);
            for (edge, start, step) in [
                ("left", (x, y + h / 2), (1, 0)),
                ("right", (x + w - 1, y + h / 2), (-1, 0)),
                ("top", (x + w / 2, y), (0, 1)),
                ("bottom", (x + w / 2, y + h - 1), (0, -1)),
            ] {
                // A list scrolled to show the control may cut it at the top bar: skip an
                // edge outside the view.
                if start.1 < 56 || start.1 >= img.1 as i32 {
                    continue;
                }
                let (thick, out, inn) = across(&img, ring, start, step);
                report.push(format!(
                    "{code} {shot} {want} {edge}: {thick} px, {out:.1}:1 out, {inn:.1}:1 in"
                ));
                assert!(
                    thick >= 3,
                    "{code} {shot}: the ring on {want} is {thick} px at its {edge} edge"
                );
                assert!(out >= 3.0 && inn >= 3.0, "{code} {shot}: the ring on {want} ({edge}) has {out:.2}:1 outside, {inn:.2}:1 inside");
            }
        }
        compare(&set, &r.shots);
    }
    println!("{}", report.join("\n"));
}

/// Both profiles' themes give the ring at least 3:1 against every colour it can sit on.
#[test]
fn the_ring_colour_contrasts_with_every_neighbour_in_both_themes() {
    for profile in ["pi-touch-800x480", "pi-touch2-720x1280"] {
        let b = bundle(profile);
        let theme = bitig_format::Bundle::from_bundle_bytes(&std::fs::read(&b).unwrap())
            .map(|b| b.profile.theme)
            .unwrap();
        let ring = ring_colour(&theme);
        for n in ring_neighbours(&theme) {
            let c = contrast(ring, n);
            println!("{profile}: ring {ring:?} on {n:?}: {c:.2}:1");
            assert!(c >= 3.0, "{profile}: ring {ring:?} on {n:?} is {c:.2}:1");
        }
    }
}

/// The spoken sentence's mark keeps every colour a page's text takes at 4.5:1 or more, and is
/// a visible tint (not the background itself), in both themes.
#[test]
fn the_spoken_sentences_mark_keeps_text_contrast_in_both_themes() {
    use bitig_kiosk::screens::focus::{highlight_colour, TEXT_CONTRAST};
    for profile in ["pi-touch-800x480", "pi-touch2-720x1280"] {
        let b = bundle(profile);
        let theme = bitig_format::Bundle::from_bundle_bytes(&std::fs::read(&b).unwrap())
            .map(|b| b.profile.theme)
            .unwrap();
        let mark = highlight_colour(&theme);
        assert_ne!(mark, theme.background, "{profile}: no visible mark");
        for (role, t) in [
            ("text", theme.text),
            ("muted", theme.muted),
            ("title", theme.title),
        ] {
            let c = contrast(t, mark);
            println!("{profile}: {role} {t:?} on the mark {mark:?}: {c:.2}:1");
            assert!(
                c >= TEXT_CONTRAST,
                "{profile}: {role} on the mark is {c:.2}:1"
            );
        }
    }
}
