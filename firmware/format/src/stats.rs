//! The visitor statistics' CSV, shared by the kiosk that writes it (`bitig-kiosk`'s `stats`)
//! and the host's report that reads it (`bitig stats report`): its header, its measures and
//! the session-length buckets.

/// The CSV header, of the kiosk's record and of an export.
pub const CSV_HEADER: &str = "hour,measure,key,count";

/// Session lengths: the bucket a session falls in is the first whose bound (s) it is under.
pub const SESSION_BUCKETS: [(u64, &str); 5] = [
    (30, "under-30s"),
    (120, "30s-2min"),
    (300, "2-5min"),
    (900, "5-15min"),
    (u64::MAX, "15min-plus"),
];

/// The totals the kiosk's operator menu shows and the organiser's report prints per kiosk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub sessions: u64,
    pub opened: u64,
    pub pages: u64,
    /// Contents-list and page jumps together.
    pub jumps: u64,
}

impl Totals {
    /// Adds a row's `count` to the total its measure goes to (the others go to none).
    pub fn add(&mut self, m: &str, count: u64) {
        match m {
            measure::SESSIONS => self.sessions += count,
            measure::OPENED => self.opened += count,
            measure::PAGES => self.pages += count,
            measure::CONTENTS_JUMPS | measure::PAGE_JUMPS => self.jumps += count,
            _ => {}
        }
    }
}

/// What the kiosk counts: the `measure` column.
pub mod measure {
    /// Visits: attract screen to attract screen. Key: empty.
    pub const SESSIONS: &str = "sessions";
    /// The language chosen. Key: `kk`, `tr` or `en`.
    pub const LANGUAGE: &str = "language";
    /// A statement opened. Key: its id.
    pub const OPENED: &str = "opened";
    /// A page shown. Key: `STATEMENT/LANG`.
    pub const PAGES: &str = "pages";
    /// A jump from the contents list. Key: empty.
    pub const CONTENTS_JUMPS: &str = "contents-jumps";
    /// A jump to a page (page grid, progress bar). Key: empty.
    pub const PAGE_JUMPS: &str = "page-jumps";
    /// A session's length. Key: a [`super::SESSION_BUCKETS`] name.
    pub const SESSION_LENGTH: &str = "session-length";
    /// The voice's sound card ran dry (an ALSA underrun): a stutter a visitor heard. Key:
    /// empty.
    pub const UNDERRUNS: &str = "underruns";
}
