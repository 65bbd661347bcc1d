//! Shared helpers: build real bundles with the real typesetter, run the real kiosk binary
//! headless with a touch script, and compare its screenshots with PNG goldens exactly.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod disk;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The default content (assets/statements) for `profile`, built once per test binary.
pub fn bundle(profile: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kiosk-{profile}.bundle"));
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap();
    if !built.iter().any(|p| p == profile) {
        let inputs = bitig_typeset::Inputs::new(&root().join("assets"));
        let sources = bitig_typeset::load_sources(&inputs).unwrap();
        let bytes = bitig_typeset::build_bundle(
            &sources,
            &root().join(format!("assets/profiles/{profile}.toml")),
            &mut |_| {},
        )
        .unwrap();
        bitig_io::durable::write(&out, &bytes).unwrap();
        built.push(profile.to_string());
    }
    out
}

/// The default content for `profile` with its speech part beside it (`kiosk-voice-….bundle`
/// and `.speech`), built once per test binary; the synthesis is cached under target/.
pub fn voice_bundle(profile: &str) -> PathBuf {
    voice_bundle_of("assets/statements", profile)
}

/// Like [`voice_bundle`] for the statements in `statements` (relative to the repository).
pub fn voice_bundle_of(statements: &str, profile: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let tag = format!("{}-{profile}", statements.replace('/', "-"));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kiosk-voice-{tag}.bundle"));
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap();
    if !built.contains(&tag) {
        let mut inputs = bitig_typeset::Inputs::new(&root().join("assets"));
        inputs.statements = vec![root().join(statements)];
        let sources = bitig_typeset::load_sources(&inputs).unwrap();
        let bytes = bitig_typeset::build_bundle(
            &sources,
            &root().join(format!("assets/profiles/{profile}.toml")),
            &mut |_| {},
        )
        .unwrap();
        let b = bitig_format::Bundle::from_bundle_bytes(&bytes).unwrap();
        let hash = bitig_format::Header::from_bundle_bytes(&bytes)
            .unwrap()
            .hash;
        let speaker = bitig_speech::Speaker::new(
            &root().join("assets/speech"),
            Some(root().join("target/bitig/speech-cache")),
        )
        .expect("espeak-ng (scripts/setup-debian.sh installs it)");
        let mut parts = bitig_speech::part::PartBuilder::new(&speaker).unwrap();
        let speech = parts.part(&b, hash).unwrap();
        bitig_io::durable::write(&out, &bytes).unwrap();
        bitig_io::durable::write(&out.with_extension("speech"), &speech).unwrap();
        built.push(tag);
    }
    out
}

/// The kiosk in this process on `bundle` (800x480, default config, the headless platform),
/// opened by touch to the first statement in English. One per test binary: the platform is
/// installed once.
pub fn kiosk_in_reader(
    bundle: &Path,
) -> (
    bitig_kiosk::platform::headless::Headless,
    bitig_kiosk::app::Kiosk,
) {
    use bitig_kiosk::config::{Config, Rotation};
    let (mut h, clock) = bitig_kiosk::platform::headless::Headless::install(Rotation::R0).unwrap();
    let kiosk = bitig_kiosk::app::Kiosk::new(
        bitig_kiosk::content::load_bundle(bundle),
        Config::load(None).unwrap(),
        clock,
    )
    .unwrap();
    h.attach(&kiosk).unwrap();
    h.tap(400.0, 300.0); // wake
    h.tap(400.0, 350.0); // English
    h.tap(300.0, 120.0); // the first statement
    assert_eq!(kiosk.screen(), bitig_kiosk::nav::Screen::Reader);
    (h, kiosk)
}

pub struct Run {
    pub code: Option<i32>,
    pub stderr: String,
    pub stdout: String,
    pub shots: PathBuf,
}

/// The kiosk under test: this build's binary, or a cross-built one when `BITIG_KIOSK_BIN` is
/// set, started through `BITIG_KIOSK_RUNNER` (e.g. `qemu-aarch64-static -L /usr/aarch64-linux-gnu`)
/// so the same goldens check the aarch64 and armv7 builds (scripts/cross-test).
pub fn kiosk_command() -> Command {
    let bin = std::env::var_os("BITIG_KIOSK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_bitig-kiosk")));
    let runner = std::env::var("BITIG_KIOSK_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(bin);
            c
        }
        None => Command::new(bin),
    }
}

/// Runs `bitig-kiosk --headless` with a touch script and `extra` arguments but no
/// `--bundle` (the content comes from the config's content slots).
pub fn run_without_bundle(name: &str, script: &str, extra: &[&str]) -> Run {
    run_with(name, None, script, extra)
}

/// Runs `bitig-kiosk --headless` on `bundle` with the script text; screenshots go to a fresh
/// folder named `name`.
pub fn run(name: &str, bundle: &Path, script: &str, extra: &[&str]) -> Run {
    run_with(name, Some(bundle), script, extra)
}

fn run_with(name: &str, bundle: Option<&Path>, script: &str, extra: &[&str]) -> Run {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("kiosk-runs")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script_path = dir.join("script.txt");
    std::fs::write(&script_path, script).unwrap();
    let shots = dir.join("shots");
    let mut c = kiosk_command();
    c.arg("--headless");
    if let Some(b) = bundle {
        c.arg("--bundle").arg(b);
    }
    let o = c
        .arg("--script")
        .arg(&script_path)
        .arg("--screenshot")
        .arg(&shots)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "{name}: the kiosk panicked:\n{stderr}"
    );
    Run {
        code: o.status.code(),
        stderr,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        shots,
    }
}

pub fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let img = bitig_io::png::read(path).unwrap();
    (img.width, img.height, img.data)
}

/// Compares every screenshot with `tests/goldens/kiosk/<set>/`. `BITIG_BLESS=1` rewrites the
/// goldens; mismatches are copied to `tests/goldens/kiosk/<set>/current/` (gitignored) and
/// reported together.
pub fn compare(set: &str, shots: &Path) {
    let goldens = root().join("tests/goldens/kiosk").join(set);
    let current = goldens.join("current");
    let bless = bitig_io::ci::bless();
    let mut names: Vec<PathBuf> = std::fs::read_dir(shots)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "{set}: no screenshots were taken");
    let mut failures = Vec::new();
    for shot in &names {
        let name = shot.file_name().unwrap();
        let golden = goldens.join(name);
        if bless {
            std::fs::create_dir_all(&goldens).unwrap();
            std::fs::copy(shot, &golden).unwrap();
            continue;
        }
        if !golden.exists() {
            failures.push(format!(
                "{}: no golden (run with BITIG_BLESS=1 to create it)",
                golden.display()
            ));
            continue;
        }
        let (a, b) = (decode(shot), decode(&golden));
        if a != b {
            let differing = if a.0 == b.0 && a.1 == b.1 {
                a.2.chunks(3)
                    .zip(b.2.chunks(3))
                    .filter(|(x, y)| x != y)
                    .count()
            } else {
                usize::MAX
            };
            std::fs::create_dir_all(&current).unwrap();
            std::fs::copy(shot, current.join(name)).unwrap();
            failures.push(format!(
                "{}: {differing} pixels differ; see {}",
                golden.display(),
                current.join(name).display()
            ));
        }
    }
    // Every golden must still be shot: a script whose `shot` line was removed fails here
    // (blessing removes the stale golden).
    let shot_names: Vec<_> = names.iter().filter_map(|p| p.file_name()).collect();
    if let Ok(entries) = std::fs::read_dir(&goldens) {
        for g in entries.filter_map(Result::ok).map(|e| e.path()) {
            let is_png = g.extension().is_some_and(|x| x == "png");
            let Some(name) = g.file_name() else { continue };
            if !is_png || shot_names.contains(&name) {
                continue;
            }
            if bless {
                std::fs::remove_file(&g).unwrap();
            } else {
                failures.push(format!(
                    "{}: no screenshot was taken for this golden (was its shot line removed?)",
                    g.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} screenshot(s) differ from the goldens:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Whether this test may mount filesystems (it runs as root). A test that needs it and cannot
/// have it skips with a note, except under `CI=true`, where skipping is a failure (CI runs as
/// root).
pub fn can_mount(what: &str) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    if status.lines().any(|l| l.starts_with("Uid:\t0\t")) {
        return true;
    }
    bitig_io::ci::skip(what, "needs root (mounting)");
    false
}

/// A mount point, unmounted when dropped (even when the test fails).
pub struct Mounted<'a>(pub &'a Path);

impl Drop for Mounted<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}
