//! Visitor statistics end to end: a power cut while they are written, 1,000 scripted sessions
//! exported to an operator stick and checked against what the script did, and a read-only
//! stick refused with a clear error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_format::{Bundle, Lang, TextSize};
use bitig_kiosk::app::{load_bundle, Kiosk, Options};
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;
use bitig_kiosk::stats::{self, Stats};
use common::disk::Disk;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fresh_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn unset_clock() -> stats::WallClock {
    Box::new(|| Some(0))
}

/// A power cut at every step of writing the record, with every outcome the card allows for
/// what was not synced: the file is always there, whole, holding the old record or the new
/// one. The new one is at most FLUSH_MS behind the counts (the kiosk writes it that often
/// while they change), so a cut loses at most the last minute. Removing any one `sync` or
/// `sync_dir` from bitig_io::durable::write_with makes this fail.
#[test]
fn a_power_cut_while_statistics_are_written_keeps_the_old_or_the_new_record() {
    let mut s = Stats::empty(0, 0, unset_clock());
    s.session_started(1_000);
    s.language(2_000, Lang::En);
    let old = s.take_record();
    for i in 0..40 {
        s.page(3_000 + i, "jspg-8-2026", Lang::Kk);
    }
    s.contents_jump(4_000);
    let new = s.take_record();
    assert_ne!(old, new);
    let count_steps = {
        let dir = fresh_dir("stats-cut-count");
        std::fs::write(dir.join(stats::STATS_FILE), &old).unwrap();
        let mut disk = Disk::of(&dir, usize::MAX);
        bitig_io::durable::write_with(&mut disk, &dir.join(stats::STATS_FILE), &new).unwrap();
        disk.used
    };
    assert_eq!(
        count_steps, 5,
        "create, write, fsync, rename, fsync of the folder"
    );
    let (mut states, mut landed) = (0, [0usize; 2]);
    for n in 0..=count_steps {
        let dir = fresh_dir("stats-cut");
        std::fs::write(dir.join(stats::STATS_FILE), &old).unwrap();
        let mut disk = Disk::of(&dir, n);
        let finished =
            bitig_io::durable::write_with(&mut disk, &dir.join(stats::STATS_FILE), &new).is_ok();
        for (what, files) in disk.crash_states() {
            states += 1;
            let at = format!("cut after {n} of {count_steps} steps, {what}");
            let record = files
                .iter()
                .find(|(name, _)| name == stats::STATS_FILE)
                .map(|(_, d)| d.clone())
                .unwrap_or_else(|| panic!("{at}: {} is gone", stats::STATS_FILE));
            let is_new = record == new;
            assert!(
                is_new || record == old,
                "{at}: the record is torn ({} bytes)",
                record.len()
            );
            assert!(!finished || is_new, "{at}: the finished write was lost");
            // Whatever survived reads back without a bad line.
            let (_, bad) = Stats::from_record(&record, 0, 0, unset_clock());
            assert!(bad.is_empty(), "{at}: {bad:?}");
            landed[usize::from(is_new)] += 1;
        }
    }
    assert!(states > 3 * count_steps, "{states} states");
    assert!(landed[0] > 0 && landed[1] > 0, "{landed:?}");
}

/// A tiny deterministic generator for the scripted sessions.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// What the script implies: (hour, measure, key) -> count.
#[derive(Default)]
struct Expected(BTreeMap<(String, String, String), u64>);

impl Expected {
    fn add(&mut self, at_ms: u64, measure: &str, key: &str) {
        let hour = format!("start-1+{:02}", at_ms / 3_600_000);
        *self
            .0
            .entry((hour, measure.to_string(), key.to_string()))
            .or_insert(0) += 1;
    }
}

/// The centre of the control `name` among the controls laid out since the last look.
fn control(kiosk: &Kiosk, seen: &mut Vec<bitig_kiosk::app::Control>, name: &str) -> (f32, f32) {
    seen.extend(kiosk.take_controls());
    let c = seen
        .iter()
        .rev()
        .find(|c| c.0 == name)
        .unwrap_or_else(|| panic!("no control {name} was laid out"));
    // The centre of the part on the 800x480 screen.
    let (x0, x1) = (c.1.max(0.0), (c.1 + c.3).min(800.0));
    let (y0, y1) = (c.2.max(0.0), (c.2 + c.4).min(480.0));
    ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
}

/// A tap; returns the clock at the release (when the UI acts on it).
fn tap(h: &mut Headless, (x, y): (f32, f32)) -> u64 {
    h.tap(x, y);
    h.now_ms() - bitig_kiosk::platform::headless::STEP_MS
}

fn write_config(dir: &Path, content: &Path, usb: &Path) -> PathBuf {
    let p = dir.join("kiosk.toml");
    std::fs::write(
        &p,
        format!(
            "idle_timeout_s = 6\ncontent_dir = \"{}\"\nusb_dir = \"{}\"\nkiosk_id = \"hall-2\"\n",
            content.display(),
            usb.display()
        ),
    )
    .unwrap();
    p
}

/// Advances until `done` holds, in 16 ms steps with a real pause between them (the update
/// worker writes on its own thread); panics after `limit` steps.
fn advance_until(h: &mut Headless, limit: u32, mut done: impl FnMut() -> bool) {
    for _ in 0..limit {
        if done() {
            return;
        }
        h.advance(16);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("gave up waiting after {limit} steps");
}

/// 1,000 sessions, each: wake, a language, a statement, sometimes a jump from its contents
/// list, a few page turns, sometimes a long read, then the idle reset. Then an operator stick
/// with `bitig/export-stats` gets the CSV, which must say exactly what the script did, hour
/// by hour; the record on the content folder says the same once the kiosk stops.
#[test]
fn a_thousand_sessions_are_counted_and_exported_to_a_stick() {
    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    // With its speech part: the export's notice is said too.
    let path = common::voice_bundle("pi-touch-800x480");
    let bytes = std::fs::read(&path).unwrap();
    let b = Bundle::from_bundle_bytes(&bytes).unwrap();
    let work = fresh_dir("stats-sessions");
    let content = work.join("content");
    let usb = work.join("usb");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::create_dir_all(usb.join("bitig")).unwrap();
    let cfg = Config::load(Some(&write_config(&work, &content, &usb))).unwrap();
    let options = Options {
        wall_clock: Some(unset_clock()),
        ..Default::default()
    };
    let kiosk = Kiosk::with_options(load_bundle(&path), cfg, clock, options).unwrap();
    kiosk.record_controls();
    h.attach(&kiosk).unwrap();
    let mut seen = Vec::new();
    let mut rng = Lcg(2026);
    let mut want = Expected::default();
    let langs = [Lang::Kk, Lang::Tr, Lang::En];
    let lang_y = [132.0, 240.0, 348.0];
    let (mut jumps, mut long_reads) = (0, 0);
    for session in 0..1000 {
        assert_eq!(kiosk.screen(), Screen::Attract, "session {session}");
        let t0 = tap(&mut h, (400.0, 300.0));
        want.add(t0, stats::measure::SESSIONS, "");
        let li = rng.below(3) as usize;
        let t = tap(&mut h, (400.0, lang_y[li]));
        let mut last;
        want.add(t, stats::measure::LANGUAGE, langs[li].tag());
        assert_eq!(kiosk.screen(), Screen::Library, "session {session}");
        // A statement whose card is on the first screen of the library (no scrolling).
        let shown: Vec<usize> = (0..b.documents.len())
            .filter(|i| control(&kiosk, &mut seen, &format!("card {i}")).1 < 440.0)
            .collect();
        let doc = shown[rng.below(shown.len() as u64) as usize];
        let d = &b.documents[doc];
        let t = tap(&mut h, control(&kiosk, &mut seen, &format!("card {doc}")));
        last = t;
        assert_eq!(kiosk.screen(), Screen::Reader, "session {session}");
        want.add(t, stats::measure::OPENED, d.id);
        let edition = d
            .edition(langs[li])
            .or_else(|| langs.iter().find_map(|&l| d.edition(l)))
            .unwrap();
        let pages_key = format!("{}/{}", d.id, edition.lang.tag());
        want.add(t, stats::measure::PAGES, &pages_key);
        let layout = edition.layout(TextSize::Normal).unwrap();
        let mut page = 0u16;
        // From the first page, a jump from the contents list to one of its first entries.
        if !edition.contents.is_empty() && rng.below(4) == 0 {
            tap(&mut h, control(&kiosk, &mut seen, "contents"));
            assert_eq!(kiosk.screen(), Screen::Contents, "session {session}");
            let entry = rng.below(edition.contents.len().min(4) as u64) as usize;
            let t = tap(
                &mut h,
                control(&kiosk, &mut seen, &format!("contents entry {entry}")),
            );
            last = t;
            want.add(t, stats::measure::CONTENTS_JUMPS, "");
            let target = layout.block_pages[usize::from(edition.contents[entry].block)];
            if target != page {
                want.add(t, stats::measure::PAGES, &pages_key);
            }
            page = target;
            jumps += 1;
        }
        for _ in 0..rng.below(4) {
            let t = tap(&mut h, (780.0, 250.0));
            last = t;
            if usize::from(page) + 1 < layout.pages.len() {
                page += 1;
                want.add(t, stats::measure::PAGES, &pages_key);
            }
            h.advance(300);
        }
        assert_eq!(kiosk.page().0, page, "session {session}");
        if rng.below(10) == 0 {
            // A slow reader: a touch in the middle of the page every 2 s for 40 s.
            long_reads += 1;
            for _ in 0..20 {
                h.advance(2_000);
                last = tap(&mut h, (400.0, 250.0));
            }
        }
        h.advance(6_100);
        assert_eq!(kiosk.screen(), Screen::Attract, "session {session}");
        // The session ends at the idle reset, 6 s after the last touch.
        let end = last + 6_000;
        let secs = (end - t0) / 1000;
        let bucket = stats::SESSION_BUCKETS
            .iter()
            .find(|(bound, _)| secs < *bound)
            .unwrap()
            .1;
        want.add(end, stats::measure::SESSION_LENGTH, bucket);
    }
    assert!(
        jumps > 100 && long_reads > 50,
        "{jumps} jumps, {long_reads} long reads"
    );
    assert!(
        h.now_ms() > 3_600_000,
        "the sessions span more than one hour"
    );

    // The operator's stick.
    std::fs::write(usb.join("bitig/export-stats"), b"").unwrap();
    let file = usb.join("bitig/bitig-stats-hall-2-1.csv");
    advance_until(&mut h, 2_000, || file.exists());
    let csv = std::fs::read_to_string(&file).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(stats::CSV_HEADER));
    let got: BTreeMap<(String, String, String), u64> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            (
                (f[0].to_string(), f[1].to_string(), f[2].to_string()),
                f[3].parse().unwrap(),
            )
        })
        .collect();
    for (k, v) in &want.0 {
        assert_eq!(got.get(k), Some(v), "{k:?}");
    }
    assert_eq!(got.len(), want.0.len(), "rows the script does not imply");
    let sessions: u64 = got
        .iter()
        .filter(|(k, _)| k.1 == stats::measure::SESSIONS)
        .map(|(_, v)| v)
        .sum();
    assert_eq!(sessions, 1000);
    // The screen says how many rows went to the stick.
    advance_until(&mut h, 200, || kiosk.notice().is_some());
    let notice = kiosk.notice().unwrap();
    assert!(
        notice.contains(&format!("{} rows", want.0.len())),
        "{notice}"
    );
    // Heard as well as seen, in the UI language (EN 301 549 5.1.3.15).
    assert!(
        matches!(
            kiosk.saying(),
            Some(bitig_format::speech::Said::Ui {
                key: "export.done",
                ..
            })
        ),
        "the notice is not said: {:?}",
        kiosk.saying()
    );
    // A second export gets the next number.
    std::fs::remove_file(usb.join("bitig/export-stats")).unwrap();
    h.advance(100);
    std::fs::write(usb.join("bitig/export-stats"), b"again").unwrap();
    let second = usb.join("bitig/bitig-stats-hall-2-2.csv");
    advance_until(&mut h, 2_000, || second.exists());
    // Stopping writes the record to the content folder.
    kiosk.shutdown();
    let record = std::fs::read(content.join(stats::STATS_FILE)).unwrap();
    let (kept, bad) = Stats::from_record(&record, 0, 0, unset_clock());
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(kept.csv(), csv);
}

/// An operator stick with `bitig/export-stats` in place when the kiosk starts: the counts on
/// record go to it, and the screen says how many rows and which file (golden). A read-only
/// stick (a tmpfs mounted read-only, as root) gets E-READONLY on the screen and nothing is
/// lost: the record stays as it was.
#[test]
fn the_export_screen_confirms_the_rows_and_a_read_only_stick_gets_a_clear_error() {
    let work = fresh_dir("stats-export");
    let content = work.join("content");
    std::fs::create_dir_all(&content).unwrap();
    let record = "# bitig-stats start 3\nhour,measure,key,count\n\
                  start-3+00,sessions,,12\nstart-3+00,language,kk,7\nstart-3+00,language,en,5\n\
                  start-3+01,pages,jspg-8-2026/kk,40\n";
    std::fs::write(content.join(stats::STATS_FILE), record).unwrap();
    let usb = work.join("usb");
    std::fs::create_dir_all(usb.join("bitig")).unwrap();
    std::fs::write(usb.join("bitig/export-stats"), b"").unwrap();
    let cfg = write_config(&work, &content, &usb);
    let b = common::bundle("pi-touch-800x480");
    let script = "wait 500\nshot 1-exported\n";
    let r = common::run(
        "stats-export",
        &b,
        script,
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let csv = std::fs::read_to_string(usb.join("bitig/bitig-stats-hall-2-1.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(r.stderr.contains("4 rows"), "{}", r.stderr);
    common::compare("stats-export", &r.shots);

    // Read-only.
    if !common::can_mount("the read-only stick test") {
        return;
    }
    let ro = work.join("ro-usb");
    std::fs::create_dir_all(&ro).unwrap();
    let sh = |cmd: &str| {
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .status()
            .unwrap();
        assert!(st.success(), "{cmd}");
    };
    sh(&format!(
        "mount -t tmpfs -o size=1m bitig-test {}",
        ro.display()
    ));
    let mounted = common::Mounted(&ro);
    sh(&format!(
        "mkdir {0}/bitig && touch {0}/bitig/export-stats && mount -o remount,ro {0}",
        ro.display()
    ));
    let before = std::fs::read(content.join(stats::STATS_FILE)).unwrap();
    let cfg = write_config(&work, &content, &ro);
    let r = common::run(
        "stats-export-ro",
        &b,
        script,
        &["--config", cfg.to_str().unwrap()],
    );
    drop(mounted);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("[E-READONLY]"), "{}", r.stderr);
    common::compare("stats-export-readonly", &r.shots);
    // The record is the same counts (rewritten at the stop, one start later).
    let after = std::fs::read(content.join(stats::STATS_FILE)).unwrap();
    let (a, _) = Stats::from_record(&before, 0, 0, unset_clock());
    let (b2, _) = Stats::from_record(&after, 0, 0, unset_clock());
    assert_eq!(a.csv(), b2.csv());
}

/// The model explores every pending directory change, the ninth and later too: a file
/// linked by the ninth create shows up in some crash state, and is missing from another.
#[test]
fn crash_states_cover_every_pending_directory_change() {
    let dir = std::env::temp_dir().join(format!("bitig-disk-model-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut disk = Disk::of(&dir, usize::MAX);
    for i in 0..10 {
        bitig_io::Fs::create(&mut disk, &dir.join(format!("f{i}"))).unwrap();
    }
    let states = disk.crash_states();
    let has = |name: &str| {
        states
            .iter()
            .filter(|s| s.1.iter().any(|f| f.0 == name))
            .count()
    };
    assert!(
        has("f9") > 0,
        "no crash state holds the file of the 10th change"
    );
    assert!(has("f9") < states.len(), "every crash state holds it");
    let _ = std::fs::remove_dir_all(&dir);
}
