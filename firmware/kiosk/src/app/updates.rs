//! The USB worker as the UI thread sees it: updates offered on a stick (the progress screen,
//! refusals, the restart onto a new slot) and the statistics export. The worker wakes the
//! event loop through [`set_pump`]; in lockstep (the headless kiosk's virtual clock) the UI
//! drives every step instead.

use crate::content::updater::{Event, OpenStick, Settings, Updater};
use crate::screens::{Ctx, Screens};
use crate::Ui;
use std::cell::RefCell;

/// Where the update worker wakes the UI thread: the running kiosk's update pump.
type Pump = Box<dyn Fn()>;
thread_local! {
    static PUMP: RefCell<Option<Pump>> = const { RefCell::new(None) };
}

/// Sets what a worker's wake-up runs on the UI thread.
pub fn set_pump(pump: Pump) {
    PUMP.with(|p| *p.borrow_mut() = Some(pump));
}

/// The update worker, if the config names a mount directory for sticks.
pub struct Updates {
    updater: Option<Updater>,
    lockstep: bool,
}

impl Updates {
    /// Starts the worker if the config names a mount directory for sticks.
    pub fn start(c: &Ctx, lockstep: bool, open: Option<OpenStick>) -> Updates {
        Updates {
            updater: spawn(c, lockstep, open),
            lockstep,
        }
    }

    /// The worker has a step to take that the screen shows (in lockstep, any step).
    pub fn busy(&self, updating: bool) -> bool {
        self.updater
            .as_ref()
            .is_some_and(|u| u.busy() && (self.lockstep || updating))
    }

    /// Takes the worker's events: the progress screen comes up when a stick's file is being
    /// read, goes away if it is refused, and the kiosk restarts once it is installed. Returns
    /// whether the screen must be refreshed.
    pub fn pump(&mut self, ui: &Ui<'_>, c: &mut Ctx, s: &mut Screens) -> bool {
        let mut dirty = false;
        while let Some(ev) = self.updater.as_mut().and_then(Updater::poll) {
            if let Some(p) = ev.progress() {
                if !c.updating {
                    c.updating = true;
                    c.nav.hold_for_update();
                    dirty = true;
                }
                ui.set_update_progress(p);
            }
            if matches!(ev, Event::Installed(_)) {
                log(&ev);
                c.request_restart();
                return dirty;
            }
            match self.take(ui, c, s, ev) {
                Outcome::Going => {}
                Outcome::Shown => dirty = true,
                Outcome::Over(issue) => {
                    if let Some(e) = issue {
                        c.last_issue = Some((e.code, "USB update", e.message));
                    }
                    dirty |= end_update(ui, c);
                }
            }
            if self.lockstep {
                break; // one step per frame, in virtual time
            }
        }
        dirty
    }

    /// One event other than `Installed`.
    fn take(&mut self, ui: &Ui<'_>, c: &mut Ctx, s: &mut Screens, ev: Event) -> Outcome {
        log(&ev);
        match ev {
            Event::ExportWanted => {
                // Everything counted so far, saved or not.
                let csv = c.stats.csv();
                if let Some(u) = self.updater.as_mut() {
                    u.export(csv, &c.config.kiosk_id);
                }
                Outcome::Going
            }
            Event::Exported { file, rows } => {
                s.notice
                    .show(ui, c, "export.done", &[format!("{rows} rows"), file]);
                Outcome::Shown
            }
            Event::ExportFailed(e) => {
                let lines = vec![format!("[{}]", e.code), e.message.clone()];
                s.notice.show(ui, c, "export.failed", &lines);
                c.last_issue = Some((e.code, "statistics export", e.message));
                Outcome::Shown
            }
            Event::Ignored(_) => Outcome::Over(None),
            Event::Refused(e) | Event::Failed(e) => Outcome::Over(Some(e)),
            _ => Outcome::Going,
        }
    }
}

/// What an event did to the update on show.
enum Outcome {
    Going,
    /// A notice came up.
    Shown,
    /// The update is over without an install (ignored, or refused with this error).
    Over(Option<crate::content::UpdateError>),
}

/// Back to where a kiosk rests (nothing was written, or it was undone).
fn end_update(ui: &Ui<'_>, c: &mut Ctx) -> bool {
    if !c.updating {
        return false;
    }
    c.updating = false;
    ui.set_update_progress(-1.0);
    c.nav.release_update(c.error.is_some());
    true
}

/// The journal's line for an event.
fn log(ev: &Event) {
    let line = match ev {
        Event::Reading { done: 0, total } => {
            format!("update offered on a USB stick ({total} bytes); reading it")
        }
        Event::Watching | Event::Writing(_) | Event::Reading { .. } | Event::ExportWanted => return,
        Event::Exported { file, rows } => {
            format!("statistics exported to the stick: {file}, {rows} rows")
        }
        Event::ExportFailed(e) => format!("statistics export failed {e}"),
        Event::Verified(slot) => format!("update verified; writing it to slot {}", slot.name()),
        Event::Ignored(message) => format!("update ignored: {message}"),
        Event::Refused(e) => format!("update refused {e}"),
        Event::Failed(e) => format!("update failed {e}; keeping the current content"),
        Event::Installed(slot) => {
            format!(
                "update installed in slot {}; restarting onto it",
                slot.name()
            )
        }
    };
    eprintln!("bitig-kiosk: {line}");
}

/// Starts the USB update worker if the config names a mount directory for sticks.
fn spawn(c: &Ctx, lockstep: bool, open: Option<OpenStick>) -> Option<Updater> {
    let mount = c.config.usb_dir.clone()?;
    let settings = Settings {
        mount,
        content_dir: c.config.content_dir.clone(),
        trusted: c.config.trusted_keys.clone(),
        profile: c.config.profile.clone(),
        active_hash: c.hash.clone(),
        lockstep,
        // In lockstep the UI drives every step; otherwise each event wakes its event loop.
        wake: if lockstep {
            Box::new(|| {})
        } else {
            Box::new(|| {
                let _ = slint::invoke_from_event_loop(|| {
                    PUMP.with(|p| {
                        if let Some(pump) = &*p.borrow() {
                            pump();
                        }
                    });
                });
            })
        },
        open: open.unwrap_or_else(|| Box::new(crate::content::StickFile::open)),
        fs: Box::new(bitig_io::RealFs),
    };
    match Updater::spawn(settings) {
        Ok(u) => Some(u),
        Err(e) => {
            eprintln!("bitig-kiosk: cannot watch for USB sticks: {e}; updates are off");
            None
        }
    }
}
