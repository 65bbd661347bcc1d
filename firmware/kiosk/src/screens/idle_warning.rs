//! "Still reading?": over a visitor's screen, the last seconds before the idle reset count
//! down (WCAG 2.2.1); a touch keeps the visitor's place.

use super::ctx::{Act, Ctx};
use crate::images;
use crate::Ui;
use bitig_format::speech::Said;

/// The reader warns this long before the idle reset.
pub const IDLE_WARNING_MS: u64 = 20_000;

#[derive(Debug, Default)]
pub struct IdleWarning {
    /// The warning's seconds as drawn, if it is up.
    shown: Option<u64>,
    /// The warning is up and was (or was not to be) said.
    said: bool,
}

/// The touch itself (noted by the app before every action) keeps the visitor's place.
pub fn wire(ui: &Ui<'_>, act: &impl Act<IdleWarning>) {
    let a = act.clone();
    ui.on_keep_reading(move || a.act(|_, _| {}));
}

/// How long before the idle reset the warning comes up: IDLE_WARNING_MS, or half the timeout
/// if that is shorter (a 10 s timeout must leave the screen usable).
fn lead_ms(c: &Ctx) -> u64 {
    IDLE_WARNING_MS.min(c.config.idle_timeout_ms / 2)
}

/// Seconds left before the idle reset, while the warning is due (a visitor's screen, the
/// last `lead_ms`).
fn seconds_left(c: &Ctx, now: u64) -> Option<u64> {
    let visitor = c.nav.screen.is_visitor();
    let left = c.nav.idle_deadline()?.checked_sub(now)?;
    (visitor && left > 0 && left <= lead_ms(c)).then(|| left.div_ceil(1000))
}

impl IdleWarning {
    /// The warning is on screen (a key now only keeps the place).
    pub fn is_up(&self) -> bool {
        self.shown.is_some()
    }

    /// The warning comes up, counts down or goes at `now`.
    pub fn due(&self, c: &Ctx, now: u64) -> bool {
        seconds_left(c, now) != self.shown
    }

    /// When the warning comes up, or its countdown's next second (clock ms).
    pub fn deadline(c: &Ctx, now: u64) -> Option<u64> {
        c.nav.idle_deadline().and_then(|d| {
            let starts = d.saturating_sub(lead_ms(c));
            if now < starts {
                Some(starts)
            } else {
                d.checked_sub(now)
                    .filter(|&l| l > 0)
                    .map(|l| now + (l - 1) % 1000 + 1)
            }
        })
    }

    /// As the warning comes up, the voice says it once to a visitor who uses the keys
    /// (`keys`): one who only touches hears nothing unasked (EN 301 549 5.1.3.10).
    pub fn say_once(&mut self, c: &mut Ctx, now: u64, keys: bool) {
        let up = seconds_left(c, now).is_some();
        if up && keys && !self.said {
            let lang = c.nav.lang;
            c.say(&[Said::Ui {
                key: "idle.warning",
                lang,
            }]);
        }
        self.said = up;
    }

    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx) {
        let warn = seconds_left(c, c.now());
        if warn == self.shown {
            return;
        }
        if let Some(s) = warn {
            ui.set_idle_warning(images::idle_warning_label(&c.bundle, c.nav.lang, s));
        }
        ui.set_idle_warning_shown(warn.is_some());
        self.shown = warn;
    }
}
