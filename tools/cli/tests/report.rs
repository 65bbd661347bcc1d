//! `bitig stats report`: the organiser's report, on exports made by the kiosk's own counter
//! (`bitig_kiosk::stats::Stats`, as the kiosk counts and exports).
//!
//! - An exhibition: six kiosks, five days, 1,000 sessions. Each kiosk exports twice (after
//!   day 3 and at the end), so its second export repeats its first; one kiosk's clock was
//!   never set. The report's totals, per kiosk and in all, equal the kiosks' own operator
//!   totals (`Stats::all_time`), and the charts equal their goldens
//!   (`tests/goldens/report/`, `BITIG_BLESS=1` rewrites them).
//! - A bad line stops the report with file:line:column, exit status 2, and nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_format::Lang;
use bitig_kiosk::stats::{iso_date_seconds, Stats, Totals};
use common::*;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A fixed pseudo-random sequence (xorshift64), so the exhibition is the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const KIOSKS: [&str; 6] = [
    "astana-hall-1",
    "astana-hall-2",
    "ankara-foyer",
    "ankara-hall-a",
    "istanbul-expo",
    "almaty-lobby",
];
const DOCS: [&str; 3] = [
    "jspg-8-2026",
    "hlscc-5-2025",
    "enhanced-strategic-partnership-2022",
];
const SESSIONS: u64 = 1000;
const DAYS: i64 = 5;

/// The exhibition: the export files, each kiosk's operator totals at the end, and the totals
/// of what the script did (counted here, not by the statistics).
fn exhibition(dir: &Path) -> (Vec<PathBuf>, Vec<(String, Totals)>, Totals) {
    let mut script = Totals::default();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let day0 = iso_date_seconds("2026-12-01").unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Which kiosk and day each session is at.
    let mut plan = vec![vec![0u64; DAYS as usize]; KIOSKS.len()];
    for _ in 0..SESSIONS {
        let k = rng.below(KIOSKS.len() as u64) as usize;
        // The middle days are busier.
        let d = (rng.below(DAYS as u64) + rng.below(DAYS as u64)) as usize / 2;
        plan[k][d] += 1;
    }
    let mut files = Vec::new();
    let mut totals = Vec::new();
    for (k, id) in KIOSKS.iter().enumerate() {
        let wall = Rc::new(Cell::new(day0));
        // The last kiosk's clock was never set: its hours are counted from its start.
        let clock_set = k + 1 < KIOSKS.len();
        let w = wall.clone();
        let mut stats = Stats::empty(
            0,
            day0 - 86_400,
            Box::new(move || clock_set.then(|| w.get())),
        );
        let at = |secs: i64| {
            wall.set(day0 + secs);
            (secs * 1000) as u64
        };
        for (d, n) in plan[k].iter().enumerate() {
            // 09:00 UTC, sessions one after another with gaps.
            let mut t = d as i64 * 86_400 + 9 * 3600 + rng.below(1200) as i64;
            for _ in 0..*n {
                stats.session_started(at(t));
                script.sessions += 1;
                let lang = Lang::ALL[[0, 0, 1, 1, 1, 2][rng.below(6) as usize]];
                stats.language(at(t + 3), lang);
                let doc = DOCS[[0, 0, 0, 1, 1, 2][rng.below(6) as usize]];
                stats.opened(at(t + 8), doc);
                script.opened += 1;
                let pages = 1 + rng.below(14) as i64;
                for p in 0..pages {
                    stats.page(at(t + 8 + p * 25), doc, lang);
                    script.pages += 1;
                }
                if rng.below(4) == 0 {
                    stats.contents_jump(at(t + 20));
                    script.jumps += 1;
                }
                if rng.below(5) == 0 {
                    stats.page_jump(at(t + 30));
                    script.jumps += 1;
                }
                let len = 8 + pages * 25 + rng.below(240) as i64;
                stats.end_session(at(t + len));
                t += len + 30 + rng.below(900) as i64;
            }
            if d == 2 {
                let f = dir.join(format!("bitig-stats-{id}-1.csv"));
                std::fs::write(&f, stats.csv()).unwrap();
                files.push(f);
            }
        }
        let f = dir.join(format!("bitig-stats-{id}-2.csv"));
        std::fs::write(&f, stats.csv()).unwrap();
        files.push(f);
        totals.push((id.to_string(), stats.all_time()));
    }
    (files, totals, script)
}

fn report(files: &[PathBuf], out: &Path) -> std::process::Output {
    let mut args = vec!["stats", "report", "--out", out.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    bitig(&args)
}

/// `summary.csv`'s count for `table,key`.
fn summary(out: &Path, table: &str, key: &str) -> u64 {
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    csv.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0] == table && f[1] == key).then(|| f[2].parse().unwrap())
        })
        .unwrap_or_else(|| panic!("summary.csv has no {table},{key}"))
}

#[test]
fn a_thousand_sessions_on_six_kiosks_match_the_kiosks_own_totals() {
    let dir = scratch("report-exhibition");
    let (files, totals, script) = exhibition(&dir.join("stick"));
    assert_eq!(files.len(), 12, "two exports a kiosk");
    let out = dir.join("report");
    let o = report(&files, &out);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    // Every kiosk's own operator totals, in the terminal summary and in summary.csv.
    let mut all = Totals::default();
    for (id, t) in &totals {
        let line = format!(
            "  {id}: {} sessions, {} opened, {} pages, {} jumps (2 exports,",
            t.sessions, t.opened, t.pages, t.jumps
        );
        assert!(stdout.contains(&line), "no `{line}` in:\n{stdout}");
        assert_eq!(summary(&out, "sessions-per-kiosk", id), t.sessions, "{id}");
        all.sessions += t.sessions;
        all.opened += t.opened;
        all.pages += t.pages;
        all.jumps += t.jumps;
    }
    assert_eq!(all.sessions, SESSIONS);
    // And what the script did: the kiosks' totals are not only self-consistent.
    assert_eq!(all, script);
    assert_eq!(summary(&out, "total", "sessions"), SESSIONS);
    assert_eq!(summary(&out, "total", "statements-opened"), all.opened);
    assert_eq!(summary(&out, "total", "pages"), all.pages);
    assert_eq!(summary(&out, "total", "jumps"), all.jumps);
    // The kiosk without a set clock is in the totals, not in the charts by time.
    let unset = totals.last().unwrap().1.sessions;
    assert_eq!(summary(&out, "total", "sessions-clock-not-set"), unset);
    let by_day: u64 = (1..=DAYS)
        .map(|d| summary(&out, "sessions-per-day", &format!("2026-12-{d:02}")))
        .sum();
    assert_eq!(by_day + unset, SESSIONS);
    // One self-contained page: every chart inline, nothing fetched.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 8, "eight charts inline");
    for outside in [
        "src=\"http",
        "href=\"http",
        "<script",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(outside), "report.html loads {outside}");
    }
    // Each chart as a PNG, equal to its golden.
    let goldens = repo().join("tests/goldens/report");
    let bless = bitig_io::ci::bless();
    let mut failures = Vec::new();
    for stem in [
        "visitors-per-hour",
        "visitors-per-day",
        "visitors-per-kiosk",
        "language",
        "statements-opened",
        "pages-read",
        "session-length",
        "jumps",
    ] {
        let png = out.join(format!("{stem}.png"));
        let golden = goldens.join(format!("{stem}.png"));
        if bless {
            std::fs::create_dir_all(&goldens).unwrap();
            std::fs::copy(&png, &golden).unwrap();
            continue;
        }
        let (a, b) = (bitig_io::png::read(&png), bitig_io::png::read(&golden));
        match (a, b) {
            (Ok(a), Ok(b)) if a.width == b.width && a.height == b.height && a.data == b.data => {}
            (_, Err(e)) => failures.push(format!(
                "{}: {e} (BITIG_BLESS=1 makes it)",
                golden.display()
            )),
            _ => failures.push(format!(
                "{} differs from {}",
                png.display(),
                golden.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Same exports, same bytes.
    let again = dir.join("again");
    let o = report(&files, &again);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for f in ["report.html", "summary.csv", "visitors-per-hour.png"] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
            "{f} is not reproducible"
        );
    }
}

#[test]
fn overlapping_exports_count_once_and_kiosks_add_up() {
    let dir = scratch("report-merge");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let h = "hour,measure,key,count\n";
    let files = [
        // Kiosk a's first export, and its second: the same record, grown.
        (
            "bitig-stats-a-1.csv",
            "2026-12-01T10,sessions,,3\n2026-12-01T10,language,kk,3\n",
        ),
        (
            "bitig-stats-a-2.csv",
            "2026-12-01T10,sessions,,4\n2026-12-01T10,language,kk,4\n2026-12-01T11,sessions,,2\n",
        ),
        (
            "bitig-stats-b-1.csv",
            "2026-12-01T10,sessions,,5\n2026-12-01T12,page-jumps,,7\n2026-12-01T13,sessions,,1\n",
        ),
    ];
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, rows)| {
            let p = dir.join(name);
            std::fs::write(&p, format!("{h}{rows}")).unwrap();
            p
        })
        .collect();
    let out = dir.join("report");
    let o = report(&paths, &out);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(summary(&out, "sessions-per-kiosk", "a"), 6);
    assert_eq!(summary(&out, "sessions-per-kiosk", "b"), 6);
    assert_eq!(summary(&out, "sessions-per-hour", "2026-12-01T10"), 9);
    assert_eq!(summary(&out, "sessions-per-hour", "2026-12-01T11"), 2);
    // An hour with no sessions between two with them is a bar of 0, not left out.
    assert_eq!(summary(&out, "sessions-per-hour", "2026-12-01T12"), 0);
    assert_eq!(summary(&out, "sessions-per-hour", "2026-12-01T13"), 1);
    assert_eq!(summary(&out, "language", "kk"), 4);
    assert_eq!(summary(&out, "total", "jumps"), 7);
    assert!(
        text(&o.stdout).contains(
            "a: 6 sessions, 0 opened, 0 pages, 0 jumps (2 exports, 2 repeated rows counted once)"
        ),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_bad_line_is_refused_with_its_place_and_nothing_is_written() {
    let dir = scratch("report-bad");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("bitig-stats-a-1.csv");
    std::fs::write(&good, "hour,measure,key,count\n2026-12-01T10,sessions,,3\n").unwrap();
    let bad = dir.join("bitig-stats-b-1.csv");
    std::fs::write(
        &bad,
        "hour,measure,key,count\n2026-12-01T10,sessions,,3\n2026-12-01T10,visitors,,3\n",
    )
    .unwrap();
    let out = dir.join("report");
    let o = report(&[good.clone(), bad.clone()], &out);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "{}:3:15: `visitors` is not a measure the kiosk counts",
            bad.display()
        )),
        "{err}"
    );
    assert!(!out.join("report.html").exists(), "a report was written");
    // A file the kiosk did not name.
    let renamed = dir.join("stats.csv");
    std::fs::copy(&good, &renamed).unwrap();
    let o = report(&[renamed], &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("bitig-stats-<kiosk_id>-<n>.csv"),
        "{}",
        text(&o.stderr)
    );
}
