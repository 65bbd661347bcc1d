//! The hidden operator menu: reached by holding the bottom-left corner for 5 s, then the
//! PIN (screens/pin.rs). It shows version, bundle id, hash, uptime, visitors and the last
//! error, and offers the screen test, a restart and close.

use super::ctx::{Act, Ctx};
use super::focus::OPERATOR;
use super::text::message_lines;
use crate::images::{self, Stack};
use crate::Ui;
use slint::{Image, ModelRc, VecModel};

/// How long the hidden corner must be held.
pub const CORNER_HOLD_MS: u64 = 5_000;

#[derive(Debug, Default)]
pub struct Operator {
    /// When a finger went down on the hidden corner (clock ms), while it stays there.
    corner_down_ms: Option<u64>,
}

/// The hidden corner and the menu's buttons.
pub fn wire(ui: &Ui<'_>, act: &impl Act<Operator>) {
    let a = act.clone();
    ui.on_corner_pressed(move || a.act(|c, o| o.corner_down_ms = Some(c.now())));
    let a = act.clone();
    ui.on_corner_released(move || a.act(|_, o| o.corner_down_ms = None));
    let a = act.clone();
    ui.on_operator_action(move |i| a.act(move |c, _| activate(c, OPERATOR + i)));
}

/// The buttons: test pattern, restart, close.
pub fn focus_order(f: &mut dyn FnMut(i32)) {
    for i in 0..3 {
        f(OPERATOR + i);
    }
}

/// Focus starts on the first button.
pub const FOCUS_START: i32 = OPERATOR;

/// What the control `id` does.
pub fn activate(c: &mut Ctx, id: i32) {
    match id - OPERATOR {
        0 => c.nav.test_pattern(),
        1 => c.request_restart(),
        _ => c.nav.close_menu(),
    }
}

impl Operator {
    /// On a timer: the corner held long enough opens the PIN pad. Returns whether it did.
    pub fn tick(&mut self, c: &mut Ctx, now: u64) -> bool {
        match self.corner_down_ms {
            Some(t0) if now.saturating_sub(t0) >= CORNER_HOLD_MS => {
                self.corner_down_ms = None;
                c.nav.corner_held();
                c.nav.touched(now);
                true
            }
            _ => false,
        }
    }

    /// When the corner will have been held long enough (clock ms).
    pub fn deadline(&self) -> Option<u64> {
        self.corner_down_ms.map(|t| t + CORNER_HOLD_MS)
    }

    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx) {
        ui.set_operator_info(info(c));
        let buttons: Vec<Image> = ["menu.test-pattern", "menu.restart", "menu.close"]
            .iter()
            .map(|k| images::label(&c.bundle, k, c.nav.lang))
            .collect();
        ui.set_operator_buttons(ModelRc::new(VecModel::from(buttons)));
    }
}

/// The menu's lines: what runs, what it shows, how long it has run, who came, what went wrong.
fn info(c: &Ctx) -> Image {
    let b = &c.bundle;
    let uptime_s = c.now() / 1000;
    let lines = [
        format!("bitig-kiosk {}", env!("CARGO_PKG_VERSION")),
        format!("bundle id\t{}", b.meta.bundle_id),
        format!("hash\t{}", c.hash.get(..32).unwrap_or(&c.hash)),
        format!("\t{}", c.hash.get(32..).unwrap_or("")),
        format!("generator\t{}", b.meta.generator),
        format!("content\t{}", b.meta.content_date),
        format!(
            "profile\t{} {}x{} rot {}",
            b.profile.name,
            b.profile.width,
            b.profile.height,
            c.config.rotation.degrees()
        ),
        format!(
            "uptime\t{:02}:{:02}:{:02}",
            uptime_s / 3600,
            uptime_s / 60 % 60,
            uptime_s % 60
        ),
        visitors(c),
        match (&c.error, &c.last_issue) {
            (Some(e), _) => format!("last error\t[{}]", e.code),
            (None, Some((code, what, _))) => format!("last error\t[{code}] {what}"),
            (None, None) => "last error\tnone".to_string(),
        },
    ];
    let (ascent, lh) = images::ascii_metrics(b);
    let mut stack = Stack::new(false);
    for l in &lines {
        stack = stack.ascii(b, l, b.profile.theme.text, lh);
    }
    // The key tester, once a key was pressed (it takes a line of the message's).
    let tester = key_tester(c);
    if let Some(t) = &tester {
        stack = stack.ascii(b, t, b.profile.theme.text, lh);
    }
    let detail = c
        .error
        .as_ref()
        .map(|e| &e.message)
        .or(c.last_issue.as_ref().map(|(_, _, m)| m));
    if let Some(message) = detail {
        // The message wraps at 60 characters; it is ASCII-safe (non-ASCII shows as ?).
        for line in message_lines(message, 60, if tester.is_some() { 2 } else { 3 }) {
            stack = stack.ascii(b, &line, b.profile.theme.muted, lh);
        }
    }
    stack.render(b, images::ink(b), ascent)
}

/// Today's (or, with the clock unset, this start's) and all-time totals.
/// The key tester: the last key pressed, its code and the keypad key it stands for.
fn key_tester(c: &Ctx) -> Option<String> {
    let (code, key) = c.last_key?;
    Some(format!(
        "last key\t{} ({code}) -> {}; volume {}",
        crate::keys::name_of(code).unwrap_or("?"),
        key.map_or("not mapped", |k| k.name()),
        c.volume
    ))
}

fn visitors(c: &Ctx) -> String {
    let (t, today) = c.stats.today();
    let all = c.stats.all_time();
    format!(
        "visitors\t{} {}, {} in all; pages {} / {}",
        t.sessions,
        if today { "today" } else { "since start" },
        all.sessions,
        t.pages,
        all.pages
    )
}
