//! The sentence the voice speaks, marked on the page: goldens in Kazakh and English (the
//! default content) and Turkish (the fixtures), 800x480, reached by keys alone. Each shows the
//! first sentence marked 1.5 s after Action, then the next after Down. Side by side, the
//! swap button puts the other column on the left, where the voice reads (`voice-mark-swapped`).
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

/// Side by side, the voice reads the left column; the swap button puts the right one there.
/// In English the statement opens beside Kazakh (English left); the keys turn on side by
/// side, swap (Kazakh left, English right) and Action reads the left column: the mark is on
/// the Kazakh text. Shots: side by side, swapped, reading.
#[test]
fn the_swapped_columns_put_the_read_column_on_the_left() {
    let bundle = voice_bundle_of("assets/statements", "pi-touch-800x480");
    let mut s = String::from("key action\nwait 500\nexpect language\nkey down\nkey down\n");
    s.push_str("key action\nwait 500\nexpect library\nkey action\nwait 500\nexpect reader\n");
    // From the page: back, the statement's two languages (Kazakh, English), then side by side.
    s.push_str(&"key down\n".repeat(4));
    s.push_str("key action\nwait 500\nshot 1-side-by-side\n");
    s.push_str("key down\nkey action\nwait 500\nshot 2-swapped\n");
    // Back round to the page: side by side, the two languages, back, the page.
    s.push_str(&"key up\n".repeat(5));
    s.push_str("key action\nwait 1500\nexpect-speaking\nshot 3-reading-the-left-column\n");
    let r = run("voice-mark-swapped", &bundle, &s, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    compare("voice-mark-swapped", &r.shots);
}
