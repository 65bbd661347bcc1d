//! `bitig stats report FILES… --out DIR`: the organiser's view of the statistics that kiosks
//! export to USB sticks (`bitig-stats-<kiosk_id>-<n>.csv`, `hour,measure,key,count` rows; see
//! `firmware/kiosk/src/stats.rs`).
//!
//! - **Reading.** Every line is checked: a bad one stops the report with its file, line and
//!   column, what is wrong and what to do ([`read_export`]).
//! - **Merging.** An export holds the kiosk's whole record, so a kiosk's second export repeats
//!   its first. Each kiosk (named by the file) counts each hour, measure and key once: the
//!   largest count its exports give, which is the newest ([`merge`]). Kiosks are then added up.
//! - **Writing.** `DIR/report.html` (one file, inline SVG charts, nothing fetched), each chart
//!   as `DIR/<name>.svg` and `DIR/<name>.png` for slides, and `DIR/summary.csv`
//!   ([`write_report`]). Same files in, same bytes out.

mod charts;
mod tables;

use anyhow::{bail, Context, Result};
use bitig_format::stats::{measure, CSV_HEADER, SESSION_BUCKETS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
pub use tables::{Merged, RowKey, Tables};

/// The kiosk id and export number of `bitig-stats-<kiosk_id>-<n>.csv`.
pub fn kiosk_of(path: &Path) -> Result<(String, u64)> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parsed = name
        .strip_prefix("bitig-stats-")
        .and_then(|r| r.strip_suffix(".csv"))
        .and_then(|r| r.rsplit_once('-'))
        .and_then(|(id, n)| Some((id, n.parse::<u64>().ok()?)))
        .filter(|(id, _)| !id.is_empty());
    match parsed {
        Some((id, n)) => Ok((id.to_string(), n)),
        None => bail!(
            "{}: not a kiosk's export: the kiosk names it bitig-stats-<kiosk_id>-<n>.csv, and the report takes the kiosk from that name; give the file its name back",
            path.display()
        ),
    }
}

/// Whether `h` is an hour label the kiosk writes: `2026-12-02T14` (its clock was set) or
/// `start-17+03` (the fourth hour after the 17th start, clock not set).
fn hour_ok(h: &str) -> bool {
    if let Some(rest) = h.strip_prefix("start-") {
        return rest.split_once('+').is_some_and(|(s, n)| {
            !s.is_empty()
                && !n.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && n.bytes().all(|b| b.is_ascii_digit())
        });
    }
    let b = h.as_bytes();
    b.len() == 13
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
        && (1..=12).contains(&h[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&h[8..10].parse::<u8>().unwrap_or(0))
        && h[11..13].parse::<u8>().unwrap_or(99) < 24
}

/// What is wrong with a row's measure and key, if anything: the field at fault (1 the
/// measure, 2 the key) and why.
fn key_problem(m: &str, key: &str) -> Option<(usize, String)> {
    let ok = match m {
        measure::SESSIONS | measure::CONTENTS_JUMPS | measure::PAGE_JUMPS | measure::UNDERRUNS => {
            key.is_empty()
        }
        measure::LANGUAGE => bitig_format::Lang::from_tag(key).is_some(),
        measure::SESSION_LENGTH => SESSION_BUCKETS.iter().any(|b| b.1 == key),
        measure::OPENED => !key.is_empty() && !key.contains('/'),
        measure::PAGES => key
            .split_once('/')
            .is_some_and(|(d, l)| !d.is_empty() && bitig_format::Lang::from_tag(l).is_some()),
        _ => return Some((1, format!("`{m}` is not a measure the kiosk counts"))),
    };
    (!ok).then(|| {
        let want = match m {
            measure::SESSIONS
            | measure::CONTENTS_JUMPS
            | measure::PAGE_JUMPS
            | measure::UNDERRUNS => "an empty key".to_string(),
            measure::LANGUAGE => "kk, tr or en".to_string(),
            measure::SESSION_LENGTH => SESSION_BUCKETS
                .iter()
                .map(|b| b.1)
                .collect::<Vec<_>>()
                .join(", "),
            measure::OPENED => "a statement id".to_string(),
            _ => "STATEMENT/LANG, e.g. jspg-8-2026/kk".to_string(),
        };
        (2, format!("`{key}` is not a key of `{m}` (want {want})"))
    })
}

/// The rows of one export. `text` is the file's content; errors name `path`, the line and
/// the column.
pub fn read_export(path: &Path, text: &str) -> Result<BTreeMap<RowKey, u64>> {
    let fix = "the kiosk writes `hour,measure,key,count` rows; export again from the kiosk, or mend or delete the line";
    let mut rows = BTreeMap::new();
    let mut header = false;
    for (i, line) in text.lines().enumerate() {
        let at = |col: usize| format!("{}:{}:{col}", path.display(), i + 1);
        // The kiosk's own record starts with `# bitig-stats start N`.
        if line.starts_with('#') || (line.is_empty() && !header) {
            continue;
        }
        if !header {
            // A spreadsheet that saved the file again may have put a byte-order mark first.
            let line = line.trim_start_matches('\u{feff}');
            if line != CSV_HEADER {
                bail!(
                    "{}: the first line is {line:?}, not the header `{CSV_HEADER}`: this is not a kiosk's statistics export",
                    at(1)
                );
            }
            header = true;
            continue;
        }
        if line.is_empty() {
            bail!("{}: an empty line; {fix}", at(1));
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [hour, m, key, count] = fields.as_slice() else {
            bail!(
                "{}: {} fields where there are 4 (hour,measure,key,count); {fix}",
                at(1),
                fields.len()
            );
        };
        let col = |n: usize| {
            1 + fields[..n]
                .iter()
                .map(|f| f.chars().count() + 1)
                .sum::<usize>()
        };
        if !hour_ok(hour) {
            bail!(
                "{}: `{hour}` is not an hour (2026-12-02T14, or start-17+03 when the kiosk's clock was not set); {fix}",
                at(col(0))
            );
        }
        if let Some((field, why)) = key_problem(m, key) {
            bail!("{}: {why}; {fix}", at(col(field)));
        }
        let Ok(n) = count.parse::<u64>() else {
            bail!(
                "{}: the count `{count}` is not a whole number; {fix}",
                at(col(3))
            );
        };
        let k = (hour.to_string(), m.to_string(), key.to_string());
        if rows.insert(k, n).is_some() {
            bail!(
                "{}: `{hour},{m},{key}` comes twice in one export; a kiosk writes each once, so the file was edited: {fix}",
                at(1)
            );
        }
    }
    if !header {
        bail!(
            "{}: empty: no `{CSV_HEADER}` header; copy the export from the stick again",
            path.display()
        );
    }
    Ok(rows)
}

/// Reads and merges `files`; `progress` is told of each file read.
pub fn merge(files: &[PathBuf], progress: &mut dyn FnMut(usize)) -> Result<Merged> {
    let mut merged = Merged::default();
    for (i, path) in files.iter().enumerate() {
        let (id, _) = kiosk_of(path)?;
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: byte {}: not UTF-8 text; copy the export from the stick again",
                path.display(),
                e.valid_up_to()
            )
        })?;
        let rows = read_export(path, text)?;
        let kiosk = merged.kiosks.entry(id).or_default();
        kiosk.files.push(path.clone());
        for (k, n) in rows {
            match kiosk.counts.get_mut(&k) {
                Some(old) => {
                    kiosk.repeated_rows += 1;
                    *old = (*old).max(n);
                }
                None => {
                    kiosk.counts.insert(k, n);
                }
            }
        }
        progress(i + 1);
    }
    Ok(merged)
}

/// `summary.csv`: one `table,key,count` row per bar of every chart, then the totals.
pub fn summary_csv(t: &Tables) -> String {
    let mut out = String::from("table,key,count\n");
    let mut put = |table: &str, rows: &[(String, u64)]| {
        for (k, n) in rows {
            out.push_str(&format!("{table},{k},{n}\n"));
        }
    };
    put("sessions-per-hour", &t.per_hour);
    put("sessions-per-day", &t.per_day);
    put("sessions-per-kiosk", &t.per_kiosk);
    put("language", &t.language);
    put("statements-opened", &t.opened);
    put("pages-read", &t.pages);
    put("session-length", &t.session_length);
    put("jumps", &t.jumps);
    put(
        "total",
        &[
            ("sessions".to_string(), t.totals.sessions),
            ("sessions-clock-not-set".to_string(), t.unplaced_sessions),
            ("statements-opened".to_string(), t.totals.opened),
            ("pages".to_string(), t.totals.pages),
            ("jumps".to_string(), t.totals.jumps),
            ("voice-underruns".to_string(), t.underruns),
        ],
    );
    out
}

/// The charts of the report: (file stem, title, SVG).
pub fn chart_svgs(t: &Tables) -> Result<Vec<(&'static str, String, String)>> {
    charts::all(t)
}

/// Writes `report.html`, `summary.csv` and each chart as SVG and PNG into `out`, each file
/// atomically. Returns the files written.
pub fn write_report(m: &Merged, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let t = m.tables();
    let charts = chart_svgs(&t)?;
    let mut written = Vec::new();
    let mut write = |name: String, bytes: &[u8]| -> Result<()> {
        let path = out.join(name);
        bitig_io::durable::write(&path, bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    let raster = charts::Rasterizer::new();
    for (stem, _, svg) in &charts {
        write(format!("{stem}.svg"), svg.as_bytes())?;
        write(format!("{stem}.png"), &raster.png(svg)?)?;
    }
    write("summary.csv".to_string(), summary_csv(&t).as_bytes())?;
    write("report.html".to_string(), html(m, &t, &charts).as_bytes())?;
    Ok(written)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The self-contained report page.
fn html(m: &Merged, t: &Tables, charts: &[(&str, String, String)]) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Bitig kiosks: visitor report</title>\n<style>\nbody{font-family:'Noto Sans',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}\ntable{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}\nfigure{margin:2rem 0}svg{max-width:100%;height:auto}\n</style>\n</head>\n<body>\n<h1>Visitor report</h1>\n",
    );
    let files: usize = m.kiosks.values().map(|k| k.files.len()).sum();
    let repeated: u64 = m.kiosks.values().map(|k| k.repeated_rows).sum();
    h.push_str(&format!(
        "<p>{} kiosks, {files} exports read; {repeated} rows that a kiosk exported more than once are counted once.",
        m.kiosks.len()
    ));
    if t.underruns > 0 {
        h.push_str(&format!(
            " The voice's sound cards ran dry {} times (underruns: stutters a visitor heard).",
            t.underruns
        ));
    }
    if t.unplaced_sessions > 0 {
        h.push_str(&format!(
            " {} sessions were counted while a kiosk's clock was not set: they are in the totals, not in the charts by hour and day.",
            t.unplaced_sessions
        ));
    }
    h.push_str("</p>\n<table>\n<tr><th>Kiosk</th><th>Exports</th><th>Sessions</th><th>Statements opened</th><th>Pages</th><th>Jumps</th></tr>\n");
    for (id, k) in &m.kiosks {
        let kt = k.totals();
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(id),
            k.files.len(),
            kt.sessions,
            kt.opened,
            kt.pages,
            kt.jumps
        ));
    }
    h.push_str(&format!(
        "<tr><th>All</th><th>{files}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n</table>\n",
        t.totals.sessions, t.totals.opened, t.totals.pages, t.totals.jumps
    ));
    for (stem, title, svg) in charts {
        // The SVG's own XML declaration does not belong inside HTML.
        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        h.push_str(&format!(
            "<figure id=\"{stem}\">\n{body}\n<figcaption>{} ({stem}.png)</figcaption>\n</figure>\n",
            escape(title)
        ));
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> PathBuf {
        PathBuf::from(name)
    }

    #[test]
    fn file_names_give_the_kiosk() {
        assert_eq!(
            kiosk_of(&p("x/bitig-stats-astana-hall-2-3.csv")).unwrap(),
            ("astana-hall-2".to_string(), 3)
        );
        let e = kiosk_of(&p("stats.csv")).unwrap_err().to_string();
        assert!(e.contains("bitig-stats-<kiosk_id>-<n>.csv"), "{e}");
    }

    #[test]
    fn hours_are_the_kiosks_two_kinds() {
        for h in ["2026-12-02T14", "start-17+03", "start-1+120"] {
            assert!(hour_ok(h), "{h}");
        }
        for h in [
            "2026-13-02T14",
            "2026-12-02T24",
            "2026-12-02 14",
            "start-+1",
            "start-1",
        ] {
            assert!(!hour_ok(h), "{h}");
        }
    }

    /// One kiosk's sessions in the given hours.
    fn sessions_at(hours: &[(&str, u64)]) -> Merged {
        let mut m = Merged::default();
        let k = m.kiosks.entry("k".into()).or_default();
        for (h, n) in hours {
            k.counts
                .insert((h.to_string(), measure::SESSIONS.into(), String::new()), *n);
        }
        m
    }

    #[test]
    fn a_clock_set_years_wrong_charts_its_hours_without_filling_the_gap() {
        let t = sessions_at(&[
            ("2026-12-01T10", 3),
            ("2026-12-01T12", 1),
            ("2031-05-01T09", 2),
        ])
        .tables();
        let hours: Vec<&str> = t.per_hour.iter().map(|h| h.0.as_str()).collect();
        assert_eq!(hours, ["2026-12-01T10", "2026-12-01T12", "2031-05-01T09"]);
        assert_eq!(t.per_day.len(), 2);
        // A short span gets its empty hours as bars of 0.
        let t = sessions_at(&[("2026-12-01T10", 1), ("2026-12-01T12", 1)]).tables();
        assert_eq!(t.per_hour[1], ("2026-12-01T11".to_string(), 0));
    }

    #[test]
    fn a_byte_order_mark_before_the_header_is_not_an_error() {
        let rows = read_export(
            &p("bitig-stats-k-1.csv"),
            "\u{feff}hour,measure,key,count\r\n2026-12-02T14,sessions,,3\r\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn a_bad_line_is_named_with_its_line_and_column() {
        let f = p("bitig-stats-k-1.csv");
        let text =
            "hour,measure,key,count\n2026-12-02T14,sessions,,3\n2026-12-02T14,language,de,1\n";
        let e = read_export(&f, text).unwrap_err().to_string();
        assert!(
            e.starts_with("bitig-stats-k-1.csv:3:24: `de` is not a key of `language`"),
            "{e}"
        );
        let text = "hour,measure,key,count\n2026-12-02T14,pages,jspg/kk,many\n";
        let e = read_export(&f, text).unwrap_err().to_string();
        assert!(
            e.starts_with("bitig-stats-k-1.csv:2:29: the count `many`"),
            "{e}"
        );
        let e = read_export(&f, "a,b\n").unwrap_err().to_string();
        assert!(e.contains(":1:1: the first line"), "{e}");
    }
}
