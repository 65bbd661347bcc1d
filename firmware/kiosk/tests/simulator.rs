//! The simulator in a real X window under Xvfb (scripts/setup-debian.sh installs Xvfb, xwd,
//! ImageMagick and xdotool): a screenshot of the screen must be the attract screen, pixel for
//! pixel the headless frame (the "touch to begin" line cycles languages in real time, so the
//! screenshot must equal one of the three headless frames). Then Enter on the desktop keyboard
//! (xdotool) wakes it: the window must show the language screen with the focus ring, pixel for
//! pixel the headless frame after the same key. Turned by `--rotation 90`, the window is the
//! turned panel, and mouse clicks where the controls show land on them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Frame = (u32, u32, Vec<u8>);

fn rgb_of_png(bytes: &[u8]) -> Frame {
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

/// The simulator in its own Xvfb display the panel's size.
struct Desktop {
    display: String,
    pid: u32,
    _kiosk: Kill,
    _xvfb: Kill,
}

impl Desktop {
    fn start(n: u32, (w, h): (u32, u32), args: &[&str]) -> Desktop {
        let display = format!(":{}", 40 + n + 2 * (std::process::id() % 100));
        let xvfb = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                &format!("{w}x{h}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb not found: run scripts/setup-debian.sh");
        let xvfb = Kill(xvfb);
        std::thread::sleep(Duration::from_millis(800));
        let kiosk = Command::new(env!("CARGO_BIN_EXE_bitig-kiosk"))
            .args(args)
            .env("DISPLAY", &display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = kiosk.id();
        Desktop {
            display,
            pid,
            _kiosk: Kill(kiosk),
            _xvfb: xvfb,
        }
    }

    fn shoot(&self) -> Option<Vec<u8>> {
        let shot = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "xwd -root -silent -display {} | convert xwd:- png:-",
                self.display
            ))
            .output()
            .expect("xwd/convert not found: run scripts/setup-debian.sh");
        (shot.status.success() && !shot.stdout.is_empty()).then_some(shot.stdout)
    }

    /// Waits up to `secs` for the screen to show one of `want`; panics with the last
    /// screenshot (saved as `<what>.png`) if it never does.
    fn expect(&self, want: &[Frame], secs: u64, what: &str) {
        let start = Instant::now();
        let mut last = None;
        while start.elapsed() < Duration::from_secs(secs) {
            std::thread::sleep(Duration::from_millis(300));
            if let Some(png) = self.shoot() {
                if want.contains(&rgb_of_png(&png)) {
                    return;
                }
                last = Some(png);
            }
        }
        let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{what}.png"));
        let taken = last.map(|png| std::fs::write(&p, png).unwrap()).is_some();
        panic!(
            "the simulator window never showed {what}; {}",
            if taken {
                format!("last screenshot: {}", p.display())
            } else {
                "no screenshot of the Xvfb display could be taken".into()
            }
        );
    }

    /// xdotool, into the simulator's window.
    fn xdotool(&self, args: &[&str]) {
        let done = Command::new("xdotool")
            .args([
                "search",
                "--sync",
                "--name",
                "Bitig",
                "windowfocus",
                "--sync",
            ])
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool not found: run scripts/setup-debian.sh");
        assert!(
            done.success(),
            "xdotool {args:?} failed on the simulator's window"
        );
    }

    /// A mouse click at panel pixel (`x`, `y`) (the window is at the display's origin).
    fn click(&self, x: u32, y: u32) {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    }
}

fn shots(r: &common::Run, names: &[&str]) -> Vec<Frame> {
    names
        .iter()
        .map(|n| rgb_of_png(&std::fs::read(r.shots.join(format!("{n}.png"))).unwrap()))
        .collect()
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
    let frames = shots(&r, &["kk", "tr", "en", "keyed"]);
    let desktop = Desktop::start(0, (800, 480), &["--bundle", bundle.to_str().unwrap()]);
    desktop.expect(&frames[..3], 60, "the attract screen");
    // The window shows the attract screen, exactly as rendered headless. And the simulator
    // sleeps when idle: no thread of a desktop-settings query (zbus's `blocking` pool wakes
    // every 500 ms for ever) is left running.
    let threads = bitig_io::proc::thread_names(&desktop.pid.to_string());
    assert!(
        !threads.iter().any(|t| t.starts_with("blocking")),
        "the simulator runs a thread that wakes while idle: {threads:?}"
    );
    desktop.xdotool(&["key", "Return"]);
    desktop.expect(
        &frames[3..],
        20,
        "the language screen with the focus ring after Enter",
    );
}

/// `--rotation 90`: the window is the panel turned clockwise (480x800 from an 800x480 UI),
/// pixel for pixel the headless kiosk's turned frames, and a click where a control shows on
/// the turned window lands on it, as a touch does on the device: the English button at UI
/// (400, 350) shows at panel (129, 400).
#[test]
fn simulator_turns_the_window_and_the_pointer() {
    let bundle = common::bundle("pi-touch-800x480");
    let r = common::run(
        "sim-rotated",
        &bundle,
        "shot kk\nwait 2500\nshot tr\nwait 2500\nshot en\ntap 240 400\nexpect language\nshot language\ntap 129 400\nexpect library\nshot library\n",
        &["--rotation", "90"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let frames = shots(&r, &["kk", "tr", "en", "language", "library"]);
    assert_eq!((frames[0].0, frames[0].1), (480, 800));
    let desktop = Desktop::start(
        1,
        (480, 800),
        &["--bundle", bundle.to_str().unwrap(), "--rotation", "90"],
    );
    desktop.expect(&frames[..3], 60, "the turned attract screen");
    desktop.click(240, 400);
    desktop.expect(&frames[3..4], 20, "the turned language screen");
    desktop.click(129, 400);
    desktop.expect(
        &frames[4..],
        20,
        "the English library after a click on English",
    );
}

/// `--watch` (the editor's live preview): a new version of the bundle written over the
/// watched one (as `bitig watch` writes it: a temp file renamed into place) shows in the
/// window without a restart, and the error banner beside it comes over the panel's foot and
/// goes again.
#[test]
fn simulator_shows_a_new_bundle_and_the_banner_in_place() {
    let old = common::bundle("pi-touch-800x480");
    // Another bundle: the fixtures only, on a paler background.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sim-watch");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut inputs = bitig_typeset::Inputs::new(&common::root().join("assets"));
    inputs.statements = vec![common::root().join("tests/fixtures")];
    let sources = bitig_typeset::load_sources(&inputs).unwrap();
    let profile = dir.join("pi-touch-800x480.toml");
    let spec =
        std::fs::read_to_string(common::root().join("assets/profiles/pi-touch-800x480.toml"))
            .unwrap();
    std::fs::write(
        &profile,
        spec.replace("background = \"#FBF8F1\"", "background = \"#FFFFFF\""),
    )
    .unwrap();
    let new_bytes = bitig_typeset::build_bundle(&sources, &profile, &mut |_| {}).unwrap();
    let new = dir.join("new.bundle");
    std::fs::write(&new, &new_bytes).unwrap();
    let script = "shot kk\nwait 2500\nshot tr\nwait 2500\nshot en\n";
    let r_old = common::run("sim-watch-old", &old, script, &[]);
    let r_new = common::run("sim-watch-new", &new, script, &[]);
    assert_eq!(
        (r_old.code, r_new.code),
        (Some(0), Some(0)),
        "{}",
        r_new.stderr
    );
    let (old_frames, new_frames) = (
        shots(&r_old, &["kk", "tr", "en"]),
        shots(&r_new, &["kk", "tr", "en"]),
    );
    assert!(old_frames.iter().all(|f| !new_frames.contains(f)));

    let watched = dir.join("w.bundle");
    std::fs::copy(&old, &watched).unwrap();
    let desktop = Desktop::start(
        4,
        (800, 480),
        &["--bundle", watched.to_str().unwrap(), "--watch"],
    );
    desktop.expect(&old_frames, 60, "the first bundle's attract screen");
    bitig_io::durable::write(&watched, &new_bytes).unwrap();
    desktop.expect(&new_frames, 30, "the new bundle's attract screen");

    // The banner: a band of one colour over the foot of the panel, then gone.
    let band = [0x12, 0x9a, 0x3c];
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, 800, 60);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&band.repeat(800 * 60)).unwrap();
    }
    let banner = dir.join("w.bundle.error.png");
    bitig_io::durable::write(&banner, &png).unwrap();
    let start = Instant::now();
    let shown = loop {
        std::thread::sleep(Duration::from_millis(300));
        let Some(shot) = desktop.shoot() else {
            continue;
        };
        let (w, _, rgb) = rgb_of_png(&shot);
        let at = |x: usize, y: usize| rgb[(y * w as usize + x) * 3..][..3].to_vec();
        if at(0, 479) == band && at(799, 420) == band && at(400, 419) != band {
            break true;
        }
        if start.elapsed() > Duration::from_secs(30) {
            break false;
        }
    };
    assert!(shown, "the banner never showed at the foot of the window");
    std::fs::remove_file(&banner).unwrap();
    desktop.expect(&new_frames, 30, "the new bundle without the banner");
}
