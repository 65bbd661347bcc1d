//! `bitig flash IMAGE TARGET`: writes a kiosk image to an SD card (or a file), fsyncs, then
//! reads every byte back and compares hashes.
//!
//! Before it opens the target for writing it refuses, each with its own error:
//! - a partition instead of a whole disk;
//! - the disk of the running system (the disk behind `/`, `/boot`, `/usr` or active swap);
//! - a disk any of whose partitions (or itself) is mounted or used as swap;
//! - a non-removable disk, unless `--force`;
//! - any device without confirmation: an interactive prompt, or `--yes` for scripts.
//!
//! Everything it knows about disks comes from sysfs and `/proc/self/mountinfo` through
//! [`SystemView`], so the refusal logic is tested on fake trees as well as on the real machine.

use crate::progress::{Progress, Unit};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Where the kernel's views of disks and mounts are read from (the real ones, or a test tree).
#[derive(Debug, Clone)]
pub struct SystemView {
    pub sys: PathBuf,
    pub mountinfo: PathBuf,
    pub swaps: PathBuf,
}

impl Default for SystemView {
    fn default() -> Self {
        Self {
            sys: "/sys".into(),
            mountinfo: "/proc/self/mountinfo".into(),
            swaps: "/proc/swaps".into(),
        }
    }
}

/// What the checks found out about a block device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskFacts {
    /// Kernel name of the whole disk, e.g. `sdb` or `mmcblk0`.
    pub name: String,
    /// The target is a partition of `name`, not the disk itself.
    pub is_partition: bool,
    pub removable: bool,
    /// Mount points (and swap) on the disk or its partitions.
    pub in_use: Vec<String>,
    /// The running system lives on this disk (`/`, `/boot`, `/usr`, swap).
    pub system_disk: bool,
}

/// Why `bitig flash` will not write. Each has a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Partition { disk: String },
    SystemDisk { disk: String },
    Mounted { disk: String, uses: Vec<String> },
    NotRemovable { disk: String },
    NotConfirmed,
    TooSmall { image: u64, target: u64 },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Partition { disk } => write!(
                f,
                "the target is a partition; give the whole disk (/dev/{disk}) so the partition table is written too"
            ),
            Refusal::SystemDisk { disk } => write!(
                f,
                "/dev/{disk} holds the running system; refusing to overwrite it (check the device name with `lsblk`)"
            ),
            Refusal::Mounted { disk, uses } => write!(
                f,
                "/dev/{disk} is in use ({}); unmount it first (`udisksctl unmount -b ...` or `umount ...`)",
                uses.join(", ")
            ),
            Refusal::NotRemovable { disk } => write!(
                f,
                "/dev/{disk} is not a removable disk; if it really is the card to flash (some USB readers and loop devices say so), pass --force"
            ),
            Refusal::NotConfirmed => write!(
                f,
                "not confirmed: standard input is not a terminal, so nobody could be asked; pass --yes to flash from a script"
            ),
            Refusal::TooSmall { image, target } => write!(
                f,
                "the image ({image} bytes) does not fit on the target ({target} bytes); use a larger card"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

fn read_trim(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

/// `major:minor` of every block device in use: mounted (from mountinfo, with its mount point)
/// or active swap (from /proc/swaps, resolved through stat).
fn devices_in_use(view: &SystemView) -> Result<Vec<((u32, u32), String)>> {
    let text = std::fs::read_to_string(&view.mountinfo)
        .with_context(|| format!("reading {}", view.mountinfo.display()))?;
    let mut out = Vec::new();
    for line in text.lines() {
        // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
        let mut fields = line.split(' ');
        let (Some(_), Some(_), Some(dev), Some(_), Some(mnt)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            continue;
        };
        if let Some((a, b)) = dev.split_once(':') {
            if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                out.push(((a, b), mnt.replace("\\040", " ")));
            }
        }
    }
    if let Ok(swaps) = std::fs::read_to_string(&view.swaps) {
        for line in swaps.lines().skip(1) {
            let Some(path) = line.split_whitespace().next() else {
                continue;
            };
            if let Ok(m) = std::fs::metadata(path) {
                if m.file_type().is_block_device() {
                    let r = m.rdev();
                    out.push(((rustix::fs::major(r), rustix::fs::minor(r)), "swap".into()));
                }
            }
        }
    }
    Ok(out)
}

fn parse_dev(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Facts about the block device `dev` (major, minor), from sysfs and the mount table.
pub fn inspect_block(dev: (u32, u32), view: &SystemView) -> Result<DiskFacts> {
    let link = view.sys.join(format!("dev/block/{}:{}", dev.0, dev.1));
    let real = std::fs::canonicalize(&link).with_context(|| {
        format!(
            "{} is not in sysfs; is the target a block device?",
            link.display()
        )
    })?;
    let is_partition = real.join("partition").exists();
    let disk_dir = if is_partition {
        real.parent()
            .map(Path::to_path_buf)
            .context("partition without a parent disk in sysfs")?
    } else {
        real
    };
    let name = disk_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_string();
    // The disk and each of its partitions.
    let mut devs = vec![];
    if let Some(d) = read_trim(&disk_dir.join("dev"))
        .as_deref()
        .and_then(parse_dev)
    {
        devs.push(d);
    }
    if let Ok(entries) = std::fs::read_dir(&disk_dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.join("partition").exists() {
                if let Some(d) = read_trim(&p.join("dev")).as_deref().and_then(parse_dev) {
                    devs.push(d);
                }
            }
        }
    }
    let removable = read_trim(&disk_dir.join("removable")).as_deref() == Some("1")
        // The Pi's and laptops' built-in SD slots (mmc) say removable=0 but hold SD cards.
        || read_trim(&disk_dir.join("device/type")).as_deref() == Some("SD")
        // USB card readers and sticks.
        || std::fs::canonicalize(disk_dir.join("device"))
            .is_ok_and(|p| p.components().any(|c| c.as_os_str().to_string_lossy().starts_with("usb")));
    let used = devices_in_use(view)?;
    let mut in_use = Vec::new();
    let mut system_disk = false;
    for (d, mnt) in &used {
        if devs.contains(d) {
            in_use.push(mnt.clone());
            if matches!(
                mnt.as_str(),
                "/" | "/boot" | "/boot/firmware" | "/usr" | "swap"
            ) {
                system_disk = true;
            }
        }
    }
    Ok(DiskFacts {
        name,
        is_partition,
        removable,
        in_use,
        system_disk,
    })
}

/// The refusals that apply to a block device, in order of importance.
pub fn check_disk(f: &DiskFacts, force: bool) -> Result<(), Refusal> {
    if f.system_disk {
        return Err(Refusal::SystemDisk {
            disk: f.name.clone(),
        });
    }
    if f.is_partition {
        return Err(Refusal::Partition {
            disk: f.name.clone(),
        });
    }
    if !f.in_use.is_empty() {
        return Err(Refusal::Mounted {
            disk: f.name.clone(),
            uses: f.in_use.clone(),
        });
    }
    if !f.removable && !force {
        return Err(Refusal::NotRemovable {
            disk: f.name.clone(),
        });
    }
    Ok(())
}

/// Asks on `out`, reads one line from `input`; only the exact device name confirms.
pub fn confirm(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    target: &Path,
    summary: &str,
) -> Result<bool> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    write!(
        out,
        "{summary}\nEverything on {} will be lost. Type its name ({name}) to go on: ",
        target.display()
    )?;
    out.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    Ok(line.trim() == name)
}

#[derive(Debug)]
pub struct Options {
    pub yes: bool,
    pub force: bool,
    pub dry_run: bool,
    pub view: SystemView,
}

/// What was written and verified.
#[derive(Debug)]
pub struct Report {
    pub bytes: u64,
    pub hash: blake3::Hash,
}

const CHUNK: usize = 4 << 20;

/// Flashes `image` to `target` (block device or regular file) and verifies it.
pub fn flash(image: &Path, target: &Path, opts: &Options) -> Result<Report> {
    let mut src = File::open(image).with_context(|| format!("opening {}", image.display()))?;
    let image_len = src.metadata()?.len();
    anyhow::ensure!(
        image_len > 0,
        "{} is empty; nothing to flash",
        image.display()
    );
    let meta = std::fs::metadata(target);
    let is_block = meta.as_ref().is_ok_and(|m| m.file_type().is_block_device());
    let summary = match &meta {
        Ok(m) if is_block => check_block_target(target, m, image_len, opts)?,
        _ => check_file_target(target, &meta)?,
    };
    if !opts.yes {
        confirmed(target, &summary)?;
    }
    eprintln!("{summary}");
    if opts.dry_run {
        eprintln!("dry run: every check passed; nothing was written");
        return Ok(Report {
            bytes: 0,
            hash: blake3::hash(&[]),
        });
    }
    let mut buf = vec![0u8; CHUNK];
    let want = write_image(&mut src, image, image_len, target, is_block, &mut buf)?;
    let got = read_back(target, image_len, &mut buf)?;
    if got != want {
        bail!(
            "verification FAILED: {} reads back as blake3 {} but the image is {}; the card may be faulty or counterfeit",
            target.display(),
            got.to_hex(),
            want.to_hex()
        );
    }
    Ok(Report {
        bytes: image_len,
        hash: want,
    })
}

/// A block device as the target: refused unless it is a whole, removable, unmounted disk
/// that is not the running system's, and big enough. Returns the summary to confirm.
fn check_block_target(
    target: &Path,
    m: &std::fs::Metadata,
    image_len: u64,
    opts: &Options,
) -> Result<String> {
    let dev = (rustix::fs::major(m.rdev()), rustix::fs::minor(m.rdev()));
    let facts = inspect_block(dev, &opts.view)?;
    check_disk(&facts, opts.force)?;
    let size = File::open(target)
        .and_then(|mut f| f.seek(SeekFrom::End(0)))
        .with_context(|| format!("reading the size of {}", target.display()))?;
    if size < image_len {
        return Err(Refusal::TooSmall {
            image: image_len,
            target: size,
        }
        .into());
    }
    let model = read_trim(
        &opts
            .view
            .sys
            .join(format!("block/{}/device/model", facts.name)),
    )
    .unwrap_or_default();
    Ok(format!(
        "Target: {} ({} MB{}{})",
        target.display(),
        size / 1_000_000,
        if model.is_empty() { "" } else { ", " },
        model
    ))
}

/// A regular file (or a missing one outside /dev) as the target.
fn check_file_target(target: &Path, meta: &std::io::Result<std::fs::Metadata>) -> Result<String> {
    match meta {
        Err(_) if target.starts_with("/dev") => bail!(
            "{} does not exist; plug the card in and check its name with `lsblk`",
            target.display()
        ),
        Ok(m) if !m.is_file() => bail!(
            "{} is neither a block device nor a regular file",
            target.display()
        ),
        _ => {}
    }
    Ok(format!("Target: {} (a regular file)", target.display()))
}

/// Asks on the terminal; refuses without one (scripts pass --yes).
fn confirmed(target: &Path, summary: &str) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(Refusal::NotConfirmed.into());
    }
    let stdin = std::io::stdin();
    let ok = confirm(&mut stdin.lock(), &mut std::io::stderr(), target, summary)?;
    if !ok {
        bail!("not confirmed; nothing was written");
    }
    Ok(())
}

/// Writes the image to `target` in chunks, then fsyncs it. Returns the image's hash.
fn write_image(
    src: &mut File,
    image: &Path,
    image_len: u64,
    target: &Path,
    is_block: bool,
    buf: &mut [u8],
) -> Result<blake3::Hash> {
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create(!is_block)
        .truncate(false)
        .open(target)
        .with_context(|| format!("opening {} for writing", target.display()))?;
    let mut hasher = blake3::Hasher::new();
    let mut progress = Progress::new(image_len, "writing", Unit::MiB);
    let mut left = image_len;
    while left > 0 {
        let n = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
        src.read_exact(&mut buf[..n])
            .with_context(|| format!("reading {}", image.display()))?;
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n])
            .with_context(|| format!("writing {}", target.display()))?;
        left -= n as u64;
        progress.add(n);
    }
    if !is_block {
        dst.set_len(image_len)?;
    }
    dst.sync_all()
        .with_context(|| format!("fsync of {}", target.display()))?;
    Ok(hasher.finalize())
}

/// Reads `target` back, past the page cache: its first `len` bytes' hash.
fn read_back(target: &Path, len: u64, buf: &mut [u8]) -> Result<blake3::Hash> {
    let mut back = File::open(target)?;
    // Drop cached pages so the comparison reads what reached the card. Best effort: a
    // filesystem may ignore the advice, but then the data was fsynced anyway.
    let _ = rustix::fs::fadvise(&back, 0, None, rustix::fs::Advice::DontNeed);
    let mut hasher = blake3::Hasher::new();
    let mut progress = Progress::new(len, "verifying", Unit::MiB);
    let mut left = len;
    while left > 0 {
        let n = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
        back.read_exact(&mut buf[..n])
            .with_context(|| format!("reading {} back", target.display()))?;
        hasher.update(&buf[..n]);
        left -= n as u64;
        progress.add(n);
    }
    Ok(hasher.finalize())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::fs;

    /// A fake sysfs with one disk `name` (dev `maj:0`) and `parts` partitions, and a mountinfo.
    fn fake(
        name: &str,
        maj: u32,
        parts: u32,
        removable: bool,
        mounts: &[(&str, &str)],
    ) -> (tempdir::Dir, SystemView) {
        let t = tempdir::Dir::new(name);
        let sys = t.path().join("sys");
        let disk = sys.join("devices/platform/x").join(name);
        fs::create_dir_all(&disk).unwrap();
        fs::write(disk.join("dev"), format!("{maj}:0\n")).unwrap();
        fs::write(
            disk.join("removable"),
            if removable { "1\n" } else { "0\n" },
        )
        .unwrap();
        fs::create_dir_all(sys.join("dev/block")).unwrap();
        std::os::unix::fs::symlink(&disk, sys.join(format!("dev/block/{maj}:0"))).unwrap();
        for p in 1..=parts {
            let pd = disk.join(format!("{name}{p}"));
            fs::create_dir_all(&pd).unwrap();
            fs::write(pd.join("dev"), format!("{maj}:{p}\n")).unwrap();
            fs::write(pd.join("partition"), format!("{p}\n")).unwrap();
            std::os::unix::fs::symlink(&pd, sys.join(format!("dev/block/{maj}:{p}"))).unwrap();
        }
        let mut mi = String::from("22 27 0:21 / /proc rw,relatime - proc proc rw\n");
        for (i, (dev, mnt)) in mounts.iter().enumerate() {
            mi.push_str(&format!(
                "{} 1 {dev} / {} rw,relatime - ext4 /dev/x rw\n",
                30 + i,
                mnt.replace(' ', "\\040") // as the kernel escapes it
            ));
        }
        fs::write(t.path().join("mountinfo"), mi).unwrap();
        fs::write(t.path().join("swaps"), "Filename Type Size Used Priority\n").unwrap();
        let view = SystemView {
            sys,
            mountinfo: t.path().join("mountinfo"),
            swaps: t.path().join("swaps"),
        };
        (t, view)
    }

    /// A tiny self-cleaning temp dir (no extra crate).
    mod tempdir {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new(tag: &str) -> Self {
                let p = std::env::temp_dir().join(format!(
                    "bitig-flash-{tag}-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Self(p)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn a_free_removable_card_passes() {
        let (_t, v) = fake("sdb", 8, 2, true, &[("254:1", "/")]);
        let f = inspect_block((8, 0), &v).unwrap();
        assert_eq!(f.name, "sdb");
        assert!(f.removable && !f.is_partition && !f.system_disk && f.in_use.is_empty());
        assert_eq!(check_disk(&f, false), Ok(()));
    }

    #[test]
    fn refuses_the_disk_of_the_running_system() {
        // `/` is on partition 2 of the target disk.
        let (_t, v) = fake("vda", 254, 2, false, &[("254:2", "/"), ("254:1", "/boot")]);
        let f = inspect_block((254, 0), &v).unwrap();
        assert!(f.system_disk);
        let r = check_disk(&f, true).unwrap_err();
        assert_eq!(r, Refusal::SystemDisk { disk: "vda".into() });
        assert!(r.to_string().contains("running system"));
    }

    #[test]
    fn refuses_a_disk_with_a_mounted_partition_even_with_force() {
        let (_t, v) = fake("sdc", 8, 2, true, &[("8:1", "/media/usb stick")]);
        let f = inspect_block((8, 0), &v).unwrap();
        let r = check_disk(&f, true).unwrap_err();
        assert_eq!(
            r,
            Refusal::Mounted {
                disk: "sdc".into(),
                uses: vec!["/media/usb stick".into()]
            }
        );
        assert!(r.to_string().contains("unmount"));
    }

    #[test]
    fn refuses_a_partition_and_names_the_disk() {
        let (_t, v) = fake("mmcblk0", 179, 2, true, &[]);
        let f = inspect_block((179, 1), &v).unwrap();
        assert!(f.is_partition);
        assert_eq!(f.name, "mmcblk0");
        assert_eq!(
            check_disk(&f, true),
            Err(Refusal::Partition {
                disk: "mmcblk0".into()
            })
        );
    }

    #[test]
    fn a_non_removable_disk_needs_force() {
        let (_t, v) = fake("sdd", 8, 1, false, &[]);
        let f = inspect_block((8, 0), &v).unwrap();
        assert_eq!(
            check_disk(&f, false),
            Err(Refusal::NotRemovable { disk: "sdd".into() })
        );
        assert_eq!(check_disk(&f, true), Ok(()));
    }

    #[test]
    fn an_sd_slot_counts_as_removable() {
        let (t, v) = fake("mmcblk1", 179, 1, false, &[]);
        let dev = v.sys.join("devices/platform/x/mmcblk1/device");
        fs::create_dir_all(&dev).unwrap();
        fs::write(dev.join("type"), "SD\n").unwrap();
        let f = inspect_block((179, 0), &v).unwrap();
        assert!(f.removable);
        drop(t);
    }

    #[test]
    fn confirmation_needs_the_exact_device_name() {
        let target = Path::new("/dev/sdb");
        for (answer, ok) in [
            ("sdb\n", true),
            ("y\n", false),
            ("", false),
            ("sda\n", false),
        ] {
            let mut out = Vec::new();
            let got = confirm(&mut answer.as_bytes(), &mut out, target, "Target: x").unwrap();
            assert_eq!(got, ok, "{answer:?}");
            assert!(String::from_utf8(out)
                .unwrap()
                .contains("Type its name (sdb)"));
        }
    }
}
