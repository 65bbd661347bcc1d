//! Hostile USB sticks (content::read_stick_file): each is refused with its code, nothing
//! hangs, and memory stays bounded. The cases are the ones seen in the field: a symlink to
//! /dev/zero (the kiosk read until it died of OOM), a FIFO (the kiosk hung for good), a folder,
//! a 2 GB sparse file, an unreadable file, and files that shrink, grow or fail mid-read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_kiosk::content::{read_declared, read_stick_file, MAX_BUNDLE};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The refusal code for `file`, from a thread, so that a hang shows as a failure (after a
/// minute) instead of a stuck test run. This guards liveness; it measures no speed.
fn code_of(file: &Path) -> &'static str {
    let (tx, rx) = mpsc::channel();
    let f = file.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(read_stick_file(&f, MAX_BUNDLE).map(|b| b.len()));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Err(e)) => e.code,
        Ok(Ok(n)) => panic!("{} was accepted ({n} bytes)", file.display()),
        Err(_) => panic!("reading {} hung", file.display()),
    }
}

/// Peak resident memory of this test process, in bytes (VmHWM).
fn peak_rss() -> u64 {
    bitig_io::proc::peak_rss_kib().unwrap() * 1024
}

#[test]
fn hostile_sticks_are_refused_with_bounded_memory() {
    let d = scratch("hostile-stick");
    let zero = d.join("zero.bundle");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    assert_eq!(code_of(&zero), "E-SYMLINK");

    let fifo = d.join("fifo.bundle");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(code_of(&fifo), "E-NOTFILE");

    let folder = d.join("folder.bundle");
    std::fs::create_dir(&folder).unwrap();
    assert_eq!(code_of(&folder), "E-NOTFILE");

    assert_eq!(code_of(Path::new("/dev/null")), "E-NOTFILE");

    let sparse = d.join("sparse.bundle");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    assert_eq!(code_of(&sparse), "E-TOOBIG");

    // Unreadable, even for root: a regular file whose read fails (EIO).
    assert_eq!(code_of(Path::new("/proc/self/mem")), "E-READ");
    // A file that says 0 bytes and then has some: it grew while it was read.
    assert_eq!(code_of(Path::new("/proc/self/status")), "E-CHANGED");

    assert_eq!(code_of(&d.join("missing.bundle")), "E-READ");

    // Nothing above was read into memory: the peak stays under 64 MiB plus the cap.
    let peak = peak_rss();
    assert!(
        peak < (64 << 20) + MAX_BUNDLE,
        "peak RSS {} MiB",
        peak >> 20
    );
}

/// A reader that gives `data`, then fails the way a pulled stick does.
struct Pulled {
    data: io::Cursor<Vec<u8>>,
}

impl io::Read for Pulled {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match io::Read::read(&mut self.data, buf)? {
            0 => Err(io::Error::from_raw_os_error(5)), // EIO
            n => Ok(n),
        }
    }
}

fn bytes(b: &[u8]) -> io::Cursor<Vec<u8>> {
    io::Cursor::new(b.to_vec())
}

#[test]
fn files_that_change_or_vanish_while_read_are_refused() {
    let data = vec![7u8; 100_000];
    // Shrank: fstat said more than there was.
    let e = read_declared(bytes(&data[..50_000]), 100_000, MAX_BUNDLE).unwrap_err();
    assert_eq!(e.code, "E-CHANGED");
    // Grew, but stayed under the cap.
    let e = read_declared(bytes(&data), 50_000, MAX_BUNDLE).unwrap_err();
    assert_eq!(e.code, "E-CHANGED");
    // Grew past the cap: reading stops at cap + 1 bytes.
    let e = read_declared(io::repeat(0), 10, 4096).unwrap_err();
    assert_eq!(e.code, "E-TOOBIG");
    // The stick was pulled out mid-read.
    let e = read_declared(
        Pulled {
            data: bytes(&data[..30_000]),
        },
        100_000,
        MAX_BUNDLE,
    )
    .unwrap_err();
    assert_eq!(e.code, "E-READ");
    // And a file that is what it says is read whole.
    assert_eq!(
        read_declared(bytes(&data), 100_000, MAX_BUNDLE).unwrap(),
        data
    );
}
