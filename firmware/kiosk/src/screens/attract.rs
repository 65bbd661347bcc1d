//! The attract screen: the app's title in three languages and "touch to begin", cycling
//! through the languages. Its content shifts every few minutes against burn-in.

use super::ctx::{Act, Ctx};
use crate::images::{self, Stack};
use crate::Ui;
use bitig_format::Lang;

/// How often "touch to begin" changes language.
pub const ATTRACT_CYCLE_MS: u64 = 2_500;
/// How often the attract screen's content moves (burn-in on LCD panels).
pub const ATTRACT_SHIFT_MS: u64 = 180_000;
/// Where it moves to, in turn (px; within the screen's margins on both panels).
pub const ATTRACT_SHIFTS: [(i32, i32); 8] = [
    (0, 0),
    (6, 0),
    (6, 6),
    (0, 6),
    (-6, 6),
    (-6, 0),
    (-6, -6),
    (0, -6),
];

/// What the attract screen last showed.
#[derive(Debug)]
pub struct Attract {
    /// The language cycle's phase as drawn (`now / ATTRACT_CYCLE_MS`).
    phase: u64,
    /// The shift as set (index into ATTRACT_SHIFTS).
    shift_shown: Option<usize>,
}

impl Default for Attract {
    fn default() -> Self {
        Attract {
            phase: u64::MAX,
            shift_shown: None,
        }
    }
}

/// The first touch (or key) only wakes the kiosk.
pub fn wire(ui: &Ui<'_>, act: &impl Act<Attract>) {
    let a = act.clone();
    ui.on_wake(move || a.act(|c, _| c.nav.wake()));
}

impl Attract {
    /// Draws the titles when the screen comes up, and keeps the shift current.
    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx, first_show: bool) {
        if first_show {
            let b = &c.bundle;
            let titles: Vec<_> = Lang::ALL
                .iter()
                .filter_map(|&l| b.ui_text("app.title", l))
                .collect();
            let mut stack = Stack::new(true);
            for (i, t) in titles.iter().enumerate() {
                stack = stack.block(&t.block, if i == 0 { 0 } else { 8 });
            }
            ui.set_attract_titles(stack.render(b, images::ink(b), 0));
            self.phase = u64::MAX;
            self.shift_shown = None;
            let lang = Lang::ALL[((c.now() / ATTRACT_CYCLE_MS) % 3) as usize];
            ui.set_attract_touch(images::label(b, "attract.touch", lang));
        }
        self.apply_shift(ui, c.now());
    }

    /// On a timer: the next language of "touch to begin", and the shift due.
    pub fn tick(&mut self, ui: &Ui<'_>, c: &Ctx, now: u64) {
        let phase = now / ATTRACT_CYCLE_MS;
        if phase != self.phase {
            self.phase = phase;
            self.apply_shift(ui, now);
            let lang = Lang::ALL[(phase % 3) as usize];
            ui.set_attract_touch(images::label(&c.bundle, "attract.touch", lang));
        }
    }

    /// When "touch to begin" changes next (clock ms).
    pub fn deadline(now: u64) -> u64 {
        (now / ATTRACT_CYCLE_MS + 1) * ATTRACT_CYCLE_MS
    }

    /// Moves the content to the shift due at `now`.
    fn apply_shift(&mut self, ui: &Ui<'_>, now: u64) {
        let i = (now / ATTRACT_SHIFT_MS) as usize % ATTRACT_SHIFTS.len();
        if self.shift_shown != Some(i) {
            let (x, y) = ATTRACT_SHIFTS[i];
            ui.set_attract_shift_x(x as f32);
            ui.set_attract_shift_y(y as f32);
            self.shift_shown = Some(i);
        }
    }
}
