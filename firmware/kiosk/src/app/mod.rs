//! The kiosk's state machine and its wiring: the bundle, the screens (src/screens/, one
//! module each) and the Slint UI. Rust talks to the UI only through the `Theme` and `Ui`
//! globals. A visitor's action runs through [`Act`]: note the touch, act, redraw what changed,
//! set the timers. Timers and the USB worker wake it through `on_timer`.

mod idle_report;
mod timers;
mod updates;
mod watch;

pub use crate::content::{check_panel, load_bundle, load_bundle_checked, LoadError, Loaded};
pub use crate::screens::attract::ATTRACT_CYCLE_MS;
pub use crate::screens::idle_warning::IDLE_WARNING_MS;
pub use crate::screens::notice::NOTICE_MS;
pub use crate::screens::operator::CORNER_HOLD_MS;
pub use crate::screens::reader::SLIDE_MS;
pub use crate::screens::BundleContent;
pub use idle_report::{IdleReport, IDLE_REPORT_MIN_MS};
pub use timers::{Wakeups, FRAME_MS};

use crate::clock::Clock;
use crate::config::Config;
use crate::nav::{Nav, Screen};
use crate::screens::{self, Act, Ctx, Screens};
use crate::stats::{self, Stats};
use crate::{AppWindow, Theme, Ui};
use bitig_format::{Bundle, Lang, Rgb, TextSize};
use idle_report::IdleWatch;
use slint::ComponentHandle;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use timers::{Heartbeat, Timers, Wake};
use updates::Updates;
use watch::Watched;
pub use watch::{banner_path, same_place};

/// The pre-shaped strings for the maintenance screen, used when the real bundle is refused.
/// Built by `bitig build --fallback` (see `tools/cli`); a test checks it is up to date.
pub static FALLBACK_BUNDLE: &[u8] = include_bytes!("../../fallback.bundle");
/// The fallback bundle's speech part: its maintenance and update messages in the three
/// languages (`bitig build --fallback` writes it beside the bundle).
pub static FALLBACK_SPEECH: &[u8] = include_bytes!("../../fallback.speech");

/// A control as Slint laid it out: name, x, y, width, height (logical px).
pub type Control = (String, f32, f32, f32, f32);

/// How the kiosk is run, beyond its config.
#[derive(Default)]
pub struct Options {
    /// The update worker takes a step only when the UI asks (the headless kiosk's virtual
    /// clock; see `content::updater`).
    pub lockstep_updates: bool,
    /// How a stick's file is opened (tests make it slow); `StickFile::open` if `None`.
    pub open_stick: Option<crate::content::updater::OpenStick>,
    /// The board's wall clock for the statistics' hours; the system clock if `None`.
    pub wall_clock: Option<stats::WallClock>,
    /// Keys come from the platform's own reader (the device's libinput, through
    /// [`Kiosk::key`]), so the key events Slint delivers are dropped.
    pub own_key_input: bool,
    /// Log how often the process woke while the attract screen stood alone, when a visitor
    /// ends a wait of at least [`IDLE_REPORT_MIN_MS`] (the interactive kiosk, whose clock is
    /// real; the QEMU boot test reads the line).
    pub report_idle: bool,
    /// Where the voice's samples go (the headless kiosk's record); none: nowhere.
    pub audio_out: Option<Box<dyn crate::audio::Sink>>,
}

/// Kiosk state behind the UI.
pub struct State {
    ctx: Ctx,
    screens: Screens,
    updates: Updates,
    timers: Timers,
    /// The systemd watchdog's heartbeat, if the kiosk runs under one.
    heartbeat: Option<Heartbeat>,
    /// Writes the statistics off the UI thread (content slots folder only).
    stats_writer: Option<stats::Writer>,
    /// What the statistics last counted: the screen, and the page on screen.
    counted_screen: Option<Screen>,
    counted_page: Option<(usize, Lang, TextSize, u16)>,
    /// The idle report's marks, if idle reports are on.
    idle: Option<IdleWatch>,
    /// Controls as laid out, while a test records them.
    controls: Option<Vec<Control>>,
    /// See [`Options::own_key_input`].
    own_key_input: bool,
}

/// The running kiosk: the Slint window and its state.
pub struct Kiosk {
    pub window: AppWindow,
    pub state: Rc<RefCell<State>>,
}

/// The app's [`Act`]: a visitor's action on the running kiosk.
#[derive(Clone)]
struct Acting {
    window: slint::Weak<AppWindow>,
    state: Rc<RefCell<State>>,
}

impl<S> Act<S> for Acting
where
    Screens: AsMut<S>,
{
    fn act(&self, f: impl FnOnce(&mut Ctx, &mut S)) {
        crate::hot::ours(|| {
            let Some(w) = self.window.upgrade() else {
                return;
            };
            let mut guard = self.state.borrow_mut();
            let s: &mut State = &mut guard;
            let now = s.ctx.now();
            s.ctx.nav.touched(now);
            // A touch hides the focus ring until the next key.
            s.screens.focus.shown = false;
            f(&mut s.ctx, s.screens.as_mut());
            s.refresh(&w);
            s.reschedule();
        });
    }
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
        mut options: Options,
    ) -> anyhow::Result<Kiosk> {
        let window = AppWindow::new()?;
        let (ctx, stats_writer) = ctx(
            loaded,
            config,
            clock,
            options.wall_clock.take(),
            options.audio_out.take(),
        )?;
        set_theme(&window, &ctx.bundle);
        let screens = Screens::new(&ctx);
        let updates = Updates::start(&ctx, options.lockstep_updates, options.open_stick.take());
        let weak = window.as_weak();
        let state = Rc::new_cyclic(|me: &std::rc::Weak<RefCell<State>>| {
            let me = me.clone();
            let timers = Timers::new(move |why| fire(&weak, &me, why));
            RefCell::new(State {
                ctx,
                screens,
                updates,
                timers,
                heartbeat: None,
                stats_writer,
                counted_screen: None,
                counted_page: None,
                idle: options.report_idle.then(IdleWatch::default),
                controls: None,
                own_key_input: options.own_key_input,
            })
        });
        wire(&window, &state);
        state.borrow_mut().refresh(&window);
        state.borrow_mut().reschedule();
        Ok(Kiosk { window, state })
    }

    /// A key went down (`pressed`) or up: `code` is its Linux key code
    /// (`linux/input-event-codes.h`), mapped by the config's `[keys]`. The device's key
    /// reader and the headless script call this; the simulator's keys come through Slint.
    pub fn key(&self, code: u16, pressed: bool) {
        key(&self.window.as_weak(), &self.state, code, pressed);
    }

    /// What the device's key thread calls on the UI thread: [`Kiosk::key`], or, for code
    /// `u16::MAX`, every key up (a keyboard went).
    pub fn key_sink(&self) -> impl Fn(u16, bool) + 'static {
        let (w, st) = (self.window.as_weak(), Rc::downgrade(&self.state));
        move |code, pressed| {
            let Some(st) = st.upgrade() else {
                return;
            };
            if code == u16::MAX {
                if let Ok(mut s) = st.try_borrow_mut() {
                    s.screens.keys.reset();
                    s.reschedule();
                }
            } else {
                key(&w, &st, code, pressed);
            }
        }
    }

    /// A sound card came (see [`crate::screens::Screens::card_added`]).
    pub fn card_added(&self) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            crate::hot::ours(|| s.on_card(&self.window));
        }
    }

    /// What the device's sound card watch calls on the UI thread: [`Kiosk::card_added`].
    pub fn card_sink(&self) -> impl Fn() + 'static {
        let (w, st) = (self.window.as_weak(), Rc::downgrade(&self.state));
        move || {
            if let (Some(w), Some(st)) = (w.upgrade(), st.upgrade()) {
                if let Ok(mut s) = st.try_borrow_mut() {
                    crate::hot::ours(|| s.on_card(&w));
                }
            }
        }
    }

    /// The code the config's key map gives `key` first (the headless script's `key up`).
    pub fn code_for(&self, key: crate::keys::Key) -> Option<u16> {
        self.state.borrow().ctx.config.keys.code(key)
    }

    /// The focused control's name (as it reports itself when laid out), and whether its
    /// ring is shown.
    pub fn focus(&self) -> (String, bool) {
        let s = self.state.borrow();
        let f = s.screens.focus;
        (screens::focus::name(f.id), f.shown)
    }

    /// The controls of the screen on show, in the order the keys move through them.
    pub fn focus_order(&self) -> Vec<String> {
        let s = self.state.borrow();
        let mut out = Vec::new();
        screens::focus_order(s.ctx.nav.screen, &s.ctx, &mut |id| {
            out.push(screens::focus::name(id))
        });
        out
    }

    /// Whether the voice is speaking now (its samples are rendered up to now first).
    pub fn speaking(&self) -> bool {
        let mut s = self.state.borrow_mut();
        s.ctx.pump_voice();
        s.ctx.voice.speaking()
    }

    /// What the voice is saying: a block or a UI string.
    pub fn saying(&self) -> Option<bitig_format::speech::Said<'static>> {
        self.state.borrow().ctx.voice.said()
    }

    /// The sentence the voice is on.
    pub fn spoken_sentence(&self) -> Option<crate::audio::Spoken> {
        self.state.borrow().ctx.voice.sentence()
    }

    /// The voice's volume step (the keypad's − and +).
    pub fn volume(&self) -> u8 {
        self.state.borrow().ctx.volume
    }

    /// The voice's speed: 0 slow, 1 normal, 2 fast (the speed key).
    pub fn speed(&self) -> u8 {
        self.state.borrow().ctx.voice.speed()
    }

    /// The last idle report (with [`Options::report_idle`]).
    pub fn idle_report(&self) -> Option<IdleReport> {
        self.state.borrow().idle.as_ref().and_then(|i| i.report)
    }

    /// Sends `send` (systemd's `WATCHDOG=1`) from the UI thread at least every `every`, as
    /// one of the kiosk's deadlines (see `Heartbeat`); a hung UI thread stops it. Sends once
    /// now.
    pub fn set_heartbeat(&self, every: Duration, send: Box<dyn Fn()>) {
        let mut s = self.state.borrow_mut();
        let now = s.ctx.now();
        s.heartbeat = Some(Heartbeat::start(every, send, now));
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
        self.state.borrow().ctx.last_issue.as_ref().map(|i| i.0)
    }

    /// From now on, keep every control Slint lays out (the touch-target test).
    pub fn record_controls(&self) {
        self.state.borrow_mut().controls = Some(Vec::new());
    }

    /// The controls laid out since the last call (with [`Kiosk::record_controls`]).
    pub fn take_controls(&self) -> Vec<Control> {
        let mut s = self.state.borrow_mut();
        s.controls.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The message on screen (its ASCII lines), if one is up.
    pub fn notice(&self) -> Option<String> {
        let s = self.state.borrow();
        let n = &s.screens.notice;
        n.until.map(|_| n.text.clone())
    }

    /// The statistics so far.
    pub fn stats_csv(&self) -> String {
        self.state.borrow().ctx.stats.csv()
    }

    /// Hands the statistics to their writer and waits until they are written (the kiosk is
    /// about to stop). Counts a session in progress as ended.
    pub fn shutdown(&self) {
        let mut s = self.state.borrow_mut();
        let now = s.ctx.now();
        s.ctx.stats.end_session(now);
        let record = s.ctx.stats.take_record();
        if let Some(w) = s.stats_writer.take() {
            w.save(record);
            drop(w); // joins: the record is on the card when this returns
        }
    }

    /// A page is sliding in.
    pub fn sliding(&self) -> bool {
        self.state.borrow().screens.reader.sliding()
    }

    /// The kiosk's clock (milliseconds since start).
    pub fn clock(&self) -> Clock {
        self.state.borrow().ctx.clock.clone()
    }

    /// The page turn's slide: a platform that copies the sliding pages into its frames takes
    /// it at start and calls [`Layer::set_composed`](crate::slide::Layer::set_composed).
    pub fn slide_layer(&self) -> Rc<crate::slide::Layer> {
        self.state.borrow().ctx.slide.clone()
    }

    /// How many library card images were drawn since start.
    pub fn cards_drawn(&self) -> u64 {
        self.state.borrow().screens.library.drawn
    }

    /// How often the timers fired since start.
    pub fn wakeups(&self) -> Wakeups {
        self.state.borrow().timers.counts
    }

    /// UI size in pixels: the bundle's panel size, or, on the maintenance screen (when there
    /// is no usable bundle), the size the configured profile's name ends in (`…-800x480`).
    pub fn size(&self) -> (u32, u32) {
        let s = self.state.borrow();
        let p = &s.ctx.bundle.profile;
        let from_bundle = (u32::from(p.width), u32::from(p.height));
        if s.ctx.error.is_some() {
            crate::config::profile_size(&s.ctx.config.profile).unwrap_or(from_bundle)
        } else {
            from_bundle
        }
    }

    pub fn screen(&self) -> Screen {
        self.state.borrow().ctx.nav.screen
    }

    /// The reader's page (0-based) and whether the parallel view is on.
    pub fn page(&self) -> (u16, bool) {
        let s = self.state.borrow();
        (s.ctx.nav.page, s.ctx.nav.parallel)
    }

    /// The content slots folder of the config, if any.
    pub fn content_dir(&self) -> Option<std::path::PathBuf> {
        self.state.borrow().ctx.config.content_dir.clone()
    }

    pub fn restart_requested(&self) -> bool {
        self.state.borrow().ctx.restart_requested
    }
}

/// The editor's live preview (`--watch`, see `app/watch.rs`).
impl Kiosk {
    /// Shows each new version of `bundle` in place, and the error banner `bitig watch`
    /// writes beside it, from now on. Shows the banner if one is there already.
    pub fn watch(&self, bundle: &std::path::Path, trusted: Vec<[u8; 32]>) -> std::io::Result<()> {
        let mut watched = Watched::new(bundle, trusted);
        self.show_banner(watched.banner().as_deref());
        let (w, st) = (self.window.as_weak(), Rc::downgrade(&self.state));
        watch::spawn(
            bundle,
            Box::new(move || {
                let (Some(window), Some(state)) = (w.upgrade(), st.upgrade()) else {
                    return;
                };
                let kiosk = Kiosk { window, state };
                kiosk.show_banner(watched.banner().as_deref());
                let profile = kiosk.state.borrow().ctx.config.profile.clone();
                let at = watched.bundle.display().to_string();
                match watched.changed(&profile) {
                    None => {}
                    Some(Ok(l)) => {
                        kiosk.reload(l);
                        eprintln!("bitig-kiosk: {at} shown again");
                    }
                    Some(Err(e)) => eprintln!(
                        "bitig-kiosk: {at} not shown [{}]: {}; the last bundle stays",
                        e.code, e.message
                    ),
                }
            }),
        )
    }

    /// Shows `loaded` in place of the bundle on show: the same statement, edition and size,
    /// on the page that holds the text at the top of the page on show ([`same_place`]).
    pub fn reload(&self, loaded: Loaded) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            crate::hot::ours(|| s.reload(&self.window, loaded));
        }
    }

    /// Shows the banner `png` at the foot of the panel, or none; a picture that does not
    /// decode shows none.
    pub fn show_banner(&self, png: Option<&[u8]>) {
        let image = png.and_then(watch::decode_png).unwrap_or_default();
        self.window.global::<Ui>().set_watch_banner(image);
    }
}

/// The shared state over the loaded bundle, or over the built-in fallback bundle (the
/// maintenance screen) if it was refused; and the statistics' writer.
fn ctx(
    loaded: Result<Loaded, LoadError>,
    mut config: Config,
    clock: Clock,
    wall: Option<stats::WallClock>,
    audio_out: Option<Box<dyn crate::audio::Sink>>,
) -> anyhow::Result<(Ctx, Option<stats::Writer>)> {
    let (bundle, hash, fallback, error, speech) = match loaded {
        Ok(l) => {
            if let Some(e) = l.speech_error {
                config.startup_issue.get_or_insert((e.code, e.message));
            }
            (l.bundle, l.hash, None, None, l.speech)
        }
        Err(e) => {
            eprintln!("bitig-kiosk: bundle refused [{}]: {}", e.code, e.message);
            let fb = Bundle::from_bundle_bytes(FALLBACK_BUNDLE)
                .map_err(|e| anyhow::anyhow!("the built-in fallback bundle is invalid: {e}"))?;
            let speech = fallback_speech(&fb);
            (fb.clone(), "-".to_string(), Some(fb), Some(e), speech)
        }
    };
    let mut nav = Nav::new(config.idle_timeout_ms, error.is_some());
    if let Some(dir) = &config.content_dir {
        nav.pin_restore(crate::content::load_pin_failures(dir), clock());
    }
    let last_issue = config.startup_issue.take().map(|(code, message)| {
        let what = match code {
            "E-CRASHLOOP" => "crash loop: previous content",
            "W-CONFIG" => "config key ignored",
            _ if message.contains(".speech: ") => "speech part refused: no voice",
            _ => "content rolled back",
        };
        (code, what, message)
    });
    let (stats, writer) = open_stats(&config, &bundle, &clock, wall);
    let ctx = Ctx {
        bundle,
        hash,
        fallback,
        error,
        config,
        nav,
        stats,
        clock,
        updating: false,
        restart_requested: false,
        last_issue,
        volume: screens::ctx::VOLUME_DEFAULT,
        last_key: None,
        voice: crate::audio::Voice::new(speech, audio_out),
        slide: Default::default(),
    };
    let mut ctx = ctx;
    let now = ctx.now();
    ctx.voice.start_clock(now);
    Ok((ctx, writer))
}

/// The built-in fallback's speech part, if it decodes and belongs to the fallback bundle (a
/// test checks both; the maintenance screen stays silent rather than fail).
fn fallback_speech(fb: &Bundle<'static>) -> Option<bitig_format::speech::Speech<'static>> {
    let hash = bitig_format::Header::from_bundle_bytes(FALLBACK_BUNDLE)
        .ok()?
        .hash;
    let speech = bitig_format::speech::Speech::from_speech_bytes(FALLBACK_SPEECH).ok()?;
    speech.check_belongs(&hash, fb).ok()?;
    Some(speech)
}

fn rgb(c: Rgb) -> slint::Color {
    slint::Color::from_rgb_u8(c.0, c.1, c.2)
}

fn set_theme(window: &AppWindow, bundle: &Bundle<'_>) {
    let theme = bundle.profile.theme;
    let t = window.global::<Theme>();
    t.set_background(rgb(theme.background));
    t.set_surface(rgb(theme.surface));
    t.set_text(rgb(theme.text));
    t.set_muted(rgb(theme.muted));
    t.set_accent(rgb(theme.accent));
    t.set_title(rgb(theme.title));
    t.set_focus(rgb(screens::focus::ring_colour(&theme)));
}

/// The statistics record from the content folder (if the config has one), and its writer.
fn open_stats(
    config: &Config,
    bundle: &Bundle<'static>,
    clock: &Clock,
    wall: Option<stats::WallClock>,
) -> (Stats, Option<stats::Writer>) {
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
    let writer = match stats::Writer::spawn(path, Box::new(bitig_io::RealFs)) {
        Ok(w) => Some(w),
        Err(e) => {
            eprintln!("bitig-kiosk: cannot start the statistics writer: {e}; they are not kept");
            None
        }
    };
    (st, writer)
}

/// A key from any platform: see [`Kiosk::key`].
fn key(w: &slint::Weak<AppWindow>, st: &Rc<RefCell<State>>, code: u16, pressed: bool) {
    if let (Some(w), Ok(mut s)) = (w.upgrade(), st.try_borrow_mut()) {
        crate::hot::ours(|| s.on_key(&w, code, pressed));
    }
}

fn fire(w: &slint::Weak<AppWindow>, st: &std::rc::Weak<RefCell<State>>, why: Wake) {
    if let (Some(w), Some(st)) = (w.upgrade(), st.upgrade()) {
        crate::hot::ours(|| st.borrow_mut().on_timer(&w, why));
    }
}

/// Every screen's controls, the worker's wake-ups, and the touch-target test's hook.
fn wire(window: &AppWindow, state: &Rc<RefCell<State>>) {
    let ui = window.global::<Ui>();
    let act = Acting {
        window: window.as_weak(),
        state: state.clone(),
    };
    screens::wire(&ui, &act);
    // The simulator's keyboard (and Slint's own key events on any platform whose keys do not
    // come from its own reader).
    let (weak, st) = (window.as_weak(), Rc::downgrade(state));
    ui.on_key(move |text, pressed| {
        let Some(st) = st.upgrade() else {
            return;
        };
        let own = st.try_borrow().is_ok_and(|s| s.own_key_input);
        if let (false, Some(code)) = (own, crate::keys::code_of_text(&text)) {
            key(&weak, &st, code, pressed);
        }
    });
    // The touch-target test reads these (Kiosk::take_controls); the kiosk needs nothing of them.
    let st = state.clone();
    ui.on_control(move |name, x, y, w, h| {
        if let Ok(mut s) = st.try_borrow_mut() {
            if let Some(c) = &mut s.controls {
                c.push((name.to_string(), x, y, w, h));
            }
        }
    });
    // The worker's events reach the UI thread through the event loop.
    let (weak, st) = (window.as_weak(), Rc::downgrade(state));
    updates::set_pump(Box::new(move || fire(&weak, &st, Wake::Worker)));
}

impl State {
    /// See [`Kiosk::reload`]. A statement or edition that is gone sends the reader to the
    /// library; from the maintenance screen, the kiosk starts over on the new bundle.
    fn reload(&mut self, w: &AppWindow, loaded: Loaded) {
        let c = &mut self.ctx;
        let now = c.now();
        let place = same_place(&c.bundle, &loaded.bundle, &c.nav);
        c.voice.replace_speech(now, c.volume, loaded.speech);
        c.bundle = loaded.bundle;
        c.hash = loaded.hash;
        if c.error.take().is_some() {
            c.fallback = None;
            c.nav = Nav::new(c.config.idle_timeout_ms, false);
        }
        let n = &mut c.nav;
        match place {
            Some((doc, page)) => (n.doc, n.page) = (doc, page),
            None if matches!(
                n.screen,
                Screen::Reader | Screen::Contents | Screen::PageGrid
            ) =>
            {
                (n.screen, n.doc, n.page) = (Screen::Library, 0, 0);
            }
            None => (n.doc, n.page) = (0, 0),
        }
        // The same page, in a bundle with other page numbers, is not a new page read.
        self.counted_page =
            (n.screen == Screen::Reader).then_some((n.doc, n.edition, n.size, n.page));
        set_theme(w, &c.bundle);
        self.screens = Screens::new(&self.ctx);
        self.refresh(w);
        self.reschedule();
    }

    /// A key went down or up.
    fn on_card(&mut self, w: &AppWindow) {
        self.screens.card_added(&mut self.ctx);
        self.refresh(w);
        self.reschedule();
    }

    fn on_key(&mut self, w: &AppWindow, code: u16, pressed: bool) {
        let now = self.ctx.now();
        let key = self.ctx.config.keys.key(code);
        if pressed {
            self.ctx.last_key = Some((code, key));
        }
        let Some(key) = key else {
            return;
        };
        let act = if pressed {
            self.screens.key_down(&mut self.ctx, key);
            self.screens.keys.press(key, now)
        } else {
            self.screens.keys.release(key)
        };
        match act {
            Some(act) => {
                self.ctx.nav.touched(now);
                self.screens.key(&mut self.ctx, act);
            }
            // Nothing changed but the key tester's line, shown on the operator screen only.
            None if !(pressed && self.ctx.nav.screen == Screen::Operator) => {
                self.reschedule();
                return;
            }
            None => {}
        }
        self.refresh(w);
        self.reschedule();
    }

    /// A timer fired (or the update worker woke the event loop).
    fn on_timer(&mut self, w: &AppWindow, why: Wake) {
        self.timers.fired(why);
        let now = self.ctx.now();
        if let Some(h) = &mut self.heartbeat {
            h.beat(now);
        }
        if self.ctx.nav.screen == Screen::Attract {
            let own = self.heartbeat.as_ref().map_or(0, |h| h.own_wakeups);
            if let Some(idle) = &mut self.idle {
                idle.mark(now, own);
            }
        }
        self.tick(w);
        self.reschedule();
    }

    fn tick(&mut self, w: &AppWindow) {
        let now = self.ctx.now();
        let ui = w.global::<Ui>();
        let mut dirty = self.updates.pump(&ui, &mut self.ctx, &mut self.screens);
        // Unsaved counts go to the card at most a minute after they changed.
        if self.ctx.stats.flush_due().is_some_and(|t| now >= t) {
            let record = self.ctx.stats.take_record();
            if let Some(writer) = &self.stats_writer {
                writer.save(record);
            }
        }
        dirty |= self.screens.tick(&ui, &mut self.ctx, now);
        if dirty {
            self.refresh(w);
        }
    }

    /// Something moves: the page slides, or an update's progress bar fills (in lockstep also
    /// while the worker has a step to take).
    fn moving(&self) -> bool {
        self.screens.reader.needs_frame_timer(&self.ctx)
            || self.updates.busy(self.ctx.updating)
            || self.ctx.voice.speaking()
    }

    /// Runs the frame timer while something moves and sets the single-shot timer to the next
    /// deadline: the screens', the statistics' (counts that changed are written within a
    /// minute, if there is a folder to write them to) and the heartbeat's.
    fn reschedule(&mut self) {
        let now = self.ctx.now();
        let next = [
            self.screens.next_deadline(&self.ctx, now),
            self.stats_writer
                .as_ref()
                .and_then(|_| self.ctx.stats.flush_due()),
            self.heartbeat.as_ref().map(Heartbeat::deadline),
        ]
        .into_iter()
        .flatten()
        .min();
        let moving = self.moving();
        self.timers.set(moving, next, now);
        let slide_end = self.screens.reader.slide_end(&self.ctx);
        self.timers.set_slide_end(slide_end, now);
    }

    /// Sessions and pages for the statistics, from what is on screen.
    fn count(&mut self) {
        let c = &mut self.ctx;
        let now = c.now();
        let screen = c.nav.screen;
        if self.counted_screen != Some(screen) {
            match (self.counted_screen, screen) {
                (Some(Screen::Attract), Screen::Language) => c.stats.session_started(now),
                (_, Screen::Attract | Screen::Maintenance) => {
                    c.stats.end_session(now);
                    c.voice.stop(now, c.volume);
                    c.volume = screens::ctx::VOLUME_DEFAULT;
                    c.voice
                        .set_speed(now, c.volume, bitig_format::speech::NORMAL_SPEED);
                }
                _ => {}
            }
            if let Some(idle) = &mut self.idle {
                idle.end(self.heartbeat.as_ref().map(|h| h.every_ms));
            }
            self.counted_screen = Some(screen);
        }
        if screen == Screen::Reader {
            let n = &c.nav;
            let here = (n.doc, n.edition, n.size, n.page);
            if self.counted_page != Some(here) {
                self.counted_page = Some(here);
                if let Some(d) = c.bundle.documents.get(n.doc) {
                    c.stats.page(now, d.id, n.edition);
                }
            }
        } else if !matches!(screen, Screen::Contents | Screen::PageGrid) {
            self.counted_page = None;
        }
    }

    /// Pushes the state into the UI.
    fn refresh(&mut self, w: &AppWindow) {
        self.count();
        self.screens.refresh(&w.global::<Ui>(), &self.ctx);
    }
}
