//! A message over any screen (the statistics export's): a UI text in the three languages,
//! then a few ASCII lines (counts, file names, codes). It goes after NOTICE_MS or a touch.

use super::ctx::{Act, Ctx};
use super::text::message_lines;
use crate::images::{self, Stack};
use crate::Ui;
use bitig_format::Lang;

/// How long a message stays up without a touch.
pub const NOTICE_MS: u64 = 15_000;

#[derive(Debug, Default)]
pub struct Notice {
    /// The message is up until this time (clock ms).
    pub until: Option<u64>,
    /// What it says (its ASCII lines), for the log and the tests.
    pub text: String,
}

pub fn wire(ui: &Ui<'_>, act: &impl Act<Notice>) {
    let a = act.clone();
    ui.on_dismiss_notice(move || a.act(|_, n| n.until = None));
}

impl Notice {
    /// Puts the message up: the UI text `key` in the three languages, then `lines`. The voice
    /// says `key` in the UI language (EN 301 549 5.1.3.15: an error is not only seen).
    pub fn show(&mut self, ui: &Ui<'_>, c: &mut Ctx, key: &str, lines: &[String]) {
        let b = &c.bundle;
        let mut stack = Stack::new(true);
        let mut gap = 0;
        for lang in Lang::ALL {
            if let Some(t) = b.ui_text(key, lang) {
                stack = stack.block(&t.block, gap);
                gap = 6;
            }
        }
        let (ascent, lh) = images::ascii_metrics(b);
        stack = stack.ascii(b, "", b.profile.theme.muted, 8);
        for l in lines {
            for part in message_lines(l, 56, 3) {
                stack = stack.ascii(b, &part, b.profile.theme.text, lh);
            }
        }
        ui.set_notice(stack.render(b, images::ink(b), ascent));
        ui.set_notice_shown(true);
        self.until = Some(c.now() + NOTICE_MS);
        self.text = lines.join("\n");
        let lang = c.nav.lang;
        c.say(&[bitig_format::speech::Said::Ui { key, lang }]);
    }

    /// On a timer: the message's time is up. Returns whether it went.
    pub fn tick(&mut self, now: u64) -> bool {
        let over = self.until.is_some_and(|t| now >= t);
        if over {
            self.until = None;
        }
        over
    }

    pub fn refresh(&self, ui: &Ui<'_>) {
        ui.set_notice_shown(self.until.is_some());
    }
}
