//! The contents list of the open edition, over the reader: its headings (and opening
//! paragraph) with their pages, the part being read marked. Drawn once per document, edition
//! and size; let go on the attract screen (its labels are up to a megabyte).

use super::ctx::{Act, BundleContent, Ctx};
use super::focus::{BACK, ENTRY};
use crate::images::{self, Stack};
use crate::nav::Content;
use crate::nav::Screen;
use crate::{ContentsRow, Ui};
use bitig_format::{Lang, TextSize};
use slint::{Model, ModelRc, VecModel};

#[derive(Default)]
pub struct Contents {
    /// The list as drawn, for (document, edition, size).
    rows: Option<((usize, Lang, TextSize), ModelRc<ContentsRow>)>,
}

/// An entry opens the reader at its page (counted as a contents jump).
pub fn wire(ui: &Ui<'_>, act: &impl Act<Contents>) {
    let a = act.clone();
    ui.on_choose_contents(move |i| a.act(move |c, _| activate(c, ENTRY + i)));
}

/// Back, then the entries top down.
pub fn focus_order(c: &Ctx, f: &mut dyn FnMut(i32)) {
    f(BACK);
    let n = &c.nav;
    for i in 0..BundleContent(&c.bundle).contents_len(n.doc, n.edition) {
        f(ENTRY + i as i32);
    }
}

/// Focus starts on the part being read.
pub fn focus_start(c: &Ctx) -> i32 {
    let n = &c.nav;
    let content = BundleContent(&c.bundle);
    let current = (0..content.contents_len(n.doc, n.edition))
        .take_while(|&i| {
            content
                .contents_page(n.doc, n.edition, n.size, i)
                .is_some_and(|p| p <= n.page)
        })
        .count();
    ENTRY + current.saturating_sub(1) as i32
}

/// What the control `id` does: back to the reader, or open that part.
pub fn activate(c: &mut Ctx, id: i32) {
    match id {
        BACK => c.nav.back(),
        _ => choose(c, id - ENTRY),
    }
}

fn choose(c: &mut Ctx, i: i32) {
    let content = BundleContent(&c.bundle);
    c.nav
        .choose_contents(usize::try_from(i).unwrap_or(usize::MAX), &content);
    if c.nav.screen == Screen::Reader {
        let now = c.now();
        c.stats.contents_jump(now);
    }
}

impl Contents {
    /// Lets go of the list (the kiosk at rest holds only what every visit needs).
    pub fn release(&mut self, ui: &Ui<'_>) {
        self.rows = None;
        ui.set_contents(ModelRc::default());
    }

    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx) {
        let (b, n) = (&c.bundle, &c.nav);
        ui.set_contents_title(images::label(b, "reader.contents", n.lang));
        ui.set_back_label(images::label(b, "reader.back", n.lang));
        let Some(e) = b.documents.get(n.doc).and_then(|d| d.edition(n.edition)) else {
            return;
        };
        let Some(layout) = e.layout(n.size) else {
            return;
        };
        let pages: Vec<u16> = e
            .contents
            .iter()
            .map(|c| {
                layout
                    .block_pages
                    .get(usize::from(c.block))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        // The part being read: the last entry that starts on or before this page (none on
        // the title page before the first).
        let current = pages.iter().rposition(|&p| p <= n.page);
        let key = (n.doc, n.edition, n.size);
        if self.rows.as_ref().map(|r| r.0) != Some(key) {
            let (model, row_height) = rows(c, e, &pages);
            ui.set_contents_row_height(row_height);
            self.rows = Some((key, model));
        }
        if let Some((_, model)) = &self.rows {
            for i in 0..model.row_count() {
                if let Some(mut r) = model.row_data(i) {
                    if r.current != (Some(i) == current) {
                        r.current = Some(i) == current;
                        model.set_row_data(i, r);
                    }
                }
            }
            ui.set_contents(model.clone());
        }
        ui.set_contents_current(current.map_or(0, |c| c as i32));
    }
}

/// The rows (label and page number) and their height: at least a touch target (48 px), with
/// room around the text.
fn rows(c: &Ctx, e: &bitig_format::Edition<'static>, pages: &[u16]) -> (ModelRc<ContentsRow>, f32) {
    let b = &c.bundle;
    let (ascent, lh) = images::ascii_metrics(b);
    let mut tallest = lh as i32;
    let rows: Vec<ContentsRow> = e
        .contents
        .iter()
        .zip(pages)
        .map(|(entry, &p)| {
            tallest = tallest.max(i32::from(entry.label.height));
            ContentsRow {
                label: Stack::new(false)
                    .block(&entry.label, 0)
                    .render(b, images::ink(b), 0),
                page: Stack::new(false)
                    .ascii(b, &(p + 1).to_string(), b.profile.theme.muted, lh)
                    .render(b, images::ink(b), ascent),
                current: false,
            }
        })
        .collect();
    (
        ModelRc::new(VecModel::from(rows)),
        (tallest + 16).max(56) as f32,
    )
}
