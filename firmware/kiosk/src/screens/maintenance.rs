//! The maintenance screen, when no usable bundle is there (drawn with the built-in fallback
//! bundle), and the update's progress screen: a message in three languages, and for the
//! operator the error's code (and, for a config error, where it is). A key, or a headset
//! plugged in, has the message said in the three languages: with no bundle, from the
//! built-in fallback's speech part.

use super::ctx::Ctx;
use super::text::message_lines;
use crate::images::{self, Stack};
use crate::Ui;
use bitig_format::Lang;
use slint::Image;

/// Says the screen's message (the update's while one is installed) in Kazakh, Turkish and
/// English, cutting what was being said.
pub fn say(c: &mut Ctx) {
    c.say_in_every_language(if c.updating {
        "update.body"
    } else {
        "maintenance.body"
    });
}

pub fn refresh(ui: &Ui<'_>, c: &Ctx, first_show: bool) {
    if first_show {
        ui.set_maintenance(image(c));
    }
}

fn image(c: &Ctx) -> Image {
    let b = c.fallback.as_ref().unwrap_or(&c.bundle);
    let mut stack = Stack::new(true);
    let mut gap = 0;
    let (title, body) = if c.updating {
        ("update.title", "update.body")
    } else {
        ("maintenance.title", "maintenance.body")
    };
    for lang in Lang::ALL {
        if let Some(t) = b.ui_text(title, lang) {
            stack = stack.block(&t.block, gap);
        }
        if let Some(t) = b.ui_text(body, lang) {
            stack = stack.block(&t.block, 2);
        }
        gap = 28;
    }
    let (ascent, lh) = images::ascii_metrics(b);
    if c.updating {
        return stack.render(b, images::ink(b), ascent);
    }
    if let Some(e) = &c.error {
        stack = stack.ascii(b, "", b.profile.theme.muted, 12);
        stack = stack.ascii(b, &format!("[{}]", e.code), b.profile.theme.accent, lh);
        if e.code == "E-CONFIG" {
            // Where the fault is (file:line:col) and what it is, for the operator.
            for line in message_lines(&e.message, 60, 3) {
                stack = stack.ascii(b, &line, b.profile.theme.muted, lh);
            }
        }
    }
    stack.render(b, images::ink(b), ascent)
}
