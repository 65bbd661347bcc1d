//! The operator menu's Restart ends the event loop (the device's process then exits 3 and
//! systemd starts it again). The headless platform records the request, so this test sees
//! what the device's loop would do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_kiosk::app::Kiosk;
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::content::load_bundle;
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;

#[test]
fn restart_from_the_operator_menu_ends_the_event_loop() {
    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    let path = common::bundle("pi-touch-800x480");
    let kiosk = Kiosk::new(load_bundle(&path), Config::load(None).unwrap(), clock).unwrap();
    h.attach(&kiosk).unwrap();
    h.tap(400.0, 300.0);
    // The hidden corner, held 5 s, then the simulator's PIN 1234 (the 800x480 pad).
    h.press(20.0, 460.0);
    h.advance(5_100);
    h.release(20.0, 460.0);
    assert_eq!(kiosk.screen(), Screen::Pin);
    for (x, y) in [
        (296.0, 199.0),
        (400.0, 199.0),
        (504.0, 199.0),
        (296.0, 267.0),
    ] {
        h.tap(x, y);
    }
    h.tap(504.0, 403.0);
    assert_eq!(kiosk.screen(), Screen::Operator);
    assert!(!h.quit_requested(), "the loop ended before Restart");
    h.tap(658.0, 240.0); // Restart
    assert!(kiosk.restart_requested(), "Restart was not taken");
    assert!(h.quit_requested(), "Restart did not end the event loop");
}
