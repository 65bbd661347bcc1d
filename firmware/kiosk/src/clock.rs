//! The kiosk's clock: milliseconds since start, real on the device and in the simulator,
//! virtual in headless runs (`platform::headless` moves it). Below both the app and the
//! platforms, so each can name it without naming the other.

use std::rc::Rc;

/// A clock in milliseconds since start: real on the device, virtual in headless tests.
pub type Clock = Rc<dyn Fn() -> u64>;

/// A real clock: milliseconds since the process started.
pub fn wall_clock() -> Clock {
    let start = std::time::Instant::now();
    Rc::new(move || start.elapsed().as_millis() as u64)
}
