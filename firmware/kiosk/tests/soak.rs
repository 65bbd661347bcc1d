//! A short soak in CI (the full 1,000,000 events: scripts/soak): random taps, swipes, long
//! presses, second fingers and stray releases into the headless kiosk; no panic, no stuck
//! state, no resident-memory growth of 1 MiB or more after the warm-up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

const GLIBC_TUNABLES: &str =
    "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072";

#[test]
fn twenty_thousand_random_touches() {
    let b = bundle("pi-touch-800x480");
    let o = kiosk_command()
        // As the systemd unit runs it (tools/cli/src/image.rs): glibc returns freed page
        // buffers to the kernel instead of keeping them in its heap.
        .env("GLIBC_TUNABLES", GLIBC_TUNABLES)
        .args(["--headless", "--soak", "20000", "--seed", "7", "--bundle"])
        .arg(&b)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        out.contains("soak: 2000") && out.contains("growth"),
        "{out}"
    );
    // The random walk really went through the reader and came back to rest.
    let idle: u64 = out
        .split(" idle checks")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(idle >= 5, "{out}");
}
