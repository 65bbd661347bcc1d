//! The operator's screen test: colour bars, then all white, then all black; the next tap
//! closes it.

use super::ctx::{Act, Ctx};
use crate::Ui;

#[derive(Debug, Default)]
pub struct TestPattern {
    /// 0 colour bars, 1 white, 2 black.
    pub mode: i32,
}

pub fn wire(ui: &Ui<'_>, act: &impl Act<TestPattern>) {
    let a = act.clone();
    ui.on_close_test_pattern(move || a.act(advance));
}

/// A tap, or Action, Next or Down: the next pattern, and after the last, back to the menu.
pub fn advance(c: &mut Ctx, t: &mut TestPattern) {
    if t.mode < 2 {
        t.mode += 1;
    } else {
        close(c, t);
    }
}

/// The Back key: back to the menu at once.
pub fn close(c: &mut Ctx, t: &mut TestPattern) {
    t.mode = 0;
    c.nav.close_test_pattern();
}

impl TestPattern {
    pub fn refresh(&self, ui: &Ui<'_>) {
        ui.set_test_pattern_mode(self.mode);
    }
}
