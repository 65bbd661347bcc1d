//! USB updates on a worker thread: [`Updater`] watches the stick mount point, reads and
//! verifies a bundle it finds, writes it to the inactive slot and switches `active`, and
//! reports each step as an [`Event`]. The UI thread never waits on a stick or on the card:
//! it takes events as they come ([`Updater::poll`]) and draws the progress.
//!
//! Finding a stick needs no polling. The worker sleeps in `poll(2)` on
//! - an inotify watch on the mount directory and its `bitig/` folder (a file copied or moved
//!   there, as in tests and with a plain folder), and
//! - `/proc/self/mountinfo`, which reports `POLLPRI` whenever something is mounted or
//!   unmounted (a watch on the mount point sees nothing of a filesystem mounted over it, so
//!   after each mount change the watches are set again, on the new root),
//! - an eventfd that [`Updater`]'s `Drop` writes to end the thread.
//!
//! **Lockstep** (the headless kiosk, whose clock is virtual): the worker waits for a credit
//! before each step, and `poll` hands one over and waits for that step's event whenever the
//! worker is busy. The same thread does the same I/O, but the events line up with virtual
//! time, so screenshots of an update are the same on every run. A stick that appears while
//! the lockstep worker sleeps is not noticed (the headless scripts start with it in place).

use super::{Fs, Slot, StickFile, Update, UpdateError, UsbWatch, MAX_BUNDLE};

/// An operator stick that asks for the statistics carries this file.
pub const USB_EXPORT: &str = "bitig/export-stats";
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// What the update worker did; one event per step.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Nothing (new) on a stick; the worker sleeps until the mount directory changes.
    Watching,
    /// Reading `done` of `total` bytes of a bundle file on a stick.
    Reading { done: u64, total: u64 },
    /// The bundle passed every check and goes to this slot.
    Verified(Slot),
    /// Writing to the slot: `progress` of the writes, fsyncs and renames done (0..=1).
    Writing(f32),
    /// `active` names the new slot: restart onto it. The worker has ended.
    Installed(Slot),
    /// The stick carries the content already shown.
    Ignored(String),
    /// The stick's file was refused (read, signature, format, profile); nothing was written.
    Refused(UpdateError),
    /// Writing failed; the current content stays.
    Failed(UpdateError),
    /// A stick asks for the statistics: the UI answers with [`Updater::export`].
    ExportWanted,
    /// The statistics went to the stick as `file` (in its `bitig/` folder), `rows` rows.
    Exported { file: String, rows: usize },
    /// They could not be written (a read-only stick: E-READONLY).
    ExportFailed(UpdateError),
}

impl Event {
    /// Overall progress for the progress bar: reading is the first 40 %, writing the rest.
    pub fn progress(&self) -> Option<f32> {
        match self {
            Event::Reading { done, total } => {
                Some(0.4 * (*done as f32 / (*total).max(1) as f32).min(1.0))
            }
            Event::Verified(_) => Some(0.4),
            Event::Writing(p) => Some(0.4 + 0.6 * p),
            Event::Installed(_) => Some(1.0),
            _ => None,
        }
    }
}

/// Opens a stick's bundle file; [`StickFile::open`] on a kiosk, something slower in tests.
pub type OpenStick = Box<dyn FnMut(&Path, u64) -> Result<StickFile, UpdateError> + Send>;

/// What the worker needs to know.
pub struct Settings {
    /// Where sticks are mounted (`usb_dir`).
    pub mount: PathBuf,
    /// The content slots (`content_dir`); without them, every update is refused (E-NOSLOTS).
    pub content_dir: Option<PathBuf>,
    pub trusted: Vec<[u8; 32]>,
    pub profile: String,
    /// The content hash on screen (an equal bundle is ignored).
    pub active_hash: String,
    pub lockstep: bool,
    /// Called on the worker thread after each event, to wake the UI's event loop.
    pub wake: Box<dyn Fn() + Send>,
    pub open: OpenStick,
    pub fs: Box<dyn Fs + Send>,
}

/// The update worker's handle, owned by the UI thread.
pub struct Updater {
    events: Receiver<Event>,
    exports: Option<Sender<Export>>,
    credit: Option<SyncSender<()>>,
    stop: std::sync::Arc<OwnedFd>,
    thread: Option<std::thread::JoinHandle<()>>,
    busy: bool,
}

impl std::fmt::Debug for Updater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Updater(busy: {})", self.busy)
    }
}

impl Updater {
    /// Starts the worker. It looks at the mount directory at once.
    pub fn spawn(settings: Settings) -> std::io::Result<Updater> {
        use rustix::event::{eventfd, EventfdFlags};
        let stop = std::sync::Arc::new(eventfd(0, EventfdFlags::CLOEXEC)?);
        let (tx, events) = mpsc::channel();
        let (credit, credits) = if settings.lockstep {
            let (a, b) = mpsc::sync_channel(1);
            (Some(a), Some(b))
        } else {
            (None, None)
        };
        let waiter = Waiter::new(&settings.mount, stop.clone())?;
        let (export_tx, export_rx) = mpsc::channel();
        let worker = Worker {
            export_watch: UsbWatch::at(settings.mount.join(USB_EXPORT)),
            exports: export_rx,
            watch: UsbWatch::new(&settings.mount),
            waiter,
            tx,
            credits,
            s: settings,
        };
        let thread = std::thread::Builder::new()
            .name("bitig-update".into())
            .spawn(move || worker.run())?;
        Ok(Updater {
            events,
            exports: Some(export_tx),
            credit,
            stop,
            thread: Some(thread),
            busy: true,
        })
    }

    /// The next event, if there is one. Never waits, except in lockstep while the worker is
    /// busy, where it lets the worker take one step and waits for its event.
    pub fn poll(&mut self) -> Option<Event> {
        let ev = match &self.credit {
            Some(credit) if self.busy => {
                credit.send(()).ok()?;
                self.events.recv().ok()
            }
            _ => self.events.try_recv().ok(),
        };
        if let Some(e) = &ev {
            self.busy = !matches!(
                e,
                Event::Watching | Event::Installed(_) | Event::ExportWanted
            );
        }
        ev
    }

    /// Answers [`Event::ExportWanted`]: `csv` (with its header) goes to the stick as
    /// `bitig-stats-<kiosk_id>-<n>.csv`, `n` one more than the last such file there.
    pub fn export(&mut self, csv: String, kiosk_id: &str) {
        if let Some(tx) = &self.exports {
            if tx
                .send(Export {
                    csv,
                    kiosk_id: kiosk_id.to_string(),
                })
                .is_ok()
            {
                self.busy = true;
            }
        }
    }

    /// The worker is reading, checking or writing (or has not looked yet).
    pub fn busy(&self) -> bool {
        self.busy
    }
}

impl Drop for Updater {
    fn drop(&mut self) {
        self.credit = None; // a lockstep worker waiting for a credit ends
        self.exports = None; // and one waiting for the statistics
        let _ = rustix::io::write(self.stop.as_fd(), &1u64.to_ne_bytes());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The statistics for a stick.
struct Export {
    csv: String,
    kiosk_id: String,
}

struct Worker {
    watch: UsbWatch,
    export_watch: UsbWatch,
    exports: Receiver<Export>,
    waiter: Waiter,
    tx: Sender<Event>,
    credits: Option<Receiver<()>>,
    s: Settings,
}

impl Worker {
    /// In lockstep, waits for the UI's go-ahead. False: the updater was dropped.
    fn step(&self) -> bool {
        self.credits.as_ref().is_none_or(|c| c.recv().is_ok())
    }

    fn send(&self, e: Event) -> bool {
        let ok = self.tx.send(e).is_ok();
        (self.s.wake)();
        ok
    }

    fn run(mut self) {
        // Watching is announced once per rest: a wake-up that finds nothing new (a mount
        // elsewhere, a file that is not the bundle) does not wake the UI.
        let mut announced = false;
        loop {
            if !self.step() {
                return;
            }
            if self.export_watch.poll().is_some() {
                announced = false;
                if !self.export() {
                    return;
                }
                continue;
            }
            match self.watch.poll() {
                None => {
                    if !announced && !self.send(Event::Watching) {
                        return;
                    }
                    announced = true;
                    if !self.waiter.wait() {
                        return;
                    }
                }
                Some(file) => {
                    announced = false;
                    if self.install(&file) {
                        return;
                    }
                }
            }
        }
    }

    /// Asks the UI for the statistics and writes them to the stick. False: the updater was
    /// dropped.
    fn export(&mut self) -> bool {
        if !self.send(Event::ExportWanted) {
            return false;
        }
        let Ok(e) = self.exports.recv() else {
            return false;
        };
        if !self.step() {
            return false;
        }
        let dir = self.s.mount.join("bitig");
        let ev = match write_export(self.s.fs.as_mut(), &dir, &e) {
            Ok((file, rows)) => Event::Exported { file, rows },
            Err(err) => Event::ExportFailed(err),
        };
        self.send(ev)
    }

    /// One file: read, verify, write. True once it is installed.
    fn install(&mut self, file: &Path) -> bool {
        let mut f = match (self.s.open)(file, MAX_BUNDLE) {
            Ok(f) => f,
            Err(e) => return !self.send(Event::Refused(e)),
        };
        let total = f.size();
        if !self.send(Event::Reading { done: 0, total }) {
            return true;
        }
        loop {
            if !self.step() {
                return true;
            }
            match f.read_chunk() {
                Ok(finished) => {
                    let done = f.read_so_far();
                    if !self.send(Event::Reading { done, total }) {
                        return true;
                    }
                    if finished {
                        break;
                    }
                }
                Err(e) => return !self.send(Event::Refused(e)),
            }
        }
        if !self.step() {
            return true;
        }
        let Some(dir) = self.s.content_dir.clone() else {
            return !self.send(Event::Refused(UpdateError {
                code: "E-NOSLOTS",
                message: "this kiosk has no content_dir, so it cannot install updates".into(),
            }));
        };
        let speech = match crate::content::read_stick_speech(file) {
            Ok(s) => s,
            Err(e) => return !self.send(Event::Refused(e)),
        };
        let s = &self.s;
        let verified = Update::verify(
            f.into_bytes(),
            speech,
            &dir,
            &s.trusted,
            &s.profile,
            &s.active_hash,
        );
        let mut update = match verified {
            Ok(u) => u,
            Err(e) if e.code == "E-SAME" => return !self.send(Event::Ignored(e.message)),
            Err(e) => return !self.send(Event::Refused(e)),
        };
        if !self.send(Event::Verified(update.target)) {
            return true;
        }
        while !update.done() {
            if !self.step() {
                return true;
            }
            if let Err(e) = update.step(self.s.fs.as_mut()) {
                return !self.send(Event::Failed(e));
            }
            let ev = if update.done() {
                Event::Installed(update.target)
            } else {
                Event::Writing(update.progress())
            };
            if !self.send(ev) {
                return true;
            }
        }
        true
    }
}

/// Writes an export as the next `bitig-stats-<id>-<n>.csv` in `dir`, atomically.
fn write_export(fs: &mut dyn Fs, dir: &Path, e: &Export) -> Result<(String, usize), UpdateError> {
    let prefix = format!("bitig-stats-{}-", e.kiosk_id);
    let last = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|d| {
                let name = d.ok()?.file_name().into_string().ok()?;
                name.strip_prefix(&prefix)?
                    .strip_suffix(".csv")?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(0)
        })
        .unwrap_or(0);
    let file = format!("{prefix}{}.csv", last + 1);
    let rows = e.csv.lines().count().saturating_sub(1);
    bitig_io::durable::write_with(fs, &dir.join(&file), e.csv.as_bytes()).map_err(|err| {
        if err.raw_os_error() == Some(rustix::io::Errno::ROFS.raw_os_error())
            || err.kind() == std::io::ErrorKind::ReadOnlyFilesystem
            || err.kind() == std::io::ErrorKind::PermissionDenied
        {
            UpdateError {
                code: "E-READONLY",
                message: format!(
                    "{}: the stick cannot be written ({err}); the statistics were not exported. Use a FAT stick with its write-protect switch off",
                    dir.display()
                ),
            }
        } else {
            UpdateError {
                code: "E-EXPORT",
                message: format!(
                    "{}: writing {file} failed ({err}); the statistics were not exported, try another stick",
                    dir.display()
                ),
            }
        }
    })?;
    Ok((file, rows))
}

/// Sleeps until the mount directory may have changed.
struct Waiter {
    inotify: OwnedFd,
    mounts: Option<std::fs::File>,
    stop: std::sync::Arc<OwnedFd>,
    dirs: [PathBuf; 2],
}

impl Waiter {
    fn new(mount: &Path, stop: std::sync::Arc<OwnedFd>) -> std::io::Result<Waiter> {
        use rustix::fs::inotify;
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)?;
        let w = Waiter {
            inotify: fd,
            // Not there (a container without /proc): sticks copied into the folder are still
            // seen, mounts are not.
            mounts: std::fs::File::open("/proc/self/mountinfo").ok(),
            stop,
            dirs: [mount.to_path_buf(), mount.join("bitig")],
        };
        w.arm();
        Ok(w)
    }

    /// (Re)sets the watches; a folder that is not there yet is watched once it is.
    fn arm(&self) {
        use rustix::fs::inotify::{add_watch, WatchFlags};
        let what = WatchFlags::CREATE
            | WatchFlags::MOVED_TO
            | WatchFlags::CLOSE_WRITE
            | WatchFlags::DELETE
            | WatchFlags::MOVED_FROM
            | WatchFlags::ATTRIB;
        for d in &self.dirs {
            let _ = add_watch(&self.inotify, d, what);
        }
    }

    /// Waits for a change. False: stop.
    fn wait(&mut self) -> bool {
        use rustix::event::{poll, PollFd, PollFlags};
        use std::io::{Read, Seek};
        let (inotify_ready, mounts_changed, stop) = {
            let mut fds = vec![
                PollFd::new(&self.inotify, PollFlags::IN),
                PollFd::new(self.stop.as_ref(), PollFlags::IN),
            ];
            if let Some(m) = &self.mounts {
                fds.push(PollFd::new(m, PollFlags::PRI));
            }
            loop {
                match poll(&mut fds, None) {
                    Ok(_) => break,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(_) => return false,
                }
            }
            let hit = |i: usize| fds.get(i).is_some_and(|f| !f.revents().is_empty());
            (hit(0), hit(2), hit(1))
        };
        if stop {
            return false;
        }
        if inotify_ready {
            let mut buf = [0u8; 4096];
            while rustix::io::read(&self.inotify, &mut buf).is_ok_and(|n| n > 0) {}
        }
        if mounts_changed {
            // Reading it again clears the change.
            if let Some(m) = &mut self.mounts {
                let _ = m.rewind();
                let _ = m.read_to_end(&mut Vec::new());
            }
        }
        self.arm();
        true
    }
}
