//! The merged counts and the tables drawn from them: what the report's charts, its
//! `summary.csv` and its terminal summary show.

use bitig_format::stats::{measure, SESSION_BUCKETS};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One row's place: hour, measure, key.
pub type RowKey = (String, String, String);

/// What one kiosk counted, from all its exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kiosk {
    /// Its exports, in the order read.
    pub files: Vec<PathBuf>,
    pub counts: BTreeMap<RowKey, u64>,
    /// Rows that more than one export held (counted once).
    pub repeated_rows: u64,
}

pub use bitig_format::stats::Totals;

impl Kiosk {
    /// The totals its operator menu shows for all time, over the whole record.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for ((_, m, _), c) in &self.counts {
            t.add(m, *c);
        }
        t
    }
}

/// Every kiosk's counts, by kiosk id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    pub kiosks: BTreeMap<String, Kiosk>,
}

/// The tables the charts and `summary.csv` show, added up over every kiosk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    /// Sessions per wall-clock hour (`2026-12-02T14`), every hour from the first to the last.
    pub per_hour: Vec<(String, u64)>,
    /// Sessions per day (`2026-12-02`), every day from the first to the last.
    pub per_day: Vec<(String, u64)>,
    /// Sessions in hours counted while a kiosk's clock was not set.
    pub unplaced_sessions: u64,
    pub per_kiosk: Vec<(String, u64)>,
    pub language: Vec<(String, u64)>,
    pub opened: Vec<(String, u64)>,
    pub pages: Vec<(String, u64)>,
    pub session_length: Vec<(String, u64)>,
    pub jumps: Vec<(String, u64)>,
    /// Times a kiosk's voice ran dry (its sound card's underruns): stutters heard.
    pub underruns: u64,
    pub totals: Totals,
}

/// The longest span whose empty hours are charted as bars of 0: two months. A longer one
/// means a kiosk's clock was set wrong (a year off); its hours are then charted as they come.
const FILLED_HOURS: usize = 24 * 62;

/// Every hour from `first` to `last` (`2026-12-02T14` labels); `None` past [`FILLED_HOURS`].
fn hours_between(first: &str, last: &str) -> Option<Vec<String>> {
    let parse = |h: &str| -> Option<time::PrimitiveDateTime> {
        let date = time::Date::from_calendar_date(
            h[..4].parse().ok()?,
            time::Month::try_from(h[5..7].parse::<u8>().ok()?).ok()?,
            h[8..10].parse().ok()?,
        )
        .ok()?;
        date.with_hms(h[11..13].parse().ok()?, 0, 0).ok()
    };
    let (mut t, end) = (parse(first)?, parse(last)?);
    let mut out = Vec::new();
    while t <= end {
        if out.len() == FILLED_HOURS {
            return None;
        }
        out.push(format!(
            "{:04}-{:02}-{:02}T{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour()
        ));
        t += time::Duration::HOUR;
    }
    Some(out)
}

impl Merged {
    /// The report's tables.
    pub fn tables(&self) -> Tables {
        let mut t = Tables::default();
        let mut hours: BTreeMap<String, u64> = BTreeMap::new();
        let by = |m: &str| -> Vec<(String, u64)> {
            let mut acc: BTreeMap<String, u64> = BTreeMap::new();
            for k in self.kiosks.values() {
                for ((_, mm, key), c) in &k.counts {
                    if mm == m {
                        *acc.entry(key.clone()).or_default() += c;
                    }
                }
            }
            acc.into_iter().collect()
        };
        let language = by(measure::LANGUAGE);
        t.language = bitig_format::Lang::ALL
            .iter()
            .map(|l| {
                let n = language.iter().find(|x| x.0 == l.tag()).map_or(0, |x| x.1);
                (l.tag().to_string(), n)
            })
            .collect();
        t.opened = by(measure::OPENED);
        t.pages = by(measure::PAGES);
        let lengths = by(measure::SESSION_LENGTH);
        t.session_length = SESSION_BUCKETS
            .iter()
            .map(|b| {
                let n = lengths.iter().find(|x| x.0 == b.1).map_or(0, |x| x.1);
                (b.1.to_string(), n)
            })
            .collect();
        let contents: u64 = by(measure::CONTENTS_JUMPS).iter().map(|x| x.1).sum();
        let pages: u64 = by(measure::PAGE_JUMPS).iter().map(|x| x.1).sum();
        t.underruns = by(measure::UNDERRUNS).iter().map(|x| x.1).sum();
        t.jumps = vec![
            ("contents".to_string(), contents),
            ("page".to_string(), pages),
        ];
        for (id, k) in &self.kiosks {
            let kt = k.totals();
            t.per_kiosk.push((id.clone(), kt.sessions));
            t.totals.sessions += kt.sessions;
            t.totals.opened += kt.opened;
            t.totals.pages += kt.pages;
            t.totals.jumps += kt.jumps;
            for ((h, m, _), c) in &k.counts {
                if m != measure::SESSIONS {
                    continue;
                }
                if h.starts_with("start-") {
                    t.unplaced_sessions += c;
                } else {
                    *hours.entry(h.clone()).or_default() += c;
                }
            }
        }
        if let (Some(first), Some(last)) = (hours.keys().next(), hours.keys().next_back()) {
            t.per_hour = match hours_between(first, last) {
                Some(all) => all
                    .into_iter()
                    .map(|h| {
                        let n = hours.get(&h).copied().unwrap_or(0);
                        (h, n)
                    })
                    .collect(),
                None => hours.clone().into_iter().collect(),
            };
        }
        let mut days: Vec<(String, u64)> = Vec::new();
        for (h, n) in &t.per_hour {
            let day = &h[..10];
            match days.last_mut() {
                Some(d) if d.0 == day => d.1 += n,
                _ => days.push((day.to_string(), *n)),
            }
        }
        t.per_day = days;
        t
    }
}
