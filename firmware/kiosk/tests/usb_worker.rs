//! USB updates on the worker thread (src/content/updater.rs), in the running kiosk:
//! - hostile sticks are refused with their code while the kiosk keeps drawing, and memory
//!   stays bounded;
//! - a slow stick is read on the worker: the UI thread draws frames and the progress bar moves
//!   while every read is blocked; a stick pulled or a file that changes mid-read is refused;
//! - sticks are found without polling: a file copied into the mount folder (inotify), and a
//!   filesystem mounted over the mount folder (`/proc/self/mountinfo`, needs root).
//!
//! The kiosk runs in-process on the headless platform with the worker in its real (not
//! lockstep) mode; waits are bounded by a minute of real time so that a hang fails instead of
//! stalling the run. They guard liveness and measure no speed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_kiosk::app::{load_bundle, Kiosk, Options};
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::content::updater::{Event, Settings, Updater};
use bitig_kiosk::content::{self, RealFs, StickFile, UpdateError, MAX_BUNDLE};
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;
use bitig_kiosk::Ui;
use slint::ComponentHandle;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const LIVENESS: Duration = Duration::from_secs(60);

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("usb-worker")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("bitig")).unwrap();
    d
}

fn config(usb: &Path, content: &Path) -> Config {
    let mut c = Config::load(None).unwrap();
    c.usb_dir = Some(usb.to_path_buf());
    c.content_dir = Some(content.to_path_buf());
    c.trusted_keys = vec![bitig_format::signature::public_key(&[0x42; 32])];
    c
}

fn hash(frame: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut s = std::collections::hash_map::DefaultHasher::new();
    frame.hash(&mut s);
    s.finish()
}

/// Peak resident memory of this test process, in bytes (VmHWM).
fn peak_rss() -> u64 {
    bitig_io::proc::peak_rss_kib().unwrap() * 1024
}

/// Advances the kiosk a frame at a time, drawing each, until `done` holds. Returns the
/// number of frames drawn.
fn frames_until(h: &mut Headless, kiosk: &Kiosk, what: &str, done: impl Fn(&Kiosk) -> bool) -> u64 {
    let t0 = Instant::now();
    let mut frames = 0;
    while !done(kiosk) {
        assert!(
            t0.elapsed() < LIVENESS,
            "{what}: nothing happened for a minute"
        );
        h.advance(16);
        let _ = h.frame();
        frames += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    frames
}

/// A reader that hands out 64 KiB (one chunk of the worker's) each time the test says so,
/// and notes which thread reads (it must not be the UI's).
struct Gated {
    data: io::Cursor<Vec<u8>>,
    allowance: usize,
    go: mpsc::Receiver<Gate>,
    reads: mpsc::Sender<std::thread::ThreadId>,
}

enum Gate {
    Chunk,
    Pull,
}

impl Read for Gated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.allowance == 0 {
            let _ = self.reads.send(std::thread::current().id());
            match self.go.recv() {
                Ok(Gate::Chunk) => self.allowance = 64 * 1024,
                _ => return Err(io::Error::from_raw_os_error(5)), // EIO: the stick was pulled
            }
        }
        let n = buf.len().min(self.allowance);
        let got = self.data.read(&mut buf[..n])?;
        self.allowance -= got;
        Ok(got)
    }
}

#[test]
fn the_kiosk_stays_live_while_sticks_are_read_and_refuses_hostile_ones() {
    // If the UI thread itself blocks on the stick, no loop here can notice: end the process.
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let finished = finished.clone();
        std::thread::spawn(move || {
            std::thread::sleep(2 * LIVENESS);
            if !finished.load(std::sync::atomic::Ordering::SeqCst) {
                eprintln!("the UI thread hung while a stick was read");
                std::process::exit(101);
            }
        });
    }
    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    let bundle = common::bundle("pi-touch-800x480");
    println!("peak RSS at start {} MiB", peak_rss() >> 20);
    let ui_thread = std::thread::current().id();

    // 1. Hostile sticks through the real open: each refused with its code, the kiosk never
    //    leaves the attract screen and draws every frame.
    let dir = scratch("hostile");
    let content_dir = scratch("hostile-content");
    let file = dir.join(content::USB_BUNDLE);
    type Make = fn(&Path);
    let cases: [(&str, Make, &str); 4] = [
        (
            "a symlink to /dev/zero",
            |f| std::os::unix::fs::symlink("/dev/zero", f).unwrap(),
            "E-SYMLINK",
        ),
        (
            "a FIFO",
            |f| {
                let st = std::process::Command::new("mkfifo")
                    .arg(f)
                    .status()
                    .unwrap();
                assert!(st.success());
            },
            "E-NOTFILE",
        ),
        ("a folder", |f| std::fs::create_dir(f).unwrap(), "E-NOTFILE"),
        (
            "a 2 GB sparse file",
            |f| std::fs::File::create(f).unwrap().set_len(2 << 30).unwrap(),
            "E-TOOBIG",
        ),
    ];
    for (what, make, code) in cases {
        let _ = std::fs::remove_dir_all(&file);
        let _ = std::fs::remove_file(&file);
        make(&file);
        let kiosk = Kiosk::new(
            load_bundle(&bundle),
            config(&dir, &content_dir),
            clock.clone(),
        )
        .unwrap();
        h.attach(&kiosk).unwrap();
        let frames = frames_until(&mut h, &kiosk, what, |k| k.last_issue_code().is_some());
        assert_eq!(kiosk.last_issue_code(), Some(code), "{what}");
        assert_eq!(
            kiosk.screen(),
            Screen::Attract,
            "{what}: the kiosk left its screen"
        );
        println!(
            "{what}: refused [{code}] after {frames} frames drawn, peak RSS {} MiB",
            peak_rss() >> 20
        );
    }

    // 2. A slow stick: every read waits for the test, which meanwhile draws frames on this
    //    (the UI) thread. The progress screen comes up and its bar moves chunk by chunk.
    let dir = scratch("slow");
    std::fs::write(dir.join(content::USB_BUNDLE), b"placeholder").unwrap();
    let data = vec![0x5a_u8; 400_000];
    let (go, gate) = mpsc::channel();
    let (reads_tx, reads) = mpsc::channel();
    let gated = std::sync::Mutex::new(Some(Gated {
        data: io::Cursor::new(data.clone()),
        allowance: 0,
        go: gate,
        reads: reads_tx,
    }));
    let options = Options {
        lockstep_updates: false,
        open_stick: Some(Box::new(move |_: &Path, cap: u64| {
            let r = gated.lock().unwrap().take().ok_or(UpdateError {
                code: "E-READ",
                message: "opened twice".into(),
            })?;
            Ok(StickFile::from_reader(Box::new(r), 400_000, cap))
        })),
        ..Default::default()
    };
    let kiosk = Kiosk::with_options(
        load_bundle(&bundle),
        config(&dir, &content_dir),
        clock.clone(),
        options,
    )
    .unwrap();
    h.attach(&kiosk).unwrap();
    let progress = |k: &Kiosk| k.window.global::<Ui>().get_update_progress();
    frames_until(&mut h, &kiosk, "the progress screen", |k| {
        progress(k) >= 0.0
    });
    assert_eq!(kiosk.screen(), Screen::Maintenance);
    let mut last = (progress(&kiosk), hash(h.frame().2));
    let mut chunks = 0;
    loop {
        // The worker is blocked in a read: the UI keeps drawing.
        let reader = reads
            .recv_timeout(LIVENESS)
            .expect("the worker stopped reading");
        assert_ne!(reader, ui_thread, "the stick was read on the UI thread");
        for _ in 0..10 {
            h.advance(16);
            let _ = h.frame();
        }
        if chunks == 5 {
            break;
        }
        go.send(Gate::Chunk).unwrap();
        chunks += 1;
        let before = last.0;
        frames_until(&mut h, &kiosk, "the next chunk", |k| progress(k) > before);
        let now = (progress(&kiosk), hash(h.frame().2));
        assert_ne!(now.1, last.1, "the bar did not move after chunk {chunks}");
        last = now;
    }
    // 3. The stick is pulled mid-read: refused, back to the attract screen, nothing written.
    go.send(Gate::Pull).unwrap();
    frames_until(&mut h, &kiosk, "the pulled stick", |k| {
        k.last_issue_code().is_some()
    });
    assert_eq!(kiosk.last_issue_code(), Some("E-READ"));
    assert_eq!(kiosk.screen(), Screen::Attract);
    assert!(progress(&kiosk) < 0.0, "the progress bar is still up");
    assert!(!content::Slot::B.path(&content_dir).exists());

    // 4. Files that shrink or grow while they are read.
    for (what, declared, actual, code) in [
        ("shrank", 200_000_u64, 100_000_usize, "E-CHANGED"),
        ("grew", 100_000, 200_000, "E-CHANGED"),
    ] {
        let options = Options {
            lockstep_updates: false,
            open_stick: Some(Box::new(move |_: &Path, cap: u64| {
                let r = io::Cursor::new(vec![1u8; actual]);
                Ok(StickFile::from_reader(Box::new(r), declared, cap))
            })),
            ..Default::default()
        };
        let kiosk = Kiosk::with_options(
            load_bundle(&bundle),
            config(&dir, &content_dir),
            clock.clone(),
            options,
        )
        .unwrap();
        h.attach(&kiosk).unwrap();
        frames_until(&mut h, &kiosk, what, |k| k.last_issue_code().is_some());
        assert_eq!(kiosk.last_issue_code(), Some(code), "{what}");
    }

    // Nothing above was read whole into memory.
    let peak = peak_rss();
    println!("peak RSS {} MiB", peak >> 20);
    assert!(
        peak < (64 << 20) + MAX_BUNDLE,
        "peak RSS {} MiB",
        peak >> 20
    );
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// The worker on `mount`, the channel its wake-ups arrive on, and how many it has sent.
fn watcher(mount: &Path) -> (Updater, mpsc::Receiver<()>, Arc<AtomicUsize>) {
    let (tx, woken) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let wakes = Arc::new(AtomicUsize::new(0));
    let counted = wakes.clone();
    let u = Updater::spawn(Settings {
        mount: mount.to_path_buf(),
        content_dir: None,
        trusted: vec![[1; 32]],
        profile: "pi-touch-800x480".into(),
        active_hash: String::new(),
        lockstep: false,
        wake: Box::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = tx.lock().unwrap().send(());
        }),
        open: Box::new(StickFile::open),
        fs: Box::new(RealFs),
    })
    .unwrap();
    (u, woken, wakes)
}

/// The next event, waiting for the worker's wake-up (at most a minute).
fn next(u: &mut Updater, woken: &mpsc::Receiver<()>, what: &str) -> Event {
    let t0 = Instant::now();
    loop {
        if let Some(e) = u.poll() {
            return e;
        }
        let left = LIVENESS.saturating_sub(t0.elapsed());
        assert!(!left.is_zero(), "{what}: no event for a minute");
        let _ = woken.recv_timeout(left);
    }
}

/// Events until the worker rests again, the first refusal's code.
fn refusal(u: &mut Updater, woken: &mpsc::Receiver<()>, what: &str) -> &'static str {
    loop {
        match next(u, woken, what) {
            Event::Refused(e) => return e.code,
            Event::Watching => panic!("{what}: the worker went back to sleep without a refusal"),
            _ => {}
        }
    }
}

#[test]
fn a_file_copied_into_the_mount_folder_is_found_without_polling() {
    let d = scratch("inotify");
    std::fs::remove_dir(d.join("bitig")).unwrap();
    let (mut u, woken, wakes) = watcher(&d);
    assert_eq!(next(&mut u, &woken, "the first look"), Event::Watching);
    // Nothing happens while nothing changes: no event, and no wake-up beyond the one that
    // came with Watching. (That one may still be in the channel, or not yet sent: the worker
    // wakes the UI just after it queues the event, so the count is compared, not the channel.)
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(u.poll(), None);
    let n = wakes.load(Ordering::SeqCst);
    assert!(n <= 1, "{n} wake-ups for one event while nothing changed");
    // The folder appears, then the file (written in place, as `cp` does).
    std::fs::create_dir(d.join("bitig")).unwrap();
    std::fs::write(d.join(content::USB_BUNDLE), b"not a bundle").unwrap();
    // No content_dir: once read, it is refused (and it was found without a poll).
    let code = refusal(&mut u, &woken, "the copied file");
    println!("inotify: peak RSS {} MiB", peak_rss() >> 20);
    assert!(code == "E-NOSLOTS", "{code}");
}

#[test]
fn a_stick_mounted_over_the_mount_folder_is_found() {
    if !common::can_mount("the mounted-stick test") {
        return;
    }
    let d = scratch("mounted");
    std::fs::remove_dir(d.join("bitig")).unwrap();
    let stick = scratch("mounted-stick");
    std::fs::write(stick.join(content::USB_BUNDLE), b"not a bundle").unwrap();
    let (mut u, woken, _) = watcher(&d);
    assert_eq!(next(&mut u, &woken, "the first look"), Event::Watching);
    // As the udev rule's systemd-mount does: a filesystem appears over the folder.
    let st = std::process::Command::new("mount")
        .args(["--bind", "-o", "ro"])
        .arg(&stick)
        .arg(&d)
        .status()
        .unwrap();
    assert!(st.success(), "mount --bind failed");
    let mounted = common::Mounted(&d);
    let code = refusal(&mut u, &woken, "the mounted stick");
    drop(mounted);
    assert_eq!(code, "E-NOSLOTS");
}
