//! The sentence the voice speaks, marked on the page: goldens in Kazakh and English (the
//! default content) and Turkish (the fixtures), 800x480, reached by keys alone. Each shows the
//! first sentence marked 1.5 s after Action, then the next after Down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{compare, run, voice_bundle_of};

/// From the attract screen: the language `downs` Downs from the first, the statement
/// `card_downs` Downs from the first, Action on the page, a shot, Down to the next sentence,
/// a shot.
fn script(downs: usize, card_downs: usize) -> String {
    let mut s = String::from("key action\nwait 500\nexpect language\n");
    for _ in 0..downs {
        s.push_str("key down\n");
    }
    s.push_str("key action\nwait 500\nexpect library\n");
    for _ in 0..card_downs {
        s.push_str("key down\n");
    }
    s.push_str("key action\nwait 500\nexpect reader\n");
    s.push_str("key action\nwait 1500\nexpect-speaking\nshot 1-first-sentence\n");
    s.push_str("key down\nwait 1000\nexpect-speaking\nshot 2-next-sentence\n");
    s
}

fn marks(set: &str, statements: &str, downs: usize, card_downs: usize) {
    let bundle = voice_bundle_of(statements, "pi-touch-800x480");
    let r = run(set, &bundle, &script(downs, card_downs), &[]);
    assert_eq!(r.code, Some(0), "{set}: {}", r.stderr);
    compare(set, &r.shots);
}

#[test]
fn the_spoken_sentence_is_marked_in_kazakh() {
    marks("voice-mark-kk", "assets/statements", 0, 0);
}

#[test]
fn the_spoken_sentence_is_marked_in_turkish() {
    // The fixtures' second statement is the Turkish one.
    marks("voice-mark-tr", "tests/fixtures", 1, 1);
}

#[test]
fn the_spoken_sentence_is_marked_in_english() {
    marks("voice-mark-en", "assets/statements", 2, 0);
}
