//! The systemd watchdog's heartbeat is one of the kiosk's deadlines: it is sent at least once
//! a period from the UI thread, and on the attract screen it rides on the language cycle's
//! wake-ups instead of waking the board on its own (issue 14: "everything else is a
//! single-shot timer set to the next deadline ... the watchdog heartbeat").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_kiosk::app::{load_bundle, Kiosk, Wakeups, ATTRACT_CYCLE_MS};
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

const MINUTE: u64 = 60_000;
/// systemd's WatchdogSec=10 on the image: a heartbeat at least every 5 s.
const EVERY_MS: u64 = 5_000;

#[test]
fn the_heartbeat_rides_on_other_wake_ups_and_is_never_late() {
    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    let path = common::bundle("pi-touch-800x480");
    let kiosk = Kiosk::new(load_bundle(&path), Config::load(None).unwrap(), clock).unwrap();
    h.attach(&kiosk).unwrap();
    let sent: Rc<RefCell<Vec<u64>>> = Rc::default();
    let now = Rc::new(RefCell::new(0u64));
    {
        let (sent, now) = (sent.clone(), now.clone());
        kiosk.set_heartbeat(
            Duration::from_millis(EVERY_MS),
            Box::new(move || sent.borrow_mut().push(*now.borrow())),
        );
    }
    // Advances a frame step at a time, so each heartbeat is stamped with the clock.
    let run = |h: &mut Headless, ms: u64| -> Wakeups {
        let before = kiosk.wakeups();
        let end = h.now_ms() + ms;
        while h.now_ms() < end {
            *now.borrow_mut() = h.now_ms();
            h.advance(1);
        }
        let after = kiosk.wakeups();
        after - before
    };
    let max_gap = |sent: &[u64]| sent.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);

    // The attract screen: the language cycle's deadlines only, and the heartbeat rides on them.
    let attract = run(&mut h, MINUTE);
    assert_eq!(kiosk.screen(), Screen::Attract);
    let (beats, own) = kiosk.heartbeats().unwrap();
    println!("attract, a minute: {attract:?}; heartbeats {beats}, {own} on wake-ups of their own");
    assert_eq!(attract.deadlines, MINUTE / ATTRACT_CYCLE_MS, "{attract:?}");
    assert_eq!(
        own, 0,
        "heartbeats that woke the kiosk on the attract screen"
    );
    assert!(beats >= MINUTE / EVERY_MS, "{beats} heartbeats in a minute");
    assert!(max_gap(&sent.borrow()) <= EVERY_MS, "{:?}", sent.borrow());

    // The library: nothing else wakes the kiosk, so the heartbeat has deadlines of its own,
    // one a period.
    h.tap(400.0, 300.0);
    h.tap(400.0, 348.0);
    assert_eq!(kiosk.screen(), Screen::Library);
    sent.borrow_mut().clear();
    let library = run(&mut h, MINUTE);
    let (_, own_after) = kiosk.heartbeats().unwrap();
    println!(
        "library, a minute: {library:?}; {} heartbeats",
        sent.borrow().len()
    );
    assert_eq!(library.deadlines, MINUTE / EVERY_MS, "{library:?}");
    assert_eq!(own_after - own, MINUTE / EVERY_MS);
    assert!(max_gap(&sent.borrow()) <= EVERY_MS, "{:?}", sent.borrow());
    assert_eq!(library.frames, 0);
}
