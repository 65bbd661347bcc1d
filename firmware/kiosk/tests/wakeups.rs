//! The kiosk sleeps when nobody reads: over a virtual minute left alone on each screen, the
//! frame timer never fires, and the only wake-ups are the deadlines that change something
//! (the attract screen's language cycle). A page turn runs the frame timer for its slide,
//! and it stops again once the page has settled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_kiosk::app::{load_bundle, Kiosk, Wakeups, ATTRACT_CYCLE_MS, FRAME_MS, SLIDE_MS};
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;

const MINUTE: u64 = 60_000;

/// The timers' firings over `ms` of virtual time with nobody touching.
fn left_alone(h: &mut Headless, kiosk: &Kiosk, ms: u64) -> Wakeups {
    let before = kiosk.wakeups();
    h.advance(ms);
    let after = kiosk.wakeups();
    after - before
}

#[test]
fn idle_screens_do_not_run_the_frame_timer() {
    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    let path = common::bundle("pi-touch-800x480");
    let config = Config::load(None).unwrap();
    assert!(config.idle_timeout_ms > MINUTE + 5_000);
    let kiosk = Kiosk::new(load_bundle(&path), config, clock).unwrap();
    h.attach(&kiosk).unwrap();

    let attract = left_alone(&mut h, &kiosk, MINUTE);
    println!("attract, a minute: {attract:?}");
    assert_eq!(kiosk.screen(), Screen::Attract);
    // "Touch to begin" changes language every 2.5 s: 24 deadlines, nothing else.
    assert_eq!(
        attract,
        Wakeups {
            frames: 0,
            deadlines: MINUTE / ATTRACT_CYCLE_MS,
            ..Default::default()
        }
    );

    h.tap(400.0, 300.0); // wake
    h.tap(400.0, 348.0); // English
    assert_eq!(kiosk.screen(), Screen::Library);
    let library = left_alone(&mut h, &kiosk, MINUTE);
    println!("library, a minute: {library:?}");
    assert_eq!(library, Wakeups::default());

    // The cards are drawn once per language: touches on the library, and coming back to it,
    // draw none again.
    let cards = kiosk.cards_drawn();
    assert!(cards > 0);
    for _ in 0..3 {
        h.tap(500.0, 28.0); // the title bar: a touch that opens nothing
    }
    h.tap(74.0, 28.0); // back to the languages
    assert_eq!(kiosk.screen(), Screen::Language);
    h.tap(400.0, 348.0); // English again
    assert_eq!(kiosk.screen(), Screen::Library);
    assert_eq!(kiosk.cards_drawn(), cards, "the cards were drawn again");
    h.tap(74.0, 28.0);
    h.tap(400.0, 240.0); // Turkish: its cards are new
    assert_eq!(kiosk.screen(), Screen::Library);
    assert_eq!(kiosk.cards_drawn(), 2 * cards);
    h.tap(74.0, 28.0);
    h.tap(400.0, 348.0); // English

    h.tap(300.0, 120.0); // the first statement
    assert_eq!(kiosk.screen(), Screen::Reader);
    let reader = left_alone(&mut h, &kiosk, MINUTE);
    println!("reader, a minute: {reader:?}");
    assert_eq!(reader, Wakeups::default());

    // A page turn: the platform copies the slide into a frame each vblank, and the kiosk's
    // timers wake once, when the slide's time is over (its end draws the settled page). The
    // frame timer does not run.
    let page = kiosk.page().0;
    let before = kiosk.wakeups();
    let _ = h.turn_page(true, false);
    assert_eq!(kiosk.page().0, page + 1);
    let turn = kiosk.wakeups() - before;
    println!("one page turn: {turn:?}");
    assert_eq!(
        turn,
        Wakeups {
            slides: 1,
            ..Default::default()
        },
        "a {SLIDE_MS} ms slide wakes the kiosk once, at its end (the frame timer ran at {FRAME_MS} ms before)"
    );
    // ... and stops once the page has settled.
    let after = left_alone(&mut h, &kiosk, MINUTE / 2);
    assert_eq!(after, Wakeups::default());

    // Left alone past the idle timeout: one deadline, and the kiosk is back on attract.
    let rest = left_alone(&mut h, &kiosk, MINUTE);
    assert_eq!(kiosk.screen(), Screen::Attract);
    assert_eq!(rest.frames, 0);
    println!("reader until the idle timeout and on: {rest:?}");
}
