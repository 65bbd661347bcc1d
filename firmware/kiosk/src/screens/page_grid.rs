//! The page grid, over the reader: numbered tiles, one per page. Drawn when it opens: a
//! touch on the grid redraws nothing.

use super::ctx::{Act, BundleContent, Ctx};
use super::focus::{BACK, TILE};
use crate::images;
use crate::nav::Screen;
use crate::Ui;
use slint::{Image, ModelRc, VecModel};

#[derive(Default)]
pub struct PageGrid {
    /// Page numbers 1..=len, drawn once and kept.
    numbers: Vec<Image>,
}

/// A tile opens its page (counted as a page jump).
pub fn wire(ui: &Ui<'_>, act: &impl Act<PageGrid>) {
    let a = act.clone();
    ui.on_go_to_page(move |i| a.act(move |c, _| activate(c, TILE + i)));
}

/// Back, then the tiles in reading order.
pub fn focus_order(c: &Ctx, f: &mut dyn FnMut(i32)) {
    f(BACK);
    for i in 0..c.nav.page_count(&BundleContent(&c.bundle)) {
        f(TILE + i32::from(i));
    }
}

/// Up and Down: a row of tiles up or down (`rows` < 0 is up); above the first row is the
/// back button, and from there Down goes to the first tile and Up to the last.
pub fn focus_rows(c: &Ctx, from: i32, rows: i32) -> i32 {
    let count = i32::from(c.nav.page_count(&BundleContent(&c.bundle)));
    let p = &c.bundle.profile;
    // As ui/app.slint lays them out: 72 px tiles, 8 px apart, 12 px from the sides.
    let columns = ((i32::from(p.width) - 24 + 8) / (72 + 8)).max(1);
    if count == 0 {
        return BACK;
    }
    if from < TILE {
        return if rows > 0 { TILE } else { TILE + count - 1 };
    }
    let to = from - TILE + rows * columns;
    if (0..count).contains(&to) {
        TILE + to
    } else if rows > 0 && (from - TILE) / columns < (count - 1) / columns {
        // The last row is short: the last tile.
        TILE + count - 1
    } else {
        BACK
    }
}

/// Next and Back: the next or the previous tile, going round through the back button.
pub fn focus_tiles(c: &Ctx, from: i32, by: i32) -> i32 {
    super::focus::step(&|f| focus_order(c, f), from, by)
}

/// Focus starts on the page being read.
pub fn focus_start(c: &Ctx) -> i32 {
    TILE + i32::from(c.nav.page)
}

/// What the control `id` does: back to the reader, or open that page.
pub fn activate(c: &mut Ctx, id: i32) {
    match id {
        BACK => c.nav.back(),
        _ => go_to_page(c, id - TILE),
    }
}

fn go_to_page(c: &mut Ctx, i: i32) {
    if c.nav.screen == Screen::PageGrid {
        let content = BundleContent(&c.bundle);
        c.nav
            .go_to_page(u16::try_from(i).unwrap_or(u16::MAX), &content);
        let now = c.now();
        c.stats.page_jump(now);
    }
}

impl PageGrid {
    /// Lets go of the tiles' model (the kiosk at rest holds only what every visit needs).
    pub fn release(&mut self, ui: &Ui<'_>) {
        ui.set_page_numbers(ModelRc::default());
    }

    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx, first_show: bool) {
        if !first_show {
            return;
        }
        let (b, lang) = (&c.bundle, c.nav.lang);
        ui.set_pages_title(images::label(b, "pages.title", lang));
        ui.set_back_label(images::label(b, "reader.back", lang));
        let count = c.nav.page_count(&BundleContent(b));
        let muted = b.profile.theme.text;
        while self.numbers.len() < usize::from(count) {
            let n = self.numbers.len() + 1;
            self.numbers
                .push(images::ascii_label(b, &n.to_string(), muted));
        }
        let numbers: Vec<Image> = self.numbers[..usize::from(count)].to_vec();
        ui.set_page_numbers(ModelRc::new(VecModel::from(numbers)));
        ui.set_page_current(i32::from(c.nav.page));
    }
}
