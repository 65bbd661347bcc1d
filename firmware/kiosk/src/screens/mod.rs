//! One module per screen. Each owns that screen's state, what it draws (`refresh`), what its
//! controls do (`wire`) and its tests; the overlays any screen may show (the idle warning, a
//! notice) sit beside them, and so do the pieces they share: [`ctx`] (the kiosk's shared
//! state and the [`Act`] hook the app provides) and [`text`].
//!
//! Imports flow one way: app -> screens -> content, nav, stats, config, images -> format,
//! render. A screen never names the app: the app hands each `wire` an [`Act`].

pub mod attract;
pub mod contents;
pub mod ctx;
pub mod idle_warning;
pub mod language;
pub mod library;
pub mod maintenance;
pub mod notice;
pub mod operator;
pub mod page_grid;
pub mod pin;
pub mod reader;
pub mod test_pattern;
pub mod text;

pub use ctx::{Act, BundleContent, Ctx, Issue};

use crate::nav::Screen;
use crate::Ui;

/// Every screen's own state.
pub struct Screens {
    pub attract: attract::Attract,
    pub library: library::Library,
    pub reader: reader::Reader,
    pub contents: contents::Contents,
    pub page_grid: page_grid::PageGrid,
    pub pin: pin::Pin,
    pub operator: operator::Operator,
    pub test_pattern: test_pattern::TestPattern,
    pub idle_warning: idle_warning::IdleWarning,
    pub notice: notice::Notice,
    /// The screen as last drawn.
    shown: Option<Screen>,
    /// The state of a screen with none of its own (`Act<()>`).
    none: (),
}

/// Each screen's own state, as its `wire` asks for it (`Act<S>`), and `()` for a screen
/// with none: an `AsMut` for each, and [`ActOnAll`], an [`Act`] for every one of them (what
/// the app hands [`wire`]). One list, so a new screen is added in one place here.
macro_rules! own_state {
    ($($field:ident: $ty:ty),*) => {
        $(impl AsMut<$ty> for Screens {
            fn as_mut(&mut self) -> &mut $ty {
                &mut self.$field
            }
        })*

        /// An [`Act`] for every screen's state: what the app hands [`wire`].
        pub trait ActOnAll: $(Act<$ty> +)* {}

        impl<A> ActOnAll for A where A: $(Act<$ty> +)* {}
    };
}

own_state!(
    none: (),
    attract: attract::Attract,
    library: library::Library,
    reader: reader::Reader,
    contents: contents::Contents,
    page_grid: page_grid::PageGrid,
    pin: pin::Pin,
    operator: operator::Operator,
    test_pattern: test_pattern::TestPattern,
    idle_warning: idle_warning::IdleWarning,
    notice: notice::Notice
);

/// Wires every screen's controls to `act`. Back is every screen's own way back.
pub fn wire(ui: &Ui<'_>, act: &impl ActOnAll) {
    attract::wire(ui, act);
    language::wire(ui, act);
    library::wire(ui, act);
    reader::wire(ui, act);
    contents::wire(ui, act);
    page_grid::wire(ui, act);
    pin::wire(ui, act);
    operator::wire(ui, act);
    test_pattern::wire(ui, act);
    idle_warning::wire(ui, act);
    notice::wire(ui, act);
    let a = act.clone();
    ui.on_back(move || Act::<()>::act(&a, |c, _| c.nav.back()));
}

impl Screens {
    pub fn new(c: &Ctx) -> Screens {
        Screens {
            attract: Default::default(),
            library: Default::default(),
            reader: reader::Reader::new(c),
            contents: Default::default(),
            page_grid: Default::default(),
            pin: Default::default(),
            operator: Default::default(),
            test_pattern: Default::default(),
            idle_warning: Default::default(),
            notice: Default::default(),
            shown: None,
            none: (),
        }
    }

    /// Pushes the state into the UI: the screen on show, then the overlays.
    pub fn refresh(&mut self, ui: &Ui<'_>, c: &Ctx) {
        let screen = c.nav.screen;
        let first_show = self.shown != Some(screen);
        if first_show {
            self.reader.forget_drawn();
        }
        ui.set_screen(screen.index() as i32);
        match screen {
            Screen::Attract => {
                if first_show {
                    // At rest the kiosk holds only what every visit needs: the last
                    // statement's contents list and its page grid are made again when asked.
                    self.contents.release(ui);
                    self.page_grid.release(ui);
                }
                self.attract.refresh(ui, c, first_show);
            }
            Screen::Language => language::refresh(ui, c, first_show),
            Screen::Library => self.library.refresh(ui, c, first_show),
            Screen::Reader => self.reader.refresh(ui, c),
            Screen::Pin => self.pin.refresh(ui, c, first_show),
            Screen::Operator => self.operator.refresh(ui, c),
            Screen::Maintenance => maintenance::refresh(ui, c, first_show),
            Screen::Contents => self.contents.refresh(ui, c),
            Screen::PageGrid => self.page_grid.refresh(ui, c, first_show),
            Screen::TestPattern => {}
        }
        self.notice.refresh(ui);
        self.test_pattern.refresh(ui);
        self.idle_warning.refresh(ui, c);
        self.shown = Some(screen);
    }

    /// On a timer: what changes on its own at `now`. Returns whether the screen must be
    /// refreshed.
    pub fn tick(&mut self, ui: &Ui<'_>, c: &mut Ctx, now: u64) -> bool {
        let mut dirty = self.notice.tick(now);
        if c.nav.tick(now) {
            self.reader.stop();
            dirty = true;
        }
        dirty |= self.operator.tick(c, now);
        if c.nav.screen == Screen::Attract {
            self.attract.tick(ui, c, now);
        }
        dirty |= self.idle_warning.due(c, now);
        dirty |= self.pin.due(c, now);
        self.reader.tick(ui, c, now);
        dirty
    }

    /// The next moment something on screen changes on its own (clock ms).
    pub fn next_deadline(&self, c: &Ctx, now: u64) -> Option<u64> {
        let attract = (c.nav.screen == Screen::Attract).then(|| attract::Attract::deadline(now));
        [
            c.nav.idle_deadline(),
            idle_warning::IdleWarning::deadline(c, now),
            self.operator.deadline(),
            attract,
            pin::Pin::deadline(c, now),
            self.notice.until,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
