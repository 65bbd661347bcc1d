//! The PIN pad before the operator menu. Wrong PINs lock it for a while (the count survives
//! a restart); the locked pad counts down once a second.

use super::ctx::{Act, Ctx};
use super::focus::{CLEAR, DIGIT, OK};
use crate::images;
use crate::nav::Screen;
use crate::Ui;
use bitig_format::speech::Said;
use bitig_format::Lang;
use slint::{Image, ModelRc, VecModel};

#[derive(Debug, Default)]
pub struct Pin {
    /// The pad's wait as last drawn (seconds), so the countdown redraws once a second.
    wait_shown: Option<u64>,
}

/// Digits, clear and OK.
pub fn wire(ui: &Ui<'_>, act: &impl Act<Pin>) {
    let a = act.clone();
    ui.on_pin_digit(move |d| a.act(move |c, _| activate(c, DIGIT + d)));
    let a = act.clone();
    ui.on_pin_clear(move || a.act(|c, _| activate(c, CLEAR)));
    let a = act.clone();
    ui.on_pin_ok(move || a.act(|c, _| activate(c, OK)));
}

/// The pad in reading order: 1 2 3, 4 5 6, 7 8 9, clear 0 OK.
pub fn focus_order(f: &mut dyn FnMut(i32)) {
    for d in 1..=9 {
        f(DIGIT + d);
    }
    f(CLEAR);
    f(DIGIT);
    f(OK);
}

/// Focus starts on 1.
pub const FOCUS_START: i32 = DIGIT + 1;

/// What the control `id` does: a digit, clear, or OK. A key's digit comes here too, so
/// the lockout counts key entries like touches.
pub fn activate(c: &mut Ctx, id: i32) {
    match id {
        CLEAR => c.nav.pin_clear(),
        OK => submit(c),
        d => c.nav.pin_digit(u8::try_from(d - DIGIT).unwrap_or(255)),
    }
}

fn submit(c: &mut Ctx) {
    let now = c.now();
    let config = &c.config;
    if c.nav.pin_submit(now, |p| config.pin_ok(p)) {
        // The count of wrong PINs survives a restart (content slots folder only).
        if let Some(dir) = &c.config.content_dir {
            let n = c.nav.pin_failures;
            if let Err(e) = crate::content::save_pin_failures(dir, n, &mut bitig_io::RealFs) {
                eprintln!("bitig-kiosk: cannot keep the count of wrong PINs: {e}");
            }
        }
    }
    // The error is heard as well as seen (EN 301 549 5.1.3.15); a digit never is (5.1.3.8).
    let lang = c.nav.lang;
    let ui = |key| Said::Ui { key, lang };
    match c.nav.pin_wait_s(now) {
        Some(s) => {
            let (all, n) = wait_said(lang, s);
            c.say(&all[..n]);
        }
        None if c.nav.pin_wrong => c.say(&[ui("menu.wrong-pin")]),
        None => {}
    }
}

/// The locked pad's message and its wait, as the voice strings them together: "Please
/// wait: 2 minutes 30 seconds" (the minutes or the seconds left out when there are none).
/// The numbers are at most 60, which every speech part says
/// (`bitig_speech::part::NUMBERS_AT_LEAST`); a lock lasts an hour at most. Returns the
/// texts and how many of them to say.
pub fn wait_said(lang: Lang, wait_s: u64) -> ([Said<'static>; 5], usize) {
    let ui = |key| Said::Ui { key, lang };
    let mut all = [ui("menu.pin-locked"); 5];
    let mut n = 1;
    let (minutes, seconds) = (wait_s / 60, wait_s % 60);
    for (count, one, many) in [
        (minutes, "voice.minute", "voice.minutes"),
        (seconds, "voice.second", "voice.seconds"),
    ] {
        if count == 0 {
            continue;
        }
        let unit = if count == 1 { one } else { many };
        let count = u16::try_from(count).unwrap_or(u16::MAX);
        all[n] = Said::Number { n: count, lang };
        all[n + 1] = ui(unit);
        n += 2;
    }
    (all, n)
}

impl Pin {
    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx, first_show: bool) {
        let (b, l) = (&c.bundle, c.nav.lang);
        ui.set_pin_title(images::label(b, "menu.pin", l));
        ui.set_pin_length(c.nav.pin.len() as i32);
        let wait = c.nav.pin_wait_s(c.now());
        self.wait_shown = wait;
        match wait {
            Some(s) => {
                ui.set_pin_wrong_label(images::pin_locked_label(b, l, s));
                ui.set_pin_wrong(true);
            }
            None => {
                ui.set_pin_wrong_label(images::label(b, "menu.wrong-pin", l));
                ui.set_pin_wrong(c.nav.pin_wrong);
            }
        }
        if first_show {
            let text = b.profile.theme.text;
            let digits: Vec<Image> = (0..10)
                .map(|d| images::ascii_label(b, &d.to_string(), text))
                .collect();
            ui.set_digit_labels(ModelRc::new(VecModel::from(digits)));
            ui.set_clear_label(images::ascii_label(b, "C", text));
            ui.set_ok_label(images::ascii_label(b, "OK", text));
        }
    }

    /// The locked pad's countdown moved on since it was drawn.
    pub fn due(&self, c: &Ctx, now: u64) -> bool {
        c.nav.screen == Screen::Pin && c.nav.pin_wait_s(now) != self.wait_shown
    }

    /// The countdown's next step (clock ms), while the pad is up.
    pub fn deadline(c: &Ctx, now: u64) -> Option<u64> {
        (c.nav.screen == Screen::Pin)
            .then(|| c.nav.pin_countdown_step(now))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(lang: Lang, wait_s: u64) -> Vec<Said<'static>> {
        let (all, n) = wait_said(lang, wait_s);
        all[..n].to_vec()
    }

    #[test]
    fn a_wait_is_said_in_minutes_and_seconds_with_their_units() {
        let en = |key| Said::Ui {
            key,
            lang: Lang::En,
        };
        let num = |n| Said::Number { n, lang: Lang::En };
        let locked = en("menu.pin-locked");
        assert_eq!(said(Lang::En, 30), [locked, num(30), en("voice.seconds")]);
        assert_eq!(said(Lang::En, 1), [locked, num(1), en("voice.second")]);
        assert_eq!(said(Lang::En, 60), [locked, num(1), en("voice.minute")]);
        assert_eq!(
            said(Lang::En, 150),
            [
                locked,
                num(2),
                en("voice.minutes"),
                num(30),
                en("voice.seconds")
            ]
        );
        // The longest lock: an hour, said as 60 minutes (numbers go to 60 in every part).
        let hour = crate::nav::PIN_LOCK_MAX_MS / 1000;
        assert_eq!(said(Lang::En, hour), [locked, num(60), en("voice.minutes")]);
        assert_eq!(
            said(Lang::Kk, 61)[0],
            Said::Ui {
                key: "menu.pin-locked",
                lang: Lang::Kk
            }
        );
    }
}
