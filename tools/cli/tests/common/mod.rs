//! Shared helpers for the CLI tests: run the real `bitig` binary on real inputs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn bitig(args: &[&str]) -> Output {
    let out = bitig_command(args).output();
    match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run bitig: {e}"),
    }
}

/// The `bitig` command with `args`, run in the repository, to adjust before running.
pub fn bitig_command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bitig"));
    c.current_dir(repo()).args(args);
    c
}

/// A fresh, empty scratch directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    d
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The two fixture sources (the Kazakh and Turkish samples) copied into `dir`, made.
pub fn copy_fixture_sources(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    for f in ["sample-kk.kk.md", "sample-tr.tr.md"] {
        let from = repo().join("tests/fixtures").join(f);
        std::fs::copy(&from, dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
}

/// `bitig build --no-speech` of `statements` for the profile file `profile` into `out`;
/// fails the test with its messages if it fails. Returns the bundle's bytes.
pub fn build_no_speech(statements: &Path, profile: &str, out: &Path) -> Vec<u8> {
    let o = bitig(&[
        "build",
        "--no-speech",
        "--statements",
        &statements.to_string_lossy(),
        "--profile",
        profile,
        "--out",
        &out.to_string_lossy(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::read(out).unwrap_or_else(|e| panic!("{}: {e}", out.display()))
}

/// Builds the fixture documents (Turkish and Kazakh samples) for one profile into `out`.
pub fn build_fixtures(profile: &str, out: &Path) {
    let o = bitig(&[
        "build",
        "--statements",
        "tests/fixtures",
        "--profile",
        profile,
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert!(
        o.status.success(),
        "fixture build failed: {}",
        text(&o.stderr)
    );
}

/// A test that cannot run here says why and returns; under `CI=true` (CI runs as root with
/// every package `scripts/setup-debian.sh` installs) that is a failure instead: nothing skips
/// in silence.
pub fn skip(reason: &str) {
    bitig_io::ci::skip("this test", reason);
}
