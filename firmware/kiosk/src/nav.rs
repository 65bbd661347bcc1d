//! The kiosk's navigation state machine: plain Rust, no Slint, fixed-size state.
//!
//! The UI reports what the visitor did (`wake`, `choose_language`, `next`, ...), and the
//! clock (`tick`); this module decides which screen, document, language, size and page are
//! shown. Content questions (how many pages, which page holds paragraph n) go through the
//! [`Content`] trait, so the tests use a fake and the kiosk uses the bundle.

use bitig_format::{Lang, TextSize};

/// Which screen is up. The numbers are the screens' numbers in ui/app.slint (`Ui.screen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Attract = 0,
    Language = 1,
    Library = 2,
    Reader = 3,
    Pin = 4,
    Operator = 5,
    TestPattern = 6,
    Maintenance = 7,
    /// The open edition's contents list, over the reader.
    Contents = 8,
    /// Numbered tiles, one per page, over the reader.
    PageGrid = 9,
}

impl Screen {
    /// Every screen, in `index()` order.
    pub const ALL: [Screen; 10] = [
        Screen::Attract,
        Screen::Language,
        Screen::Library,
        Screen::Reader,
        Screen::Pin,
        Screen::Operator,
        Screen::TestPattern,
        Screen::Maintenance,
        Screen::Contents,
        Screen::PageGrid,
    ];

    /// A screen a visitor uses (the idle warning and reset apply).
    pub fn is_visitor(self) -> bool {
        matches!(
            self,
            Screen::Language
                | Screen::Library
                | Screen::Reader
                | Screen::Contents
                | Screen::PageGrid
        )
    }

    /// The screen's number: `Ui.screen` in ui/app.slint, and the soak report's slot.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What the kiosk must know about the content to navigate it.
pub trait Content {
    fn doc_count(&self) -> usize;
    fn has_edition(&self, doc: usize, lang: Lang) -> bool;
    /// Pages of an edition at a size (0 if absent).
    fn page_count(&self, doc: usize, lang: Lang, size: TextSize) -> u16;
    /// The body paragraph a page starts in (its anchor), or `None` before the body.
    fn anchor(&self, doc: usize, lang: Lang, size: TextSize, page: u16) -> Option<u16>;
    /// The page on which body paragraph `anchor` starts (clamped to the edition).
    fn page_of(&self, doc: usize, lang: Lang, size: TextSize, anchor: u16) -> u16;
    /// The first body paragraph that begins on a page (not one continued from the page
    /// before), if any. The side-by-side view pairs pages on it.
    fn first_start(&self, doc: usize, lang: Lang, size: TextSize, page: u16) -> Option<u16> {
        self.anchor(doc, lang, size, page)
    }
    /// Entries in an edition's contents list (0 if absent).
    fn contents_len(&self, doc: usize, lang: Lang) -> usize;
    /// The page contents entry `entry` opens at a size.
    fn contents_page(&self, doc: usize, lang: Lang, size: TextSize, entry: usize) -> Option<u16>;
}

/// Where a visitor is in a document: what "Back to page N" returns to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The visitor's language (the chrome's).
    pub lang: Lang,
    pub edition: Lang,
    pub size: TextSize,
    pub parallel: bool,
    /// The edition the visitor put beside the open one (side by side), if any.
    pub partner: Option<Lang>,
    pub page: u16,
}

/// The page under a finger at `x` on a progress bar `width` long, for `count` pages: the bar
/// is cut into `count` equal parts.
pub fn scrub_page(x: f32, width: f32, count: u16) -> u16 {
    if count == 0 || width <= 0.0 || x.is_nan() {
        return 0;
    }
    let part = (x / width * f32::from(count)).floor();
    part.clamp(0.0, f32::from(count - 1)) as u16
}

/// A page turn, for the slide animation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    None,
    Next,
    Prev,
}

/// How a touch on the page area is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gesture {
    Next,
    Prev,
    Nothing,
}

/// A swipe moves at least this far horizontally (px; 9 mm on a 7" 800x480 panel is 48 px).
pub const SWIPE_MIN_PX: i32 = 48;
/// Taps in the outer fifth of the page turn it.
pub const EDGE_FRACTION_PERCENT: i32 = 20;

/// Reads a press at (`x0`, `y0`) released at (`x1`, `y1`) on a page `width` wide: a
/// horizontal swipe (left = next), or a tap near an edge, or nothing.
pub fn classify(x0: i32, y0: i32, x1: i32, y1: i32, width: i32) -> Gesture {
    let (dx, dy) = (x1 - x0, y1 - y0);
    if dx.abs() >= SWIPE_MIN_PX && dx.abs() > dy.abs() {
        return if dx < 0 { Gesture::Next } else { Gesture::Prev };
    }
    if dx.abs() >= SWIPE_MIN_PX || dy.abs() >= SWIPE_MIN_PX {
        return Gesture::Nothing; // a vertical drag or a sloppy swipe: not a tap
    }
    let edge = width * EDGE_FRACTION_PERCENT / 100;
    if x1 >= width - edge {
        Gesture::Next
    } else if x1 < edge {
        Gesture::Prev
    } else {
        Gesture::Nothing
    }
}

/// The longest PIN the pad accepts.
pub const PIN_MAX: usize = 8;
/// Wrong PINs allowed before the pad locks.
pub const PIN_FREE_TRIES: u32 = 5;
/// The first lock lasts this long; each further wrong PIN doubles it.
pub const PIN_LOCK_BASE_MS: u64 = 30_000;
/// The longest lock (the doubling stops here).
pub const PIN_LOCK_MAX_MS: u64 = 60 * 60 * 1000;

/// How long the pad stays locked after `failures` wrong PINs in a row: nothing for the first
/// four, then 30 s, 60 s, 120 s, ... up to an hour.
pub fn pin_lock_ms(failures: u32) -> u64 {
    if failures < PIN_FREE_TRIES {
        return 0;
    }
    let doublings = (failures - PIN_FREE_TRIES).min(20);
    (PIN_LOCK_BASE_MS << doublings).min(PIN_LOCK_MAX_MS)
}

/// Navigation state. Fixed size: no allocation on any transition.
#[derive(Debug, Clone)]
pub struct Nav {
    pub screen: Screen,
    pub lang: Lang,
    pub doc: usize,
    /// The language of the open edition (may differ from `lang` when the chosen language
    /// has no edition of this document).
    pub edition: Lang,
    pub size: TextSize,
    pub page: u16,
    /// Side-by-side view: the open edition (left) and its partner (right) in half columns.
    pub parallel: bool,
    /// The edition the visitor put on the right by swapping the columns (side by side);
    /// `None`: the first other language the document has.
    partner_pick: Option<Lang>,
    size_before_parallel: TextSize,
    pub pin: heapless::String<PIN_MAX>,
    pub pin_wrong: bool,
    /// Wrong PINs in a row (kept across restarts by the caller, see [`Nav::pin_restore`]).
    pub pin_failures: u32,
    /// The pad takes no PIN before this time.
    pin_locked_until_ms: u64,
    idle_timeout_ms: u64,
    last_activity_ms: u64,
    /// The screen to return to from the test pattern.
    maintenance: bool,
    /// Where the visitor was before the last jump (contents, go to page, language switch),
    /// until the next page turn.
    pub return_to: Option<Place>,
}

impl Nav {
    pub fn new(idle_timeout_ms: u64, maintenance: bool) -> Nav {
        Nav {
            screen: if maintenance {
                Screen::Maintenance
            } else {
                Screen::Attract
            },
            lang: Lang::Kk,
            doc: 0,
            edition: Lang::Kk,
            size: TextSize::Normal,
            page: 0,
            parallel: false,
            partner_pick: None,
            size_before_parallel: TextSize::Normal,
            pin: heapless::String::new(),
            pin_wrong: false,
            pin_failures: 0,
            pin_locked_until_ms: 0,
            idle_timeout_ms,
            last_activity_ms: 0,
            maintenance,
            return_to: None,
        }
    }

    /// Any touch, anywhere: the visitor is still here.
    pub fn touched(&mut self, now_ms: u64) {
        self.last_activity_ms = now_ms;
    }

    /// When the kiosk will go back to its attract screen if nobody touches it (clock ms);
    /// `None` on a screen it rests on.
    pub fn idle_deadline(&self) -> Option<u64> {
        let resting = matches!(self.screen, Screen::Attract | Screen::Maintenance);
        (!resting).then(|| self.last_activity_ms.saturating_add(self.idle_timeout_ms))
    }

    /// Where the visitor is now.
    pub fn place(&self) -> Place {
        Place {
            lang: self.lang,
            edition: self.edition,
            size: self.size,
            parallel: self.parallel,
            partner: self.partner_pick,
            page: self.page,
        }
    }

    /// After a jump away from `before`: offer the way back, unless the jump went nowhere.
    fn jumped_from(&mut self, before: Place) {
        if self.place() != before {
            self.return_to = Some(before);
        }
    }

    /// Contents, go to page, back: screens over the open document.
    fn in_document(&self) -> bool {
        matches!(
            self.screen,
            Screen::Reader | Screen::Contents | Screen::PageGrid
        )
    }

    /// The reader's Contents button.
    pub fn open_contents(&mut self, content: &dyn Content) {
        if self.screen == Screen::Reader && content.contents_len(self.doc, self.edition) > 0 {
            self.screen = Screen::Contents;
        }
    }

    /// A tap on the page counter: the page grid.
    pub fn open_page_grid(&mut self) {
        if self.screen == Screen::Reader {
            self.screen = Screen::PageGrid;
        }
    }

    /// Opens page `page` (from the page grid or the progress bar), with no slide; the place
    /// it left is marked.
    pub fn go_to_page(&mut self, page: u16, content: &dyn Content) {
        if !self.in_document() {
            return;
        }
        let count = self.page_count(content);
        let before = self.place();
        self.page = page.min(count.saturating_sub(1));
        self.screen = Screen::Reader;
        self.jumped_from(before);
    }

    /// A tap on contents entry `entry`: its page, the place it left marked.
    pub fn choose_contents(&mut self, entry: usize, content: &dyn Content) {
        if self.screen != Screen::Contents {
            return;
        }
        match content.contents_page(self.doc, self.edition, self.size, entry) {
            Some(page) => self.go_to_page(page, content),
            None => self.screen = Screen::Reader,
        }
    }

    /// "Back to page N": the place before the last jump.
    pub fn return_back(&mut self) {
        if self.screen != Screen::Reader {
            return;
        }
        if let Some(p) = self.return_to.take() {
            if p.parallel && !self.parallel {
                self.size_before_parallel = self.size;
            }
            self.edition = p.edition;
            self.lang = p.lang;
            self.size = p.size;
            self.parallel = p.parallel;
            self.partner_pick = p.partner;
            self.page = p.page;
        }
    }

    /// Time passes. Returns true if the kiosk went back to its attract screen.
    pub fn tick(&mut self, now_ms: u64) -> bool {
        let idle = now_ms.saturating_sub(self.last_activity_ms) >= self.idle_timeout_ms;
        let resting = matches!(self.screen, Screen::Attract | Screen::Maintenance);
        if idle && !resting {
            self.reset();
            return true;
        }
        false
    }

    /// An update from a USB stick is being installed: the kiosk rests on the maintenance
    /// screen (which shows the progress) and takes no touches until it restarts.
    pub fn hold_for_update(&mut self) {
        *self = Nav::new(self.idle_timeout_ms, true);
    }

    /// The update was refused or failed: back to normal (or to maintenance, if the kiosk
    /// had no good content anyway).
    pub fn release_update(&mut self, maintenance: bool) {
        *self = Nav::new(self.idle_timeout_ms, maintenance);
    }

    /// Forget the visitor.
    pub fn reset(&mut self) {
        *self = Nav::new(self.idle_timeout_ms, self.maintenance);
    }

    /// The attract screen was touched: wake up. That touch activates nothing else.
    pub fn wake(&mut self) {
        if self.screen == Screen::Attract {
            self.screen = Screen::Language;
        }
    }

    pub fn choose_language(&mut self, lang: Lang) {
        if self.screen == Screen::Language {
            self.lang = lang;
            self.screen = Screen::Library;
        }
    }

    /// Opens a document from the library: in the chosen language if it has that edition,
    /// otherwise in the first language it has.
    pub fn open(&mut self, doc: usize, content: &dyn Content) {
        if self.screen != Screen::Library || doc >= content.doc_count() {
            return;
        }
        self.parallel = false;
        self.partner_pick = None;
        self.return_to = None;
        if self.size == TextSize::Half {
            self.size = self.size_before_parallel;
        }
        let edition = if content.has_edition(doc, self.lang) {
            Some(self.lang)
        } else {
            Lang::ALL.into_iter().find(|&l| content.has_edition(doc, l))
        };
        if let Some(edition) = edition {
            self.doc = doc;
            self.edition = edition;
            self.page = 0;
            self.screen = Screen::Reader;
        }
    }

    pub fn page_count(&self, content: &dyn Content) -> u16 {
        content.page_count(self.doc, self.edition, self.size)
    }

    pub fn next(&mut self, content: &dyn Content) -> Turn {
        if self.screen == Screen::Reader && self.page + 1 < self.page_count(content) {
            self.page += 1;
            self.return_to = None;
            Turn::Next
        } else {
            Turn::None
        }
    }

    pub fn prev(&mut self, _content: &dyn Content) -> Turn {
        if self.screen == Screen::Reader && self.page > 0 {
            self.page -= 1;
            self.return_to = None;
            Turn::Prev
        } else {
            Turn::None
        }
    }

    pub fn gesture(&mut self, g: Gesture, content: &dyn Content) -> Turn {
        match g {
            Gesture::Next => self.next(content),
            Gesture::Prev => self.prev(content),
            Gesture::Nothing => Turn::None,
        }
    }

    pub fn back(&mut self) {
        self.screen = match self.screen {
            Screen::Reader => Screen::Library,
            Screen::Contents | Screen::PageGrid => Screen::Reader,
            Screen::Library => Screen::Language,
            Screen::Pin | Screen::Operator => self.resting(),
            other => other,
        };
    }

    /// Switches the open document to another language edition, on the same paragraph.
    pub fn switch_language(&mut self, lang: Lang, content: &dyn Content) {
        if self.screen != Screen::Reader
            || lang == self.edition
            || !content.has_edition(self.doc, lang)
        {
            return;
        }
        let before = self.place();
        let anchor = content.anchor(self.doc, self.edition, self.size, self.page);
        self.edition = lang;
        self.lang = lang;
        self.page = anchor.map_or(0, |a| content.page_of(self.doc, lang, self.size, a));
        self.jumped_from(before);
    }

    /// The edition shown beside the open one in the side-by-side view: the one the visitor
    /// put there by swapping the columns, or else the first other language the document has.
    pub fn partner(&self, content: &dyn Content) -> Option<Lang> {
        let other = |l: Lang| l != self.edition && content.has_edition(self.doc, l);
        self.partner_pick
            .filter(|&l| other(l))
            .or_else(|| Lang::ALL.into_iter().find(|&l| other(l)))
    }

    /// Side by side, the two columns change places, on the same paragraph: the right one's
    /// edition opens on the left, where the voice reads, and the left one's goes to the right.
    pub fn swap_columns(&mut self, content: &dyn Content) {
        if self.screen != Screen::Reader || !self.parallel {
            return;
        }
        let Some(right) = self.partner(content) else {
            return;
        };
        let before = self.place();
        let anchor = content.anchor(self.doc, self.edition, self.size, self.page);
        self.partner_pick = Some(self.edition);
        self.edition = right;
        self.page = anchor.map_or(0, |a| content.page_of(self.doc, right, self.size, a));
        self.jumped_from(before);
    }

    /// Whether the side-by-side view can be offered for the open document.
    pub fn parallel_available(&self, content: &dyn Content) -> bool {
        self.partner(content).is_some_and(|p| {
            content.page_count(self.doc, self.edition, TextSize::Half) > 0
                && content.page_count(self.doc, p, TextSize::Half) > 0
        })
    }

    /// The partner's page that starts the paragraph the open page starts in.
    pub fn partner_page(&self, content: &dyn Content) -> Option<(Lang, u16)> {
        let p = self.partner(content)?;
        let anchor = content
            .first_start(self.doc, self.edition, self.size, self.page)
            .or_else(|| content.anchor(self.doc, self.edition, self.size, self.page));
        Some((
            p,
            anchor.map_or(0, |a| content.page_of(self.doc, p, self.size, a)),
        ))
    }

    /// Into or out of the side-by-side view, on the same paragraph.
    pub fn toggle_parallel(&mut self, content: &dyn Content) {
        if self.screen != Screen::Reader || (!self.parallel && !self.parallel_available(content)) {
            return;
        }
        let anchor = content.anchor(self.doc, self.edition, self.size, self.page);
        // Page numbers mean other pages now: "Back to page N" would mislead.
        self.return_to = None;
        if self.parallel {
            self.parallel = false;
            self.size = self.size_before_parallel;
        } else {
            self.parallel = true;
            self.size_before_parallel = self.size;
            self.size = TextSize::Half;
        }
        self.page = anchor.map_or(0, |a| content.page_of(self.doc, self.edition, self.size, a));
    }

    /// Switches between the two text sizes, on the same paragraph.
    pub fn toggle_size(&mut self, content: &dyn Content) {
        if self.screen != Screen::Reader || self.parallel {
            return;
        }
        let anchor = content.anchor(self.doc, self.edition, self.size, self.page);
        self.return_to = None;
        self.size = match self.size {
            TextSize::Normal => TextSize::Large,
            TextSize::Large | TextSize::Half => TextSize::Normal,
        };
        self.page = anchor.map_or(0, |a| content.page_of(self.doc, self.edition, self.size, a));
    }

    /// The hidden corner was held long enough: ask for the PIN.
    pub fn corner_held(&mut self) {
        if self.screen != Screen::Attract {
            self.screen = Screen::Pin;
            self.pin.clear();
            self.pin_wrong = false;
        }
    }

    /// After a restart: `failures` wrong PINs were on record. There is no real-time clock, so
    /// a lock that was running starts again in full from `now` (switching the kiosk off and on
    /// never shortens the wait).
    pub fn pin_restore(&mut self, failures: u32, now_ms: u64) {
        self.pin_failures = failures;
        self.pin_locked_until_ms = now_ms + pin_lock_ms(failures);
    }

    /// Seconds until the pad takes a PIN again (rounded up), if it is locked.
    pub fn pin_wait_s(&self, now_ms: u64) -> Option<u64> {
        (now_ms < self.pin_locked_until_ms)
            .then(|| (self.pin_locked_until_ms - now_ms).div_ceil(1000))
    }

    /// When the locked pad's countdown next shows one second less (clock ms), while locked.
    pub fn pin_countdown_step(&self, now_ms: u64) -> Option<u64> {
        let left = self
            .pin_locked_until_ms
            .checked_sub(now_ms)
            .filter(|&l| l > 0)?;
        Some(now_ms + (left - 1) % 1000 + 1)
    }

    pub fn pin_digit(&mut self, d: u8) {
        if self.screen == Screen::Pin && d < 10 {
            self.pin_wrong = false;
            let _ = self.pin.push(char::from(b'0' + d));
        }
    }

    pub fn pin_clear(&mut self) {
        if self.screen == Screen::Pin {
            self.pin.clear();
            self.pin_wrong = false;
        }
    }

    /// Checks the entered PIN at `now_ms`; `check` compares it with the configured hash.
    /// While the pad is locked nothing is checked. Returns whether the count of wrong PINs
    /// changed (the caller keeps it across restarts).
    pub fn pin_submit(&mut self, now_ms: u64, check: impl FnOnce(&str) -> bool) -> bool {
        if self.screen != Screen::Pin || now_ms < self.pin_locked_until_ms {
            self.pin.clear();
            return false;
        }
        let before = self.pin_failures;
        if check(&self.pin) {
            self.screen = Screen::Operator;
            self.pin_wrong = false;
            self.pin_failures = 0;
        } else {
            self.pin_wrong = true;
            self.pin_failures = self.pin_failures.saturating_add(1);
            self.pin_locked_until_ms = now_ms + pin_lock_ms(self.pin_failures);
        }
        self.pin.clear();
        before != self.pin_failures
    }

    pub fn test_pattern(&mut self) {
        if self.screen == Screen::Operator {
            self.screen = Screen::TestPattern;
        }
    }

    pub fn close_test_pattern(&mut self) {
        if self.screen == Screen::TestPattern {
            self.screen = Screen::Operator;
        }
    }

    /// Leave the operator menu: back to rest, visitor state forgotten.
    pub fn close_menu(&mut self) {
        if matches!(self.screen, Screen::Operator | Screen::Pin) {
            self.reset();
        }
    }

    fn resting(&self) -> Screen {
        if self.maintenance {
            Screen::Maintenance
        } else {
            Screen::Attract
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two documents. Doc 0: kk (4 paragraphs over 3 pages at normal, 5 at large) and en
    /// (4 paragraphs over 2 pages / 4 pages). Doc 1: en only, 1 page.
    struct Fake;
    impl Content for Fake {
        fn doc_count(&self) -> usize {
            2
        }
        fn has_edition(&self, doc: usize, lang: Lang) -> bool {
            matches!((doc, lang), (0, Lang::Kk) | (0, Lang::En) | (1, Lang::En))
        }
        fn page_count(&self, doc: usize, lang: Lang, size: TextSize) -> u16 {
            self.starts(doc, lang, size).map_or(0, |s| s.len() as u16)
        }
        fn anchor(&self, doc: usize, lang: Lang, size: TextSize, page: u16) -> Option<u16> {
            // Page p starts in paragraph starts[p] (None = title page).
            self.starts(doc, lang, size)?
                .get(usize::from(page))
                .copied()
                .flatten()
        }
        fn page_of(&self, doc: usize, lang: Lang, size: TextSize, anchor: u16) -> u16 {
            let starts = self.starts(doc, lang, size).unwrap_or(&[]);
            let mut page = 0;
            for (i, s) in starts.iter().enumerate() {
                if s.is_some_and(|s| s <= anchor) {
                    page = i as u16;
                }
            }
            page
        }
        fn contents_len(&self, doc: usize, lang: Lang) -> usize {
            if self.has_edition(doc, lang) && doc == 0 {
                2
            } else {
                0
            }
        }
        fn contents_page(
            &self,
            doc: usize,
            lang: Lang,
            size: TextSize,
            entry: usize,
        ) -> Option<u16> {
            // Entry 0 opens paragraph 1, entry 1 paragraph 3.
            let anchor = [1, 3].get(entry)?;
            Some(self.page_of(doc, lang, size, *anchor))
        }
    }
    impl Fake {
        fn starts(&self, doc: usize, lang: Lang, size: TextSize) -> Option<&'static [Option<u16>]> {
            Some(match (doc, lang, size) {
                (0, Lang::Kk, TextSize::Normal) => &[None, Some(1), Some(3)],
                (0, Lang::Kk, TextSize::Large) => &[None, Some(0), Some(1), Some(2), Some(3)],
                (0, Lang::En, TextSize::Normal) => &[None, Some(2)],
                (0, Lang::En, TextSize::Large) => &[None, Some(1), Some(2), Some(3)],
                (0, Lang::Kk, TextSize::Half) => {
                    &[None, Some(0), Some(1), Some(2), Some(3), Some(3)]
                }
                (0, Lang::En, TextSize::Half) => &[None, Some(0), Some(2), Some(3)],
                (1, Lang::En, _) => &[None],
                _ => return None,
            })
        }
    }

    fn reader(lang: Lang, doc: usize) -> Nav {
        let mut n = Nav::new(90_000, false);
        n.wake();
        n.choose_language(lang);
        n.open(doc, &Fake);
        n
    }

    #[test]
    fn visitor_path_and_page_bounds() {
        let mut n = Nav::new(90_000, false);
        assert_eq!(n.screen, Screen::Attract);
        // Library actions do nothing before the visitor gets there.
        n.open(0, &Fake);
        assert_eq!(n.screen, Screen::Attract);
        n.wake();
        assert_eq!(n.screen, Screen::Language);
        n.choose_language(Lang::Kk);
        assert_eq!(n.screen, Screen::Library);
        n.open(0, &Fake);
        assert_eq!((n.screen, n.edition, n.page), (Screen::Reader, Lang::Kk, 0));
        assert_eq!(n.prev(&Fake), Turn::None);
        assert_eq!(n.next(&Fake), Turn::Next);
        assert_eq!(n.next(&Fake), Turn::Next);
        assert_eq!(n.next(&Fake), Turn::None, "no page after the last");
        assert_eq!(n.page, 2);
        assert_eq!(n.prev(&Fake), Turn::Prev);
        n.back();
        assert_eq!(n.screen, Screen::Library);
        n.back();
        assert_eq!(n.screen, Screen::Language);
    }

    #[test]
    fn a_missing_edition_opens_in_a_language_the_document_has() {
        let n = reader(Lang::Tr, 0);
        assert_eq!(
            (n.screen, n.lang, n.edition),
            (Screen::Reader, Lang::Tr, Lang::Kk)
        );
        let n = reader(Lang::Kk, 1);
        assert_eq!(n.edition, Lang::En);
    }

    #[test]
    fn language_switch_keeps_the_paragraph() {
        let mut n = reader(Lang::Kk, 0);
        n.next(&Fake);
        n.next(&Fake); // kk normal page 2 starts in paragraph 3
        n.switch_language(Lang::En, &Fake);
        // en normal: paragraph 3 is on page 1 (which starts at paragraph 2)
        assert_eq!((n.edition, n.page), (Lang::En, 1));
        // A language the document lacks changes nothing.
        n.switch_language(Lang::Tr, &Fake);
        assert_eq!((n.edition, n.page), (Lang::En, 1));
        // From the title page, the other edition opens on its title page.
        n.prev(&Fake);
        n.switch_language(Lang::Kk, &Fake);
        assert_eq!((n.edition, n.page), (Lang::Kk, 0));
    }

    #[test]
    fn size_switch_keeps_the_paragraph() {
        let mut n = reader(Lang::Kk, 0);
        n.next(&Fake); // normal page 1: paragraph 1
        n.toggle_size(&Fake);
        assert_eq!((n.size, n.page), (TextSize::Large, 2)); // large page 2 starts at paragraph 1
        n.next(&Fake); // large page 3: paragraph 2
        n.toggle_size(&Fake);
        assert_eq!((n.size, n.page), (TextSize::Normal, 1)); // paragraph 2 is on normal page 1
    }

    #[test]
    fn side_by_side_keeps_the_paragraph_and_pairs_pages() {
        let mut n = reader(Lang::Kk, 0);
        n.next(&Fake); // normal page 1: paragraph 1
        assert!(n.parallel_available(&Fake));
        n.toggle_parallel(&Fake);
        assert_eq!((n.parallel, n.size, n.page), (true, TextSize::Half, 2)); // kk half page 2: paragraph 1
                                                                             // en half: paragraph 1 is on page 1 (which starts at paragraph 0)
        assert_eq!(n.partner_page(&Fake), Some((Lang::En, 1)));
        n.next(&Fake); // kk half page 3: paragraph 2
        assert_eq!(n.partner_page(&Fake), Some((Lang::En, 2)));
        n.toggle_size(&Fake); // no size change while side by side
        assert_eq!(n.size, TextSize::Half);
        n.toggle_parallel(&Fake);
        assert_eq!((n.parallel, n.size, n.page), (false, TextSize::Normal, 1)); // paragraph 2 on normal page 1
                                                                                // A document with one edition has no side-by-side view.
        let mut n = reader(Lang::En, 1);
        assert!(!n.parallel_available(&Fake));
        n.toggle_parallel(&Fake);
        assert!(!n.parallel);
    }

    #[test]
    fn swapping_the_columns_puts_the_partner_on_the_left_on_the_same_paragraph() {
        let mut n = reader(Lang::Kk, 0);
        n.next(&Fake); // normal page 1: paragraph 1
        n.swap_columns(&Fake); // not side by side: nothing to swap
        assert_eq!((n.edition, n.page, n.return_to), (Lang::Kk, 1, None));
        n.toggle_parallel(&Fake);
        n.next(&Fake); // kk half page 3: paragraph 2
        assert_eq!(n.partner_page(&Fake), Some((Lang::En, 2)));
        n.swap_columns(&Fake);
        // English on the left, at the page paragraph 2 starts on (en half page 2), Kazakh on
        // the right at the page it pairs with; the chrome keeps the visitor's language.
        assert_eq!((n.edition, n.lang, n.page), (Lang::En, Lang::Kk, 2));
        assert_eq!(n.partner(&Fake), Some(Lang::Kk));
        assert_eq!(n.partner_page(&Fake), Some((Lang::Kk, 3)));
        // A jump: the way back returns to the columns as they were.
        let back = n.return_to.expect("the swap offers the way back");
        assert_eq!((back.edition, back.partner, back.page), (Lang::Kk, None, 3));
        n.swap_columns(&Fake);
        assert_eq!((n.edition, n.page), (Lang::Kk, 3));
        assert_eq!(n.partner(&Fake), Some(Lang::En));
        n.swap_columns(&Fake);
        n.return_back();
        assert_eq!(
            (n.edition, n.page, n.partner(&Fake)),
            (Lang::Kk, 3, Some(Lang::En))
        );
        // Another document forgets the pick.
        n.swap_columns(&Fake);
        n.back();
        n.open(1, &Fake);
        assert_eq!(n.place().partner, None);
    }

    #[test]
    fn idle_timeout_forgets_the_visitor() {
        let mut n = reader(Lang::En, 0);
        n.touched(1_000);
        n.next(&Fake);
        n.toggle_size(&Fake);
        assert!(!n.tick(90_999));
        assert_eq!(n.screen, Screen::Reader);
        assert!(n.tick(91_000));
        assert_eq!(
            (n.screen, n.page, n.size, n.lang),
            (Screen::Attract, 0, TextSize::Normal, Lang::Kk)
        );
        // Resting screens do not time out.
        assert!(!n.tick(500_000));
    }

    #[test]
    fn pin_lockout_doubles_and_survives_a_restart() {
        let mut n = Nav::new(90_000, false);
        n.touched(0);
        n.screen = Screen::Pin;
        let mut now = 1_000;
        for i in 1..=5 {
            n.pin_digit(1);
            assert!(n.pin_submit(now, |_| false));
            assert_eq!(n.pin_failures, i);
        }
        // Five wrong: locked for 30 s; a PIN (even the right one) is not checked meanwhile.
        assert_eq!(n.pin_wait_s(now), Some(30));
        assert!(!n.pin_submit(now + 29_000, |_| true));
        assert_eq!(n.screen, Screen::Pin);
        // The sixth wrong one after the wait: 60 s.
        now += 30_000;
        assert_eq!(n.pin_wait_s(now), None);
        assert!(n.pin_submit(now, |_| false));
        assert_eq!(n.pin_wait_s(now), Some(60));
        // A restart keeps the count and waits again in full.
        let mut m = Nav::new(90_000, false);
        m.pin_restore(n.pin_failures, 500);
        assert_eq!(m.pin_wait_s(500), Some(60));
        assert_eq!(pin_lock_ms(7), 120_000);
        assert_eq!(pin_lock_ms(40), PIN_LOCK_MAX_MS);
        // The right PIN after the wait resets the count.
        m.screen = Screen::Pin;
        assert!(m.pin_submit(60_500, |_| true));
        assert_eq!((m.screen, m.pin_failures), (Screen::Operator, 0));
    }

    #[test]
    fn operator_pin_flow() {
        let mut n = reader(Lang::En, 0);
        n.corner_held();
        assert_eq!(n.screen, Screen::Pin);
        for d in [1, 2, 3, 5] {
            n.pin_digit(d);
        }
        n.pin_submit(0, |p| p == "1234");
        assert_eq!(
            (n.screen, n.pin_wrong, n.pin.as_str()),
            (Screen::Pin, true, "")
        );
        for d in [1, 2, 3, 4] {
            n.pin_digit(d);
        }
        n.pin_submit(0, |p| p == "1234");
        assert_eq!(n.screen, Screen::Operator);
        n.test_pattern();
        assert_eq!(n.screen, Screen::TestPattern);
        n.close_test_pattern();
        n.close_menu();
        assert_eq!(n.screen, Screen::Attract);
        // The PIN buffer is bounded: extra digits are dropped, nothing panics.
        let mut n = reader(Lang::En, 0);
        n.corner_held();
        for _ in 0..100 {
            n.pin_digit(9);
        }
        assert_eq!(n.pin.len(), PIN_MAX);
        // The corner does nothing on the attract screen (a stranger's long press there only wakes).
        let mut n = Nav::new(90_000, false);
        n.corner_held();
        assert_eq!(n.screen, Screen::Attract);
    }

    #[test]
    fn maintenance_rests_on_maintenance() {
        let mut n = Nav::new(90_000, true);
        assert_eq!(n.screen, Screen::Maintenance);
        n.wake();
        assert_eq!(n.screen, Screen::Maintenance);
        n.corner_held();
        n.pin_submit(0, |_| true);
        assert_eq!(n.screen, Screen::Operator);
        n.close_menu();
        assert_eq!(n.screen, Screen::Maintenance);
    }

    #[test]
    fn contents_jump_and_back() {
        let mut n = reader(Lang::Kk, 0);
        n.open_contents(&Fake);
        assert_eq!(n.screen, Screen::Contents);
        n.choose_contents(1, &Fake); // paragraph 3: kk normal page 2
        assert_eq!((n.screen, n.page), (Screen::Reader, 2));
        let back = n.return_to.expect("the place it left is marked");
        assert_eq!((back.page, back.edition), (0, Lang::Kk));
        n.return_back();
        assert_eq!((n.page, n.return_to), (0, None));
        // A page turn ends the offer.
        n.open_contents(&Fake);
        n.choose_contents(0, &Fake);
        assert_eq!(n.page, 1);
        assert!(n.return_to.is_some());
        n.next(&Fake);
        assert_eq!(n.return_to, None);
        // A jump to the page it is on marks nothing; back from the contents is the reader.
        n.open_contents(&Fake);
        n.back();
        assert_eq!(n.screen, Screen::Reader);
        n.open_page_grid();
        n.go_to_page(2, &Fake);
        assert_eq!(n.return_to, None);
        // A document without contents has no contents list.
        let mut m = reader(Lang::En, 1);
        m.open_contents(&Fake);
        assert_eq!(m.screen, Screen::Reader);
    }

    #[test]
    fn go_to_page_clamps_and_language_switch_offers_the_way_back() {
        let mut n = reader(Lang::Tr, 0); // opens the kk edition, Turkish chrome
        n.open_page_grid();
        assert_eq!(n.screen, Screen::PageGrid);
        n.go_to_page(40, &Fake);
        assert_eq!(
            (n.screen, n.page),
            (Screen::Reader, 2),
            "clamped to the last page"
        );
        n.switch_language(Lang::En, &Fake);
        assert_eq!((n.edition, n.page), (Lang::En, 1));
        let back = n.return_to.expect("marked");
        assert_eq!(
            (back.edition, back.lang, back.page),
            (Lang::Kk, Lang::Tr, 2)
        );
        n.return_back();
        assert_eq!((n.edition, n.lang, n.page), (Lang::Kk, Lang::Tr, 2));
        // Outside a document nothing jumps.
        let mut m = Nav::new(90_000, false);
        m.go_to_page(1, &Fake);
        assert_eq!((m.screen, m.page), (Screen::Attract, 0));
    }

    #[test]
    fn scrubbing_maps_the_bar_to_pages() {
        assert_eq!(scrub_page(0.0, 400.0, 12), 0);
        assert_eq!(scrub_page(33.0, 400.0, 12), 0);
        assert_eq!(scrub_page(34.0, 400.0, 12), 1);
        assert_eq!(scrub_page(399.9, 400.0, 12), 11);
        assert_eq!(scrub_page(-50.0, 400.0, 12), 0, "left of the bar");
        assert_eq!(scrub_page(900.0, 400.0, 12), 11, "right of the bar");
        assert_eq!(scrub_page(100.0, 400.0, 0), 0);
        assert_eq!(scrub_page(f32::NAN, 400.0, 5), 0);
    }

    #[test]
    fn gestures() {
        let w = 800;
        assert_eq!(classify(400, 200, 300, 210, w), Gesture::Next, "swipe left");
        assert_eq!(
            classify(300, 200, 400, 190, w),
            Gesture::Prev,
            "swipe right"
        );
        assert_eq!(
            classify(780, 200, 782, 201, w),
            Gesture::Next,
            "right edge tap"
        );
        assert_eq!(
            classify(10, 200, 12, 201, w),
            Gesture::Prev,
            "left edge tap"
        );
        assert_eq!(
            classify(400, 200, 402, 201, w),
            Gesture::Nothing,
            "middle tap"
        );
        assert_eq!(
            classify(400, 100, 420, 300, w),
            Gesture::Nothing,
            "vertical drag"
        );
        assert_eq!(
            classify(780, 100, 790, 300, w),
            Gesture::Nothing,
            "drag at the edge is no tap"
        );
    }
}
