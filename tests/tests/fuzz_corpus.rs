//! Replays the fuzz seed corpus (fuzz/seeds/bundle) through the same checks as the
//! `cargo fuzz` target: anything the fuzzer once found stays a regression test, and the
//! real bundles in the corpus must still decode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_format::{seal, signature, Bundle, Header};
use std::path::Path;

fn check(data: &[u8]) -> bool {
    let _ = Header::from_bundle_bytes(data);
    let whole = Bundle::from_bundle_bytes(data).is_ok();
    let _ = signature::verify(data, &[[7u8; 32]]);
    let file = seal(data).unwrap();
    whole || Bundle::from_bundle_bytes(&file).is_ok()
}

#[test]
fn the_fuzz_corpus_replays_without_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/bundle");
    let mut files = 0;
    let mut decoded = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let data = std::fs::read(&p).unwrap();
        files += 1;
        if check(&data) {
            decoded += 1;
        }
    }
    assert!(files >= 3, "the seed corpus is missing");
    // The real bundle and the two real bodies.
    assert!(decoded >= 3, "{decoded} of {files} corpus files decode");
}
