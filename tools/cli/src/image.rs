//! `bitig image --base RPIOS.img --out kiosk.img`: a Raspberry Pi OS Lite image (MBR with a
//! FAT boot partition and an ext4 root) turned into a kiosk image, without root, mounts or loop
//! devices: e2fsprogs' `debugfs` writes the root filesystem at its byte offset
//! (`img?offset=N`), mtools (`-i img@@N`) the boot partition.
//!
//! The base image is only read. The work happens on a copy next to `--out`, which is renamed
//! into place after every written file was read back and compared, and `e2fsck -fn` found the
//! root filesystem clean.
//!
//! Pitfalls handled (see ../shared/research/image-feasibility.md): debugfs exits 0 even when
//! a command fails, and its `mkdir` of an existing directory corrupts the filesystem, so every
//! directory is probed first and every result is checked by reading it back.

use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to put on the image.
#[derive(Debug)]
pub struct Payload {
    /// The kiosk binary (aarch64 or armv7, matching the image).
    pub kiosk: PathBuf,
    /// The content bundle.
    pub bundle: PathBuf,
    /// The kiosk configuration (TOML).
    pub config: String,
    /// Public keys the kiosk trusts; when given, the bundle must be signed by one of them.
    pub trusted: Vec<[u8; 32]>,
}

/// Checks the bundle file as the kiosk will: the signature (if keys are configured), then the
/// bundle itself.
fn check_bundle(path: &Path, bytes: &[u8], trusted: &[[u8; 32]]) -> Result<()> {
    let inner = if trusted.is_empty() {
        bitig_format::signature::split(bytes).0
    } else {
        bitig_format::signature::verify(bytes, trusted).map_err(|e| {
            let code = e.code();
            anyhow::Error::new(e).context(format!(
                "{}: refused [{code}]; the kiosk would not show it",
                path.display()
            ))
        })?
    };
    bitig_format::Bundle::from_bundle_bytes(inner)
        .with_context(|| format!("{}: not a valid bundle", path.display()))?;
    Ok(())
}

/// One MBR partition, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: usize,
    pub kind: u8,
    pub start: u64,
    pub len: u64,
}

/// The primary partitions of an MBR disk image.
pub fn mbr_partitions(img: &Path) -> Result<Vec<Partition>> {
    use std::io::Read;
    let mut sector = [0u8; 512];
    std::fs::File::open(img)
        .and_then(|mut f| f.read_exact(&mut sector))
        .with_context(|| format!("reading the partition table of {}", img.display()))?;
    ensure!(
        sector[510] == 0x55 && sector[511] == 0xAA,
        "{}: no MBR partition table (bytes 510..512 are not 55 AA); is this a disk image?",
        img.display()
    );
    let mut parts = Vec::new();
    for i in 0..4 {
        let e = &sector[446 + 16 * i..446 + 16 * (i + 1)];
        let kind = e[4];
        let lba = u32::from_le_bytes([e[8], e[9], e[10], e[11]]) as u64;
        let n = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as u64;
        if kind == 0xEE {
            bail!(
                "{}: a GPT disk; Raspberry Pi OS images use an MBR table, so this is not one",
                img.display()
            );
        }
        if kind != 0 && n > 0 {
            parts.push(Partition {
                index: i + 1,
                kind,
                start: lba * 512,
                len: n * 512,
            });
        }
    }
    Ok(parts)
}

/// The FAT boot partition (type 0x0b/0x0c/0x0e) and the Linux root (0x83), as Pi OS lays out.
pub fn boot_and_root(img: &Path) -> Result<(Partition, Partition)> {
    let parts = mbr_partitions(img)?;
    let boot = parts
        .iter()
        .find(|p| matches!(p.kind, 0x0b | 0x0c | 0x0e))
        .copied()
        .with_context(|| format!("{}: no FAT boot partition", img.display()))?;
    let root = parts
        .iter()
        .find(|p| p.kind == 0x83)
        .copied()
        .with_context(|| format!("{}: no Linux (ext4) root partition", img.display()))?;
    Ok((boot, root))
}

fn run_tool(cmd: &mut Command, what: &str, package: &str) -> Result<std::process::Output> {
    let out = cmd.output().map_err(|e| {
        anyhow::anyhow!("cannot run {what} ({e}); install {package} (scripts/setup-debian.sh)")
    })?;
    Ok(out)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An ext4 filesystem inside an image file, reached through debugfs.
#[derive(Debug)]
pub struct Ext4 {
    spec: String,
    scratch: PathBuf,
}

/// Inode facts from `debugfs stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub link: Option<String>,
}

impl Ext4 {
    pub fn new(img: &Path, offset: u64, scratch: &Path) -> Ext4 {
        Ext4 {
            spec: format!("{}?offset={offset}", img.display()),
            scratch: scratch.to_path_buf(),
        }
    }

    fn debugfs(&self, write: bool, request: &str) -> Result<String> {
        let mut c = Command::new("debugfs");
        if write {
            c.arg("-w");
        }
        c.arg("-R").arg(request).arg(&self.spec);
        let o = run_tool(&mut c, "debugfs", "e2fsprogs")?;
        ensure!(
            o.status.success(),
            "debugfs {request}: {}",
            text(&o.stderr).trim()
        );
        Ok(text(&o.stdout) + &text(&o.stderr))
    }

    /// Runs a script of debugfs commands in one session; returns its output.
    fn script(&self, commands: &[String]) -> Result<String> {
        let f = self.scratch.join("debugfs.cmds");
        std::fs::write(&f, commands.join("\n") + "\n")?;
        let o = run_tool(
            Command::new("debugfs")
                .arg("-w")
                .arg("-f")
                .arg(&f)
                .arg(&self.spec),
            "debugfs",
            "e2fsprogs",
        )?;
        ensure!(o.status.success(), "debugfs: {}", text(&o.stderr).trim());
        Ok(text(&o.stdout) + &text(&o.stderr))
    }

    pub fn stat(&self, path: &str) -> Result<Option<Inode>> {
        let out = self.debugfs(false, &format!("stat \"{path}\""))?;
        if out.contains("File not found") || !out.contains("Inode:") {
            return Ok(None);
        }
        let field = |name: &str| -> Option<u32> {
            let i = out.find(name)? + name.len();
            let rest = out[i..].trim_start();
            let tok: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            if name == "Mode:" {
                u32::from_str_radix(&tok, 8).ok()
            } else {
                tok.parse().ok()
            }
        };
        let ty = out
            .split("Type:")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or("");
        let type_bits = match ty {
            "regular" => 0o100000,
            "directory" => 0o040000,
            "symlink" => 0o120000,
            _ => 0,
        };
        let link = out
            .split("Fast link dest: \"")
            .nth(1)
            .and_then(|r| r.split('"').next().map(str::to_string));
        Ok(Some(Inode {
            mode: type_bits | field("Mode:").unwrap_or(0),
            uid: field("User:").unwrap_or(u32::MAX),
            gid: field("Group:").unwrap_or(u32::MAX),
            link,
        }))
    }

    /// The contents of a regular file.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        let out = self.scratch.join("dump.out");
        let _ = std::fs::remove_file(&out);
        self.debugfs(false, &format!("dump \"{path}\" \"{}\"", out.display()))?;
        std::fs::read(&out).with_context(|| format!("{path} is not on the root filesystem"))
    }

    /// Creates each missing directory of `dir` (mode 0755, root), never an existing one.
    fn mkdir_p(&self, dir: &str, cmds: &mut Vec<String>, made: &mut Vec<String>) -> Result<()> {
        let mut cur = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            cur.push('/');
            cur.push_str(part);
            if made.contains(&cur) {
                continue;
            }
            match self.stat(&cur)? {
                Some(i) if i.mode & 0o170000 == 0o040000 => {}
                Some(_) => bail!("{cur} exists on the root filesystem but is not a directory"),
                None => {
                    cmds.push(format!("mkdir \"{cur}\""));
                    cmds.push(format!("sif \"{cur}\" mode 040755"));
                    cmds.push(format!("sif \"{cur}\" uid 0"));
                    cmds.push(format!("sif \"{cur}\" gid 0"));
                    made.push(cur.clone());
                }
            }
        }
        Ok(())
    }

    pub fn fsck(&self) -> Result<()> {
        let o = run_tool(
            Command::new("e2fsck").arg("-fn").arg(&self.spec),
            "e2fsck",
            "e2fsprogs",
        )?;
        ensure!(
            o.status.success(),
            "e2fsck found the root filesystem damaged (exit {:?}):\n{}",
            o.status.code(),
            text(&o.stdout)
        );
        Ok(())
    }
}

/// A file to place on the root filesystem.
#[derive(Debug, Clone)]
pub struct RootFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Writes `files` and `links` (path, target) into `fs`, then reads every one back.
pub fn write_root(fs: &Ext4, files: &[RootFile], links: &[(String, String)]) -> Result<()> {
    let mut cmds = Vec::new();
    let mut made = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let (dir, _) = f.path.rsplit_once('/').context("absolute paths only")?;
        fs.mkdir_p(dir, &mut cmds, &mut made)?;
        let local = fs.scratch.join(format!("file{i}"));
        std::fs::write(&local, &f.bytes)?;
        if fs.stat(&f.path)?.is_some() {
            cmds.push(format!("rm \"{}\"", f.path));
        }
        cmds.push(format!("write \"{}\" \"{}\"", local.display(), f.path));
        cmds.push(format!("sif \"{}\" mode 0{:o}", f.path, 0o100000 | f.mode));
        cmds.push(format!("sif \"{}\" uid {}", f.path, f.uid));
        cmds.push(format!("sif \"{}\" gid {}", f.path, f.gid));
    }
    for (link, target) in links {
        let (dir, _) = link.rsplit_once('/').context("absolute paths only")?;
        fs.mkdir_p(dir, &mut cmds, &mut made)?;
        if fs.stat(link)?.is_some() {
            cmds.push(format!("rm \"{link}\""));
        }
        cmds.push(format!("symlink \"{link}\" \"{target}\""));
    }
    fs.script(&cmds)?;
    fs.fsck()?;
    // Read everything back.
    for f in files {
        let got = fs.read(&f.path)?;
        ensure!(
            got == f.bytes,
            "read-back of {} differs from what was written ({} vs {} bytes)",
            f.path,
            got.len(),
            f.bytes.len()
        );
        let i = fs
            .stat(&f.path)?
            .with_context(|| format!("{} is missing after writing", f.path))?;
        ensure!(
            i.mode == 0o100000 | f.mode && i.uid == f.uid && i.gid == f.gid,
            "{}: mode {:o} owner {}:{} after writing, wanted {:o} {}:{}",
            f.path,
            i.mode,
            i.uid,
            i.gid,
            0o100000 | f.mode,
            f.uid,
            f.gid
        );
    }
    for (link, target) in links {
        let i = fs
            .stat(link)?
            .with_context(|| format!("{link} is missing"))?;
        ensure!(
            i.link.as_deref() == Some(target.as_str()),
            "{link} points to {:?}, wanted {target}",
            i.link
        );
    }
    Ok(())
}

/// The FAT boot partition, reached through mtools.
#[derive(Debug)]
pub struct Fat {
    spec: String,
    scratch: PathBuf,
}

impl Fat {
    pub fn new(img: &Path, offset: u64, scratch: &Path) -> Fat {
        Fat {
            spec: format!("{}@@{offset}", img.display()),
            scratch: scratch.to_path_buf(),
        }
    }

    fn mtools(&self, tool: &str, args: &[&str]) -> Result<Vec<u8>> {
        let o = run_tool(
            Command::new(tool)
                .env("MTOOLS_SKIP_CHECK", "1")
                .arg("-i")
                .arg(&self.spec)
                .args(args),
            tool,
            "mtools",
        )?;
        ensure!(
            o.status.success(),
            "{tool} {}: {}",
            args.join(" "),
            text(&o.stderr).trim()
        );
        Ok(o.stdout)
    }

    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        self.mtools("mtype", &[&format!("::{name}")])
            .with_context(|| format!("reading {name} from the boot partition"))
    }

    /// Replaces `name`, then reads it back.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let local = self.scratch.join("fat.out");
        std::fs::write(&local, bytes)?;
        let local = local.to_string_lossy().into_owned();
        self.mtools("mcopy", &["-o", &local, &format!("::{name}")])?;
        ensure!(
            self.read(name)? == bytes,
            "read-back of {name} on the boot partition differs from what was written"
        );
        Ok(())
    }
}

/// Kernel command line for a kiosk: no console on the panel (serial consoles stay), quiet,
/// no cursor, no console blanking. Idempotent; the result is one line.
pub fn kiosk_cmdline(old: &str) -> String {
    const OURS: &[&str] = &[
        "quiet",
        "loglevel=3",
        "logo.nologo",
        "vt.global_cursor_default=0",
        "consoleblank=0",
    ];
    let mut words: Vec<&str> = old
        .split_whitespace()
        .filter(|w| !w.starts_with("console=tty"))
        .filter(|w| {
            !OURS.iter().any(|o| {
                let key = o.split('=').next().unwrap_or(o);
                *w == *o || w.starts_with(&format!("{key}="))
            })
        })
        .collect();
    words.extend_from_slice(OURS);
    words.join(" ") + "\n"
}

const CONFIG_BEGIN: &str = "# >>> bitig kiosk";
const CONFIG_END: &str = "# <<< bitig kiosk";

/// config.txt with the kiosk block (replaced, never duplicated).
pub fn kiosk_config_txt(old: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in old.lines() {
        if line.starts_with(CONFIG_BEGIN) {
            inside = true;
            continue;
        }
        if line.starts_with(CONFIG_END) {
            inside = false;
            continue;
        }
        if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "{CONFIG_BEGIN} (written by `bitig image`, replaced on every run)\n\
         [all]\n\
         # No rainbow splash, no under-voltage or throttling icons over the kiosk.\n\
         disable_splash=1\n\
         avoid_warnings=1\n\
         # KMS display driver (DSI touch panels and HDMI), as Raspberry Pi OS enables it.\n\
         dtoverlay=vc4-kms-v3d\n\
         {CONFIG_END}\n"
    ));
    out
}

pub const UNIT_NAME: &str = "bitig-kiosk.service";

/// journald on a kiosk: in RAM and bounded, so logging never wears the SD card.
pub const JOURNALD_CONF: &str =
    "# Bitig kiosk (written by `bitig image`): logs live in RAM, bounded; nothing per touch.
[Journal]
Storage=volatile
RuntimeMaxUse=16M
";

pub fn unit_file() -> String {
    "# Bitig kiosk (written by `bitig image`). See docs/operations.md.
[Unit]
Description=Bitig statement reader kiosk
After=systemd-udevd.service systemd-user-sessions.service
# The content lives on its own partition on the Debian image: never start before it is mounted
# (the QEMU boot test caught the kiosk starting first and showing E-MISSING).
RequiresMountsFor=/var/lib/bitig
Conflicts=getty@tty1.service
# Restart forever; the kiosk falls back to its built-in maintenance screen on bad content.
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=main
User=bitig
Group=bitig
SupplementaryGroups=video input render
ExecStart=/usr/local/bin/bitig-kiosk --config /etc/bitig/kiosk.toml
Restart=always
RestartSec=1
# 3 is the kiosk's own restart (operator menu, installed update), not a failure.
SuccessExitStatus=3
# Page-sized images (~1 MB) are mmapped and freed memory goes back to the kernel, so resident
# memory stays flat over days (the soak test measures it the same way).
Environment=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
# The kiosk sends WATCHDOG=1 from its UI thread every 5 s; a hung UI is restarted.
WatchdogSec=10
TimeoutStartSec=60
# It reads its bundle and draws; it writes only its content slots and statistics, and the
# statistics export onto a stick.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=-/var/lib/bitig -/media/bitig-usb
# Logs go to journald (volatile on the kiosk), rate-limited.
StandardOutput=journal
StandardError=journal
LogRateLimitIntervalSec=30s
LogRateLimitBurst=200

[Install]
WantedBy=multi-user.target
"
    .to_string()
}

pub fn udev_rules() -> String {
    "# Bitig kiosk panel (written by `bitig image`). The kiosk runs as user bitig with the
# groups video, input and render; these rules make sure the panel's devices are theirs.
SUBSYSTEM==\"drm\", KERNEL==\"card[0-9]*\", GROUP=\"video\", MODE=\"0660\"
SUBSYSTEM==\"drm\", KERNEL==\"renderD[0-9]*\", GROUP=\"render\", MODE=\"0660\"
SUBSYSTEM==\"input\", KERNEL==\"event[0-9]*\", GROUP=\"input\", MODE=\"0660\"
# Backlight always on: the kiosk never blanks its screen.
SUBSYSTEM==\"backlight\", ACTION==\"add\", ATTR{bl_power}=\"0\"
# Content updates and statistics exports: a USB stick's filesystem is mounted at
# /media/bitig-usb, where the kiosk looks for bitig/update.bundle (signed) and
# bitig/export-stats (see docs/operations.md). FAT sticks are writable by the kiosk's user, for
# the exported bitig-stats-*.csv; any other filesystem is mounted read-only.
ACTION==\"add\", SUBSYSTEM==\"block\", ENV{ID_BUS}==\"usb\", ENV{ID_FS_USAGE}==\"filesystem\", ENV{ID_FS_TYPE}==\"vfat\", RUN{program}+=\"/usr/bin/systemd-mount --no-block --automount=no --collect --options=rw,nosuid,nodev,noexec,uid=bitig,gid=bitig,fmask=0177,dmask=0077,flush $devnode /media/bitig-usb\"
ACTION==\"add\", SUBSYSTEM==\"block\", ENV{ID_BUS}==\"usb\", ENV{ID_FS_USAGE}==\"filesystem\", ENV{ID_FS_TYPE}!=\"vfat\", RUN{program}+=\"/usr/bin/systemd-mount --no-block --automount=no --collect --options=ro,nosuid,nodev,noexec $devnode /media/bitig-usb\"
ACTION==\"remove\", SUBSYSTEM==\"block\", ENV{ID_BUS}==\"usb\", ENV{ID_FS_USAGE}==\"filesystem\", RUN{program}+=\"/usr/bin/systemd-umount /media/bitig-usb\"
"
    .to_string()
}

/// The user `bitig`, added to passwd/group/shadow/gshadow (text in, text out) with only the
/// groups video, input and render. Idempotent. Returns the new files.
pub fn add_kiosk_user(
    passwd: &str,
    group: &str,
    shadow: &str,
    gshadow: &str,
) -> Result<[String; 4]> {
    let ids = |text: &str| -> Vec<u32> {
        text.lines()
            .filter_map(|l| l.split(':').nth(2)?.parse().ok())
            .collect()
    };
    let has = |text: &str, name: &str| text.lines().any(|l| l.split(':').next() == Some(name));
    let mut passwd = passwd.to_string();
    let mut group = group.to_string();
    let mut shadow = shadow.to_string();
    let mut gshadow = gshadow.to_string();
    for t in [&mut passwd, &mut group, &mut shadow, &mut gshadow] {
        if !t.is_empty() && !t.ends_with('\n') {
            t.push('\n');
        }
    }
    if !has(&group, "bitig") {
        let used = ids(&group);
        let gid = (100..1000u32)
            .rev()
            .find(|g| !used.contains(g))
            .context("no free system group id")?;
        group.push_str(&format!("bitig:x:{gid}:\n"));
        gshadow.push_str("bitig:!::\n");
    }
    let gid: u32 = group
        .lines()
        .find(|l| l.starts_with("bitig:"))
        .and_then(|l| l.split(':').nth(2)?.parse().ok())
        .context("group bitig has no id")?;
    if !has(&passwd, "bitig") {
        let used = ids(&passwd);
        let uid = (100..1000u32)
            .rev()
            .find(|u| !used.contains(u))
            .context("no free system user id")?;
        passwd.push_str(&format!(
            "bitig:x:{uid}:{gid}:Bitig kiosk:/var/lib/bitig:/usr/sbin/nologin\n"
        ));
        // Locked: no password login, ever.
        shadow.push_str("bitig:!*:1::::::\n");
    }
    let add_member = |text: &str, g: &str, members_field: usize| -> Result<String> {
        let mut found = false;
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                let mut f: Vec<String> = l.split(':').map(str::to_string).collect();
                if f.first().map(String::as_str) == Some(g) && f.len() > members_field {
                    found = true;
                    let mut m: Vec<&str> = f[members_field]
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .collect();
                    if !m.contains(&"bitig") {
                        m.push("bitig");
                    }
                    f[members_field] = m.join(",");
                }
                f.join(":")
            })
            .collect();
        ensure!(found, "group {g} is missing from the image's /etc/group");
        Ok(lines.join("\n") + "\n")
    };
    for g in ["video", "input", "render"] {
        group = add_member(&group, g, 3)?;
        if has(&gshadow, g) {
            gshadow = add_member(&gshadow, g, 3)?;
        }
    }
    Ok([passwd, group, shadow, gshadow])
}

/// `e_machine` of an ELF file: 0xB7 aarch64, 0x28 32-bit ARM, 0x3E x86-64.
pub fn elf_machine(bytes: &[u8]) -> Option<u16> {
    (bytes.len() > 20 && bytes[..4] == *b"\x7fELF")
        .then(|| u16::from_le_bytes([bytes[18], bytes[19]]))
}

fn machine_name(m: u16) -> &'static str {
    match m {
        0xB7 => "aarch64",
        0x28 => "32-bit ARM",
        0x3E => "x86-64",
        _ => "another architecture",
    }
}

/// Copies `base` to `out` (atomically) with the kiosk injected, all read back.
pub fn inject(base: &Path, out: &Path, payload: &Payload) -> Result<()> {
    let kiosk = std::fs::read(&payload.kiosk)
        .with_context(|| format!("reading the kiosk binary {}", payload.kiosk.display()))?;
    let bundle = std::fs::read(&payload.bundle)
        .with_context(|| format!("reading the bundle {}", payload.bundle.display()))?;
    check_bundle(&payload.bundle, &bundle, &payload.trusted)?;
    let machine = elf_machine(&kiosk).with_context(|| {
        format!(
            "{} is not an ELF executable; give the cross-built kiosk (scripts/cross-test builds it)",
            payload.kiosk.display()
        )
    })?;
    // Check the base before copying it.
    let (boot, root) = boot_and_root(base)?;

    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("kiosk.img");
    let tmp = dir.join(format!(".{name}.partial{}", std::process::id()));
    let scratch = dir.join(format!(".{name}.work{}", std::process::id()));
    let result = (|| -> Result<()> {
        std::fs::create_dir_all(&scratch)?;
        eprintln!("copying {} ...", base.display());
        std::fs::copy(base, &tmp)
            .with_context(|| format!("copying {} to {}", base.display(), tmp.display()))?;
        let fs = Ext4::new(&tmp, root.start, &scratch);
        // The binary must run on the image.
        let image_arch = if fs.stat("/usr/lib/aarch64-linux-gnu")?.is_some() {
            Some(0xB7)
        } else if fs.stat("/usr/lib/arm-linux-gnueabihf")?.is_some() {
            Some(0x28)
        } else {
            None
        };
        match image_arch {
            Some(a) if a != machine => bail!(
                "{} is a {} binary but the image is {}; build the kiosk for the image's architecture",
                payload.kiosk.display(),
                machine_name(machine),
                machine_name(a)
            ),
            None => bail!("the root filesystem has neither /usr/lib/aarch64-linux-gnu nor /usr/lib/arm-linux-gnueabihf; is it a Raspberry Pi OS root?"),
            _ => {}
        }
        eprintln!(
            "root filesystem: partition {} at byte {}",
            root.index, root.start
        );
        let meta = |p: &str| -> Result<(Vec<u8>, Inode)> {
            let i = fs
                .stat(p)?
                .with_context(|| format!("the image has no {p}"))?;
            Ok((fs.read(p)?, i))
        };
        let (passwd, ip) = meta("/etc/passwd")?;
        let (group, ig) = meta("/etc/group")?;
        let (shadow, is) = meta("/etc/shadow")?;
        let gsh = fs.stat("/etc/gshadow")?;
        let gshadow = if gsh.is_some() {
            fs.read("/etc/gshadow")?
        } else {
            Vec::new()
        };
        let [passwd, group, shadow, gshadow] = add_kiosk_user(
            &text(&passwd),
            &text(&group),
            &text(&shadow),
            &text(&gshadow),
        )?;
        // The kiosk's own ids, for its writable content directory.
        let (uid, gid) = passwd
            .lines()
            .find(|l| l.starts_with("bitig:"))
            .and_then(|l| {
                let mut f = l.split(':').skip(2);
                Some((
                    f.next()?.parse::<u32>().ok()?,
                    f.next()?.parse::<u32>().ok()?,
                ))
            })
            .context("the bitig user is missing after adding it")?;
        let same = |path: &str, bytes: String, i: &Inode| RootFile {
            path: path.into(),
            bytes: bytes.into_bytes(),
            mode: i.mode & 0o7777,
            uid: i.uid,
            gid: i.gid,
        };
        let mut files = vec![
            same("/etc/passwd", passwd, &ip),
            same("/etc/group", group, &ig),
            same("/etc/shadow", shadow, &is),
        ];
        if let Some(i) = &gsh {
            files.push(same("/etc/gshadow", gshadow, i));
        }
        let root_file = |path: &str, bytes: Vec<u8>, mode: u32| RootFile {
            path: path.into(),
            bytes,
            mode,
            uid: 0,
            gid: 0,
        };
        files.extend([
            root_file("/usr/local/bin/bitig-kiosk", kiosk.clone(), 0o755),
            RootFile {
                path: "/var/lib/bitig/slot-a.bundle".into(),
                bytes: bundle.clone(),
                mode: 0o644,
                uid,
                gid,
            },
            RootFile {
                path: "/var/lib/bitig/active".into(),
                bytes: b"a\n".to_vec(),
                mode: 0o644,
                uid,
                gid,
            },
            root_file(
                "/etc/bitig/kiosk.toml",
                payload.config.clone().into_bytes(),
                0o644,
            ),
            root_file(
                &format!("/etc/systemd/system/{UNIT_NAME}"),
                unit_file().into_bytes(),
                0o644,
            ),
            root_file(
                "/etc/udev/rules.d/70-bitig-panel.rules",
                udev_rules().into_bytes(),
                0o644,
            ),
            root_file(
                "/etc/systemd/journald.conf.d/bitig.conf",
                JOURNALD_CONF.as_bytes().to_vec(),
                0o644,
            ),
        ]);
        let links = vec![(
            format!("/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}"),
            format!("/etc/systemd/system/{UNIT_NAME}"),
        )];
        eprintln!(
            "writing and reading back {} files ...",
            files.len() + links.len()
        );
        write_root(&fs, &files, &links)?;
        // The content directory belongs to the kiosk: updates write new slots there.
        fs.script(&[
            format!("sif /var/lib/bitig uid {uid}"),
            format!("sif /var/lib/bitig gid {gid}"),
            "sif /var/lib/bitig mode 040755".to_string(),
        ])?;
        let d = fs
            .stat("/var/lib/bitig")?
            .context("/var/lib/bitig is missing")?;
        ensure!(
            d.uid == uid && d.gid == gid,
            "/var/lib/bitig is owned by {}:{}, wanted {uid}:{gid}",
            d.uid,
            d.gid
        );
        fs.fsck()?;

        eprintln!(
            "boot partition: partition {} at byte {}",
            boot.index, boot.start
        );
        let fat = Fat::new(&tmp, boot.start, &scratch);
        let cmdline = fat.read("cmdline.txt")?;
        fat.write("cmdline.txt", kiosk_cmdline(&text(&cmdline)).as_bytes())?;
        let config = fat.read("config.txt")?;
        fat.write("config.txt", kiosk_config_txt(&text(&config)).as_bytes())?;

        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, out)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The kiosk configuration written to /etc/bitig/kiosk.toml.
pub fn default_config(
    profile: &str,
    rotation: u16,
    trusted: &[[u8; 32]],
    pin_salt: &str,
    pin_hash: &[u8; 32],
) -> String {
    let keys: Vec<String> = trusted
        .iter()
        .map(|k| {
            format!(
                "\"{}\"",
                k.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )
        })
        .collect();
    let hash: String = pin_hash.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "# Bitig kiosk configuration (written by `bitig image`). Keys: docs/operations.md.\n\
         profile = \"{profile}\"\n\
         idle_timeout_s = 90\n\
         rotation = {rotation}\n\
         # Content slots (slot-a.bundle, slot-b.bundle, active) and where USB sticks appear.\n\
         content_dir = \"/var/lib/bitig\"\n\
         usb_dir = \"/media/bitig-usb\"\n\
         # Public keys whose signed bundles this kiosk accepts. Empty: no USB updates.\n\
         trusted_keys = [{}]\n\
         # The operator PIN, as a hash with this kiosk's own salt (`bitig-kiosk --hash-pin PIN\n\
         # --pin-salt SALT` makes a new pin_blake3).\n\
         pin_salt = \"{pin_salt}\"\n\
         pin_blake3 = \"{hash}\"\n",
        keys.join(", ")
    )
}

/// `n` random bytes from the kernel.
fn random_bytes(n: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("reading /dev/urandom")?;
    Ok(b)
}

/// A random salt for the PIN hash: 16 bytes, hex.
pub fn random_salt() -> Result<String> {
    Ok(random_bytes(16)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A random 6-digit PIN, uniform over 000000..=999999, never 1234 (which is not 6 digits).
pub fn random_pin() -> Result<String> {
    loop {
        let b = random_bytes(4)?;
        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        // Rejection sampling: no digit is more likely than another.
        if v < 4_294_000_000 {
            return Ok(format!("{:06}", v % 1_000_000));
        }
    }
}

/// Checks an operator PIN given with --pin: 4 to 8 digits, and not the default 1234.
pub fn check_pin(pin: &str) -> Result<String> {
    anyhow::ensure!(
        (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()),
        "--pin {pin}: the PIN pad takes 4 to 8 digits"
    );
    anyhow::ensure!(
        pin != "1234",
        "--pin 1234 is the default PIN everyone knows (it is in the README); choose another, or leave out --pin for a random one"
    );
    Ok(pin.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_drops_panel_console_and_is_idempotent() {
        let pi = "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n";
        let once = kiosk_cmdline(pi);
        assert!(!once.contains("console=tty1"));
        assert!(once.contains("console=serial0,115200"));
        assert!(once.contains("root=PARTUUID=1234-02"));
        assert!(once.contains("consoleblank=0") && once.contains("vt.global_cursor_default=0"));
        assert_eq!(once.matches("quiet").count(), 1);
        assert_eq!(once.lines().count(), 1);
        assert_eq!(kiosk_cmdline(&once), once);
    }

    #[test]
    fn config_block_is_replaced_not_duplicated() {
        let base = "# For more options\ndtparam=audio=on\ncamera_auto_detect=1\n";
        let once = kiosk_config_txt(base);
        assert!(once.starts_with(base));
        assert!(once.contains("disable_splash=1"));
        let twice = kiosk_config_txt(&once);
        assert_eq!(twice, once);
    }

    #[test]
    fn adds_a_locked_user_with_only_the_panel_groups() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\nsystemd-network:x:998:998::/:/usr/sbin/nologin\n";
        let group = "root:x:0:\nvideo:x:44:pi\ninput:x:105:pi\nrender:x:106:\nsudo:x:27:pi\npi:x:1000:\nsystemd-network:x:998:\n";
        let shadow = "root:*:19000:0:99999:7:::\n";
        let gshadow = "video:*::pi\ninput:!::pi\nrender:!::\nsudo:*::pi\n";
        let [p, g, s, gs] = add_kiosk_user(passwd, group, shadow, gshadow).unwrap();
        assert!(
            p.ends_with("bitig:x:999:999:Bitig kiosk:/var/lib/bitig:/usr/sbin/nologin\n"),
            "{p}"
        );
        assert!(g.contains("video:x:44:pi,bitig\n") && g.contains("input:x:105:pi,bitig\n"));
        assert!(g.contains("render:x:106:bitig\n") && g.contains("sudo:x:27:pi\n"));
        assert!(g.contains("bitig:x:999:\n"));
        assert!(s.contains("bitig:!*:"));
        assert!(gs.contains("render:!::bitig\n") && gs.contains("bitig:!::\n"));
        // Idempotent.
        assert_eq!(add_kiosk_user(&p, &g, &s, &gs).unwrap(), [p, g, s, gs]);
        // A base without a render group is refused with a clear message.
        let e = add_kiosk_user(passwd, "video:x:44:\ninput:x:105:\n", shadow, "").unwrap_err();
        assert!(e.to_string().contains("group render is missing"), "{e}");
    }

    #[test]
    fn elf_machine_reads_the_header() {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[18] = 0xB7;
        assert_eq!(elf_machine(&h), Some(0xB7));
        assert_eq!(elf_machine(b"#!/bin/sh\n"), None);
    }
}

/// `bitig image --debian`: a complete arm64 kiosk image from Debian's archive alone.
pub mod debian {
    use super::*;

    /// Debian release and the packages of the kiosk's root filesystem.
    pub const SUITE: &str = "bookworm";
    pub const PACKAGES: &str =
        "systemd-sysv,udev,kmod,linux-image-arm64,raspi-firmware,libinput10,libxkbcommon0,libudev1";
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
        let bundle = std::fs::read(&o.payload.bundle)?;
        check_bundle(&o.payload.bundle, &bundle, &o.payload.trusted)?;
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
        eprintln!("mmdebstrap: arm64 {SUITE} root filesystem (a few minutes under qemu-user) ...");
        let essential = format!(
            "mkdir -p \"$1/etc/initramfs-tools/conf.d\" \"$1/usr/share/initramfs-tools/modules.d\" && \
             echo MODULES=list > \"$1/etc/initramfs-tools/conf.d/bitig.conf\" && \
             printf '%s\\n' {} > \"$1/usr/share/initramfs-tools/modules.d/bitig\"",
            INITRAMFS_MODULES.join(" ")
        );
        let customize = "chroot \"$1\" groupadd -f -r render && \
             chroot \"$1\" useradd --system --user-group --home-dir /var/lib/bitig --no-create-home \
             --shell /usr/sbin/nologin --groups video,input,render bitig";
        let m = &o.mirror;
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
                .arg(&root)
                .arg(format!("deb {m} {SUITE} main non-free-firmware"))
                .arg(format!("deb {m} {SUITE}-updates main non-free-firmware"))
                .arg(format!(
                    "deb {}-security {SUITE}-security main non-free-firmware",
                    m.trim_end_matches('/')
                )),
            "mmdebstrap (install it with scripts/setup-image.sh)",
        )?;
        eprintln!("mmdebstrap done in {:.0} s", t0.elapsed().as_secs_f64());

        // The kiosk, its content and its system configuration.
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
        put("/usr/local/bin/bitig-kiosk", &kiosk, 0o755)?;
        put("/etc/bitig/kiosk.toml", o.payload.config.as_bytes(), 0o644)?;
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

        // Boot partition: what raspi-firmware's hook put in /boot/firmware, with our settings.
        let fw = root.join("boot/firmware");
        std::fs::create_dir_all(&boot)?;
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
        ensure!(
            kernel.is_some(),
            "no kernel in /boot/firmware; did linux-image-arm64 install?"
        );
        std::fs::write(boot.join("cmdline.txt"), kiosk_cmdline_debian())?;
        let config = std::fs::read_to_string(boot.join("config.txt")).unwrap_or_default();
        std::fs::write(boot.join("config.txt"), kiosk_config_txt(&config))?;

        // Data partition: the content (A/B slots come with the update mechanism).
        std::fs::create_dir_all(&data)?;
        std::fs::write(data.join("slot-a.bundle"), &bundle)?;
        std::fs::write(data.join("active"), b"a\n")?;
        let passwd = std::fs::read_to_string(root.join("etc/passwd"))?;
        let owner = passwd
            .lines()
            .find(|l| l.starts_with("bitig:"))
            .map(|l| l.split(':').skip(2).take(2).collect::<Vec<_>>().join(":"))
            .context("the bitig user was not created")?;

        // Assemble: MBR, FAT32 boot, ext4 root (read-only), ext4 data. No loop devices.
        let boot_len = 256 * MIB;
        let root_len = (tree_size(&root) * 6 / 5 + 64 * MIB).div_ceil(MIB) * MIB;
        let data_len = 128 * MIB;
        let boot_at = 4 * MIB;
        let root_at = boot_at + boot_len;
        let data_at = root_at + root_len;
        let total = data_at + data_len;
        let dir = o
            .out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let name = o
            .out
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("kiosk.img");
        let tmp = dir.join(format!(".{name}.partial{}", std::process::id()));
        let result = (|| -> Result<()> {
            let f = std::fs::File::create(&tmp)?;
            f.set_len(total)?;
            drop(f);
            let table = format!(
                "label: dos\nunit: sectors\nstart={}, size={}, type=c\nstart={}, size={}, type=83\nstart={}, size={}, type=83\n",
                boot_at / 512, boot_len / 512, root_at / 512, root_len / 512, data_at / 512, data_len / 512
            );
            let mut c = Command::new("sfdisk");
            c.arg("-q").arg(&tmp).stdin(std::process::Stdio::piped());
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
                    .arg(format!("--offset={}", boot_at / 512))
                    .arg(&tmp)
                    .arg((boot_len / 1024).to_string())
                    .stdout(std::process::Stdio::null()),
                "mkfs.vfat",
            )?;
            let mut mc = Command::new("mcopy");
            mc.env("MTOOLS_SKIP_CHECK", "1")
                .arg("-s")
                .arg("-i")
                .arg(format!("{}@@{boot_at}", tmp.display()));
            for e in std::fs::read_dir(&boot)?.flatten() {
                mc.arg(e.path());
            }
            mc.arg("::/");
            sh(&mut mc, "mcopy")?;
            for (label, dirp, at, len, owner) in [
                ("rootfs", &root, root_at, root_len, "0:0".to_string()),
                ("bitig-data", &data, data_at, data_len, owner.clone()),
            ] {
                sh(
                    Command::new("mkfs.ext4")
                        .args(["-q", "-F", "-L", label])
                        .arg("-E")
                        .arg(format!("offset={at},root_owner={owner}"))
                        .arg("-d")
                        .arg(dirp)
                        .arg(&tmp)
                        .arg(format!("{}k", len / 1024)),
                    "mkfs.ext4",
                )?;
            }
            // Read back what matters, with the stock tools.
            let scratch = o.work.join("verify");
            std::fs::create_dir_all(&scratch)?;
            let rootfs = Ext4::new(&tmp, root_at, &scratch);
            rootfs.fsck()?;
            ensure!(
                rootfs.read("/usr/local/bin/bitig-kiosk")? == kiosk,
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
            let datafs = Ext4::new(&tmp, data_at, &scratch);
            datafs.fsck()?;
            ensure!(
                datafs.read("/slot-a.bundle")? == bundle,
                "read-back of the bundle differs"
            );
            let fat = Fat::new(&tmp, boot_at, &scratch);
            ensure!(
                fat.read("cmdline.txt")? == kiosk_cmdline_debian().as_bytes(),
                "read-back of cmdline.txt differs"
            );
            let k = kernel.clone().unwrap_or_default();
            ensure!(
                fat.read(&k)? == std::fs::read(boot.join(&k))?,
                "read-back of the kernel differs"
            );
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, &o.out)?;
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result?;
        eprintln!(
            "image: {} MiB (boot {} + root {} + data {}), built in {:.0} s",
            total / MIB,
            boot_len / MIB,
            root_len / MIB,
            data_len / MIB,
            t0.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
