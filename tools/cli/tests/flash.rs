//! `bitig flash`: a verified write to a regular file and to a loop device, and the refusals on
//! the real machine (the running system's disk, a mounted disk, a non-removable disk, no
//! confirmation). The refusal logic on fake sysfs trees is unit-tested in src/flash.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A pseudo-random image of `len` bytes (xorshift; incompressible, no zero runs).
fn image(dir: &Path, len: usize) -> (PathBuf, Vec<u8>) {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let p = dir.join("kiosk.img");
    std::fs::write(&p, &bytes).unwrap();
    (p, bytes)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn flashes_a_file_target_and_verifies_it() {
    let d = scratch("flash-file");
    // Not a multiple of the 4 MiB chunk, so the last partial chunk is covered.
    let (img, bytes) = image(&d, 9 * 1024 * 1024 + 12345);
    let target = d.join("card.raw");
    // A stale, longer target file is cut to the image's length.
    std::fs::write(&target, vec![0xAAu8; 12 * 1024 * 1024]).unwrap();
    let o = bitig(&["flash", s(&img), s(&target), "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    let out = text(&o.stdout);
    let want = format!("flashed and verified {} bytes", bytes.len());
    assert!(out.contains(&want), "{out}");
    assert!(
        out.contains(&blake3::hash(&bytes).to_hex().to_string()),
        "{out}"
    );
    let err = text(&o.stderr);
    assert!(
        err.contains("writing") && err.contains("verifying") && err.contains("100%"),
        "{err}"
    );
}

#[test]
fn refuses_without_confirmation_and_writes_nothing() {
    let d = scratch("flash-unconfirmed");
    let (img, _) = image(&d, 4096);
    let target = d.join("card.raw");
    // stdin is not a terminal here, so nobody can be asked.
    let o = bitig(&["flash", s(&img), s(&target)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("pass --yes"),
        "{}",
        text(&o.stderr)
    );
    assert!(!target.exists(), "the target was created");
}

#[test]
fn refuses_a_missing_image_and_a_directory_target() {
    let d = scratch("flash-bad-args");
    let o = bitig(&["flash", s(&d.join("nope.img")), s(&d.join("x")), "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("nope.img"), "{}", text(&o.stderr));
    let (img, _) = image(&d, 4096);
    let o = bitig(&["flash", s(&img), s(&d), "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("neither a block device nor a regular file"),
        "{}",
        text(&o.stderr)
    );
    // A device name that does not exist is not taken for a file to create.
    let o = bitig(&["flash", s(&img), "/dev/bitig-no-such-card", "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("does not exist"),
        "{}",
        text(&o.stderr)
    );
    assert!(!Path::new("/dev/bitig-no-such-card").exists());
}

/// The block device under `/` on this machine, as its whole-disk /dev node, if there is one
/// (in a container `/` may be an overlay with no block device).
fn system_disk() -> Option<PathBuf> {
    let mi = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let dev = mi.lines().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        (f.get(4) == Some(&"/")).then(|| f[2].to_string())
    })?;
    let real = std::fs::canonicalize(format!("/sys/dev/block/{dev}")).ok()?;
    let disk = if real.join("partition").exists() {
        real.parent()?.to_path_buf()
    } else {
        real
    };
    let node = Path::new("/dev").join(disk.file_name()?);
    node.exists().then_some(node)
}

#[test]
fn refuses_the_disk_of_the_running_system() {
    let Some(disk) = system_disk() else {
        skip("`/` is not on a block device with a /dev node here");
        return;
    };
    let d = scratch("flash-system");
    let (img, _) = image(&d, 4096);
    // --dry-run: even if every check failed to refuse, nothing would be written.
    let o = bitig(&["flash", s(&img), s(&disk), "--yes", "--force", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("holds the running system"),
        "{}",
        text(&o.stderr)
    );
}

/// A loop device attached to a file; detached (and unmounted) on drop.
struct Loop {
    dev: PathBuf,
    mnt: Option<PathBuf>,
}

impl Loop {
    fn attach(file: &Path) -> Option<Loop> {
        let o = match Command::new("losetup")
            .args(["--find", "--show", s(file)])
            .output()
        {
            Ok(o) => o,
            Err(e) => {
                skip(&format!("losetup cannot run ({e}; util-linux has it)"));
                return None;
            }
        };
        if !o.status.success() {
            skip(&format!("losetup: {}", text(&o.stderr).trim()));
            return None;
        }
        Some(Loop {
            dev: PathBuf::from(text(&o.stdout).trim()),
            mnt: None,
        })
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        if let Some(m) = &self.mnt {
            let _ = Command::new("umount").arg(m).status();
        }
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
    }
}

#[test]
fn loop_device_needs_force_then_flashes_and_verifies() {
    let d = scratch("flash-loop");
    let (img, bytes) = image(&d, 6 * 1024 * 1024);
    let backing = d.join("disk.raw");
    std::fs::write(&backing, vec![0u8; 8 * 1024 * 1024]).unwrap();
    let Some(lo) = Loop::attach(&backing) else {
        return;
    };
    // A loop device says it is not removable.
    let o = bitig(&["flash", s(&img), s(&lo.dev), "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("is not a removable disk"),
        "{}",
        text(&o.stderr)
    );
    assert!(std::fs::read(&backing).unwrap().iter().all(|&b| b == 0));
    // Too small a device.
    let (big, _) = {
        let dd = scratch("flash-loop-big");
        image(&dd, 9 * 1024 * 1024)
    };
    let o = bitig(&["flash", s(&big), s(&lo.dev), "--yes", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("does not fit"),
        "{}",
        text(&o.stderr)
    );
    // With --force it writes, fsyncs and reads back.
    let o = bitig(&["flash", s(&img), s(&lo.dev), "--yes", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    drop(lo);
    let on_disk = std::fs::read(&backing).unwrap();
    assert_eq!(&on_disk[..bytes.len()], &bytes[..]);
}

#[test]
fn refuses_a_loop_device_with_a_mounted_filesystem() {
    let d = scratch("flash-mounted");
    let (img, _) = image(&d, 4096);
    let backing = d.join("disk.raw");
    std::fs::write(&backing, vec![0u8; 8 * 1024 * 1024]).unwrap();
    let mkfs = Command::new("mkfs.ext4")
        .args(["-q", "-F", s(&backing)])
        .status();
    if !mkfs.is_ok_and(|s| s.success()) {
        skip("mkfs.ext4 not available");
        return;
    }
    let Some(mut lo) = Loop::attach(&backing) else {
        return;
    };
    let mnt = d.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let m = Command::new("mount")
        .arg(&lo.dev)
        .arg(&mnt)
        .output()
        .unwrap();
    if !m.status.success() {
        skip(&format!("mount: {}", text(&m.stderr).trim()));
        return;
    }
    lo.mnt = Some(mnt.clone());
    let before = std::fs::read(&backing).unwrap();
    let o = bitig(&["flash", s(&img), s(&lo.dev), "--yes", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("is in use") && err.contains(s(&mnt)), "{err}");
    assert_eq!(std::fs::read(&backing).unwrap(), before);
}
