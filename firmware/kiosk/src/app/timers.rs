//! The kiosk's timers and the watchdog's heartbeat. Nothing runs on a fixed beat while the
//! screen is still: the frame timer runs only while something moves (the voice, an update's
//! progress bar, and a slide on a platform that does not copy it), a page turn's slide wakes
//! the kiosk once, at its end (the platform draws its frames, paced by the display), and
//! everything else (idle timeout, operator corner, attract cycle, PIN countdown, statistics,
//! heartbeat) is one single-shot timer set to the next deadline.

use std::time::Duration;

/// The frame timer's period while something moves (the voice's audio, the update's progress
/// bar; a slide only where the platform does not copy it, Slint's linuxkms backend): about
/// 30 frames a second. A slide the platform copies is drawn at the panel's refresh rate
/// instead (`crate::slide`, `platform::drm`). A multiple of the headless clock's 16 ms step,
/// so virtual-time runs fire it exactly on time.
pub const FRAME_MS: u64 = 32;

/// How often the kiosk's timers fired (a virtual minute in the tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wakeups {
    pub frames: u64,
    pub deadlines: u64,
    /// Slides' ends.
    pub slides: u64,
}

impl std::ops::Sub for Wakeups {
    type Output = Wakeups;
    fn sub(self, before: Wakeups) -> Wakeups {
        Wakeups {
            frames: self.frames - before.frames,
            deadlines: self.deadlines - before.deadlines,
            slides: self.slides - before.slides,
        }
    }
}

/// Why the kiosk woke up.
#[derive(Debug, Clone, Copy)]
pub enum Wake {
    Frame,
    Deadline,
    /// A page turn's slide is over.
    SlideEnd,
    Worker,
}

pub struct Timers {
    frame: slint::Timer,
    deadline: slint::Timer,
    /// The slide's end: a timer of its own, started by the page turn. Restarting a timer
    /// from inside a timer's callback allocates in Slint (its list of active timers is taken
    /// while they fire), so the slide's end is not one of the deadlines.
    slide_end: slint::Timer,
    /// When `slide_end` fires (clock ms), if it is set.
    slide_end_at: Option<u64>,
    /// When `deadline` fires (clock ms), if it is set.
    deadline_at: Option<u64>,
    /// How often each has fired, for the wake-up test.
    pub counts: Wakeups,
}

impl Timers {
    /// Both timers with their callback, stopped; [`Timers::set`] only restarts them, so
    /// nothing allocates while the kiosk runs.
    pub fn new(on: impl Fn(Wake) + Clone + 'static) -> Timers {
        let t = Timers {
            frame: slint::Timer::default(),
            deadline: slint::Timer::default(),
            slide_end: slint::Timer::default(),
            slide_end_at: None,
            deadline_at: None,
            counts: Wakeups::default(),
        };
        for (timer, mode, why) in [
            (&t.frame, slint::TimerMode::Repeated, Wake::Frame),
            (&t.deadline, slint::TimerMode::SingleShot, Wake::Deadline),
            (&t.slide_end, slint::TimerMode::SingleShot, Wake::SlideEnd),
        ] {
            let on = on.clone();
            timer.start(mode, Duration::from_millis(FRAME_MS), move || on(why));
            timer.stop();
        }
        t
    }

    /// Counts a wake-up.
    pub fn fired(&mut self, why: Wake) {
        match why {
            Wake::Frame => self.counts.frames += 1,
            Wake::Deadline => {
                self.counts.deadlines += 1;
                self.deadline_at = None;
            }
            Wake::SlideEnd => {
                self.counts.slides += 1;
                self.slide_end_at = None;
            }
            Wake::Worker => {}
        }
    }

    /// Sets the slide's timer to `end` (clock ms), or stops it.
    pub fn set_slide_end(&mut self, end: Option<u64>, now: u64) {
        arm(&self.slide_end, &mut self.slide_end_at, end, now);
    }

    /// Runs the frame timer while something moves and sets the single-shot timer to `next`.
    pub fn set(&mut self, moving: bool, next: Option<u64>, now: u64) {
        if moving != self.frame.running() {
            if moving {
                self.frame.restart();
            } else {
                self.frame.stop();
            }
        }
        arm(&self.deadline, &mut self.deadline_at, next, now);
    }
}

/// Sets a single-shot `timer` to fire at `at` (clock ms), or stops it; `armed` is when it
/// was last set to fire, so an unchanged time restarts nothing.
fn arm(timer: &slint::Timer, armed: &mut Option<u64>, at: Option<u64>, now: u64) {
    if at == *armed {
        return;
    }
    *armed = at;
    match at {
        Some(t) => {
            timer.set_interval(Duration::from_millis(t.saturating_sub(now)));
            timer.restart();
        }
        None => timer.stop(),
    }
}

/// The systemd watchdog's heartbeat: one of the deadlines of the single-shot timer. It is sent
/// on any timer wake-up about half a period after the last one (HEARTBEAT_SLACK_MS), and at
/// the latest a period after it, on a deadline of its own. So on the attract screen it rides
/// on the language cycle's wake-ups (every 2.5 s against a 5 s period) and costs none of its
/// own.
pub struct Heartbeat {
    pub every_ms: u64,
    last_ms: u64,
    send: Box<dyn Fn()>,
    pub sent: u64,
    /// Heartbeats sent on a deadline of their own (a wake-up nothing else asked for).
    pub own_wakeups: u64,
}

/// How much earlier than half a period a heartbeat may ride on another wake-up: the kiosk's
/// clock counts whole milliseconds, so a wake-up exactly half a period later (the attract
/// cycle's 2.5 s against a 5 s period) may read a millisecond short.
const HEARTBEAT_SLACK_MS: u64 = 100;

impl Heartbeat {
    /// Sends the first heartbeat now.
    pub fn start(every: Duration, send: Box<dyn Fn()>, now: u64) -> Heartbeat {
        send();
        Heartbeat {
            every_ms: (every.as_millis() as u64).max(1),
            last_ms: now,
            send,
            sent: 1,
            own_wakeups: 0,
        }
    }

    /// Sends the heartbeat if it is due at `now`: about half a period since the last.
    pub fn beat(&mut self, now: u64) {
        let since = now.saturating_sub(self.last_ms);
        if since + HEARTBEAT_SLACK_MS >= self.every_ms / 2 {
            if since >= self.every_ms {
                self.own_wakeups += 1;
            }
            (self.send)();
            self.sent += 1;
            self.last_ms = now;
        }
    }

    /// The latest the next heartbeat may go (clock ms).
    pub fn deadline(&self) -> u64 {
        self.last_ms + self.every_ms
    }
}
