//! The language screen: Қазақша, Türkçe, English.

use super::ctx::{lang_of, Act, Ctx};
use super::focus::LANGUAGE;
use crate::images;
use crate::nav::Screen;
use crate::Ui;
use bitig_format::Lang;
use slint::{Image, ModelRc, VecModel};

/// A language button chooses the visitor's language (counted once per session).
pub fn wire(ui: &Ui<'_>, act: &impl Act<()>) {
    let a = act.clone();
    ui.on_choose_language(move |i| a.act(move |c, _| activate(c, LANGUAGE + i)));
}

/// The language buttons, top down.
pub fn focus_order(f: &mut dyn FnMut(i32)) {
    for i in 0..Lang::ALL.len() {
        f(LANGUAGE + i as i32);
    }
}

/// Focus starts on the first language.
pub const FOCUS_START: i32 = LANGUAGE;

/// What the control `id` does: choose that language.
pub fn activate(c: &mut Ctx, id: i32) {
    choose(c, id - LANGUAGE);
}

fn choose(c: &mut Ctx, i: i32) {
    if let Some(l) = lang_of(i) {
        if c.nav.screen == Screen::Language {
            let now = c.now();
            c.stats.language(now, l);
        }
        c.nav.choose_language(l);
    }
}

/// Draws the three language names when the screen comes up.
pub fn refresh(ui: &Ui<'_>, c: &Ctx, first_show: bool) {
    if first_show {
        let labels: Vec<Image> = Lang::ALL
            .iter()
            .map(|&l| images::label(&c.bundle, "lang.name", l))
            .collect();
        ui.set_language_labels(ModelRc::new(VecModel::from(labels)));
    }
}
