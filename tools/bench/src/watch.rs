//! Figure 11, the editor's live preview: from saving a one-word change in the largest
//! statement to the simulator showing the new bundle (`bitig watch` and `bitig-kiosk
//! --watch`, the release builds, under Xvfb), against the 1 s budget of the tools issue.
//! The kiosk's "shown again" line is the end: it is printed once the new bundle is in the UI's
//! properties, and the window is drawn in the same turn of the event loop.

use super::{root, row, Row};
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// Saves measured (each a one-word change, back and forth).
const SAVES: usize = 6;

/// Kills the processes of the run, whatever happens.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The lines a child writes to `pipe`, each with the time it came.
fn lines(pipe: impl std::io::Read + Send + 'static) -> Receiver<(Instant, String)> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), l)).is_err() {
                return;
            }
        }
    });
    rx
}

/// The first line from `rx` containing `what`, within a minute.
fn until(rx: &Receiver<(Instant, String)>, what: &str) -> Result<(Instant, String)> {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let (t, l) = rx
            .recv_timeout(left)
            .with_context(|| format!("no line with {what:?} within a minute"))?;
        if l.contains(what) {
            return Ok((t, l));
        }
    }
}

/// The largest statement source (in bytes) of `dir`.
fn largest(dir: &Path) -> Result<PathBuf> {
    let mut best = None;
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let len = std::fs::metadata(&p)?.len();
        if p.extension().is_some_and(|x| x == "md")
            && best.as_ref().is_none_or(|b: &(u64, _)| len > b.0)
        {
            best = Some((len, p));
        }
    }
    best.map(|b| b.1).context("no statements")
}

/// The time in `bitig watch`'s line "rebuilt OUT in N ms: …".
fn rebuild_ms(line: &str) -> Result<f64> {
    line.split(" in ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .with_context(|| format!("no time in {line:?}"))
}

pub fn save_to_screen(rows: &mut Vec<Row>) -> Result<()> {
    let (bitig, kiosk) = (
        root().join("target/release/bitig"),
        root().join("target/release/bitig-kiosk"),
    );
    let xvfb = Path::new("/usr/bin/Xvfb");
    if !bitig.exists() || !kiosk.exists() || !xvfb.exists() {
        println!("11. skipped: needs target/release/bitig, target/release/bitig-kiosk and Xvfb");
        return Ok(());
    }
    let work = std::env::temp_dir().join("bitig-bench-watch");
    let _ = std::fs::remove_dir_all(&work);
    let src = work.join("statements");
    std::fs::create_dir_all(&src)?;
    for e in std::fs::read_dir(root().join("assets/statements"))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "md") && !p.ends_with("README.md") {
            std::fs::copy(&p, src.join(p.file_name().context("name")?))?;
        }
    }
    let file = largest(&src)?;
    let out = work.join("watch.bundle");
    let mut procs = Procs(Vec::new());
    let display = ":94";
    procs.0.push(
        Command::new(xvfb)
            .args([display, "-screen", "0", "800x480x24", "-nolisten", "tcp"])
            .stderr(Stdio::null())
            .spawn()?,
    );
    let mut watch = Command::new(&bitig)
        .current_dir(root())
        .arg("watch")
        .arg("--statements")
        .arg(&src)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let built = lines(watch.stdout.take().context("stdout")?);
    procs.0.push(watch);
    let (_, first) = until(&built, "rebuilt")?;
    let scratch_ms = rebuild_ms(&first)?;
    let mut sim = Command::new(&kiosk)
        .arg("--bundle")
        .arg(&out)
        .arg("--watch")
        .env("DISPLAY", display)
        .stderr(Stdio::piped())
        .spawn()?;
    let shown = lines(sim.stderr.take().context("stderr")?);
    procs.0.push(sim);
    until(&shown, "first frame shown")?;
    let text = std::fs::read_to_string(&file)?;
    let word = text
        .split_whitespace()
        .skip(40)
        .find(|w| w.len() >= 5 && w.chars().all(char::is_alphabetic))
        .context("no word to change")?
        .to_string();
    let changed = text.replacen(&format!(" {word} "), &format!(" {}x ", &word), 1);
    let (mut total, mut rebuild) = (Vec::new(), Vec::new());
    for i in 0..SAVES {
        std::thread::sleep(Duration::from_millis(500));
        let body = if i % 2 == 0 { &changed } else { &text };
        let t0 = Instant::now();
        std::fs::write(&file, body)?;
        let (_, line) = until(&built, "rebuilt")?;
        let (t1, _) = until(&shown, "shown again")?;
        total.push(t1.duration_since(t0).as_secs_f64() * 1e3);
        rebuild.push(rebuild_ms(&line)?);
    }
    std::fs::write(&file, &text)?;
    let worst = total.iter().copied().fold(0.0, f64::max);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    row(
        rows,
        &format!(
            "11. save to screen, one word in {} ({SAVES} saves)",
            name.unwrap_or_default()
        ),
        format!(
            "median {:.0} ms, worst {worst:.0} ms (of which the rebuild of one edition: median \
             {:.0} ms; the first build, every edition: {scratch_ms:.0} ms)",
            median(&mut total),
            median(&mut rebuild)
        ),
        "≤ 1000 ms",
        Some(worst <= 1000.0),
    );
    Ok(())
}
