//! The language screen: Қазақша, Türkçe, English.

use super::ctx::{lang_of, Act, Ctx};
use crate::images;
use crate::nav::Screen;
use crate::Ui;
use bitig_format::Lang;
use slint::{Image, ModelRc, VecModel};

/// A language button chooses the visitor's language (counted once per session).
pub fn wire(ui: &Ui<'_>, act: &impl Act<()>) {
    let a = act.clone();
    ui.on_choose_language(move |i| a.act(move |c, _| choose(c, i)));
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
