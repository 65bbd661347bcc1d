//! The library: one card per statement, in the visitor's language. The cards are drawn once
//! per language and kept (a touch on the library redraws nothing).

use super::ctx::{Act, BundleContent, Ctx};
use super::focus::{BACK, CARD};
use crate::images::{self, Stack};
use crate::nav::Screen;
use crate::{Card, Ui};
use bitig_format::speech::Said;
use bitig_format::{Bundle, Lang};
use slint::{Image, ModelRc, VecModel};

#[derive(Default)]
pub struct Library {
    /// The cards per language, drawn the first time they are shown.
    cards: [Option<ModelRc<Card>>; 3],
    shown: Option<Lang>,
    /// How many card images were drawn since start (the cache test).
    pub drawn: u64,
}

/// A card opens its statement.
pub fn wire(ui: &Ui<'_>, act: &impl Act<Library>) {
    let a = act.clone();
    ui.on_open(move |i| a.act(move |c, _| activate(c, CARD + i)));
}

/// Back, then the cards top down.
pub fn focus_order(c: &Ctx, f: &mut dyn FnMut(i32)) {
    f(BACK);
    for i in 0..c.bundle.documents.len() {
        f(CARD + i as i32);
    }
}

/// Focus starts on the first statement.
pub const FOCUS_START: i32 = CARD;

/// What the control `id` does: back, or open that statement.
pub fn activate(c: &mut Ctx, id: i32) {
    match id {
        BACK => c.nav.back(),
        _ => open(c, id - CARD),
    }
}

fn open(c: &mut Ctx, i: i32) {
    let content = BundleContent(&c.bundle);
    c.nav
        .open(usize::try_from(i).unwrap_or(usize::MAX), &content);
    if c.nav.screen == Screen::Reader {
        if let Some(d) = c.bundle.documents.get(c.nav.doc) {
            let now = c.now();
            c.stats.opened(now, d.id);
        }
    }
}

impl Library {
    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx, first_show: bool) {
        let lang = c.nav.lang;
        if !first_show && self.shown == Some(lang) {
            return;
        }
        let b = &c.bundle;
        ui.set_library_title(images::label(b, "library.title", lang));
        ui.set_back_label(images::label(b, "reader.back", lang));
        let drawn = &mut self.drawn;
        let cards = self.cards[lang as usize].get_or_insert_with(|| {
            *drawn += b.documents.len() as u64;
            let cards: Vec<Card> = (0..b.documents.len())
                .map(|d| Card {
                    image: card_image(b, d, lang),
                })
                .collect();
            ModelRc::new(VecModel::from(cards))
        });
        ui.set_cards(cards.clone());
        self.shown = Some(lang);
    }
}

/// A library card: title and byline of the edition in `lang`, or of the first edition the
/// document has, with a note saying which languages it has.
fn card_image(b: &Bundle<'_>, doc: usize, lang: Lang) -> Image {
    let Some(d) = b.documents.get(doc) else {
        return Image::default();
    };
    if let Some(e) = d.edition(lang) {
        return Stack::new(false)
            .block(&e.card, 0)
            .render(b, images::ink(b), 0);
    }
    let Some(e) = Lang::ALL.iter().find_map(|&l| d.edition(l)) else {
        return Image::default();
    };
    let mut stack = Stack::new(false).block(&e.card, 0);
    if let Some(note) = b.ui_text("library.available", lang) {
        stack = stack.block(&note.block, 6);
    }
    for l in Lang::ALL {
        if d.edition(l).is_some() {
            if let Some(name) = b.ui_text("lang.name", l) {
                stack = stack.block(&name.block, 0);
            }
        }
    }
    stack.render(b, images::ink(b), 0)
}

/// A library card as it is shown: the title and the byline (kind, date and place) of the
/// edition in `lang`; a document without one gives its first edition's, then "Available
/// in:" and its languages' names. Returns the texts and how many of them to say.
pub fn card_said(c: &Ctx, doc: usize, lang: Lang) -> ([Said<'static>; 5], usize) {
    let mut all = [Said::Number { n: 0, lang }; 5];
    let Some(d) = c.bundle.documents.get(doc) else {
        return (all, 0);
    };
    let Some(e) = d.edition(lang).or(d.editions.first()) else {
        return (all, 0);
    };
    let block = |block| Said::Block {
        doc: doc as u16,
        lang: e.lang,
        block,
    };
    all[0] = block(0);
    all[1] = block(1);
    let mut n = 2;
    if e.lang != lang {
        all[n] = Said::Ui {
            key: "library.available",
            lang,
        };
        n += 1;
        for l in Lang::ALL.into_iter().filter(|&l| d.edition(l).is_some()) {
            if n < all.len() {
                all[n] = Said::Ui {
                    key: "lang.name",
                    lang: l,
                };
                n += 1;
            }
        }
    }
    (all, n)
}
