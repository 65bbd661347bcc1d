//! Content slots, USB updates and rollback (src/content.rs) on real signed bundles: every
//! refusal, a power cut after every single write step, rollback of a bad slot, and the
//! crash-loop fallback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_format::signature;
use bitig_kiosk::content::{self, Fs, RealFs, Slot, Update};
use common::disk::Disk;
use common::*;
use std::io;
use std::path::{Path, PathBuf};

const KEY: [u8; 32] = [0x42; 32];
const OTHER_KEY: [u8; 32] = [0x17; 32];

fn trusted() -> Vec<[u8; 32]> {
    vec![signature::public_key(&KEY)]
}

fn signed(bundle: &[u8], key: &[u8; 32]) -> Vec<u8> {
    let (b, _) = signature::split(bundle);
    let mut v = b.to_vec();
    v.extend_from_slice(&signature::sign(b, key));
    v
}

/// Two different real bundles for the same profile: the fixtures (small, the installed
/// content in these tests) and the statements (~700 KB, the update).
fn bundles() -> (Vec<u8>, Vec<u8>) {
    let statements = std::fs::read(bundle("pi-touch-800x480")).unwrap();
    let mut inputs = bitig_typeset::Inputs::new(&root().join("assets"));
    inputs.statements = vec![root().join("tests/fixtures")];
    let sources = bitig_typeset::load_sources(&inputs).unwrap();
    let fixtures = bitig_typeset::build_bundle(
        &sources,
        &root().join("assets/profiles/pi-touch-800x480.toml"),
        &mut |_| {},
    )
    .unwrap();
    (fixtures, statements)
}

fn hash_of(bundle: &[u8]) -> String {
    let (b, _) = signature::split(bundle);
    let h = bitig_format::Header::from_bundle_bytes(b).unwrap();
    bitig_format::hex::to_hex(&h.hash)
}

/// A content dir with slot A active, holding `a`.
fn content_dir(name: &str, a: &[u8]) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("content")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(Slot::A.path(&d), a).unwrap();
    std::fs::write(d.join("active"), "a\n").unwrap();
    d
}

fn stick(name: &str, bytes: &[u8]) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sticks")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("bitig")).unwrap();
    std::fs::write(d.join(content::USB_BUNDLE), bytes).unwrap();
    d.join(content::USB_BUNDLE)
}

fn prepare(file: &Path, dir: &Path, keys: &[[u8; 32]], active: &[u8]) -> Result<Update, String> {
    Update::prepare(file, dir, keys, "pi-touch-800x480", &hash_of(active))
        .map_err(|e| e.code.to_string())
}

#[test]
fn refuses_every_bad_update_before_writing_anything() {
    let (a, b) = bundles();
    let a = signed(&a, &KEY);
    let dir = content_dir("refusals", &a);
    let before: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    type Case = (&'static str, Vec<u8>, Vec<[u8; 32]>);
    let cases: Vec<Case> = vec![
        ("E-UNSIGNED", b.clone(), trusted()),
        ("E-UNTRUSTED", signed(&b, &OTHER_KEY), trusted()),
        (
            "E-SIGNATURE",
            {
                let mut t = signed(&b, &KEY);
                t[5000] ^= 0x20;
                t
            },
            trusted(),
        ),
        (
            "E-VERSION",
            {
                // A newer format, properly signed by a trusted key.
                let mut newer = b.clone();
                newer[8] = 99;
                signed(&newer, &KEY)
            },
            trusted(),
        ),
        ("E-NOKEYS", signed(&b, &KEY), vec![]),
        ("E-SAME", a.clone(), trusted()),
        ("E-MAGIC", signed(&[b'x'; 100], &KEY), trusted()),
    ];
    for (want, bytes, keys) in cases {
        let f = stick(want, &bytes);
        let got = prepare(&f, &dir, &keys, &a).err();
        assert_eq!(got.as_deref(), Some(want));
    }
    // A bundle for the other panel.
    let portrait = signed(&std::fs::read(bundle("pi-touch2-720x1280")).unwrap(), &KEY);
    let f = stick("profile", &portrait);
    assert_eq!(
        prepare(&f, &dir, &trusted(), &a).err().as_deref(),
        Some("E-PROFILE")
    );
    let after: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "a refused update wrote something");
    assert_eq!(std::fs::read(Slot::A.path(&dir)).unwrap(), a);
}

#[test]
fn a_good_update_switches_slots_and_keeps_the_old_one() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    let dir = content_dir("good", &a);
    let f = stick("good", &b);
    let mut u = prepare(&f, &dir, &trusted(), &a).unwrap();
    assert_eq!(u.target, Slot::B);
    let mut steps = 0;
    let mut progress = vec![];
    while !u.done() {
        u.step(&mut RealFs).unwrap();
        progress.push(u.progress());
        steps += 1;
    }
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert!(steps > 10, "{steps}");
    assert_eq!(content::active_slot(&dir), Slot::B);
    assert_eq!(std::fs::read(Slot::B.path(&dir)).unwrap(), b);
    assert_eq!(std::fs::read(Slot::A.path(&dir)).unwrap(), a);
    let s = content::select(&dir, &trusted(), false, &mut RealFs);
    assert_eq!(s.slot, Slot::B);
    assert_eq!(s.loaded.unwrap().hash, hash_of(&b));
    assert!(s.notes.is_empty());
}

/// A filesystem that loses power after `budget` operations: that one and every later one fail.
struct Cut {
    budget: usize,
    used: usize,
}

impl Cut {
    fn tick(&mut self) -> io::Result<()> {
        self.used += 1;
        if self.used > self.budget {
            Err(io::Error::other("power cut"))
        } else {
            Ok(())
        }
    }
}

impl Fs for Cut {
    fn create(&mut self, p: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.create(p)
    }
    fn append(&mut self, p: &Path, d: &[u8]) -> io::Result<()> {
        self.tick()?;
        RealFs.append(p, d)
    }
    fn sync(&mut self, p: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.sync(p)
    }
    fn rename(&mut self, a: &Path, b: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.rename(a, b)
    }
    fn sync_dir(&mut self, d: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.sync_dir(d)
    }
}

#[test]
fn a_power_cut_after_any_write_step_leaves_a_valid_bundle() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    // How many write operations a whole update takes.
    let total = {
        let dir = content_dir("cut-count", &a);
        let f = stick("cut-count", &b);
        let mut u = prepare(&f, &dir, &trusted(), &a).unwrap();
        let mut fs = Cut {
            budget: usize::MAX,
            used: 0,
        };
        while !u.done() {
            u.step(&mut fs).unwrap();
        }
        fs.used
    };
    assert!(total > 15, "{total}");
    let mut cut_mid_slot_write = 0;
    let mut landed_on = [0usize; 2];
    for n in 0..total {
        let dir = content_dir("cut", &a);
        let f = stick("cut", &b);
        let mut u = prepare(&f, &dir, &trusted(), &a).unwrap();
        let mut fs = Cut { budget: n, used: 0 };
        let mut failed = false;
        while !u.done() {
            if u.step(&mut fs).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "the cut after {n} of {total} steps did not happen");
        // What the cut left: a half-written slot is a real mid-write cut.
        let tmp = Slot::B.path(&dir).with_extension("bundle.tmp");
        if let Ok(m) = std::fs::metadata(&tmp) {
            if m.len() > 0 && (m.len() as usize) < b.len() {
                cut_mid_slot_write += 1;
            }
        }
        // "Reboot": the kiosk starts on whatever is on disk.
        let s = content::select(&dir, &trusted(), false, &mut RealFs);
        let loaded = s.loaded.unwrap_or_else(|e| {
            panic!("cut after {n}: no valid bundle: [{}] {}", e.code, e.message)
        });
        let expect = if s.slot == Slot::A { &a } else { &b };
        assert_eq!(loaded.hash, hash_of(expect), "cut after {n}");
        landed_on[usize::from(s.slot == Slot::B)] += 1;
    }
    assert!(
        cut_mid_slot_write >= 5,
        "only {cut_mid_slot_write} cuts fell inside the slot write"
    );
    // Early cuts keep the old content; only a cut after the pointer rename gives the new one.
    assert!(landed_on[0] > 0 && landed_on[1] > 0, "{landed_on:?}");
    assert!(
        landed_on[1] <= 2,
        "new content before the pointer switched: {landed_on:?}"
    );
}

#[test]
fn a_slot_that_fails_to_load_rolls_back_by_itself() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    let dir = content_dir("rollback", &a);
    let mut bad = b.clone();
    bad[100] ^= 1;
    std::fs::write(Slot::B.path(&dir), &bad).unwrap();
    content::set_active(&mut RealFs, &dir, Slot::B).unwrap();
    let s = content::select(&dir, &trusted(), false, &mut RealFs);
    assert_eq!(s.slot, Slot::A);
    assert_eq!(s.loaded.unwrap().hash, hash_of(&a));
    assert!(
        s.notes[0].contains("slot b refused [E-SIGNATURE]")
            && s.notes[0].contains("rolled back to slot a"),
        "{:?}",
        s.notes
    );
    assert_eq!(
        content::active_slot(&dir),
        Slot::A,
        "the pointer was not switched back"
    );
    // Both bad: the active slot's error, nothing switched.
    std::fs::write(Slot::A.path(&dir), b"garbage").unwrap();
    let s = content::select(&dir, &trusted(), false, &mut RealFs);
    assert_eq!(s.loaded.err().map(|e| e.code), Some("E-UNSIGNED"));
    assert_eq!(content::active_slot(&dir), Slot::A);
    // Unsigned content on a kiosk with keys is refused too.
    std::fs::write(Slot::A.path(&dir), signature::split(&a).0).unwrap();
    let s = content::select(&dir, &trusted(), false, &mut RealFs);
    assert_eq!(s.loaded.err().map(|e| e.code), Some("E-UNSIGNED"));
}

#[test]
fn three_starts_within_a_minute_fall_back_to_the_previous_slot() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    let dir = content_dir("crash-loop", &a);
    std::fs::write(Slot::B.path(&dir), &b).unwrap();
    content::set_active(&mut RealFs, &dir, Slot::B).unwrap();
    let fs = &mut RealFs;
    assert!(!content::record_start(&dir, "boot1", 10.0, fs));
    assert!(!content::record_start(&dir, "boot1", 30.0, fs));
    // Slow restarts are no loop.
    assert!(!content::record_start(&dir, "boot1", 95.0, fs));
    assert!(!content::record_start(&dir, "boot1", 100.0, fs));
    // A new boot starts a new count.
    assert!(!content::record_start(&dir, "boot2", 5.0, fs));
    assert!(!content::record_start(&dir, "boot2", 8.0, fs));
    assert!(content::record_start(&dir, "boot2", 12.0, fs));
    let s = content::select(&dir, &trusted(), true, fs);
    assert_eq!(s.slot, Slot::A);
    assert_eq!(s.loaded.unwrap().hash, hash_of(&a));
    assert!(s.notes[0].contains("crash loop"), "{:?}", s.notes);
    assert_eq!(content::active_slot(&dir), Slot::A);
    // The count starts afresh after a fallback.
    assert!(!content::record_start(&dir, "boot2", 13.0, fs));
}

#[test]
fn usb_watch_reports_each_new_file_once() {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("usb-watch");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let mut w = content::UsbWatch::new(&d);
    assert_eq!(w.poll(), None);
    std::fs::create_dir_all(d.join("bitig")).unwrap();
    std::fs::write(d.join(content::USB_BUNDLE), b"x").unwrap();
    assert_eq!(w.poll(), Some(d.join(content::USB_BUNDLE)));
    assert_eq!(w.poll(), None);
    std::fs::remove_file(d.join(content::USB_BUNDLE)).unwrap();
    assert_eq!(w.poll(), None);
    std::fs::write(d.join(content::USB_BUNDLE), b"x").unwrap();
    assert!(w.poll().is_some(), "a re-inserted stick is tried again");
}

/// A kiosk config for content slots in `dir` and USB sticks mounted at `usb`.
fn config(name: &str, dir: &Path, usb: &Path) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.toml"));
    std::fs::write(
        &p,
        format!(
            "profile = \"pi-touch-800x480\"\ncontent_dir = \"{}\"\nusb_dir = \"{}\"\ntrusted_keys = [\"{}\"]\n",
            dir.display(),
            usb.display(),
            bitig_format::hex::to_hex(&signature::public_key(&KEY))
        ),
    )
    .unwrap();
    p
}

/// The whole path through the real kiosk binary: a signed update on a "stick" (a directory)
/// is found, verified, written with a progress screen, and the kiosk restarts (exit 3) onto
/// it; a stick signed with an unknown key is refused and shown in the operator menu.
#[test]
fn the_kiosk_installs_a_usb_update_and_restarts_onto_it() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    let dir = content_dir("kiosk-usb", &a);
    let usb = stick("kiosk-usb", &b);
    let usb_root = usb.parent().unwrap().parent().unwrap().to_path_buf();
    let cfg = config("kiosk-usb", &dir, &usb_root);
    let cfg = cfg.to_str().unwrap();
    let r = run_without_bundle(
        "usb-update",
        "expect attract\nwait 400\nexpect maintenance\nshot 1-updating\nwait 5000\n",
        &["--config", cfg],
    );
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("update installed in slot b"),
        "{}",
        r.stderr
    );
    compare("usb-update", &r.shots);
    assert_eq!(content::active_slot(&dir), Slot::B);
    // Started again (the stick is still in): the new content, and the same stick is not
    // installed twice.
    let r = run_without_bundle(
        "usb-update-after",
        "expect attract\nwait 3000\nexpect attract\ntap 400 240\ntap 400 348\nexpect library\nshot 2-new-library\n",
        &["--config", cfg],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("content slot b"), "{}", r.stderr);
    assert!(r.stderr.contains("already installed"), "{}", r.stderr);
    compare("usb-update-restarted", &r.shots);
}

#[test]
fn the_kiosk_refuses_a_stick_signed_by_an_unknown_key() {
    let (a, b) = bundles();
    let a = signed(&a, &KEY);
    let dir = content_dir("kiosk-usb-refused", &a);
    let usb = stick("kiosk-usb-refused", &signed(&b, &OTHER_KEY));
    let usb_root = usb.parent().unwrap().parent().unwrap().to_path_buf();
    let cfg = config("kiosk-usb-refused", &dir, &usb_root);
    let r = run_without_bundle(
        "usb-refused",
        "wait 1500\nexpect attract\ntap 400 240\npress 20 460\nwait 5100\nrelease 20 460\nexpect pin\n\
         tap 296 199\ntap 400 199\ntap 504 199\ntap 296 267\ntap 504 403\nexpect operator\nshot 1-operator\n",
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("update refused [E-UNTRUSTED]"),
        "{}",
        r.stderr
    );
    compare("usb-refused", &r.shots);
    assert_eq!(content::active_slot(&dir), Slot::A);
    assert!(!Slot::B.path(&dir).exists());
}

/// Through the real binary: the active slot is damaged, so the kiosk starts on the other one,
/// switches the pointer back and says so in its log.
#[test]
fn the_kiosk_rolls_back_from_a_damaged_slot_at_start() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    let dir = content_dir("kiosk-rollback", &a);
    let mut bad = b.clone();
    bad[b.len() / 2] ^= 0x40;
    std::fs::write(Slot::B.path(&dir), &bad).unwrap();
    content::set_active(&mut RealFs, &dir, Slot::B).unwrap();
    let usb = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-stick");
    let cfg = config("kiosk-rollback", &dir, &usb);
    let r = run_without_bundle(
        "rollback",
        "expect attract\ntap 400 240\ntap 400 348\nexpect library\n",
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("slot b refused [E-SIGNATURE]")
            && r.stderr.contains("rolled back to slot a"),
        "{}",
        r.stderr
    );
    assert_eq!(content::active_slot(&dir), Slot::A);
}

/// Restarts the operator asks for are not crashes: three of them within a minute, through the
/// real kiosk binary, leave no start on record (content::forget_start), so they never set
/// off the crash-loop fallback; three unintended starts still do.
#[test]
fn operator_restarts_do_not_count_towards_a_crash_loop() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    let dir = content_dir("operator-restarts", &a);
    std::fs::write(Slot::B.path(&dir), &b).unwrap();
    content::set_active(&mut RealFs, &dir, Slot::B).unwrap();
    let empty = Path::new(env!("CARGO_TARGET_TMPDIR")).join("operator-restarts-usb");
    std::fs::create_dir_all(&empty).unwrap();
    let cfg = config("operator-restarts", &dir, &empty);
    // The operator menu, then Restart.
    let s = "tap 400 300
press 20 460
wait 5100
release 20 460
expect pin
tap 296 199
tap 400 199
tap 504 199
tap 296 267
tap 504 403
expect operator
tap 658 240
";
    for i in 0..4 {
        let r = run_without_bundle(
            &format!("operator-restart-{i}"),
            s,
            &["--config", cfg.to_str().unwrap()],
        );
        assert_eq!(r.code, Some(3), "restart {i}: {}", r.stderr);
        assert!(
            !r.stderr.contains("crash loop"),
            "restart {i}: {}",
            r.stderr
        );
    }
    assert_eq!(
        content::active_slot(&dir),
        Slot::B,
        "the content was rolled back"
    );
    // The same starts without forget_start would be a loop (the rule still works).
    let fs = &mut RealFs;
    let (boot, up) = content::boot_clock();
    assert!(!content::record_start(&dir, &boot, up, fs));
    assert!(!content::record_start(&dir, &boot, up + 1.0, fs));
    assert!(content::record_start(&dir, &boot, up + 2.0, fs));
}

/// A power cut at every step of an update, with every outcome the card allows for what was
/// not synced: the kiosk always starts on a complete bundle, the pointer never names a bad
/// slot (no rollback is ever needed), and once the update has finished the new content
/// survives. Removing any one `sync` or `sync_dir` from content.rs makes this fail.
#[test]
fn a_power_cut_loses_only_what_was_not_synced_and_never_the_content() {
    let (a, b) = bundles();
    let (a, b) = (signed(&a, &KEY), signed(&b, &KEY));
    let total = {
        let dir = content_dir("disk-count", &a);
        let f = stick("disk-count", &b);
        let mut u = prepare(&f, &dir, &trusted(), &a).unwrap();
        let mut disk = Disk::of(&dir, usize::MAX);
        while !u.done() {
            u.step(&mut disk).unwrap();
        }
        disk.used
    };
    let mut states = 0;
    let mut landed = [0usize; 2];
    for n in 0..=total {
        let dir = content_dir("disk", &a);
        let f = stick("disk", &b);
        let mut u = prepare(&f, &dir, &trusted(), &a).unwrap();
        let mut disk = Disk::of(&dir, n);
        while !u.done() {
            if u.step(&mut disk).is_err() {
                break;
            }
        }
        let finished = u.done();
        for (what, files) in disk.crash_states() {
            states += 1;
            // The card after the cut, in a fresh folder; then the kiosk starts on it.
            let after = content_dir("disk-after", &a);
            for e in std::fs::read_dir(&after).unwrap() {
                std::fs::remove_file(e.unwrap().path()).unwrap();
            }
            for (name, data) in &files {
                std::fs::write(after.join(name), data).unwrap();
            }
            let s = content::select(&after, &trusted(), false, &mut RealFs);
            let at = format!("cut after {n} of {total} steps, {what}");
            let loaded = s
                .loaded
                .unwrap_or_else(|e| panic!("{at}: no valid bundle: [{}] {}", e.code, e.message));
            assert!(
                s.notes.is_empty(),
                "{at}: the pointer named a bad slot: {:?}",
                s.notes
            );
            let new = loaded.hash == hash_of(&b);
            assert!(new || loaded.hash == hash_of(&a), "{at}: unknown content");
            assert!(!finished || new, "{at}: the finished update was lost");
            landed[usize::from(new)] += 1;
        }
    }
    assert!(
        total > 15 && states > total * 3,
        "{total} steps, {states} states"
    );
    assert!(landed[0] > 0 && landed[1] > 0, "{landed:?}");
}

/// The operator PIN pad locks after five wrong PINs, for 30 s, doubling with every further
/// wrong one; the screen shows the wait, and the count survives a restart (the lock then
/// runs again in full: there is no real-time clock to say how much of it passed).
#[test]
fn the_pin_pad_locks_after_five_wrong_pins_and_stays_locked_across_a_restart() {
    let (a, _) = bundles();
    let a = signed(&a, &KEY);
    let dir = content_dir("pin-lockout", &a);
    let empty = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pin-lockout-usb");
    std::fs::create_dir_all(&empty).unwrap();
    let cfg = config("pin-lockout", &dir, &empty);
    let cfg = cfg.to_str().unwrap();
    let open_pad = "tap 400 300\npress 20 460\nwait 5100\nrelease 20 460\nexpect pin\n";
    // 1235 and OK, five times.
    let wrong = "tap 296 199\ntap 400 199\ntap 504 199\ntap 400 267\ntap 504 403\n";
    let right = "tap 296 199\ntap 400 199\ntap 504 199\ntap 296 267\ntap 504 403\n";
    let s1 = format!(
        "{open_pad}{}shot 1-locked\nwait 10000\nshot 2-locked-later\n",
        wrong.repeat(5)
    );
    let r = run_without_bundle("pin-lockout-1", &s1, &["--config", cfg]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(content::load_pin_failures(&dir), 5);
    compare("pin-lockout", &r.shots);
    // Restarted: still locked; the right PIN is not even checked until the wait is over.
    let s2 = format!("{open_pad}shot 3-locked-after-restart\n{right}expect pin\nwait 26000\n{right}expect operator\n");
    let r = run_without_bundle("pin-lockout-2", &s2, &["--config", cfg]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        content::load_pin_failures(&dir),
        0,
        "the right PIN resets the count"
    );
    compare("pin-lockout-restart", &r.shots);
}

/// An update may bring its speech part (`bitig/update.speech`): it is checked with the bundle
/// (signed, whole, made for that bundle: a part for other text is refused before anything is
/// written) and written beside the new slot before `active` switches, so a power cut at any
/// step leaves either the old text or the new text with its voice, never the new text without
/// it.
#[test]
fn an_update_brings_its_voice_and_no_cut_splits_text_from_voice() {
    let (a, b) = bundles();
    let part =
        std::fs::read(common::voice_bundle("pi-touch-800x480").with_extension("speech")).unwrap();
    let (a, b, part) = (signed(&a, &KEY), signed(&b, &KEY), signed(&part, &KEY));
    let stick_with_voice = |name: &str, bundle: &[u8], speech: &[u8]| {
        let f = stick(name, bundle);
        std::fs::write(f.with_extension("speech"), speech).unwrap();
        f
    };

    // A part for other text: the fixtures as the update, the statements' voice beside them.
    let dir = content_dir("voice-other", &b);
    let f = stick_with_voice("voice-other", &a, &part);
    assert_eq!(
        prepare(&f, &dir, &trusted(), &b).err().as_deref(),
        Some("E-SPEECH")
    );
    // An unsigned part.
    let dir = content_dir("voice-unsigned", &a);
    let unsigned = signature::split(&part).0.to_vec();
    let f = stick_with_voice("voice-unsigned", &b, &unsigned);
    assert_eq!(
        prepare(&f, &dir, &trusted(), &a).err().as_deref(),
        Some("E-UNSIGNED")
    );
    assert!(!Slot::B.path(&dir).exists(), "nothing written");

    let total = {
        let dir = content_dir("voice-count", &a);
        let f = stick_with_voice("voice-count", &b, &part);
        let mut u = prepare(&f, &dir, &trusted(), &a).unwrap();
        let mut fs = Cut {
            budget: usize::MAX,
            used: 0,
        };
        while !u.done() {
            u.step(&mut fs).unwrap();
        }
        let s = content::select(&dir, &trusted(), false, &mut RealFs);
        assert!(
            s.loaded.unwrap().speech.is_some(),
            "the update's voice came with it"
        );
        fs.used
    };
    let mut on = [0usize; 2];
    for n in 0..total {
        let dir = content_dir("voice-cut", &a);
        let f = stick_with_voice("voice-cut", &b, &part);
        let mut u = prepare(&f, &dir, &trusted(), &a).unwrap();
        let mut fs = Cut { budget: n, used: 0 };
        while !u.done() {
            if u.step(&mut fs).is_err() {
                break;
            }
        }
        let s = content::select(&dir, &trusted(), false, &mut RealFs);
        let loaded = s.loaded.unwrap();
        if s.slot == Slot::B {
            assert!(
                loaded.speech.is_some(),
                "cut after {n}: the new text without its voice"
            );
        } else {
            assert_eq!(loaded.hash, hash_of(&a), "cut after {n}");
        }
        on[usize::from(s.slot == Slot::B)] += 1;
    }
    assert!(on[0] > 0 && on[1] > 0, "{on:?}");
}
