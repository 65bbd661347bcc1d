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
