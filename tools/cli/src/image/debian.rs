//! `bitig image --debian`: a complete arm64 kiosk image from Debian's archive alone.

use super::payload::*;
use super::{ext4::*, fat::*, files::*};
use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian release and the packages of the kiosk's root filesystem.
pub const SUITE: &str = "bookworm";
pub const PACKAGES: &str =
    "systemd-sysv,udev,kmod,linux-image-arm64,raspi-firmware,libinput10,libxkbcommon0,libudev1,libopus0,libasound2";
/// initramfs modules: virtio (QEMU boot test) and the Pi's SD card, nothing else. With
/// MODULES=most, mkinitramfs under qemu-user takes ~14 minutes twice; with this list, seconds.
pub const INITRAMFS_MODULES: &[&str] = &[
    "virtio_pci",
    "virtio_blk",
    "ext4",
    "mmc_block",
    "sdhci_iproc",
];
const MIB: u64 = 1024 * 1024;

#[derive(Debug)]
pub struct Options {
    pub out: PathBuf,
    pub payload: Payload,
    /// Where the root filesystem is built (kept between runs only with `keep`).
    pub work: PathBuf,
    pub mirror: String,
}

fn sh(cmd: &mut Command, what: &str) -> Result<()> {
    let st = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run {what}: {e}"))?;
    ensure!(st.success(), "{what} failed ({st})");
    Ok(())
}

/// Bytes used by a directory tree (apparent size, rounded to 4 KiB blocks).
fn tree_size(p: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            if let Ok(m) = e.metadata() {
                if m.is_dir() {
                    total += 4096 + tree_size(&e.path());
                } else {
                    total += m.len().div_ceil(4096) * 4096;
                }
            }
        }
    }
    total
}

fn kiosk_cmdline_debian() -> String {
    // The Pi's SD card is mmcblk0; LABEL= finds the root on any disk (QEMU: vda).
    "console=ttyS1,115200 root=LABEL=rootfs ro rootwait fsck.repair=yes net.ifnames=0 cma=64M quiet loglevel=3 logo.nologo vt.global_cursor_default=0 consoleblank=0\n".to_string()
}

pub fn fstab() -> &'static str {
    "# Bitig kiosk (written by `bitig image --debian`): read-only root, writable content.
LABEL=rootfs      /               ext4   ro,noatime                                0 1
LABEL=bootfs      /boot/firmware  vfat   ro,nofail,x-systemd.device-timeout=10s    0 2
LABEL=bitig-data  /var/lib/bitig  ext4   rw,noatime,nosuid,nodev,noexec,nofail     0 2
tmpfs             /tmp            tmpfs  nosuid,nodev,size=32M                     0 0
tmpfs             /var/tmp        tmpfs  nosuid,nodev,size=8M                      0 0
tmpfs             /var/log        tmpfs  nosuid,nodev,size=16M                     0 0
"
}

pub fn build(o: &Options) -> Result<()> {
    let kiosk = std::fs::read(&o.payload.kiosk)
        .with_context(|| format!("reading {}", o.payload.kiosk.display()))?;
    ensure!(
        elf_machine(&kiosk) == Some(0xB7),
        "{} is not an aarch64 binary; the --debian image is arm64 (build with scripts/cross-test aarch64)",
        o.payload.kiosk.display()
    );
    let content = read_content(&o.payload.bundle, &o.payload.trusted)?;
    if !Path::new("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists() {
        bail!(
            "arm64 programs cannot run here (no qemu-aarch64 binfmt handler); run scripts/setup-image.sh, or:\n  \
             mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; update-binfmts --enable qemu-aarch64"
        );
    }
    let root = o.work.join("rootfs");
    let data = o.work.join("data");
    let boot = o.work.join("boot");
    for d in [&root, &data, &boot] {
        let _ = std::fs::remove_dir_all(d);
    }
    std::fs::create_dir_all(&o.work)?;
    let t0 = std::time::Instant::now();
    debootstrap(&o.mirror, &root)?;
    eprintln!("mmdebstrap done in {:.0} s", t0.elapsed().as_secs_f64());
    install_kiosk(&root, &kiosk, &o.payload.config)?;
    let kernel = take_boot_files(&root, &boot)?;
    let owner = fill_data(&data, &content, &root)?;
    let layout = Layout::new(tree_size(&root));
    std::fs::create_dir_all(bitig_io::durable::folder_of(&o.out))?;
    let tmp = bitig_io::durable::private_temp(&o.out);
    let result = (|| -> Result<()> {
        let f = std::fs::File::create(&tmp)?;
        f.set_len(layout.total)?;
        drop(f);
        make_filesystems(&tmp, &layout, [&boot, &root, &data], &owner)?;
        let want = Expected {
            kiosk: &kiosk,
            content: &content,
            kernel: &kernel,
            boot: &boot,
        };
        read_back(&tmp, &layout, &o.work.join("verify"), &want)?;
        bitig_io::durable::commit(&tmp, &o.out)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    eprintln!(
        "image: {} MiB (boot {} + root {} + data {}), built in {:.0} s",
        layout.total / MIB,
        layout.boot_len / MIB,
        layout.root_len / MIB,
        layout.data_len / MIB,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The arm64 root filesystem from Debian's archive (a few minutes under qemu-user), with the
/// initramfs modules the board needs and the `bitig` user.
fn debootstrap(mirror: &str, root: &Path) -> Result<()> {
    eprintln!("mmdebstrap: arm64 {SUITE} root filesystem (a few minutes under qemu-user) ...");
    let essential = format!(
        "mkdir -p \"$1/etc/initramfs-tools/conf.d\" \"$1/usr/share/initramfs-tools/modules.d\" && \
         echo MODULES=list > \"$1/etc/initramfs-tools/conf.d/bitig.conf\" && \
         printf '%s\\n' {} > \"$1/usr/share/initramfs-tools/modules.d/bitig\"",
        INITRAMFS_MODULES.join(" ")
    );
    let customize = "chroot \"$1\" groupadd -f -r render && \
         chroot \"$1\" useradd --system --user-group --home-dir /var/lib/bitig --no-create-home \
         --shell /usr/sbin/nologin --groups video,input,render,audio bitig";
    let m = mirror;
    sh(
        Command::new("mmdebstrap")
            .args([
                "--arch=arm64",
                "--variant=minbase",
                "--mode=root",
                "--format=directory",
                "--components=main,non-free-firmware",
                &format!("--include={PACKAGES}"),
                &format!("--essential-hook={essential}"),
                &format!("--customize-hook={customize}"),
                SUITE,
            ])
            .arg(root)
            .arg(format!("deb {m} {SUITE} main non-free-firmware"))
            .arg(format!("deb {m} {SUITE}-updates main non-free-firmware"))
            .arg(format!(
                "deb {}-security {SUITE}-security main non-free-firmware",
                m.trim_end_matches('/')
            )),
        "mmdebstrap (install it with scripts/setup-image.sh)",
    )?;
    Ok(())
}

/// The kiosk, its configuration and its system settings, into the root tree.
fn install_kiosk(root: &Path, kiosk: &[u8], config: &str) -> Result<()> {
    let put = |rel: &str, bytes: &[u8], mode: u32| -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let p = root.join(rel.trim_start_matches('/'));
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        let _ = std::fs::remove_file(&p);
        std::fs::write(&p, bytes)?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))?;
        Ok(())
    };
    put("/usr/local/bin/bitig-kiosk", kiosk, 0o755)?;
    put("/etc/bitig/kiosk.toml", config.as_bytes(), 0o644)?;
    put(
        &format!("/etc/systemd/system/{UNIT_NAME}"),
        unit_file().as_bytes(),
        0o644,
    )?;
    put(
        "/etc/udev/rules.d/70-bitig-panel.rules",
        udev_rules().as_bytes(),
        0o644,
    )?;
    put("/etc/fstab", fstab().as_bytes(), 0o644)?;
    put("/etc/hostname", b"bitig-kiosk\n", 0o644)?;
    // Empty: systemd makes a transient machine id on the read-only root.
    put("/etc/machine-id", b"", 0o444)?;
    put(
        "/etc/systemd/journald.conf.d/bitig.conf",
        JOURNALD_CONF.as_bytes(),
        0o644,
    )?;
    let wants = root.join("etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&wants)?;
    let link = wants.join(UNIT_NAME);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(format!("/etc/systemd/system/{UNIT_NAME}"), &link)?;
    // No login prompt on the panel.
    let getty = root.join("etc/systemd/system/getty@tty1.service");
    let _ = std::fs::remove_file(&getty);
    std::os::unix::fs::symlink("/dev/null", &getty)?;
    std::fs::create_dir_all(root.join("var/lib/bitig"))?;
    // Where the udev rule mounts a stick: the root is read-only, so systemd-mount cannot
    // make it at run time (the boot test caught updates failing with "mount point does
    // not exist").
    std::fs::create_dir_all(root.join("media/bitig-usb"))?;
    Ok(())
}

/// The boot partition's files: what raspi-firmware's hook put in /boot/firmware, moved to
/// `boot`, with our settings. Returns the kernel's file name.
fn take_boot_files(root: &Path, boot: &Path) -> Result<String> {
    let fw = root.join("boot/firmware");
    std::fs::create_dir_all(boot)?;
    let mut kernel = None;
    for e in std::fs::read_dir(&fw)
        .with_context(|| format!("{}: raspi-firmware left nothing", fw.display()))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("vmlinuz-") {
            kernel = Some(name.clone());
        }
        std::fs::rename(e.path(), boot.join(&name))?;
    }
    let kernel = kernel.context("no kernel in /boot/firmware; did linux-image-arm64 install?")?;
    std::fs::write(boot.join("cmdline.txt"), kiosk_cmdline_debian())?;
    let config = std::fs::read_to_string(boot.join("config.txt")).unwrap_or_default();
    std::fs::write(boot.join("config.txt"), kiosk_config_txt(&config))?;
    Ok(kernel)
}

/// The data partition's files: the content (bundle and speech part) in slot A. Returns the `bitig` user's
/// `uid:gid` from the root tree, the data filesystem's owner.
fn fill_data(data: &Path, content: &Content, root: &Path) -> Result<String> {
    std::fs::create_dir_all(data)?;
    std::fs::write(data.join("slot-a.bundle"), &content.bundle)?;
    if let Some(speech) = &content.speech {
        std::fs::write(data.join("slot-a.speech"), speech)?;
    }
    std::fs::write(data.join("active"), b"a\n")?;
    let passwd = std::fs::read_to_string(root.join("etc/passwd"))?;
    passwd
        .lines()
        .find(|l| l.starts_with("bitig:"))
        .map(|l| l.split(':').skip(2).take(2).collect::<Vec<_>>().join(":"))
        .context("the bitig user was not created")
}

/// Where the partitions sit on the image (bytes): MBR, FAT32 boot, ext4 root (read-only),
/// ext4 data.
struct Layout {
    boot_at: u64,
    boot_len: u64,
    root_at: u64,
    root_len: u64,
    data_at: u64,
    data_len: u64,
    total: u64,
}

impl Layout {
    /// The layout for a root tree of `tree` bytes: a fifth more, plus 64 MiB.
    fn new(tree: u64) -> Layout {
        let boot_len = 256 * MIB;
        let root_len = (tree * 6 / 5 + 64 * MIB).div_ceil(MIB) * MIB;
        let data_len = 128 * MIB;
        let boot_at = 4 * MIB;
        let root_at = boot_at + boot_len;
        let data_at = root_at + root_len;
        Layout {
            boot_at,
            boot_len,
            root_at,
            root_len,
            data_at,
            data_len,
            total: data_at + data_len,
        }
    }
}

/// The partition table and the three filesystems, written into `tmp` at their offsets from
/// the `boot`, `root` and `data` trees. No loop devices.
fn make_filesystems(
    tmp: &Path,
    l: &Layout,
    [boot, root, data]: [&Path; 3],
    owner: &str,
) -> Result<()> {
    let table = format!(
        "label: dos\nunit: sectors\nstart={}, size={}, type=c\nstart={}, size={}, type=83\nstart={}, size={}, type=83\n",
        l.boot_at / 512, l.boot_len / 512, l.root_at / 512, l.root_len / 512, l.data_at / 512, l.data_len / 512
    );
    let mut c = Command::new("sfdisk");
    c.arg("-q").arg(tmp).stdin(std::process::Stdio::piped());
    let mut child = c.spawn().context("cannot run sfdisk (fdisk)")?;
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .context("sfdisk stdin")?
            .write_all(table.as_bytes())?;
    }
    ensure!(child.wait()?.success(), "sfdisk failed");
    sh(
        Command::new("mkfs.vfat")
            .args(["-F", "32", "-s", "1", "-n", "bootfs"])
            .arg(format!("--offset={}", l.boot_at / 512))
            .arg(tmp)
            .arg((l.boot_len / 1024).to_string())
            .stdout(std::process::Stdio::null()),
        "mkfs.vfat",
    )?;
    let mut mc = Command::new("mcopy");
    mc.env("MTOOLS_SKIP_CHECK", "1")
        .arg("-s")
        .arg("-i")
        .arg(format!("{}@@{}", tmp.display(), l.boot_at));
    for e in std::fs::read_dir(boot)?.flatten() {
        mc.arg(e.path());
    }
    mc.arg("::/");
    sh(&mut mc, "mcopy")?;
    for (label, dirp, at, len, owner) in [
        ("rootfs", root, l.root_at, l.root_len, "0:0"),
        ("bitig-data", data, l.data_at, l.data_len, owner),
    ] {
        sh(
            Command::new("mkfs.ext4")
                .args(["-q", "-F", "-L", label])
                .arg("-E")
                .arg(format!("offset={at},root_owner={owner}"))
                .arg("-d")
                .arg(dirp)
                .arg(tmp)
                .arg(format!("{}k", len / 1024)),
            "mkfs.ext4",
        )?;
    }
    Ok(())
}

/// What the image must hold, read back.
struct Expected<'a> {
    kiosk: &'a [u8],
    content: &'a Content,
    kernel: &'a str,
    boot: &'a Path,
}

/// Reads back what matters with the stock tools: both ext4 filesystems clean, the kiosk
/// binary, its unit enabled, the bundle and its speech part, cmdline.txt and the kernel.
fn read_back(tmp: &Path, l: &Layout, scratch: &Path, want: &Expected<'_>) -> Result<()> {
    std::fs::create_dir_all(scratch)?;
    let rootfs = Ext4::new(tmp, l.root_at, scratch);
    rootfs.fsck()?;
    ensure!(
        rootfs.read("/usr/local/bin/bitig-kiosk")? == want.kiosk,
        "read-back of the kiosk binary differs"
    );
    let unit = rootfs.stat(&format!(
        "/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}"
    ))?;
    ensure!(
        unit.and_then(|i| i.link).as_deref()
            == Some(&format!("/etc/systemd/system/{UNIT_NAME}")[..]),
        "the kiosk unit is not enabled on the image"
    );
    let datafs = Ext4::new(tmp, l.data_at, scratch);
    datafs.fsck()?;
    ensure!(
        datafs.read("/slot-a.bundle")? == want.content.bundle,
        "read-back of the bundle differs"
    );
    if let Some(speech) = &want.content.speech {
        ensure!(
            &datafs.read("/slot-a.speech")? == speech,
            "read-back of the speech part differs"
        );
    }
    let fat = Fat::new(tmp, l.boot_at, scratch);
    ensure!(
        fat.read("cmdline.txt")? == kiosk_cmdline_debian().as_bytes(),
        "read-back of cmdline.txt differs"
    );
    let k = want.kernel;
    ensure!(
        fat.read(k)? == std::fs::read(want.boot.join(k))?,
        "read-back of the kernel differs"
    );
    Ok(())
}
