//! Helpers for Bitig's end-to-end tests: build real bundles from real sources with the real
//! typesetter, in process.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds a bundle from `statements` (files or folders, relative to the root) for the profile
/// file `profile` (relative to the root), with the repository's assets.
pub fn build(statements: &[&str], profile: &str) -> Result<Vec<u8>, bitig_typeset::Error> {
    let mut inputs = bitig_typeset::Inputs::new(&root().join("assets"));
    inputs.statements = statements.iter().map(|s| root().join(s)).collect();
    let sources = bitig_typeset::load_sources(&inputs)?;
    bitig_typeset::build_bundle(&sources, &root().join(profile), &mut |_| {})
}

/// A small real bundle: the Turkish fixture on the tiny test profile (about 36 KB), small
/// enough for exhaustive corruption tests.
pub fn tiny_bundle() -> Vec<u8> {
    match build(
        &["tests/fixtures/sample-tr.tr.md"],
        "tests/fixtures/profiles/tiny-320x240.toml",
    ) {
        Ok(b) => b,
        Err(e) => panic!("tiny bundle: {e}"),
    }
}

/// A fresh scratch folder under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let d = root().join("target/test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&d);
    if let Err(e) = std::fs::create_dir_all(&d) {
        panic!("mkdir {}: {e}", d.display());
    }
    d
}
