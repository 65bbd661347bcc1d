//! The page grid, over the reader: numbered tiles, one per page. Drawn when it opens: a
//! touch on the grid redraws nothing.

use super::ctx::{Act, BundleContent, Ctx};
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
    ui.on_go_to_page(move |i| a.act(move |c, _| go_to_page(c, i)));
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
