//! The operator's screen test: colour bars, then all white, then all black; the next tap
//! closes it.

use super::ctx::Act;
use crate::Ui;

#[derive(Debug, Default)]
pub struct TestPattern {
    /// 0 colour bars, 1 white, 2 black.
    pub mode: i32,
}

pub fn wire(ui: &Ui<'_>, act: &impl Act<TestPattern>) {
    let a = act.clone();
    ui.on_close_test_pattern(move || {
        a.act(|c, t| {
            if t.mode < 2 {
                t.mode += 1;
            } else {
                t.mode = 0;
                c.nav.close_test_pattern();
            }
        })
    });
}

impl TestPattern {
    pub fn refresh(&self, ui: &Ui<'_>) {
        ui.set_test_pattern_mode(self.mode);
    }
}
