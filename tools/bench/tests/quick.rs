//! CI runs the benchmarks in quick mode only to check that they still run and print their
//! table; no figure is judged here (timings are not tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn quick_mode_runs_and_prints_every_row() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_bitig-bench"))
        .arg("--quick")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for row in [
        "| render: Bitig, per page, over the page before (the kiosk's reused buffers) |",
        "| render: Bitig, per page, into a buffer of unknown pixels (every pixel filled) |",
        "| render: (a) rustybuzz + fontdue at run time |",
        "| render: (b) Slint Text, software renderer |",
        "| render: (c) memcpy of one frame (floor), timed after each page |",
        "| allocations: Bitig drawing every page once | 0 |",
        "| allocations per page turn: the kiosk's own code | 0 (0 in 8 turns after warm-up) | 0 | yes |",
        "| allocations per page turn: whole UI thread, Slint's runtime included |",
        "| size: both bundles |",
        "| size: PNG of every page",
        "| size: subset fonts + deflated text |",
        "| bundler: 1× corpus |",
        "| bundler: 2× corpus |",
    ] {
        assert!(out.contains(row), "missing row {row}:\n{out}");
    }
}
