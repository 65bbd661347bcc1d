//! The glue between the bundle, the navigation state machine and the Slint UI. Rust talks to
//! the UI only through the `Theme` and `Ui` globals.

use crate::config::Config;
use crate::content::updater::Updater;
use crate::images::{self, PageBuffers, Stack};
use crate::nav::{classify, scrub_page, Content, Nav, Screen, Turn};
use crate::stats::Stats;
use crate::{AppWindow, Card, ContentsRow, Theme, Ui};
use bitig_format::{Bundle, Lang, Rgb, TextSize};
use slint::{ComponentHandle, Image, Model, ModelRc, VecModel};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// The pre-shaped strings for the maintenance screen, used when the real bundle is refused.
/// Built by `bitig build --fallback` (see `tools/cli`); a test checks it is up to date.
pub static FALLBACK_BUNDLE: &[u8] = include_bytes!("../fallback.bundle");

/// How long a page slides.
pub const SLIDE_MS: u64 = 180;
/// How long the hidden corner must be held.
pub const CORNER_HOLD_MS: u64 = 5_000;
/// How often "touch to begin" changes language.
pub const ATTRACT_CYCLE_MS: u64 = 2_500;
/// The reader warns this long before the idle reset ("Still reading?", WCAG 2.2.1).
pub const IDLE_WARNING_MS: u64 = 20_000;
/// How often the attract screen's content moves (burn-in on LCD panels).
pub const ATTRACT_SHIFT_MS: u64 = 180_000;
/// Where it moves to, in turn (px; within the screen's margins on both panels).
pub const ATTRACT_SHIFTS: [(i32, i32); 8] = [
    (0, 0),
    (6, 0),
    (6, 6),
    (0, 6),
    (-6, 6),
    (-6, 0),
    (-6, -6),
    (0, -6),
];
/// The frame timer's period while something moves (a slide, the update's progress bar):
/// about 30 frames a second, so a slide takes SLIDE_MS.div_ceil(FRAME_MS) = 6 frames.
///
/// Not 60: Slint's software renderer fetches every pixel of the two moving page images one by
/// one (about 30 instructions a pixel), so one slide frame costs about 9 M instructions on
/// aarch64. At 60 frames a second that is 45 % of a Pi 3's Cortex-A53 at 1.2 GHz (IPC 1); at
/// 31.25 it is 24 %, inside the budget of a quarter of a core (docs/performance.md, section 8,
/// from `scripts/bench`). A multiple of the headless clock's 16 ms step, so virtual-time runs
/// fire it exactly on time.
pub const FRAME_MS: u64 = 32;
/// How long a message (the statistics export's) stays up without a touch.
pub const NOTICE_MS: u64 = 15_000;

pub use crate::content::{check_panel, load_bundle, load_bundle_checked, LoadError, Loaded};

/// The bundle as the navigation state machine sees it.
pub struct BundleContent<'b>(pub &'b Bundle<'static>);

impl Content for BundleContent<'_> {
    fn doc_count(&self) -> usize {
        self.0.documents.len()
    }
    fn has_edition(&self, doc: usize, lang: Lang) -> bool {
        self.0
            .documents
            .get(doc)
            .is_some_and(|d| d.edition(lang).is_some())
    }
    fn page_count(&self, doc: usize, lang: Lang, size: TextSize) -> u16 {
        self.layout(doc, lang, size)
            .map_or(0, |(_, l)| l.pages.len() as u16)
    }
    fn anchor(&self, doc: usize, lang: Lang, size: TextSize, page: u16) -> Option<u16> {
        let (e, l) = self.layout(doc, lang, size)?;
        let first = usize::from(l.pages.get(usize::from(page))?.first_block);
        first.checked_sub(e.body_start()).map(|a| a as u16)
    }
    fn first_start(&self, doc: usize, lang: Lang, size: TextSize, page: u16) -> Option<u16> {
        let (e, l) = self.layout(doc, lang, size)?;
        let body = e.body_start();
        l.pages
            .get(usize::from(page))?
            .lines
            .iter()
            .find(|line| line.start == 0 && usize::from(line.block) >= body)
            .map(|line| (usize::from(line.block) - body) as u16)
    }
    fn page_of(&self, doc: usize, lang: Lang, size: TextSize, anchor: u16) -> u16 {
        let Some((e, l)) = self.layout(doc, lang, size) else {
            return 0;
        };
        let block = (e.body_start() + usize::from(anchor)).min(e.blocks.len().saturating_sub(1));
        l.block_pages.get(block).copied().unwrap_or(0)
    }
    fn contents_len(&self, doc: usize, lang: Lang) -> usize {
        self.0
            .documents
            .get(doc)
            .and_then(|d| d.edition(lang))
            .map_or(0, |e| e.contents.len())
    }
    fn contents_page(&self, doc: usize, lang: Lang, size: TextSize, entry: usize) -> Option<u16> {
        let (e, l) = self.layout(doc, lang, size)?;
        let block = e.contents.get(entry)?.block;
        l.block_pages.get(usize::from(block)).copied()
    }
}

impl BundleContent<'_> {
    fn layout(
        &self,
        doc: usize,
        lang: Lang,
        size: TextSize,
    ) -> Option<(&bitig_format::Edition<'static>, &bitig_format::Layout)> {
        let e = self.0.documents.get(doc)?.edition(lang)?;
        Some((e, e.layout(size)?))
    }
}

/// A clock in milliseconds since start: real on the device, virtual in headless tests.
pub type Clock = Rc<dyn Fn() -> u64>;

struct Slide {
    start_ms: u64,
    dir: i32,
}

/// What the reader's top bar was last drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ReaderChrome {
    doc: usize,
    edition: Lang,
    lang: Lang,
    size: TextSize,
    parallel: bool,
    parallel_available: bool,
    count: u16,
}

/// Kiosk state behind the UI.
pub struct State {
    bundle: Bundle<'static>,
    hash: String,
    fallback: Option<Bundle<'static>>,
    error: Option<LoadError>,
    config: Config,
    nav: Nav,
    pages: PageBuffers,
    counter: images::CounterLabel,
    reader_chrome: Option<ReaderChrome>,
    clock: Clock,
    slide: Option<Slide>,
    corner_down_ms: Option<u64>,
    attract_phase: u64,
    shown_screen: Option<Screen>,
    restart_requested: bool,
    /// The USB update worker (when the config names a `usb_dir`).
    updater: Option<Updater>,
    /// An update is being read or written: the progress screen is up.
    updating: bool,
    lockstep: bool,
    /// The library's cards per language, drawn the first time they are shown.
    cards: [Option<ModelRc<Card>>; 3],
    cards_shown: Option<Lang>,
    /// How many card images were drawn since start (the cache test).
    cards_drawn: u64,
    /// The idle warning's seconds as drawn, if it is up.
    warning_shown: Option<u64>,
    /// The attract screen's shift as set (index into ATTRACT_SHIFTS).
    shift_shown: Option<usize>,
    /// The screen test: 0 colour bars, 1 white, 2 black.
    test_mode: i32,
    timers: Timers,
    /// The last refused update or content rollback: (code, what happened, message).
    last_issue: Option<(&'static str, &'static str, String)>,
    /// The PIN pad's wait as last drawn (seconds), so the countdown redraws once a second.
    pin_wait_shown: Option<u64>,
    stats: Stats,
    /// Writes the statistics off the UI thread (content slots folder only).
    stats_writer: Option<crate::stats::Writer>,
    /// What the statistics last counted: the screen, and the page on screen.
    counted_screen: Option<Screen>,
    counted_page: Option<(usize, Lang, TextSize, u16)>,
    /// The first and the latest timer wake-up on the attract screen (if idle reports are on):
    /// the idle report covers the time between them, so neither the way onto the attract
    /// screen (start-up, the idle reset) nor the touch that ends the wait is counted.
    idle_first: Option<IdleMark>,
    idle_last: Option<IdleMark>,
    report_idle: bool,
    idle_report: Option<IdleReport>,
    /// The systemd watchdog's heartbeat, if the kiosk runs under one.
    heartbeat: Option<Heartbeat>,
    /// The contents list as drawn, for (document, edition, size).
    contents_rows: Option<((usize, Lang, TextSize), ModelRc<ContentsRow>)>,
    /// Page numbers for the page grid, 1..=len, drawn once.
    page_numbers: Vec<Image>,
    /// The page under the finger on the progress bar.
    scrub: Option<u16>,
    /// The page image as last drawn: (document, edition, size, page, side by side). A
    /// refresh that changes none of these (a finger moving on the progress bar, the idle
    /// warning) draws no page.
    page_drawn: Option<(usize, Lang, TextSize, u16, bool)>,
    /// A message is up until this time (clock ms).
    notice_until: Option<u64>,
    /// What it says (its ASCII lines), for the log and the tests.
    notice_text: String,
    /// Controls as laid out (name, x, y, width, height), while a test records them.
    controls: Option<Vec<Control>>,
}

/// A control as Slint laid it out: name, x, y, width, height (logical px).
pub type Control = (String, f32, f32, f32, f32);

/// The kiosk's two timers. Nothing runs on a fixed beat while the screen is still: the frame
/// timer runs only while something moves, and everything else (idle timeout, operator corner,
/// attract cycle, PIN countdown) is one single-shot timer set to the next deadline.
struct Timers {
    frame: slint::Timer,
    deadline: slint::Timer,
    /// When `deadline` fires (clock ms), if it is set.
    deadline_at: Option<u64>,
    /// How often each has fired, for the wake-up test.
    counts: Wakeups,
}

/// How often the kiosk's timers fired (a virtual minute in the tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wakeups {
    pub frames: u64,
    pub deadlines: u64,
}

/// Why the kiosk woke up.
#[derive(Debug, Clone, Copy)]
enum Wake {
    Frame,
    Deadline,
    Worker,
}

fn fire(w: &slint::Weak<AppWindow>, st: &std::rc::Weak<RefCell<State>>, why: Wake) {
    if let (Some(w), Some(st)) = (w.upgrade(), st.upgrade()) {
        crate::hot::ours(|| st.borrow_mut().on_timer(&w, why));
    }
}

/// Where the update worker wakes the UI thread: the running kiosk's update pump.
type Pump = Box<dyn Fn()>;
thread_local! {
    static PUMP: RefCell<Option<Pump>> = const { RefCell::new(None) };
}

/// How the kiosk is run, beyond its config.
#[derive(Default)]
pub struct Options {
    /// The update worker takes a step only when the UI asks (the headless kiosk's virtual
    /// clock; see `content::updater`).
    pub lockstep_updates: bool,
    /// How a stick's file is opened (tests make it slow); `StickFile::open` if `None`.
    pub open_stick: Option<crate::content::updater::OpenStick>,
    /// The board's wall clock for the statistics' hours; the system clock if `None`.
    pub wall_clock: Option<crate::stats::WallClock>,
    /// Log how often the process woke while the attract screen stood alone, when a visitor
    /// ends a wait of at least [`IDLE_REPORT_MIN_MS`] (the interactive kiosk, whose clock is
    /// real; the QEMU boot test reads the line).
    pub report_idle: bool,
}

/// The shortest wait on the attract screen the idle report is logged for.
pub const IDLE_REPORT_MIN_MS: u64 = 30_000;

/// How the process slept while the attract screen stood alone (see [`Options::report_idle`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdleReport {
    /// The wait, from the first to the last timer wake-up on the attract screen (clock ms).
    pub ms: u64,
    /// Voluntary context switches of all the process's threads meanwhile.
    pub wakeups: u64,
    /// CPU time meanwhile (ms, in clock ticks of 10 ms).
    pub cpu_ms: u64,
    /// Heartbeats that needed a wake-up of their own meanwhile (the rest rode on others).
    pub heartbeat_wakeups: u64,
}

/// The process's counters at a moment (clock ms): each thread's wake-ups, its CPU time (ms)
/// and the heartbeats sent on wake-ups of their own.
struct IdleMark {
    ms: u64,
    threads: Vec<(u32, String, u64)>,
    cpu_ms: u64,
    heartbeat_wakeups: u64,
}

/// The systemd watchdog's heartbeat: one of the deadlines of the single-shot timer. It is sent
/// on any timer wake-up about half a period after the last one (HEARTBEAT_SLACK_MS), and at
/// the latest a period
/// after it, on a deadline of its own. So on the attract screen it rides on the language
/// cycle's wake-ups (every 2.5 s against a 5 s period) and costs none of its own.
struct Heartbeat {
    every_ms: u64,
    last_ms: u64,
    send: Box<dyn Fn()>,
    sent: u64,
    /// Heartbeats sent on a deadline of their own (a wake-up nothing else asked for).
    own_wakeups: u64,
}

/// How much earlier than half a period a heartbeat may ride on another wake-up: the kiosk's
/// clock counts whole milliseconds, so a wake-up exactly half a period later (the attract
/// cycle's 2.5 s against a 5 s period) may read a millisecond short.
const HEARTBEAT_SLACK_MS: u64 = 100;

impl Heartbeat {
    /// Sends the heartbeat if it is due at `now`: about half a period since the last.
    fn beat(&mut self, now: u64) {
        let since = now.saturating_sub(self.last_ms);
        if since + HEARTBEAT_SLACK_MS >= self.every_ms / 2 {
            if since >= self.every_ms {
                self.own_wakeups += 1;
            }
            (self.send)();
            self.sent += 1;
            self.last_ms = now;
        }
    }
}

/// The running kiosk: the Slint window and its state.
pub struct Kiosk {
    pub window: AppWindow,
    pub state: Rc<RefCell<State>>,
}

fn rgb(c: Rgb) -> slint::Color {
    slint::Color::from_rgb_u8(c.0, c.1, c.2)
}

impl Kiosk {
    /// Builds the UI over `loaded` (or the maintenance screen if it failed).
    pub fn new(
        loaded: Result<Loaded, LoadError>,
        config: Config,
        clock: Clock,
    ) -> anyhow::Result<Kiosk> {
        Kiosk::with_options(loaded, config, clock, Options::default())
    }

    pub fn with_options(
        loaded: Result<Loaded, LoadError>,
        config: Config,
        clock: Clock,
        options: Options,
    ) -> anyhow::Result<Kiosk> {
        let window = AppWindow::new()?;
        let (bundle, hash, fallback, error) = match loaded {
            Ok(l) => (l.bundle, l.hash, None, None),
            Err(e) => {
                eprintln!("bitig-kiosk: bundle refused [{}]: {}", e.code, e.message);
                let fb = Bundle::from_bundle_bytes(FALLBACK_BUNDLE)
                    .map_err(|e| anyhow::anyhow!("the built-in fallback bundle is invalid: {e}"))?;
                (fb.clone(), "-".to_string(), Some(fb), Some(e))
            }
        };
        let theme = bundle.profile.theme;
        let t = window.global::<Theme>();
        t.set_background(rgb(theme.background));
        t.set_surface(rgb(theme.surface));
        t.set_text(rgb(theme.text));
        t.set_muted(rgb(theme.muted));
        t.set_accent(rgb(theme.accent));
        t.set_title(rgb(theme.title));
        let p = &bundle.profile;
        let pages = PageBuffers::new(u32::from(p.page_width), u32::from(p.page_height));
        let nav = Nav::new(config.idle_timeout_ms, error.is_some());
        let mut options = options;
        let (stats, stats_writer) = open_stats(&config, &bundle, &clock, options.wall_clock.take());
        let state = Rc::new(RefCell::new(State {
            bundle,
            hash,
            fallback,
            error,
            config,
            nav,
            pages,
            counter: images::CounterLabel::default(),
            reader_chrome: None,
            clock,
            slide: None,
            corner_down_ms: None,
            attract_phase: u64::MAX,
            shown_screen: None,
            restart_requested: false,
            updater: None,
            updating: false,
            lockstep: options.lockstep_updates,
            cards: [None, None, None],
            cards_shown: None,
            cards_drawn: 0,
            warning_shown: None,
            shift_shown: None,
            test_mode: 0,
            timers: Timers {
                frame: slint::Timer::default(),
                deadline: slint::Timer::default(),
                deadline_at: None,
                counts: Wakeups::default(),
            },
            last_issue: None,
            pin_wait_shown: None,
            stats,
            stats_writer,
            counted_screen: None,
            counted_page: None,
            idle_first: None,
            idle_last: None,
            report_idle: options.report_idle,
            idle_report: None,
            heartbeat: None,
            contents_rows: None,
            page_numbers: Vec::new(),
            scrub: None,
            page_drawn: None,
            notice_until: None,
            notice_text: String::new(),
            controls: None,
        }));
        {
            let mut s = state.borrow_mut();
            s.updater = start_updater(&s, options);
            if let Some(dir) = s.config.content_dir.clone() {
                let failures = crate::content::load_pin_failures(&dir);
                let now = (s.clock)();
                s.nav.pin_restore(failures, now);
            }
            if let Some((code, message)) = s.config.startup_issue.take() {
                let what = match code {
                    "E-CRASHLOOP" => "crash loop: previous content",
                    "W-CONFIG" => "config key ignored",
                    _ => "content rolled back",
                };
                s.last_issue = Some((code, what, message));
            }
        }
        wire_callbacks(&window, &state);
        {
            // The worker's events reach the UI thread through the event loop.
            let weak = window.as_weak();
            let st = Rc::downgrade(&state);
            let pump: Pump = Box::new(move || fire(&weak, &st, Wake::Worker));
            PUMP.with(|p| *p.borrow_mut() = Some(pump));
        }
        {
            // Both timers get their callback once, stopped; reschedule() only restarts them.
            let s = state.borrow();
            let t = &s.timers;
            for (timer, mode, why) in [
                (&t.frame, slint::TimerMode::Repeated, Wake::Frame),
                (&t.deadline, slint::TimerMode::SingleShot, Wake::Deadline),
            ] {
                let (w, st) = (window.as_weak(), Rc::downgrade(&state));
                timer.start(mode, Duration::from_millis(FRAME_MS), move || {
                    fire(&w, &st, why);
                });
                timer.stop();
            }
        }
        state.borrow_mut().refresh(&window);
        let kiosk = Kiosk { window, state };
        kiosk.state.borrow_mut().reschedule();
        Ok(kiosk)
    }

    /// The last idle report (with [`Options::report_idle`]).
    pub fn idle_report(&self) -> Option<IdleReport> {
        self.state.borrow().idle_report
    }

    /// Sends `send` (systemd's `WATCHDOG=1`) from the UI thread at least every `every`, as
    /// one of the kiosk's deadlines (see `Heartbeat`); a hung UI thread stops it. Sends once
    /// now.
    pub fn set_heartbeat(&self, every: Duration, send: Box<dyn Fn()>) {
        let mut s = self.state.borrow_mut();
        let now = (s.clock)();
        send();
        s.heartbeat = Some(Heartbeat {
            every_ms: (every.as_millis() as u64).max(1),
            last_ms: now,
            send,
            sent: 1,
            own_wakeups: 0,
        });
        s.reschedule();
    }

    /// Heartbeats sent so far, and how many of them needed a wake-up of their own.
    pub fn heartbeats(&self) -> Option<(u64, u64)> {
        let s = self.state.borrow();
        s.heartbeat.as_ref().map(|h| (h.sent, h.own_wakeups))
    }

    /// The code of the last refused update or recovered-from content problem (the operator
    /// menu shows it).
    pub fn last_issue_code(&self) -> Option<&'static str> {
        self.state.borrow().last_issue.as_ref().map(|i| i.0)
    }

    /// From now on, keep every control Slint lays out (the touch-target test).
    pub fn record_controls(&self) {
        self.state.borrow_mut().controls = Some(Vec::new());
    }

    /// The controls laid out since the last call (with [`Kiosk::record_controls`]).
    pub fn take_controls(&self) -> Vec<Control> {
        self.state
            .borrow_mut()
            .controls
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The message on screen (its ASCII lines), if one is up.
    pub fn notice(&self) -> Option<String> {
        let s = self.state.borrow();
        s.notice_until.map(|_| s.notice_text.clone())
    }

    /// The statistics so far.
    pub fn stats_csv(&self) -> String {
        self.state.borrow().stats.csv()
    }

    /// Hands the statistics to their writer and waits until they are written (the kiosk is
    /// about to stop). Counts a session in progress as ended.
    pub fn shutdown(&self) {
        let mut s = self.state.borrow_mut();
        let now = (s.clock)();
        s.stats.end_session(now);
        let record = s.stats.take_record();
        if let Some(w) = s.stats_writer.take() {
            w.save(record);
            drop(w); // joins: the record is on the card when this returns
        }
    }

    /// A page is sliding in.
    pub fn sliding(&self) -> bool {
        self.state.borrow().slide.is_some()
    }

    /// How many library card images were drawn since start.
    pub fn cards_drawn(&self) -> u64 {
        self.state.borrow().cards_drawn
    }

    /// How often the timers fired since start.
    pub fn wakeups(&self) -> Wakeups {
        self.state.borrow().timers.counts
    }

    /// UI size in pixels: the bundle's panel size, or, on the maintenance screen (when there
    /// is no usable bundle), the size the configured profile's name ends in (`…-800x480`).
    pub fn size(&self) -> (u32, u32) {
        let s = self.state.borrow();
        let from_bundle = (
            u32::from(s.bundle.profile.width),
            u32::from(s.bundle.profile.height),
        );
        if s.error.is_some() {
            crate::config::profile_size(&s.config.profile).unwrap_or(from_bundle)
        } else {
            from_bundle
        }
    }

    pub fn screen(&self) -> Screen {
        self.state.borrow().nav.screen
    }

    /// The reader's page (0-based) and whether the parallel view is on.
    pub fn page(&self) -> (u16, bool) {
        let s = self.state.borrow();
        (s.nav.page, s.nav.parallel)
    }

    /// The content slots folder of the config, if any.
    pub fn content_dir(&self) -> Option<std::path::PathBuf> {
        self.state.borrow().config.content_dir.clone()
    }

    pub fn restart_requested(&self) -> bool {
        self.state.borrow().restart_requested
    }
}

/// The statistics record from the content folder (if the config has one), and its writer.
fn open_stats(
    config: &Config,
    bundle: &Bundle<'static>,
    clock: &Clock,
    wall: Option<crate::stats::WallClock>,
) -> (Stats, Option<crate::stats::Writer>) {
    use crate::stats;
    let wall = wall.unwrap_or_else(stats::system_clock);
    // A clock earlier than the newest statement was never set.
    let floor = stats::iso_date_seconds(bundle.meta.content_date).unwrap_or(0);
    let now = clock();
    let Some(dir) = &config.content_dir else {
        return (Stats::empty(now, floor, wall), None);
    };
    let path = dir.join(stats::STATS_FILE);
    let bytes = std::fs::read(&path).unwrap_or_default();
    let (st, bad) = Stats::from_record(&bytes, now, floor, wall);
    for b in &bad {
        eprintln!(
            "bitig-kiosk: {}:{}: statistics line left out: {}",
            path.display(),
            b.line,
            b.message
        );
    }
    let writer = match stats::Writer::spawn(path, Box::new(crate::content::RealFs)) {
        Ok(w) => Some(w),
        Err(e) => {
            eprintln!("bitig-kiosk: cannot start the statistics writer: {e}; they are not kept");
            None
        }
    };
    (st, writer)
}

/// Starts the USB update worker if the config names a mount directory for sticks.
fn start_updater(s: &State, options: Options) -> Option<Updater> {
    use crate::content::updater::Settings;
    let mount = s.config.usb_dir.clone()?;
    let lockstep = options.lockstep_updates;
    let settings = Settings {
        mount,
        content_dir: s.config.content_dir.clone(),
        trusted: s.config.trusted_keys.clone(),
        profile: s.config.profile.clone(),
        active_hash: s.hash.clone(),
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
        open: options
            .open_stick
            .unwrap_or_else(|| Box::new(crate::content::StickFile::open)),
        fs: Box::new(crate::content::RealFs),
    };
    match Updater::spawn(settings) {
        Ok(u) => Some(u),
        Err(e) => {
            eprintln!("bitig-kiosk: cannot watch for USB sticks: {e}; updates are off");
            None
        }
    }
}

fn lang_of(i: i32) -> Option<Lang> {
    Lang::ALL.get(usize::try_from(i).ok()?).copied()
}

fn wire_callbacks(window: &AppWindow, state: &Rc<RefCell<State>>) {
    let ui = window.global::<Ui>();
    // Every callback: note the touch, act, redraw what changed.
    macro_rules! on {
        ($setter:ident, |$s:ident $(, $arg:ident : $ty:ty)*| $body:block) => {
            on!($setter, |$s, _now $(, $arg: $ty)*| $body)
        };
        ($setter:ident, |$s:ident, $now:ident $(, $arg:ident : $ty:ty)*| $body:block) => {{
            let weak = window.as_weak();
            let st = state.clone();
            ui.$setter(move |$($arg: $ty),*| crate::hot::ours(|| {
                let Some(w) = weak.upgrade() else { return };
                let mut guard = st.borrow_mut();
                let $s: &mut State = &mut guard;
                let $now = ($s.clock)();
                $s.nav.touched($now);
                $body
                $s.refresh(&w);
                $s.reschedule();
            }));
        }};
    }
    on!(on_wake, |s| {
        s.nav.wake();
    });
    on!(on_choose_language, |s, now, i: i32| {
        if let Some(l) = lang_of(i) {
            if s.nav.screen == Screen::Language {
                s.stats.language(now, l);
            }
            s.nav.choose_language(l);
        }
    });
    on!(on_open, |s, now, i: i32| {
        let content = BundleContent(&s.bundle);
        s.nav
            .open(usize::try_from(i).unwrap_or(usize::MAX), &content);
        if s.nav.screen == Screen::Reader {
            if let Some(d) = s.bundle.documents.get(s.nav.doc) {
                s.stats.opened(now, d.id);
            }
        }
    });
    on!(on_open_contents, |s| {
        let content = BundleContent(&s.bundle);
        s.nav.open_contents(&content);
    });
    on!(on_choose_contents, |s, now, i: i32| {
        let content = BundleContent(&s.bundle);
        s.nav
            .choose_contents(usize::try_from(i).unwrap_or(usize::MAX), &content);
        if s.nav.screen == Screen::Reader {
            s.stats.contents_jump(now);
        }
    });
    on!(on_open_page_grid, |s| {
        s.nav.open_page_grid();
    });
    on!(on_go_to_page, |s, now, i: i32| {
        let content = BundleContent(&s.bundle);
        if s.nav.screen == Screen::PageGrid {
            s.nav
                .go_to_page(u16::try_from(i).unwrap_or(u16::MAX), &content);
            s.stats.page_jump(now);
        }
    });
    on!(on_scrub, |s, now, kind: i32, x: f32, width: f32| {
        if s.nav.screen == Screen::Reader {
            let content = BundleContent(&s.bundle);
            let page = scrub_page(x, width, s.nav.page_count(&content));
            match kind {
                0 | 1 => s.scrub = Some(page),
                2 => {
                    // Lifting the finger opens the page, with no slide through the others.
                    s.scrub = None;
                    s.slide = None;
                    if page != s.nav.page {
                        s.nav.go_to_page(page, &content);
                        s.stats.page_jump(now);
                    }
                }
                _ => s.scrub = None,
            }
        }
    });
    on!(on_return_back, |s| {
        s.slide = None;
        s.nav.return_back();
    });
    on!(on_dismiss_notice, |s| {
        s.notice_until = None;
    });
    // The touch-target test reads these (Kiosk::controls); the kiosk needs nothing of them.
    {
        let st = state.clone();
        ui.on_control(move |name, x, y, w, h| {
            if let Ok(mut s) = st.try_borrow_mut() {
                if let Some(c) = &mut s.controls {
                    c.push((name.to_string(), x, y, w, h));
                }
            }
        });
    }
    on!(on_page_gesture, |s,
                          x0: f32,
                          y0: f32,
                          x1: f32,
                          y1: f32,
                          width: f32| {
        let g = classify(x0 as i32, y0 as i32, x1 as i32, y1 as i32, width as i32);
        let content = BundleContent(&s.bundle);
        let turn = s.nav.gesture(g, &content);
        s.start_slide(turn);
    });
    on!(on_back, |s| {
        s.nav.back();
    });
    on!(on_switch_language, |s, i: i32| {
        if let Some(l) = lang_of(i) {
            let content = BundleContent(&s.bundle);
            s.nav.switch_language(l, &content);
        }
    });
    on!(on_toggle_parallel, |s| {
        let content = BundleContent(&s.bundle);
        s.nav.toggle_parallel(&content);
    });
    on!(on_toggle_size, |s| {
        let content = BundleContent(&s.bundle);
        s.nav.toggle_size(&content);
    });
    on!(on_corner_pressed, |s| {
        s.corner_down_ms = Some((s.clock)());
    });
    on!(on_corner_released, |s| {
        s.corner_down_ms = None;
    });
    on!(on_pin_digit, |s, d: i32| {
        s.nav.pin_digit(u8::try_from(d).unwrap_or(255));
    });
    on!(on_pin_clear, |s| {
        s.nav.pin_clear();
    });
    on!(on_pin_ok, |s| {
        let now = (s.clock)();
        let config = &s.config;
        if s.nav.pin_submit(now, |p| config.pin_ok(p)) {
            // The count of wrong PINs survives a restart (content slots folder only).
            if let Some(dir) = &s.config.content_dir {
                let n = s.nav.pin_failures;
                if let Err(e) =
                    crate::content::save_pin_failures(dir, n, &mut crate::content::RealFs)
                {
                    eprintln!("bitig-kiosk: cannot keep the count of wrong PINs: {e}");
                }
            }
        }
    });
    on!(on_operator_action, |s, i: i32| {
        match i {
            0 => s.nav.test_pattern(),
            1 => {
                s.restart_requested = true;
                let _ = slint::quit_event_loop();
            }
            _ => s.nav.close_menu(),
        }
    });
    on!(on_close_test_pattern, |s| {
        // Colour bars, then all white, then all black; the next tap closes it.
        if s.test_mode < 2 {
            s.test_mode += 1;
        } else {
            s.test_mode = 0;
            s.nav.close_test_pattern();
        }
    });
    // The touch itself (nav.touched in `on!`) keeps the visitor's place.
    on!(on_keep_reading, |s| {});
}

impl State {
    fn start_slide(&mut self, turn: Turn) {
        let dir = match turn {
            Turn::Next => 1,
            Turn::Prev => -1,
            Turn::None => return,
        };
        self.slide = Some(Slide {
            start_ms: (self.clock)(),
            dir,
        });
    }

    /// Takes the update worker's events: the progress screen comes up when a stick's file is
    /// being read, goes away if it is refused, and the kiosk restarts once it is installed.
    fn pump_updates(&mut self, w: &AppWindow) -> bool {
        use crate::content::updater::Event;
        let ui = w.global::<Ui>();
        let mut dirty = false;
        while let Some(ev) = self.updater.as_mut().and_then(Updater::poll) {
            if let Some(p) = ev.progress() {
                if !self.updating {
                    self.updating = true;
                    self.nav.hold_for_update();
                    dirty = true;
                }
                ui.set_update_progress(p);
            }
            let issue = match ev {
                Event::Reading { done: 0, total } => {
                    eprintln!(
                        "bitig-kiosk: update offered on a USB stick ({total} bytes); reading it"
                    );
                    None
                }
                Event::Watching | Event::Writing(_) | Event::Reading { .. } => None,
                Event::ExportWanted => {
                    // Everything counted so far, saved or not.
                    let csv = self.stats.csv();
                    if let Some(u) = self.updater.as_mut() {
                        u.export(csv, &self.config.kiosk_id);
                    }
                    None
                }
                Event::Exported { file, rows } => {
                    eprintln!("bitig-kiosk: statistics exported to the stick: {file}, {rows} rows");
                    self.show_notice(w, "export.done", &[format!("{rows} rows"), file]);
                    dirty = true;
                    None
                }
                Event::ExportFailed(e) => {
                    eprintln!("bitig-kiosk: statistics export failed {e}");
                    let lines = vec![format!("[{}]", e.code), e.message.clone()];
                    self.show_notice(w, "export.failed", &lines);
                    self.last_issue = Some((e.code, "statistics export", e.message));
                    dirty = true;
                    None
                }
                Event::Verified(slot) => {
                    eprintln!(
                        "bitig-kiosk: update verified; writing it to slot {}",
                        slot.name()
                    );
                    None
                }
                Event::Ignored(message) => {
                    eprintln!("bitig-kiosk: update ignored: {message}");
                    Some(None)
                }
                Event::Refused(e) => {
                    eprintln!("bitig-kiosk: update refused {e}");
                    Some(Some(e))
                }
                Event::Failed(e) => {
                    eprintln!("bitig-kiosk: update failed {e}; keeping the current content");
                    Some(Some(e))
                }
                Event::Installed(slot) => {
                    eprintln!(
                        "bitig-kiosk: update installed in slot {}; restarting onto it",
                        slot.name()
                    );
                    self.restart_requested = true;
                    let _ = slint::quit_event_loop();
                    return dirty;
                }
            };
            if let Some(e) = issue {
                if let Some(e) = e {
                    self.last_issue = Some((e.code, "USB update", e.message));
                }
                if self.updating {
                    // Back to where a kiosk rests (nothing was written, or it was undone).
                    self.updating = false;
                    ui.set_update_progress(-1.0);
                    self.nav.release_update(self.error.is_some());
                    dirty = true;
                }
            }
            if self.lockstep {
                break; // one step per frame, in virtual time
            }
        }
        dirty
    }

    /// A timer fired (or the update worker woke the event loop).
    fn on_timer(&mut self, w: &AppWindow, why: Wake) {
        match why {
            Wake::Frame => self.timers.counts.frames += 1,
            Wake::Deadline => {
                self.timers.counts.deadlines += 1;
                self.timers.deadline_at = None;
            }
            Wake::Worker => {}
        }
        if let Some(h) = &mut self.heartbeat {
            h.beat((self.clock)());
        }
        if self.report_idle && self.nav.screen == Screen::Attract {
            self.mark_idle();
        }
        self.tick(w);
        self.reschedule();
    }

    /// Something moves: the page slides, or an update's progress bar fills (in lockstep also
    /// while the worker has a step to take).
    fn moving(&self) -> bool {
        self.slide.is_some()
            || self
                .updater
                .as_ref()
                .is_some_and(|u| u.busy() && (self.lockstep || self.updating))
    }

    /// Puts a message up (the statistics export): the UI text `key` in the three languages,
    /// then `lines` of ASCII (counts, file names, codes).
    fn show_notice(&mut self, w: &AppWindow, key: &str, lines: &[String]) {
        let b = &self.bundle;
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
            for part in wrap(&short_path(l), 56).iter().take(3) {
                stack = stack.ascii(b, part, b.profile.theme.text, lh);
            }
        }
        let ui = w.global::<Ui>();
        ui.set_notice(stack.render(b, images::ink(b), ascent));
        ui.set_notice_shown(true);
        self.notice_until = Some((self.clock)() + NOTICE_MS);
        self.notice_text = lines.join("\n");
    }

    /// Seconds left before the idle reset, while the warning is due (a visitor's screen, the
    /// last IDLE_WARNING_MS).
    fn idle_warning_s(&self, now: u64) -> Option<u64> {
        let visitor = self.nav.screen.is_visitor();
        let left = self.nav.idle_deadline()?.checked_sub(now)?;
        (visitor && left > 0 && left <= self.warning_lead_ms()).then(|| left.div_ceil(1000))
    }

    /// How long before the idle reset the warning comes up: IDLE_WARNING_MS, or half the
    /// timeout if that is shorter (a 10 s timeout must leave the screen usable).
    fn warning_lead_ms(&self) -> u64 {
        IDLE_WARNING_MS.min(self.config.idle_timeout_ms / 2)
    }

    fn show_idle_warning(&mut self, w: &AppWindow) {
        let warn = self.idle_warning_s((self.clock)());
        if warn == self.warning_shown {
            return;
        }
        let ui = w.global::<Ui>();
        if let Some(s) = warn {
            ui.set_idle_warning(images::idle_warning_label(&self.bundle, self.nav.lang, s));
        }
        ui.set_idle_warning_shown(warn.is_some());
        self.warning_shown = warn;
    }

    /// Moves the attract screen's content to the shift due at `now`.
    fn apply_attract_shift(&mut self, w: &AppWindow, now: u64) {
        let i = (now / ATTRACT_SHIFT_MS) as usize % ATTRACT_SHIFTS.len();
        if self.shift_shown != Some(i) {
            let (x, y) = ATTRACT_SHIFTS[i];
            let ui = w.global::<Ui>();
            ui.set_attract_shift_x(x as f32);
            ui.set_attract_shift_y(y as f32);
            self.shift_shown = Some(i);
        }
    }

    /// The next moment something changes on its own (clock ms).
    fn next_deadline(&self, now: u64) -> Option<u64> {
        let attract = (self.nav.screen == Screen::Attract)
            .then(|| (now / ATTRACT_CYCLE_MS + 1) * ATTRACT_CYCLE_MS);
        let pin = (self.nav.screen == Screen::Pin)
            .then(|| self.nav.pin_countdown_step(now))
            .flatten();
        let warning = self.nav.idle_deadline().and_then(|d| {
            let starts = d.saturating_sub(self.warning_lead_ms());
            if now < starts {
                Some(starts)
            } else {
                // The countdown's next second.
                d.checked_sub(now)
                    .filter(|&l| l > 0)
                    .map(|l| now + (l - 1) % 1000 + 1)
            }
        });
        [
            self.nav.idle_deadline(),
            warning,
            self.corner_down_ms.map(|t| t + CORNER_HOLD_MS),
            attract,
            pin,
            // Counts that changed are written within a minute (if there is a folder to
            // write them to): one wake-up a minute at most, and none while nothing is counted.
            self.stats_writer
                .as_ref()
                .and_then(|_| self.stats.flush_due()),
            self.notice_until,
            self.heartbeat.as_ref().map(|h| h.last_ms + h.every_ms),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the frame timer while something moves and sets the single-shot timer to the next
    /// deadline.
    fn reschedule(&mut self) {
        let now = (self.clock)();
        let moving = self.moving();
        if moving != self.timers.frame.running() {
            if moving {
                self.timers.frame.restart();
            } else {
                self.timers.frame.stop();
            }
        }
        let next = self.next_deadline(now);
        if next != self.timers.deadline_at {
            self.timers.deadline_at = next;
            match next {
                Some(t) => {
                    // The callbacks were set once (Kiosk::with_options): nothing allocates.
                    let d = &self.timers.deadline;
                    d.set_interval(Duration::from_millis(t.saturating_sub(now)));
                    d.restart();
                }
                None => self.timers.deadline.stop(),
            }
        }
    }

    fn tick(&mut self, w: &AppWindow) {
        let now = (self.clock)();
        let mut dirty = self.pump_updates(w);
        // Unsaved counts go to the card at most a minute after they changed.
        if self.stats.flush_due().is_some_and(|t| now >= t) {
            let record = self.stats.take_record();
            if let Some(writer) = &self.stats_writer {
                writer.save(record);
            }
        }
        if self.notice_until.is_some_and(|t| now >= t) {
            self.notice_until = None;
            dirty = true;
        }
        if self.nav.tick(now) {
            self.slide = None;
            self.scrub = None;
            dirty = true;
        }
        if let Some(t0) = self.corner_down_ms {
            if now.saturating_sub(t0) >= CORNER_HOLD_MS {
                self.corner_down_ms = None;
                self.nav.corner_held();
                self.nav.touched(now);
                dirty = true;
            }
        }
        if self.nav.screen == Screen::Attract {
            let phase = now / ATTRACT_CYCLE_MS;
            if phase != self.attract_phase {
                self.attract_phase = phase;
                self.apply_attract_shift(w, now);
                let lang = Lang::ALL[(phase % 3) as usize];
                w.global::<Ui>().set_attract_touch(images::label(
                    &self.bundle,
                    "attract.touch",
                    lang,
                ));
            }
        }
        // The idle warning comes up, counts down, and goes.
        if self.idle_warning_s(now) != self.warning_shown {
            dirty = true;
        }
        // The locked PIN pad counts down.
        if self.nav.screen == Screen::Pin && self.nav.pin_wait_s(now) != self.pin_wait_shown {
            dirty = true;
        }
        if let Some(sl) = &self.slide {
            let ui = w.global::<Ui>();
            let width = f32::from(self.bundle.profile.page_width);
            let t = (now.saturating_sub(sl.start_ms) as f32 / SLIDE_MS as f32).min(1.0);
            let eased = 1.0 - (1.0 - t) * (1.0 - t);
            let dir = sl.dir as f32;
            ui.set_page_x(dir * width * (1.0 - eased));
            ui.set_page_out_x(-dir * width * eased);
            if t >= 1.0 {
                self.slide = None;
                ui.set_page_out(Image::default());
                ui.set_page_x(0.0);
            }
        }
        if dirty {
            self.refresh(w);
        }
    }

    /// The attract screen standing alone is where the kiosk spends most of its day: when a
    /// visitor ends a wait of at least IDLE_REPORT_MIN_MS, log how often the process woke
    /// meanwhile (voluntary context switches of all its threads) and the CPU time it took,
    /// with the watchdog heartbeat's share, for the operator's journal and the boot test.
    /// Called on each timer wake-up on the attract screen: keeps the first and the latest.
    fn mark_idle(&mut self) {
        let mark = IdleMark {
            ms: (self.clock)(),
            threads: crate::soak::thread_wakeups("self"),
            cpu_ms: crate::soak::cpu_ms("self"),
            heartbeat_wakeups: self.heartbeat.as_ref().map_or(0, |h| h.own_wakeups),
        };
        if self.idle_first.is_none() {
            self.idle_first = Some(mark);
        } else {
            self.idle_last = Some(mark);
        }
    }

    /// On a change of screen: logs the wait that ends if it was on the attract screen and
    /// long enough, and starts afresh.
    fn report_idle_wait(&mut self) {
        let (Some(first), Some(last)) = (self.idle_first.take(), self.idle_last.take()) else {
            return;
        };
        let ms = last.ms.saturating_sub(first.ms);
        if ms < IDLE_REPORT_MIN_MS {
            return;
        }
        // Each thread's wake-ups meanwhile, by name (a thread that ended is not counted; one
        // that started counts from zero).
        let mut by_name: Vec<(&str, u64)> = Vec::new();
        for (tid, name, n) in &last.threads {
            let before = first
                .threads
                .iter()
                .find(|t| t.0 == *tid)
                .map_or(0, |t| t.2);
            let d = n.saturating_sub(before);
            match by_name.iter_mut().find(|e| e.0 == name) {
                Some(e) => e.1 += d,
                None => by_name.push((name, d)),
            }
        }
        by_name.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let r = IdleReport {
            ms,
            wakeups: by_name.iter().map(|e| e.1).sum(),
            cpu_ms: last.cpu_ms.saturating_sub(first.cpu_ms),
            heartbeat_wakeups: last
                .heartbeat_wakeups
                .saturating_sub(first.heartbeat_wakeups),
        };
        let threads: Vec<String> = by_name
            .iter()
            .filter(|e| e.1 > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let secs = ms as f64 / 1000.0;
        let heartbeat = match &self.heartbeat {
            Some(h) => format!(
                "watchdog heartbeat every {:.1} s ({} wake-ups of its own)",
                h.every_ms as f64 / 1000.0,
                r.heartbeat_wakeups
            ),
            None => "no watchdog".to_string(),
        };
        eprintln!(
            "bitig-kiosk: idle {secs:.1} s on the attract screen: {} wake-ups ({:.2}/s; {}), {} ms CPU, {heartbeat}",
            r.wakeups,
            r.wakeups as f64 / secs,
            threads.join(", "),
            r.cpu_ms
        );
        self.idle_report = Some(r);
    }

    /// Sessions and pages for the statistics, from what is on screen.
    fn count(&mut self) {
        let now = (self.clock)();
        let screen = self.nav.screen;
        if self.counted_screen != Some(screen) {
            match (self.counted_screen, screen) {
                (Some(Screen::Attract), Screen::Language) => self.stats.session_started(now),
                (_, Screen::Attract | Screen::Maintenance) => self.stats.end_session(now),
                _ => {}
            }
            if self.report_idle {
                self.report_idle_wait();
            }
            self.counted_screen = Some(screen);
        }
        if screen == Screen::Reader {
            let n = &self.nav;
            let here = (n.doc, n.edition, n.size, n.page);
            if self.counted_page != Some(here) {
                self.counted_page = Some(here);
                if let Some(d) = self.bundle.documents.get(n.doc) {
                    self.stats.page(now, d.id, n.edition);
                }
            }
        } else if !matches!(screen, Screen::Contents | Screen::PageGrid) {
            self.counted_page = None;
        }
    }

    /// Pushes the state into the UI.
    fn refresh(&mut self, w: &AppWindow) {
        self.count();
        let ui = w.global::<Ui>();
        let screen = self.nav.screen;
        let first_show = self.shown_screen != Some(screen);
        if first_show {
            // Other screens set some of the same properties (the back label).
            self.reader_chrome = None;
            self.page_drawn = None;
        }
        ui.set_screen(screen.index() as i32);
        let b = &self.bundle;
        let lang = self.nav.lang;
        match screen {
            Screen::Attract if first_show => {
                // At rest the kiosk holds only what every visit needs: the last statement's
                // contents list (its labels are up to a megabyte) and its page grid's tiles
                // are made again when asked.
                self.contents_rows = None;
                ui.set_contents(ModelRc::default());
                ui.set_page_numbers(ModelRc::default());
                let titles: Vec<_> = Lang::ALL
                    .iter()
                    .filter_map(|&l| b.ui_text("app.title", l))
                    .collect();
                let mut stack = Stack::new(true);
                for (i, t) in titles.iter().enumerate() {
                    stack = stack.block(&t.block, if i == 0 { 0 } else { 8 });
                }
                ui.set_attract_titles(stack.render(b, images::ink(b), 0));
                self.attract_phase = u64::MAX;
                self.shift_shown = None;
                let lang = Lang::ALL[(((self.clock)() / ATTRACT_CYCLE_MS) % 3) as usize];
                ui.set_attract_touch(images::label(b, "attract.touch", lang));
            }
            Screen::Language if first_show => {
                let labels: Vec<Image> = Lang::ALL
                    .iter()
                    .map(|&l| images::label(b, "lang.name", l))
                    .collect();
                ui.set_language_labels(ModelRc::new(VecModel::from(labels)));
            }
            // The cards are drawn once per language (a touch on the library redraws nothing).
            Screen::Library if first_show || self.cards_shown != Some(lang) => {
                ui.set_library_title(images::label(b, "library.title", lang));
                ui.set_back_label(images::label(b, "reader.back", lang));
                let drawn = &mut self.cards_drawn;
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
                self.cards_shown = Some(lang);
            }
            Screen::Reader => self.refresh_reader(w),
            Screen::Pin => {
                let l = lang;
                ui.set_pin_title(images::label(b, "menu.pin", l));
                ui.set_pin_length(self.nav.pin.len() as i32);
                let wait = self.nav.pin_wait_s((self.clock)());
                self.pin_wait_shown = wait;
                match wait {
                    Some(s) => {
                        ui.set_pin_wrong_label(images::pin_locked_label(b, l, s));
                        ui.set_pin_wrong(true);
                    }
                    None => {
                        ui.set_pin_wrong_label(images::label(b, "menu.wrong-pin", l));
                        ui.set_pin_wrong(self.nav.pin_wrong);
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
            Screen::Operator => {
                ui.set_operator_info(self.operator_info());
                let buttons: Vec<Image> = ["menu.test-pattern", "menu.restart", "menu.close"]
                    .iter()
                    .map(|k| images::label(b, k, lang))
                    .collect();
                ui.set_operator_buttons(ModelRc::new(VecModel::from(buttons)));
            }
            Screen::Maintenance if first_show => {
                ui.set_maintenance(self.maintenance_image());
            }
            Screen::Contents => self.refresh_contents(w),
            // Drawn when it opens: a touch on the grid redraws nothing.
            Screen::PageGrid if first_show => {
                ui.set_pages_title(images::label(b, "pages.title", lang));
                ui.set_back_label(images::label(b, "reader.back", lang));
                let count = self.nav.page_count(&BundleContent(b));
                let muted = b.profile.theme.text;
                while self.page_numbers.len() < usize::from(count) {
                    let n = self.page_numbers.len() + 1;
                    self.page_numbers
                        .push(images::ascii_label(b, &n.to_string(), muted));
                }
                let numbers: Vec<Image> = self.page_numbers[..usize::from(count)].to_vec();
                ui.set_page_numbers(ModelRc::new(VecModel::from(numbers)));
                ui.set_page_current(i32::from(self.nav.page));
            }
            _ => {}
        }
        ui.set_notice_shown(self.notice_until.is_some());
        if screen == Screen::Attract {
            self.apply_attract_shift(w, (self.clock)());
        }
        ui.set_test_pattern_mode(self.test_mode);
        self.show_idle_warning(w);
        self.shown_screen = Some(screen);
    }

    /// The reader. The top bar's labels are drawn again only when what they show changes
    /// (document, languages, size, parallel view); a page turn draws the page and its counter
    /// into reused buffers and allocates nothing (firmware/kiosk/tests/alloc.rs).
    fn refresh_reader(&mut self, w: &AppWindow) {
        let ui = w.global::<Ui>();
        let b = &self.bundle;
        let n = &self.nav;
        let content = BundleContent(b);
        let count = n.page_count(&content).max(1);
        let Some(doc) = b.documents.get(n.doc) else {
            return;
        };
        let page = doc
            .edition(n.edition)
            .and_then(|e| e.layout(n.size))
            .and_then(|l| l.pages.get(usize::from(n.page)));
        let chrome = ReaderChrome {
            doc: n.doc,
            edition: n.edition,
            lang: n.lang,
            size: n.size,
            parallel: n.parallel,
            parallel_available: n.parallel_available(&content),
            count,
        };
        if self.reader_chrome != Some(chrome) {
            ui.set_page_height(f32::from(b.profile.page_height));
            ui.set_back_label(images::label(b, "reader.back", n.lang));
            let names: Vec<Image> = Lang::ALL
                .iter()
                .map(|&l| images::label(b, "lang.name", l))
                .collect();
            let avail: Vec<bool> = Lang::ALL
                .iter()
                .map(|&l| doc.edition(l).is_some())
                .collect();
            ui.set_reader_languages(ModelRc::new(VecModel::from(names)));
            ui.set_reader_language_available(ModelRc::new(VecModel::from(avail)));
            ui.set_reader_language_current(
                Lang::ALL.iter().position(|&l| l == n.edition).unwrap_or(0) as i32,
            );
            ui.set_size_label(images::label(b, "reader.size", n.lang));
            ui.set_parallel_available(chrome.parallel_available);
            ui.set_parallel(n.parallel);
            ui.set_parallel_label(images::label(b, "reader.parallel", n.lang));
            ui.set_contents_label(images::label(b, "reader.contents", n.lang));
            self.counter.prepare(b, count);
            self.reader_chrome = Some(chrome);
        }
        let label = images::counter_text(n.page + 1, count);
        ui.set_page_label(self.counter.render(b, &label, b.profile.theme.muted));
        // While scrubbing, the bar and the bubble show the page under the finger.
        let shown = self.scrub.unwrap_or(n.page);
        ui.set_progress((f32::from(shown) + 1.0) / f32::from(count));
        ui.set_scrubbing(self.scrub.is_some());
        if let Some(p) = self.scrub {
            ui.set_scrub_label(images::ascii_label(
                b,
                &(p + 1).to_string(),
                b.profile.theme.text,
            ));
        }
        ui.set_contents_available(
            doc.edition(n.edition)
                .is_some_and(|e| !e.contents.is_empty()),
        );
        match n.return_to {
            Some(p) => {
                ui.set_return_label(images::number_in_text(
                    b,
                    "reader.return",
                    n.lang,
                    &(p.page + 1).to_string(),
                ));
                ui.set_return_shown(true);
            }
            None => ui.set_return_shown(false),
        }
        let drawn = (n.doc, n.edition, n.size, n.page, n.parallel);
        if self.page_drawn == Some(drawn) {
            return;
        }
        self.page_drawn = Some(drawn);
        // The page image: the old one slides out while the new one slides in.
        if self.slide.is_some() {
            ui.set_page_out(ui.get_page());
        } else {
            ui.set_page_out(Image::default());
            ui.set_page_x(0.0);
            ui.set_page_out_x(0.0);
        }
        let img = if n.parallel {
            let right = n
                .partner_page(&content)
                .and_then(|(l, p)| doc.edition(l)?.layout(n.size)?.pages.get(usize::from(p)));
            self.pages.render_pair(b, page, right)
        } else {
            self.pages.render(b, page)
        };
        ui.set_page(img);
    }

    /// The contents list of the open edition (drawn once per document, edition and size).
    fn refresh_contents(&mut self, w: &AppWindow) {
        let ui = w.global::<Ui>();
        let b = &self.bundle;
        let n = &self.nav;
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
        if self.contents_rows.as_ref().map(|c| c.0) != Some(key) {
            let (ascent, lh) = images::ascii_metrics(b);
            let mut tallest = lh as i32;
            let rows: Vec<ContentsRow> = e
                .contents
                .iter()
                .zip(&pages)
                .map(|(c, &p)| {
                    tallest = tallest.max(i32::from(c.label.height));
                    ContentsRow {
                        label: Stack::new(false)
                            .block(&c.label, 0)
                            .render(b, images::ink(b), 0),
                        page: Stack::new(false)
                            .ascii(b, &(p + 1).to_string(), b.profile.theme.muted, lh)
                            .render(b, images::ink(b), ascent),
                        current: false,
                    }
                })
                .collect();
            // Rows at least a touch target tall (48 px), with room around the text.
            ui.set_contents_row_height((tallest + 16).max(56) as f32);
            self.contents_rows = Some((key, ModelRc::new(VecModel::from(rows))));
        }
        if let Some((_, model)) = &self.contents_rows {
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

    fn operator_info(&self) -> Image {
        let b = &self.bundle;
        let uptime_s = (self.clock)() / 1000;
        let lines = [
            format!("bitig-kiosk {}", env!("CARGO_PKG_VERSION")),
            format!("bundle id\t{}", b.meta.bundle_id),
            format!("hash\t{}", self.hash.get(..32).unwrap_or(&self.hash)),
            format!("\t{}", self.hash.get(32..).unwrap_or("")),
            format!("generator\t{}", b.meta.generator),
            format!("content\t{}", b.meta.content_date),
            format!(
                "profile\t{} {}x{} rot {}",
                b.profile.name,
                b.profile.width,
                b.profile.height,
                self.config.rotation_degrees()
            ),
            format!(
                "uptime\t{:02}:{:02}:{:02}",
                uptime_s / 3600,
                uptime_s / 60 % 60,
                uptime_s % 60
            ),
            {
                // Today's (or, with the clock unset, this start's) and all-time totals.
                let (t, today) = self.stats.today();
                let all = self.stats.all_time();
                format!(
                    "visitors\t{} {}, {} in all; pages {} / {}",
                    t.sessions,
                    if today { "today" } else { "since start" },
                    all.sessions,
                    t.pages,
                    all.pages
                )
            },
            match (&self.error, &self.last_issue) {
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
        let detail = self
            .error
            .as_ref()
            .map(|e| &e.message)
            .or(self.last_issue.as_ref().map(|(_, _, m)| m));
        if let Some(message) = detail {
            // The message wraps at 60 characters; it is ASCII-safe (non-ASCII shows as ?).
            for line in wrap(&short_path(message), 60).iter().take(3) {
                stack = stack.ascii(b, line, b.profile.theme.muted, lh);
            }
        }
        stack.render(b, images::ink(b), ascent)
    }

    fn maintenance_image(&self) -> Image {
        let b = self.fallback.as_ref().unwrap_or(&self.bundle);
        let mut stack = Stack::new(true);
        let mut gap = 0;
        let (title, body) = if self.updating {
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
        if self.updating {
            return stack.render(b, images::ink(b), ascent);
        }
        if let Some(e) = &self.error {
            stack = stack.ascii(b, "", b.profile.theme.muted, 12);
            stack = stack.ascii(b, &format!("[{}]", e.code), b.profile.theme.accent, lh);
            if e.code == "E-CONFIG" {
                // Where the fault is (file:line:col) and what it is, for the operator.
                for line in wrap(&short_path(&e.message), 60).iter().take(3) {
                    stack = stack.ascii(b, line, b.profile.theme.muted, lh);
                }
            }
        }
        stack.render(b, images::ink(b), ascent)
    }
}

/// A message that starts with an absolute path (`/etc/bitig/kiosk.toml:2:12: …`), shown on screen
/// with the file's name only (`kiosk.toml:2:12: …`); the log keeps the whole path.
fn short_path(message: &str) -> String {
    match message.split_once(':') {
        Some((path, rest)) if path.starts_with('/') => {
            let name = path.rsplit('/').next().unwrap_or(path);
            format!("{name}:{rest}")
        }
        _ => message.to_string(),
    }
}

/// Greedy word wrap at `width` characters; words longer than a line are cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = cur.chars().count();
            let room = if used == 0 {
                width
            } else {
                width.saturating_sub(used + 1)
            };
            if word.len() <= room {
                if used > 0 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                break;
            }
            if used == 0 {
                let rest = word.split_off(width);
                lines.push(word.iter().collect());
                word = rest;
            } else {
                lines.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

impl Config {
    fn rotation_degrees(&self) -> u16 {
        match self.rotation {
            crate::config::Rotation::R0 => 0,
            crate::config::Rotation::R90 => 90,
            crate::config::Rotation::R180 => 180,
            crate::config::Rotation::R270 => 270,
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_at_words_and_cuts_long_words() {
        assert_eq!(super::wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(super::wrap("abcdefgh x", 3), ["abc", "def", "gh", "x"]);
        assert!(super::wrap("", 5).is_empty());
    }
}
