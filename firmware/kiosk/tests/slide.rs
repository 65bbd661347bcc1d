//! No flash on a page turn: the frame drawn when the finger lifts, and every frame of the
//! slide after it, must not show the new page where it will come to rest before the slide
//! ends. (Before the fix, the frame at finger lift showed page 2 already at rest, and 16 ms
//! later it jumped back to the right edge to slide in.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitig_kiosk::app::SLIDE_MS;
use bitig_kiosk::platform::headless::STEP_MS;

/// The page area of a frame (between the bars), as RGB rows.
fn page_area(frame: &[u8], width: u32, top: u32, height: u32) -> Vec<u8> {
    let row = width as usize * 3;
    frame[top as usize * row..(top + height) as usize * row].to_vec()
}

#[test]
fn a_page_turn_never_shows_the_new_page_at_rest_before_its_slide_ends() {
    let path = common::bundle("pi-touch-800x480");
    let bytes = std::fs::read(&path).unwrap();
    let profile = bitig_format::Bundle::from_bundle_bytes(&bytes)
        .unwrap()
        .profile;
    let (top, height) = (56, u32::from(profile.page_height));
    let (mut h, kiosk) = common::kiosk_in_reader(&path);
    h.advance(400);
    for (forward, x) in [(true, 780.0), (false, 20.0)] {
        let before = kiosk.page().0;
        // Finger down and up at the edge, then every frame until the slide has ended.
        h.press(x, 250.0);
        h.advance(60);
        h.release(x, 250.0);
        let mut frames = Vec::new();
        let (w, _, f) = h.frame();
        frames.push(page_area(f, w, top, height));
        let mut t = 0;
        while kiosk.sliding() {
            h.advance(STEP_MS);
            t += STEP_MS;
            let (w, _, f) = h.frame();
            frames.push(page_area(f, w, top, height));
            assert!(t < SLIDE_MS * 4, "the slide does not end");
        }
        h.advance(200);
        let (w, _, f) = h.frame();
        let rest = page_area(f, w, top, height);
        assert_ne!(kiosk.page().0, before, "the tap turned no page");
        let early: Vec<usize> = frames[..frames.len() - 1]
            .iter()
            .enumerate()
            .filter(|(_, fr)| **fr == rest)
            .map(|(i, _)| i)
            .collect();
        assert!(
            early.is_empty(),
            "forward {forward}: frames {early:?} of {} (0 is the finger's lift, then every {STEP_MS} ms) already show the new page at rest",
            frames.len()
        );
        assert!(frames.len() >= 3, "a slide of {} frames", frames.len());
    }
}

/// A slide's frames as goldens: when the finger lifts, in the middle of the slide and at
/// rest, for Next (right edge) and Back (left edge), on both panels.
#[test]
fn slide_frames_match_their_goldens_on_both_panels() {
    for profile in ["pi-touch-800x480", "pi-touch2-720x1280"] {
        let (w, h) = bitig_kiosk::config::profile_size(profile).unwrap();
        let b = common::bundle(profile);
        let (cx, y) = (w as f32 / 2.0, h as f32 / 2.0);
        // English (the third language button), then the first card.
        let lang_y = y + 108.0;
        let card_y = if h > w { 150.0 } else { 120.0 };
        let mut s = format!(
            "tap {cx} {}\nexpect language\ntap {cx} {lang_y}\nexpect library\ntap {cx} {card_y}\nexpect reader\nwait 400\n",
            y + 60.0
        );
        for (name, x) in [("next", w as f32 - 20.0), ("back", 20.0)] {
            s.push_str(&format!(
                "press {x} {y}\nwait 60\nrelease {x} {y}\nshot {name}-0-lift\nwait 80\nshot {name}-1-middle\nwait 300\nshot {name}-2-rest\n"
            ));
        }
        let set = format!("slide-{profile}");
        let r = common::run(&set, &b, &s, &["--profile", profile]);
        assert_eq!(r.code, Some(0), "{profile}: {}", r.stderr);
        common::compare(&set, &r.shots);
    }
}
