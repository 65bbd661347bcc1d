//! Visitor statistics: anonymous counts per hour, kept on the data partition.
//!
//! Counted: sessions (attract screen to attract screen), the language chosen, statements
//! opened, pages shown per statement and edition, jumps from the contents list and to a page,
//! and session lengths in buckets. There is no per-visitor trail: a session adds one to a
//! few counters and nothing else is kept.
//!
//! **Which hour.** The boards have no real-time clock and the kiosk is offline, so the wall
//! clock is right only if someone set it. It counts as set when it is later than the newest
//! statement in the bundle (a clock that starts in 1970, or at the last shutdown, is not);
//! then the hour is the UTC hour, `2026-12-02T14`. Otherwise it is the hour since this start
//! of the kiosk, numbered by start: `start-17+03` is the fourth hour after the 17th start.
//!
//! **Keeping them.** [`Stats::file_bytes`] is the whole record (CSV, with the start number in
//! its first line); the kiosk writes it at most once a minute while counts change, and when
//! it stops, through [`Writer`] off the UI thread, atomically (temp file, fsync, rename, fsync
//! of the folder). A power cut loses at most the last minute and never the file.

use bitig_io::durable::Fs;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;

/// The record's file name in the content folder.
pub const STATS_FILE: &str = "stats.csv";
/// The most time unsaved counts wait before they are written.
pub const FLUSH_MS: u64 = 60_000;
pub use bitig_format::stats::{measure, Totals, CSV_HEADER, SESSION_BUCKETS};

/// Seconds since 1970 from the board's clock, `None` if it cannot be read.
pub type WallClock = Box<dyn Fn() -> Option<i64>>;

/// The system clock.
pub fn system_clock() -> WallClock {
    Box::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok())
    })
}

/// Seconds since 1970 of an ISO date (`2026-02-02`) at midnight UTC.
pub fn iso_date_seconds(date: &str) -> Option<i64> {
    let mut it = date.get(..10)?.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let day = time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
    Some(day.midnight().assume_utc().unix_timestamp())
}

/// The UTC hour of `secs` since 1970: `2026-12-02T14` (`1970-01-01T00` if out of range).
pub fn utc_hour(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let m = u8::from(t.month());
    format!("{:04}-{m:02}-{:02}T{:02}", t.year(), t.day(), t.hour())
}

/// A bad line in the record, for the log: which line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub message: String,
}

/// (hour, measure, key): one row of the CSV.
type Row = (Rc<str>, Rc<str>, Rc<str>);

/// The counts, and what is needed to say which hour it is.
///
/// Counting allocates nothing once a row exists (a page turn in the same hour adds one to a
/// count): strings are interned, the hour's label is made once an hour, and keys are put
/// together in a reused buffer (firmware/kiosk/tests/alloc.rs).
pub struct Stats {
    counts: BTreeMap<Row, u64>,
    strings: BTreeSet<Rc<str>>,
    scratch: String,
    /// The hour counts go to now: (which hour, on the wall clock or not, its label).
    hour_now: Option<(i64, bool, Rc<str>)>,
    /// This start's number (one more than the record's).
    start: u64,
    /// The kiosk clock (ms) at start.
    started_ms: u64,
    /// A wall clock before this (s since 1970) is not set.
    clock_floor: i64,
    wall: WallClock,
    session_start: Option<u64>,
    /// The kiosk clock (ms) of the first change not yet handed to the writer.
    dirty_since: Option<u64>,
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Stats({} counts, start {})",
            self.counts.len(),
            self.start
        )
    }
}

impl Stats {
    /// Counts from a record (`bytes`, empty if there is none) for the start after it. Lines
    /// that do not parse are left out and listed.
    pub fn from_record(
        bytes: &[u8],
        started_ms: u64,
        clock_floor: i64,
        wall: WallClock,
    ) -> (Stats, Vec<BadLine>) {
        let text = String::from_utf8_lossy(bytes);
        let mut counts: BTreeMap<(String, String, String), u64> = BTreeMap::new();
        let mut bad = Vec::new();
        let mut start = 0;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if let Some(rest) = line.strip_prefix("# bitig-stats start ") {
                match rest.trim().parse() {
                    Ok(s) => start = s,
                    Err(_) => bad.push(BadLine {
                        line: n,
                        message: format!("start number {rest:?} is not a number"),
                    }),
                }
                continue;
            }
            if line.is_empty() || line == CSV_HEADER || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            let parsed = match f.as_slice() {
                [hour, measure, key, count] => count
                    .parse::<u64>()
                    .ok()
                    .map(|c| ((hour.to_string(), measure.to_string(), key.to_string()), c)),
                _ => None,
            };
            match parsed {
                Some((k, c)) => *counts.entry(k).or_insert(0) += c,
                None => bad.push(BadLine {
                    line: n,
                    message: format!("expected `{CSV_HEADER}`, found {line:?}"),
                }),
            }
        }
        let mut stats = Stats {
            counts: BTreeMap::new(),
            strings: BTreeSet::new(),
            scratch: String::new(),
            hour_now: None,
            start: start + 1,
            started_ms,
            clock_floor,
            wall,
            session_start: None,
            dirty_since: None,
        };
        for ((h, m, k), c) in counts {
            let row = (stats.intern(&h), stats.intern(&m), stats.intern(&k));
            stats.counts.insert(row, c);
        }
        (stats, bad)
    }

    /// No record yet.
    pub fn empty(started_ms: u64, clock_floor: i64, wall: WallClock) -> Stats {
        Stats::from_record(&[], started_ms, clock_floor, wall).0
    }

    /// This start's number.
    pub fn start_number(&self) -> u64 {
        self.start
    }

    /// The wall clock, if it is set (see the module docs).
    fn wall_now(&self) -> Option<i64> {
        (self.wall)().filter(|&t| t >= self.clock_floor)
    }

    /// The hour counts made at `now_ms` (kiosk clock) go to.
    pub fn hour(&self, now_ms: u64) -> String {
        let (index, wall) = self.hour_index(now_ms);
        self.hour_label(index, wall)
    }

    /// Which hour: on the wall clock (hours since 1970), or since this start.
    fn hour_index(&self, now_ms: u64) -> (i64, bool) {
        match self.wall_now() {
            Some(t) => (t.div_euclid(3600), true),
            None => (
                i64::try_from(now_ms.saturating_sub(self.started_ms) / 3_600_000)
                    .unwrap_or(i64::MAX),
                false,
            ),
        }
    }

    fn hour_label(&self, index: i64, wall: bool) -> String {
        if wall {
            utc_hour(index.saturating_mul(3600))
        } else {
            format!("start-{}+{index:02}", self.start)
        }
    }

    fn intern(&mut self, s: &str) -> Rc<str> {
        if let Some(r) = self.strings.get(s) {
            return r.clone();
        }
        let r: Rc<str> = Rc::from(s);
        self.strings.insert(r.clone());
        r
    }

    fn add(&mut self, now_ms: u64, measure: &str, key: &str) {
        self.add_n(now_ms, measure, key, 1);
    }

    fn add_n(&mut self, now_ms: u64, measure: &str, key: &str, n: u64) {
        let (index, wall) = self.hour_index(now_ms);
        let hour = match &self.hour_now {
            Some((i, w, label)) if *i == index && *w == wall => label.clone(),
            _ => {
                let label = self.hour_label(index, wall);
                let label = self.intern(&label);
                self.hour_now = Some((index, wall, label.clone()));
                label
            }
        };
        let row = (hour, self.intern(measure), self.intern(key));
        *self.counts.entry(row).or_insert(0) += n;
        self.dirty_since.get_or_insert(now_ms);
    }

    /// A visitor woke the attract screen.
    pub fn session_started(&mut self, now_ms: u64) {
        self.end_session(now_ms);
        self.session_start = Some(now_ms);
        self.add(now_ms, measure::SESSIONS, "");
    }

    /// The kiosk went back to rest: the session's length is counted.
    pub fn end_session(&mut self, now_ms: u64) {
        if let Some(t0) = self.session_start.take() {
            let s = now_ms.saturating_sub(t0) / 1000;
            let bucket = SESSION_BUCKETS
                .iter()
                .find(|(bound, _)| s < *bound)
                .map_or("15min-plus", |b| b.1);
            self.add(now_ms, measure::SESSION_LENGTH, bucket);
        }
    }

    pub fn language(&mut self, now_ms: u64, lang: bitig_format::Lang) {
        self.add(now_ms, measure::LANGUAGE, lang.tag());
    }

    pub fn opened(&mut self, now_ms: u64, doc: &str) {
        self.add(now_ms, measure::OPENED, doc);
    }

    /// A page of `doc`'s edition in `lang` came on screen.
    pub fn page(&mut self, now_ms: u64, doc: &str, lang: bitig_format::Lang) {
        let mut key = std::mem::take(&mut self.scratch);
        key.clear();
        key.push_str(doc);
        key.push('/');
        key.push_str(lang.tag());
        self.add(now_ms, measure::PAGES, &key);
        self.scratch = key;
    }

    pub fn contents_jump(&mut self, now_ms: u64) {
        self.add(now_ms, measure::CONTENTS_JUMPS, "");
    }

    pub fn page_jump(&mut self, now_ms: u64) {
        self.add(now_ms, measure::PAGE_JUMPS, "");
    }

    /// The voice's sound card ran dry `n` times.
    pub fn underruns(&mut self, now_ms: u64, n: u64) {
        if n > 0 {
            self.add_n(now_ms, measure::UNDERRUNS, "", n);
        }
    }

    /// When unsaved counts must be written (kiosk clock ms), if there are any.
    pub fn flush_due(&self) -> Option<u64> {
        self.dirty_since.map(|t| t + FLUSH_MS)
    }

    /// The record as it stands, marked as handed over for writing.
    pub fn take_record(&mut self) -> Vec<u8> {
        self.dirty_since = None;
        self.file_bytes()
    }

    /// The whole record: the start number, the header, one row per hour, measure and key.
    pub fn file_bytes(&self) -> Vec<u8> {
        let mut out = format!("# bitig-stats start {}\n", self.start);
        out.push_str(&self.csv());
        out.into_bytes()
    }

    /// The counts as CSV with its header (the export).
    pub fn csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push('\n');
        for ((hour, measure, key), count) in &self.counts {
            out.push_str(&format!("{hour},{measure},{key},{count}\n"));
        }
        out
    }

    /// Rows of [`Stats::csv`] (without the header).
    pub fn rows(&self) -> usize {
        self.counts.len()
    }

    /// The count of one hour, measure and key (tests).
    pub fn count(&self, hour: &str, measure: &str, key: &str) -> u64 {
        self.counts
            .iter()
            .find(|((h, m, k), _)| &**h == hour && &**m == measure && &**k == key)
            .map_or(0, |(_, c)| *c)
    }

    /// Totals over the rows whose hour `keep` accepts.
    fn totals_where(&self, keep: impl Fn(&str) -> bool) -> Totals {
        let mut t = Totals::default();
        for ((hour, m, _), c) in &self.counts {
            if keep(hour) {
                t.add(m, *c);
            }
        }
        t
    }

    /// Totals of today (UTC) if the clock is set, else of this start; and whether they are
    /// today's.
    pub fn today(&self) -> (Totals, bool) {
        match self.wall_now() {
            Some(t) => {
                let day = utc_hour(t)[..10].to_string();
                (self.totals_where(|h| h.starts_with(&day)), true)
            }
            None => {
                let prefix = format!("start-{}+", self.start);
                (self.totals_where(|h| h.starts_with(&prefix)), false)
            }
        }
    }

    pub fn all_time(&self) -> Totals {
        self.totals_where(|_| true)
    }
}

/// Writes the record off the UI thread: [`Writer::save`] hands a record over and returns at
/// once; the last one handed over is written before `Drop` returns.
pub struct Writer {
    tx: Option<std::sync::mpsc::Sender<Vec<u8>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stats::Writer")
    }
}

impl Writer {
    pub fn spawn(path: PathBuf, mut fs: Box<dyn Fs + Send>) -> std::io::Result<Writer> {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let thread = std::thread::Builder::new()
            .name("bitig-stats".into())
            .spawn(move || {
                while let Ok(mut bytes) = rx.recv() {
                    // Only the newest of the records waiting matters.
                    while let Ok(newer) = rx.try_recv() {
                        bytes = newer;
                    }
                    if let Err(e) = bitig_io::durable::write_with(fs.as_mut(), &path, &bytes) {
                        eprintln!(
                            "bitig-kiosk: cannot write the statistics to {}: {e}",
                            path.display()
                        );
                    }
                }
            })?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn save(&self, record: Vec<u8>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(record);
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitig_format::Lang;

    fn unset() -> WallClock {
        Box::new(|| Some(0))
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(utc_hour(0), "1970-01-01T00");
        let t = iso_date_seconds("2026-02-02").unwrap();
        assert_eq!(utc_hour(t + 14 * 3600 + 59), "2026-02-02T14");
        assert_eq!(
            utc_hour(iso_date_seconds("2024-02-29").unwrap()),
            "2024-02-29T00"
        );
        assert_eq!(iso_date_seconds("2026-13-01"), None);
        // Days a month does not have are refused, not rolled over.
        assert_eq!(iso_date_seconds("2026-02-30"), None);
        assert_eq!(iso_date_seconds("2026-04-31"), None);
        assert_eq!(utc_hour(1_767_225_600 - 1), "2025-12-31T23");
        assert_eq!(iso_date_seconds("soon"), None);
    }

    #[test]
    fn counts_per_hour_since_start_when_the_clock_is_unset() {
        let mut s = Stats::empty(1_000, iso_date_seconds("2026-02-02").unwrap(), unset());
        s.session_started(1_000);
        s.language(2_000, Lang::Tr);
        s.opened(3_000, "jspg-8-2026");
        s.page(3_000, "jspg-8-2026", Lang::Kk);
        s.page(3_600_000 + 1_000, "jspg-8-2026", Lang::Kk);
        s.end_session(3_600_000 + 91_000);
        assert_eq!(s.count("start-1+00", measure::SESSIONS, ""), 1);
        assert_eq!(s.count("start-1+00", measure::LANGUAGE, "tr"), 1);
        assert_eq!(s.count("start-1+01", measure::PAGES, "jspg-8-2026/kk"), 1);
        assert_eq!(
            s.count("start-1+01", measure::SESSION_LENGTH, "15min-plus"),
            1
        );
        let (today, is_today) = s.today();
        assert!(!is_today);
        assert_eq!((today.sessions, today.pages, today.opened), (1, 2, 1));
        // The record round-trips, and the next start is numbered on.
        let (t, bad) = Stats::from_record(&s.file_bytes(), 0, 0, unset());
        assert!(bad.is_empty());
        assert_eq!(t.start_number(), 2);
        assert_eq!(t.csv(), s.csv());
    }

    #[test]
    fn a_set_clock_gives_utc_hours() {
        let noon = iso_date_seconds("2026-12-02").unwrap() + 12 * 3600;
        let mut s = Stats::empty(
            0,
            iso_date_seconds("2026-02-02").unwrap(),
            Box::new(move || Some(noon)),
        );
        s.session_started(0);
        assert_eq!(s.count("2026-12-02T12", measure::SESSIONS, ""), 1);
        assert!(s.today().1);
    }

    #[test]
    fn bad_lines_are_listed_and_skipped() {
        let rec = b"# bitig-stats start 4\nhour,measure,key,count\nstart-4+00,sessions,,3\nrubbish\nstart-4+00,pages,x/en,lots\n";
        let (s, bad) = Stats::from_record(rec, 0, 0, unset());
        assert_eq!(s.count("start-4+00", measure::SESSIONS, ""), 3);
        assert_eq!(
            bad.iter().map(|b| b.line).collect::<Vec<_>>(),
            [4, 5],
            "{bad:?}"
        );
        assert_eq!(s.start_number(), 5);
    }

    #[test]
    fn flushes_at_most_a_minute_after_the_first_change() {
        let mut s = Stats::empty(0, 0, unset());
        assert_eq!(s.flush_due(), None);
        s.session_started(5_000);
        s.language(20_000, Lang::En);
        assert_eq!(s.flush_due(), Some(65_000));
        let _ = s.take_record();
        assert_eq!(s.flush_due(), None);
    }
}
