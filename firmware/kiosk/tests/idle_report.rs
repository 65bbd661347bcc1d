//! The interactive kiosk logs how it slept while the attract screen stood alone (its own
//! test binary: the headless platform is installed once per process).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_kiosk::app::{load_bundle, Kiosk, ATTRACT_CYCLE_MS};
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

const MINUTE: u64 = 60_000;

/// The interactive kiosk logs how it slept while the attract screen stood alone, when a
/// visitor ends a wait of at least IDLE_REPORT_MIN_MS (the QEMU boot test judges the device's
/// wake-ups from that line). The wait is the kiosk's clock from the attract screen coming up
/// to the touch that ends it; shorter waits are not reported.
#[test]
fn a_long_wait_on_the_attract_screen_is_reported_when_a_visitor_ends_it() {
    use bitig_kiosk::app::{Options, IDLE_REPORT_MIN_MS};
    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    let path = common::bundle("pi-touch-800x480");
    let config = Config::load(None).unwrap();
    let options = Options {
        report_idle: true,
        ..Default::default()
    };
    let clock2 = clock.clone();
    let kiosk = Kiosk::with_options(load_bundle(&path), config, clock, options).unwrap();
    h.attach(&kiosk).unwrap();
    let start = h.now_ms();

    // Too short a wait: nothing.
    h.advance(IDLE_REPORT_MIN_MS - 5_000);
    h.tap(400.0, 300.0); // wake: the languages
    assert_eq!(kiosk.screen(), Screen::Language);
    assert_eq!(kiosk.idle_report(), None);

    // Back on the attract screen after the idle timeout (found a frame step at a time), then
    // a long wait.
    let back = back_to_attract(&mut h, &kiosk);
    h.advance(MINUTE);
    let press = h.now_ms();
    h.press(400.0, 300.0);
    h.advance(60);
    h.release(400.0, 300.0);
    assert_eq!(kiosk.screen(), Screen::Language);
    let r = kiosk
        .idle_report()
        .expect("no idle report after a minute alone");
    // From the first timer wake-up on the attract screen (its language cycle) to the last
    // before the touch: neither the way there nor the touch counts. (The virtual clock moves
    // in 16 ms steps, so each wake-up is up to a step late.)
    let first = (back / ATTRACT_CYCLE_MS + 1) * ATTRACT_CYCLE_MS;
    let last = press / ATTRACT_CYCLE_MS * ATTRACT_CYCLE_MS;
    assert!(
        r.ms.abs_diff(last - first) < 16,
        "reported {} ms; attract from about {back}, touched at {press} (start {start}): expected {}",
        r.ms,
        last - first
    );

    // A heartbeat that needs wake-ups of its own (every 1 s against the 2.5 s language
    // cycle): the report counts exactly those after the first wake-up of the wait.
    let stamps: Rc<RefCell<Vec<u64>>> = Rc::default();
    {
        let (stamps, clock) = (stamps.clone(), clock2.clone());
        kiosk.set_heartbeat(
            Duration::from_millis(1_000),
            Box::new(move || stamps.borrow_mut().push(clock())),
        );
    }
    let back = back_to_attract(&mut h, &kiosk);
    h.advance(MINUTE);
    let press = h.now_ms();
    h.press(400.0, 300.0);
    h.advance(60);
    h.release(400.0, 300.0);
    let r = kiosk.idle_report().expect("no second idle report");
    let beats = stamps.borrow();
    // A beat of its own comes a whole period after the one before it.
    let own: Vec<u64> = beats
        .windows(2)
        .filter(|w| w[1] - w[0] >= 1_000)
        .map(|w| w[1])
        .filter(|&t| t > back && t < press)
        .collect();
    let first_cycle = (back / ATTRACT_CYCLE_MS + 1) * ATTRACT_CYCLE_MS;
    let first_wake = own.first().map_or(first_cycle, |&t| t.min(first_cycle));
    let expected = own.iter().filter(|&&t| t > first_wake).count() as u64;
    assert!(
        expected > 20,
        "only {expected} heartbeats of their own in a minute"
    );
    assert_eq!(
        r.heartbeat_wakeups, expected,
        "heartbeats of their own in the report (beats at {own:?})"
    );
}

/// Waits (a frame step at a time) for the idle timeout to bring the attract screen back;
/// returns when it came.
fn back_to_attract(h: &mut Headless, kiosk: &Kiosk) -> u64 {
    let deadline = h.now_ms() + kiosk_idle_timeout_ms() + 1_000;
    while kiosk.screen() != Screen::Attract && h.now_ms() < deadline {
        h.advance(16);
    }
    assert_eq!(kiosk.screen(), Screen::Attract);
    h.now_ms()
}

fn kiosk_idle_timeout_ms() -> u64 {
    Config::load(None).unwrap().idle_timeout_ms
}
