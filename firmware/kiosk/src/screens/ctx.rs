//! What every screen reads and changes: the bundle, the config, the navigation state, the
//! statistics and the clock. The app owns one [`Ctx`]; each screen's code takes it by reference.

use crate::clock::Clock;
use crate::config::Config;
use crate::content::LoadError;
use crate::keys::Key;
use crate::nav::{Content, Nav, Screen};
use crate::stats::Stats;
use bitig_format::{Bundle, Lang, TextSize};

/// The last refused update or content rollback: (code, what happened, message).
pub type Issue = (&'static str, &'static str, String);

/// The kiosk's shared state behind every screen.
pub struct Ctx {
    pub bundle: Bundle<'static>,
    /// The bundle's hash (hex), or `-` on the maintenance screen.
    pub hash: String,
    /// The built-in bundle the maintenance screen draws with, when the real one was refused.
    pub fallback: Option<Bundle<'static>>,
    /// Why the real bundle was refused.
    pub error: Option<LoadError>,
    pub config: Config,
    pub nav: Nav,
    pub stats: Stats,
    pub clock: Clock,
    /// An update is being read or written: the progress screen is up.
    pub updating: bool,
    /// The operator asked for a restart, or an update was installed.
    pub restart_requested: bool,
    pub last_issue: Option<Issue>,
    /// The voice's volume, 0 to [`VOLUME_MAX`] (the keypad's − and +); back to
    /// [`VOLUME_DEFAULT`] when a visitor's session ends.
    pub volume: u8,
    /// The last key pressed: its Linux code and the key it stands for (the operator menu's
    /// key tester).
    pub last_key: Option<(u16, Option<Key>)>,
    /// The voice: the speech part beside the bundle, played to the headphones.
    pub voice: crate::audio::Voice,
    /// The page turn's slide, shared with the platform that copies it into frames.
    pub slide: std::rc::Rc<crate::slide::Layer>,
}

/// The speeds' names (UI strings), slow, normal and fast: said when the speed changes, and
/// when the keys reach the reader's speed button.
pub const SPEED_NAMES: [&str; 3] = ["voice.slow", "voice.normal", "voice.fast"];
/// The reader's speed button's labels, slow, normal and fast ("0.8×", "1×", "1.25×").
pub const SPEED_LABELS: [&str; 3] = [
    "reader.speed.slow",
    "reader.speed.normal",
    "reader.speed.fast",
];

/// The loudest volume step.
pub const VOLUME_MAX: u8 = 10;
/// The volume each visitor starts with.
pub const VOLUME_DEFAULT: u8 = 6;

impl Ctx {
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Renders the voice up to now; the sound card's underruns since go to the statistics.
    pub fn pump_voice(&mut self) {
        let now = self.now();
        self.voice.pump(now, self.volume);
        let dry = self.voice.take_underruns();
        self.stats.underruns(now, dry);
    }

    /// Says each of `all` in turn now, cutting what was being said (nothing without a
    /// speech part).
    pub fn say(&mut self, all: &[bitig_format::speech::Said<'_>]) {
        let now = self.now();
        self.voice.say_all(now, self.volume, all);
    }

    /// Says the UI string `key` in Kazakh, Turkish and English in turn (the welcome, the
    /// maintenance screen's message), cutting what was being said.
    pub fn say_in_every_language(&mut self, key: &'static str) {
        let all = Lang::ALL.map(|lang| bitig_format::speech::Said::Ui { key, lang });
        self.say(&all);
    }

    /// The speed key (or the reader's speed button): slow, normal and fast in turn. A
    /// reading of the page goes on at the new speed from the start of its sentence; otherwise
    /// the voice says the new speed's name at that speed (on a visitor's screen: the PIN pad
    /// stays silent).
    pub fn change_speed(&mut self) {
        use bitig_format::speech::{Said, SPEEDS};
        let speed = (self.voice.speed() + 1) % SPEEDS;
        let reading = self.voice.on_text();
        let now = self.now();
        self.voice.set_speed(now, self.volume, speed);
        let visitor = self.nav.screen.is_visitor() || self.nav.screen == Screen::Attract;
        if !reading && visitor {
            let key = SPEED_NAMES[usize::from(speed)];
            let lang = self.nav.lang;
            self.voice.say(now, self.volume, &Said::Ui { key, lang });
        }
    }

    /// Stops the voice now.
    pub fn stop_voice(&mut self) {
        let now = self.now();
        self.voice.stop(now, self.volume);
    }

    /// The bundle as the navigation state machine sees it.
    pub fn content(&self) -> BundleContent<'_> {
        BundleContent(&self.bundle)
    }

    /// Asks the event loop to end with a restart (the operator's Restart, an installed update).
    pub fn request_restart(&mut self) {
        self.restart_requested = true;
        let _ = slint::quit_event_loop();
    }
}

/// Runs a visitor's action on the kiosk: the app notes the touch (or key), runs `f` on the
/// shared state and on `S`, the screen's own state, then redraws what changed and sets its
/// timers. Screens wire their controls through it (`wire` in each screen's module), so they
/// never name the app, nor each other's state. A screen with no state of its own takes
/// `Act<()>`.
pub trait Act<S>: Clone + 'static {
    fn act(&self, f: impl FnOnce(&mut Ctx, &mut S));
}

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

/// The language at index `i` of `Lang::ALL` (the UI's language buttons).
pub fn lang_of(i: i32) -> Option<Lang> {
    Lang::ALL.get(usize::try_from(i).ok()?).copied()
}
