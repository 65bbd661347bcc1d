//! The reader: the page, its top bar (back, languages, side by side, then text size, or side
//! by side the button that swaps the columns) and its bottom bar (contents, progress bar to
//! scrub, the way back after a jump, the voice's speed, page counter). A page turn
//! draws the page and its counter into reused buffers and allocates nothing
//! (firmware/kiosk/tests/alloc.rs); the old page slides out while the new one slides in.

use super::ctx::{lang_of, Act, BundleContent, Ctx};
use super::focus::{
    BACK, CONTENTS, COUNTER, LANGUAGE, LISTEN, PARALLEL, PROGRESS, RETURN, SIZE, SPEED, SWAP,
};
use crate::images::{self, CounterLabel, Marked, PageBuffers};
use crate::nav::{classify, scrub_page, Screen, Turn};
use crate::Ui;
use bitig_format::{Lang, TextSize};
use slint::{Image, ModelRc, VecModel};

pub use crate::slide::SLIDE_MS;

struct Slide {
    start_ms: u64,
    dir: i32,
}

/// What a page image shows: document, edition, size, page, the right column's edition side
/// by side, and the spoken sentence marked.
type Drawn = (usize, Lang, TextSize, u16, Option<Lang>, Option<Marked>);

/// What the reader's top bar was last drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chrome {
    doc: usize,
    edition: Lang,
    lang: Lang,
    size: TextSize,
    parallel: bool,
    parallel_available: bool,
    count: u16,
}

pub struct Reader {
    pages: PageBuffers,
    counter: CounterLabel,
    chrome: Option<Chrome>,
    slide: Option<Slide>,
    /// The page under the finger on the progress bar.
    scrub: Option<u16>,
    /// The speed button as last set: (shown, speed, UI language).
    speed_drawn: Option<(bool, u8, Lang)>,
    /// In a slide the platform copies, Slint keeps showing the page going out (the platform
    /// copies both pages over it), and the page coming in waits here until the slide ends.
    /// So Slint draws the page area once a turn, at the end, and nothing of it at the start.
    held: Option<Image>,
    /// The page image as last drawn. A refresh that changes none of it (a finger moving on
    /// the progress bar, the idle warning) draws no page.
    page_drawn: Option<Drawn>,
}

/// The reader's controls: the page's gestures, the bars' buttons and the progress bar.
pub fn wire(ui: &Ui<'_>, act: &impl Act<Reader>) {
    let a = act.clone();
    ui.on_page_gesture(move |x0, y0, x1, y1, width| {
        a.act(move |c, r| {
            let g = classify(x0 as i32, y0 as i32, x1 as i32, y1 as i32, width as i32);
            let turn = c.nav.gesture(g, &BundleContent(&c.bundle));
            r.start_slide(turn, c.now());
        })
    });
    let a = act.clone();
    ui.on_scrub(move |kind, x, width| a.act(move |c, r| r.scrub(c, kind, x, width)));
    let a = act.clone();
    ui.on_return_back(move || a.act(|c, r| activate(c, r, RETURN)));
    let a = act.clone();
    ui.on_switch_language(move |i| a.act(move |c, r| activate(c, r, LANGUAGE + i)));
    let a = act.clone();
    ui.on_toggle_parallel(move || a.act(|c, r| activate(c, r, PARALLEL)));
    let a = act.clone();
    ui.on_toggle_size(move || a.act(|c, r| activate(c, r, SIZE)));
    let a = act.clone();
    ui.on_swap_columns(move || a.act(|c, r| activate(c, r, SWAP)));
    let a = act.clone();
    ui.on_change_speed(move || a.act(|c, r| activate(c, r, SPEED)));
    let a = act.clone();
    ui.on_open_contents(move || a.act(|c, r| activate(c, r, CONTENTS)));
    let a = act.clone();
    ui.on_open_page_grid(move || a.act(|c, r| activate(c, r, COUNTER)));
}

/// The bars' controls in reading order: the top bar left to right (back, the languages the
/// statement has, side by side, then text size, or side by side the swap), then the bottom
/// bar's. In portrait the progress bar has a row of its own above the buttons.
pub fn focus_order(c: &Ctx, f: &mut dyn FnMut(i32)) {
    let (b, n) = (&c.bundle, &c.nav);
    let content = BundleContent(b);
    let Some(doc) = b.documents.get(n.doc) else {
        return;
    };
    // The page itself, first, when the kiosk has a voice: Action reads it aloud.
    if c.voice.available() {
        f(LISTEN);
    }
    f(BACK);
    for (i, &l) in Lang::ALL.iter().enumerate() {
        if doc.edition(l).is_some() {
            f(LANGUAGE + i as i32);
        }
    }
    if n.parallel_available(&content) {
        f(PARALLEL);
    }
    f(if n.parallel { SWAP } else { SIZE });
    let p = &b.profile;
    let two_rows = i32::from(p.height) - 56 - i32::from(p.page_height) >= 104;
    if two_rows {
        f(PROGRESS);
    }
    let contents = doc
        .edition(n.edition)
        .is_some_and(|e| !e.contents.is_empty());
    if contents {
        f(CONTENTS);
    }
    if !two_rows {
        f(PROGRESS);
    }
    if n.return_to.is_some() {
        f(RETURN);
    }
    if c.voice.available() {
        f(SPEED);
    }
    f(COUNTER);
}

/// Focus starts on the page when the kiosk has a voice (Action reads it aloud), and
/// otherwise on the page counter (where am I; Action opens the page grid).
pub fn focus_start(c: &Ctx) -> i32 {
    if c.voice.available() {
        LISTEN
    } else {
        COUNTER
    }
}

/// Action on the page: reads aloud from the top of the shown page (its left column side by
/// side) on to the statement's end; during the reading, pauses and resumes.
pub fn listen(c: &mut Ctx) {
    let now = c.now();
    // Reading (not a label or the help): pause or go on.
    if c.voice.on_text() {
        c.voice.pause_or_resume(now, c.volume);
        return;
    }
    let Some(line) = shown_page(c).and_then(|p| p.lines.first()) else {
        return;
    };
    let (block, start) = (line.block, line.start);
    let (doc, lang) = (c.nav.doc as u16, c.nav.edition);
    c.voice.read_from(now, c.volume, doc, lang, block, start);
}

/// The page on show (the left one side by side).
fn shown_page(c: &Ctx) -> Option<&bitig_format::Page> {
    let n = &c.nav;
    c.bundle
        .documents
        .get(n.doc)?
        .edition(n.edition)?
        .layout(n.size)?
        .pages
        .get(usize::from(n.page))
}

/// The voice read on past the shown page: the page turns to where its sentence starts, with
/// the slide. Returns whether it turned.
pub fn follow_voice(c: &mut Ctx, r: &mut Reader) -> bool {
    let Some(s) = c.voice.sentence() else {
        return false;
    };
    let n = &c.nav;
    if n.screen != Screen::Reader || usize::from(s.doc) != n.doc || s.lang != n.edition {
        return false;
    }
    let Some(layout) = c
        .bundle
        .documents
        .get(n.doc)
        .and_then(|d| d.edition(n.edition))
        .and_then(|e| e.layout(n.size))
    else {
        return false;
    };
    let at = (s.block, s.start);
    let page = layout
        .pages
        .iter()
        .rposition(|p| p.lines.first().is_some_and(|l| (l.block, l.start) <= at));
    match page.map(|p| p as u16) {
        Some(p) if p == n.page + 1 => {
            turn(c, r, true);
            true
        }
        Some(p) if p > n.page => {
            r.slide = None;
            c.nav.go_to_page(p, &BundleContent(&c.bundle));
            true
        }
        _ => false,
    }
}

/// What the control `id` does, by touch or by key. The progress bar by key opens the page
/// grid: going to a page, as a finger along it does.
pub fn activate(c: &mut Ctx, r: &mut Reader, id: i32) {
    let content = BundleContent(&c.bundle);
    match id {
        BACK => c.nav.back(),
        PARALLEL => c.nav.toggle_parallel(&content),
        SIZE => c.nav.toggle_size(&content),
        SWAP => c.nav.swap_columns(&content),
        CONTENTS => c.nav.open_contents(&content),
        PROGRESS | COUNTER => c.nav.open_page_grid(),
        LISTEN => listen(c),
        SPEED => c.change_speed(),
        RETURN => {
            r.slide = None;
            c.nav.return_back();
        }
        i => {
            if let Some(l) = lang_of(i - LANGUAGE) {
                c.nav.switch_language(l, &content);
            }
        }
    }
    // A reading of an edition no longer on the left (another language, the columns swapped)
    // ends: the voice reads only what the page shows there.
    let shown = (c.nav.doc, c.nav.edition);
    if c.voice.on_text()
        && c.voice
            .sentence()
            .is_some_and(|s| (usize::from(s.doc), s.lang) != shown)
    {
        c.stop_voice();
    }
}

/// The Next and Back keys: the next or the previous page, sliding as a swipe does. On the
/// first page Back stays (a held Back stops there; the back button is one Up away).
pub fn turn(c: &mut Ctx, r: &mut Reader, forward: bool) {
    let content = BundleContent(&c.bundle);
    let turn = if forward {
        c.nav.next(&content)
    } else {
        c.nav.prev(&content)
    };
    r.start_slide(turn, c.now());
}

impl Reader {
    pub fn new(c: &Ctx) -> Reader {
        let p = &c.bundle.profile;
        // A new bundle: a slide of the old one's pages ends.
        c.slide.end();
        Reader {
            pages: PageBuffers::new(&c.bundle, u32::from(p.page_width), u32::from(p.page_height)),
            counter: CounterLabel::default(),
            chrome: None,
            slide: None,
            scrub: None,
            speed_drawn: None,
            held: None,
            page_drawn: None,
        }
    }

    /// A page is sliding in.
    pub fn sliding(&self) -> bool {
        self.slide.is_some()
    }

    /// Another screen came up: it sets some of the same properties (the back label), so the
    /// bars and the page are drawn afresh next time.
    pub fn forget_drawn(&mut self, c: &Ctx) {
        self.chrome = None;
        self.speed_drawn = None;
        self.page_drawn = None;
        // A slide cut short by another screen: nothing copies a page over it.
        self.end_slide(c);
    }

    /// The idle reset (or an update) took the visitor away: no slide, no scrub.
    pub fn stop(&mut self, c: &Ctx) {
        self.end_slide(c);
        self.scrub = None;
    }

    fn end_slide(&mut self, c: &Ctx) {
        self.slide = None;
        c.slide.end();
    }

    /// The end of a slide the platform copied: the page that came in goes to Slint, and the
    /// counter and the progress bar, which waited for it, are brought up to date (Slint's
    /// one frame of the turn).
    fn settle(&mut self, ui: &Ui<'_>, c: &Ctx) {
        self.end_slide(c);
        self.show_held(ui);
        self.refresh_bottom(ui, c, page_count(c));
    }

    /// The slide needs the frame timer: the platform does not copy the pages, so the reader
    /// moves them through Slint's properties, a tick at a time.
    pub fn needs_frame_timer(&self, c: &Ctx) -> bool {
        self.slide.is_some() && !c.slide.composed()
    }

    /// When the slide ends, if the platform copies it (it draws its own frames meanwhile,
    /// and the reader wakes only at the end).
    pub fn slide_end(&self, c: &Ctx) -> Option<u64> {
        let s = self.slide.as_ref()?;
        c.slide.composed().then_some(s.start_ms + SLIDE_MS)
    }

    fn start_slide(&mut self, turn: Turn, now: u64) {
        let dir = match turn {
            Turn::Next => 1,
            Turn::Prev => -1,
            Turn::None => return,
        };
        self.slide = Some(Slide { start_ms: now, dir });
    }

    /// A finger on the progress bar: down (0), moving (1), lifted (2), or gone (other).
    fn scrub(&mut self, c: &mut Ctx, kind: i32, x: f32, width: f32) {
        if c.nav.screen != Screen::Reader {
            return;
        }
        let content = BundleContent(&c.bundle);
        let page = scrub_page(x, width, c.nav.page_count(&content));
        match kind {
            0 | 1 => self.scrub = Some(page),
            2 => {
                // Lifting the finger opens the page, with no slide through the others.
                self.scrub = None;
                self.end_slide(c);
                if page != c.nav.page {
                    c.nav.go_to_page(page, &content);
                    let now = c.now();
                    c.stats.page_jump(now);
                }
            }
            _ => self.scrub = None,
        }
    }

    /// On a frame: moves the sliding pages (eased), and ends the slide at SLIDE_MS.
    pub fn tick(&mut self, ui: &Ui<'_>, c: &Ctx, now: u64) {
        let Some(sl) = &self.slide else {
            return;
        };
        if c.slide.composed() {
            // The slide's timer may read the clock a millisecond short of its end (whole
            // milliseconds): that is the end too, not a timer to start again for 1 ms.
            if now + 2 >= sl.start_ms + SLIDE_MS {
                self.settle(ui, c);
            }
            return;
        }
        let width = f32::from(c.bundle.profile.page_width);
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

    /// The top bar's labels are drawn again only when what they show changes (document,
    /// languages, size, parallel view); the page only when it changes.
    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx) {
        let n = &c.nav;
        let count = page_count(c);
        if c.bundle.documents.get(n.doc).is_none() {
            return;
        }
        self.refresh_chrome(ui, c, count);
        self.refresh_page(ui, c);
        // While the platform copies a slide, the counter and the progress bar wait for its
        // end, with the page: Slint then draws once a turn, not at the slide's start too.
        if !(self.slide.is_some() && c.slide.composed()) {
            self.refresh_bottom(ui, c, count);
        }
        self.show_held(ui);
    }

    fn refresh_chrome(&mut self, ui: &Ui<'_>, c: &Ctx, count: u16) {
        let (b, n) = (&c.bundle, &c.nav);
        let Some(doc) = b.documents.get(n.doc) else {
            return;
        };
        let chrome = Chrome {
            doc: n.doc,
            edition: n.edition,
            lang: n.lang,
            size: n.size,
            parallel: n.parallel,
            parallel_available: n.parallel_available(&BundleContent(&c.bundle)),
            count,
        };
        if self.chrome == Some(chrome) {
            return;
        }
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
            Lang::ALL.iter().position(|&l| l == n.edition).unwrap_or(0) as i32
        );
        ui.set_size_label(images::label(b, "reader.size", n.lang));
        ui.set_swap_label(images::label(b, "reader.swap", n.lang));
        ui.set_parallel_available(chrome.parallel_available);
        ui.set_parallel(n.parallel);
        ui.set_parallel_label(images::label(b, "reader.parallel", n.lang));
        ui.set_contents_label(images::label(b, "reader.contents", n.lang));
        self.counter.prepare(b, count);
        ui.set_page_label_width(self.counter.width() as f32);
        self.chrome = Some(chrome);
    }

    /// The counter, the progress bar (or, while scrubbing, the page under the finger) and the
    /// way back after a jump.
    fn refresh_bottom(&mut self, ui: &Ui<'_>, c: &Ctx, count: u16) {
        let (b, n) = (&c.bundle, &c.nav);
        let label = images::counter_text(n.page + 1, count);
        ui.set_page_label(self.counter.render(b, &label, b.profile.theme.muted));
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
        let edition = b.documents.get(n.doc).and_then(|d| d.edition(n.edition));
        ui.set_contents_available(edition.is_some_and(|e| !e.contents.is_empty()));
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
        let speed = (c.voice.available(), c.voice.speed(), n.lang);
        if self.speed_drawn != Some(speed) {
            ui.set_voice_available(speed.0);
            if speed.0 {
                let key = super::ctx::SPEED_LABELS[usize::from(speed.1.min(2))];
                ui.set_speed_label(images::label(b, key, n.lang));
            }
            self.speed_drawn = Some(speed);
        }
    }

    /// Once no slide is on, the page that came in goes to Slint.
    fn show_held(&mut self, ui: &Ui<'_>) {
        if self.slide.is_none() {
            if let Some(img) = self.held.take() {
                ui.set_page(img);
            }
        }
    }

    /// The page image, once per page: the old one slides out while the new one slides in.
    fn refresh_page(&mut self, ui: &Ui<'_>, c: &Ctx) {
        let n = &c.nav;
        let spoken = spoken_mark(c);
        let right = n
            .parallel
            .then(|| n.partner(&BundleContent(&c.bundle)))
            .flatten();
        let drawn = (n.doc, n.edition, n.size, n.page, right, spoken);
        if self.page_drawn == Some(drawn) {
            return;
        }
        let same_page = self.page_drawn.is_some_and(|d| {
            (d.0, d.1, d.2, d.3, d.4) == (drawn.0, drawn.1, drawn.2, drawn.3, drawn.4)
        });
        self.page_drawn = Some(drawn);
        let composed = c.slide.composed();
        // The page on show, before the new one is drawn: it goes out in a copied slide.
        let shown = (composed && self.slide.is_some() && !same_page).then(|| self.pages.last());
        let Some(img) = self.draw_page(c, spoken) else {
            return;
        };
        match (&self.slide, same_page, shown) {
            // Only the mark moved: the page is drawn again where it is.
            (None, true, _) => {}
            (Some(_), true, _) if composed => {
                c.slide.replace_new(self.pages.last());
                self.held = Some(img);
                return;
            }
            (Some(_), true, _) => {}
            // A new page with a slide the platform copies: both pages go to it, and Slint
            // gets the new one when the slide ends.
            (Some(sl), false, Some(shown)) => {
                let top = ui.get_page_top() as u32;
                c.slide
                    .start(shown, self.pages.last(), sl.dir, sl.start_ms, top);
                self.held = Some(img);
                return;
            }
            // The slide's first frame: the old page where it was, the new one off the edge it
            // comes in from (drawn at once, not at the first tick, so it never flashes at
            // rest).
            (Some(sl), false, None) => {
                ui.set_page_out(ui.get_page());
                ui.set_page_out_x(0.0);
                ui.set_page_x(sl.dir as f32 * f32::from(c.bundle.profile.page_width));
            }
            (None, false, _) => {
                ui.set_page_out(Image::default());
                ui.set_page_x(0.0);
                ui.set_page_out_x(0.0);
            }
        }
        self.held = None;
        ui.set_page(img);
    }

    /// Draws the page on show (side by side, with its partner) into the next page buffer.
    fn draw_page(&mut self, c: &Ctx, spoken: Option<Marked>) -> Option<Image> {
        let (b, n) = (&c.bundle, &c.nav);
        let doc = b.documents.get(n.doc)?;
        let page = doc
            .edition(n.edition)
            .and_then(|e| e.layout(n.size))
            .and_then(|l| l.pages.get(usize::from(n.page)));
        Some(if n.parallel {
            let right = n
                .partner_page(&BundleContent(&c.bundle))
                .and_then(|(l, p)| doc.edition(l)?.layout(n.size)?.pages.get(usize::from(p)));
            self.pages.render_pair(b, page, right, spoken)
        } else {
            self.pages.render(b, page, spoken)
        })
    }

    /// The page must be drawn again: the spoken sentence moved.
    pub fn mark_moved(&self, c: &Ctx) -> bool {
        self.page_drawn.is_some_and(|d| d.5 != spoken_mark(c))
    }
}

/// Pages of the open edition at the open size, at least 1 (for the counter and the bar).
fn page_count(c: &Ctx) -> u16 {
    c.nav.page_count(&BundleContent(&c.bundle)).max(1)
}

/// The sentence the voice speaks, marked on the page if it is this edition's.
fn spoken_mark(c: &Ctx) -> Option<Marked> {
    let s = c.voice.sentence()?;
    let n = &c.nav;
    (usize::from(s.doc) == n.doc && s.lang == n.edition).then(|| Marked {
        block: s.block,
        start: s.start,
        end: s.end,
        colour: super::focus::highlight_colour(&c.bundle.profile.theme),
    })
}
