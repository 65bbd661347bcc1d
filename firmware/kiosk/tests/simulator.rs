//! The simulator in a real X window under Xvfb (scripts/setup-debian.sh installs Xvfb, xwd
//! and ImageMagick): a screenshot of the screen must be the attract screen, pixel for pixel
//! the headless frame (the "touch to begin" line cycles languages in real time, so the
//! screenshot must equal one of the three headless frames). Then Enter on the desktop keyboard
//! (xdotool) wakes it: the window must show the language screen with the focus ring, pixel for
//! pixel the headless frame after the same key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn rgb_of_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let img = bitig_io::png::decode(bytes).unwrap();
    (img.width, img.height, img.to_rgb())
}

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn simulator_window_shows_the_attract_screen() {
    let bundle = common::bundle("pi-touch-800x480");
    // The three possible attract frames, from the headless kiosk.
    let r = common::run(
        "sim-candidates",
        &bundle,
        "shot kk\nwait 2500\nshot tr\nwait 2500\nshot en\nkey action\nwait 500\nexpect language\nshot keyed\n",
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let candidates: Vec<_> = ["kk", "tr", "en"]
        .iter()
        .map(|n| rgb_of_png(&std::fs::read(r.shots.join(format!("{n}.png"))).unwrap()))
        .collect();
    let keyed = rgb_of_png(&std::fs::read(r.shots.join("keyed.png")).unwrap());

    let display = format!(":{}", 40 + std::process::id() % 200);
    let xvfb = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "800x480x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb not found: run scripts/setup-debian.sh");
    let _xvfb = Kill(xvfb);
    std::thread::sleep(Duration::from_millis(800));
    let kiosk = Command::new(env!("CARGO_BIN_EXE_bitig-kiosk"))
        .arg("--bundle")
        .arg(&bundle)
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = kiosk.id();
    let _kiosk = Kill(kiosk);

    let shoot = || {
        let shot = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "xwd -root -silent -display {display} | convert xwd:- png:-"
            ))
            .output()
            .expect("xwd/convert not found: run scripts/setup-debian.sh");
        (shot.status.success() && !shot.stdout.is_empty()).then_some(shot.stdout)
    };
    let start = Instant::now();
    let mut last = None;
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        let Some(png) = shoot() else {
            continue;
        };
        let frame = rgb_of_png(&png);
        if candidates.contains(&frame) {
            // The window shows the attract screen, exactly as rendered headless. And the
            // simulator sleeps when idle: no thread of a desktop-settings query (zbus's
            // `blocking` pool wakes every 500 ms for ever) is left running.
            let threads = bitig_io::proc::thread_names(&pid.to_string());
            assert!(
                !threads.iter().any(|t| t.starts_with("blocking")),
                "the simulator runs a thread that wakes while idle: {threads:?}"
            );
            press_enter_and_expect(&display, &shoot, &keyed);
            return;
        }
        last = Some(png);
    }
    if let Some(png) = last {
        let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("simulator-last.png");
        std::fs::write(&p, png).unwrap();
        panic!(
            "the simulator window never showed the attract screen; last screenshot: {}",
            p.display()
        );
    }
    panic!("no screenshot of the Xvfb display could be taken");
}

/// Enter on the desktop keyboard, into the simulator's window: the screen must become `want`
/// (the language screen with the focus ring, as headless after the same key).
fn press_enter_and_expect(
    display: &str,
    shoot: &dyn Fn() -> Option<Vec<u8>>,
    want: &(u32, u32, Vec<u8>),
) {
    let typed = Command::new("xdotool")
        .args([
            "search",
            "--sync",
            "--name",
            "Bitig",
            "windowfocus",
            "--sync",
            "key",
            "Return",
        ])
        .env("DISPLAY", display)
        .status()
        .expect("xdotool not found: run scripts/setup-debian.sh");
    assert!(
        typed.success(),
        "xdotool could not type into the simulator's window"
    );
    let start = Instant::now();
    let mut last = None;
    while start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(300));
        if let Some(png) = shoot() {
            if rgb_of_png(&png) == *want {
                return;
            }
            last = Some(png);
        }
    }
    let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("simulator-after-enter.png");
    if let Some(png) = last {
        std::fs::write(&p, png).unwrap();
    }
    panic!(
        "after Enter the simulator did not show the language screen with the focus ring; last screenshot: {}",
        p.display()
    );
}
