//! End to end: the headless kiosk driven by scripted touches through the visitor's path and
//! the operator menu, each step compared with PNG goldens exactly (tests/goldens/kiosk).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

fn script(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/scripts").join(name)).unwrap()
}

#[test]
fn visitor_journey_and_operator_800x480() {
    let b = bundle("pi-touch-800x480");
    let r = run("journey-800x480", &b, &script("journey-800x480.txt"), &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    compare("journey-800x480", &r.shots);
}

#[test]
fn portrait_journey_720x1280() {
    let b = bundle("pi-touch2-720x1280");
    let r = run(
        "journey-720x1280",
        &b,
        &script("journey-720x1280.txt"),
        &["--profile", "pi-touch2-720x1280"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    compare("journey-720x1280", &r.shots);
}

/// The first touch after idle wakes the kiosk and activates nothing under the finger: the
/// tap lands where the English button and the first library card will be, yet the kiosk
/// only moves from the attract screen to the language screen.
#[test]
fn first_touch_after_idle_activates_nothing() {
    let b = bundle("pi-touch-800x480");
    let s = "expect attract
tap 400 350
expect language
shot 1-woken
tap 400 350
expect library
tap 300 120
expect reader
wait 91000
expect attract
tap 300 120
expect language
shot 2-woken-again
tap 400 350
expect library
";
    let r = run("first-touch", &b, s, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    compare("first-touch", &r.shots);
    // And the `expect` step really fails when the screen is wrong.
    let r = run(
        "first-touch-negative",
        &b,
        "tap 400 350\nexpect library\n",
        &[],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("expected the library screen"),
        "{}",
        r.stderr
    );
}

/// A corrupted, a truncated and a missing bundle: the kiosk shows the maintenance screen in
/// three languages with the error code, keeps running, and survives touches.
#[test]
fn bad_bundles_show_the_maintenance_screen() {
    let good = std::fs::read(bundle("pi-touch-800x480")).unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-bundles");
    std::fs::create_dir_all(&dir).unwrap();
    let mut corrupted = good.clone();
    let mid = corrupted.len() / 2;
    corrupted[mid] ^= 0x10;
    let truncated = good[..good.len() - 1000].to_vec();
    let cases: [(&str, Option<Vec<u8>>, &str); 3] = [
        ("corrupted", Some(corrupted), "E-HASH"),
        ("truncated", Some(truncated), "E-LENGTH"),
        ("missing", None, "E-MISSING"),
    ];
    for (name, bytes, code) in cases {
        let path = dir.join(format!("{name}.bundle"));
        let _ = std::fs::remove_file(&path);
        if let Some(b) = bytes {
            std::fs::write(&path, b).unwrap();
        }
        let s = "expect maintenance\nshot maintenance\ntap 400 240\nswipe 600 200 100 200\ntap 20 460\nwait 100000\nexpect maintenance\n";
        let r = run(&format!("bad-{name}"), &path, s, &[]);
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(code),
            "{name}: the log does not name {code}:\n{}",
            r.stderr
        );
        compare(&format!("maintenance-{name}"), &r.shots);
    }
}

/// A panel mounted upside down (`rotation = 180`): the frame is turned, and a touch at the
/// panel position of the English button lands on the English button.
#[test]
fn rotated_panel_maps_touches() {
    let b = bundle("pi-touch-800x480");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rotated");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("kiosk.toml");
    std::fs::write(&config, "rotation = 180\n").unwrap();
    // The English button is at UI (400, 350): on the turned panel at (399, 129).
    let s = "tap 400 240\nexpect language\nshot 1-language-rotated\ntap 399 129\nexpect library\nshot 2-library-rotated\n";
    let r = run("rotated", &b, s, &["--config", config.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    compare("rotated-180", &r.shots);
}

/// The side-by-side view on the landscape panel: the open edition on the left, the other
/// edition's page for the same paragraph on the right; paging and a language switch keep
/// both columns on the paragraph.
#[test]
fn side_by_side_view_800x480() {
    let b = bundle("pi-touch-800x480");
    let s = "tap 400 300
tap 400 350
tap 300 120
tap 780 250
wait 300
tap 637 28
wait 50
shot 1-side-by-side
tap 780 250
wait 300
shot 2-next
tap 268 28
wait 50
shot 3-kazakh-left
tap 637 28
wait 50
shot 4-single-again
";
    let r = run("side-by-side", &b, s, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    compare("side-by-side", &r.shots);
}
