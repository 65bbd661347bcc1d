//! `bitig boot-test IMAGE`: boots a `bitig image --debian` image in qemu-system-aarch64 (virt
//! machine, Cortex-A72, virtio-gpu, virtio tablet) with the image's own kernel and initrd,
//! waits on the serial console until the kiosk service reports its first frame, takes a
//! `screendump` through QMP and compares it with the headless goldens, then sends a touch
//! through QMP `input-send-event` and checks that the screen changes. With a key walk, a USB
//! sound card (QEMU's `usb-audio`, recorded to a WAV file) is plugged in with the keyboard:
//! the kiosk must see it come and open it for the welcome before any key, and the recording
//! must carry the kiosk's voice after the keys.
//!
//! This proves the real linuxkms backend, libinput and the systemd unit together; the
//! headless tests cannot.

use crate::image::{mbr_partitions, Fat, Partition};
use anyhow::{bail, ensure, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An RGB picture: width, height, pixels.
type Rgb = (u32, u32, Vec<u8>);

#[derive(Debug)]
pub struct Options {
    pub image: PathBuf,
    /// PNG goldens of the attract screen (any phase of its language cycle) and of the screen a
    /// tap on it leads to.
    pub attract: Vec<PathBuf>,
    pub after_touch: Vec<PathBuf>,
    pub out: PathBuf,
    pub timeout: Duration,
    pub width: u32,
    pub height: u32,
    /// A signed bundle the image trusts, put on an emulated USB stick during the first boot.
    pub update: Option<PathBuf>,
    /// After the update: taps (screen pixels) from the attract screen, and the headless
    /// screenshot of the update's content the screen must then equal.
    pub updated_screen: Option<(Vec<(u32, u32)>, PathBuf)>,
    /// After the power cut: a USB keyboard plugged into the running kiosk, then these keys
    /// (QEMU key names), each followed by the headless screenshot the screen must then
    /// equal, if any (see [`read_key_steps`]).
    pub keys: Vec<KeyStep>,
}

/// One key of the boot test's walk: its QEMU name (`ret`, `down`, `right`) and the golden
/// the screen must equal after it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyStep {
    pub qcode: String,
    pub golden: Option<PathBuf>,
}

/// Reads a key walk: one key a line, `QCODE [GOLDEN.png]`, the golden relative to the file's
/// folder; `#` starts a comment. Errors name the file and line.
pub fn read_key_steps(path: &Path) -> Result<Vec<KeyStep>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key walk {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut steps = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let words: Vec<&str> = line
            .split('#')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let (qcode, golden) = match words.as_slice() {
            [] => continue,
            [q] => (*q, None),
            [q, g] => (*q, Some(dir.join(g))),
            _ => anyhow::bail!(
                "{}:{}: write one key and at most one golden: `ret language.png`",
                path.display(),
                n + 1
            ),
        };
        ensure!(
            !qcode.is_empty() && qcode.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{}:{}: `{qcode}` is not a QEMU key name (ret, up, down, left, right, esc, f1)",
            path.display(),
            n + 1
        );
        steps.push(KeyStep {
            qcode: qcode.to_string(),
            golden,
        });
    }
    Ok(steps)
}

struct Qemu {
    child: Child,
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    fn connect(path: &Path, deadline: Instant) -> Result<Qmp> {
        let s = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => {
                    bail!("cannot connect to QMP at {}: {e}", path.display())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut q = Qmp {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        };
        let greeting = q.line()?;
        ensure!(greeting.contains("QMP"), "not a QMP greeting: {greeting}");
        q.call(r#"{"execute":"qmp_capabilities"}"#)?;
        Ok(q)
    }

    fn line(&mut self) -> Result<String> {
        let mut l = String::new();
        ensure!(self.reader.read_line(&mut l)? > 0, "QMP closed");
        Ok(l)
    }

    /// Sends one command; returns its reply, skipping asynchronous events.
    fn call(&mut self, json: &str) -> Result<String> {
        self.writer.write_all(json.as_bytes())?;
        self.writer.write_all(b"\n")?;
        loop {
            let l = self.line()?;
            if l.contains("\"return\"") {
                return Ok(l);
            }
            if l.contains("\"error\"") {
                bail!("QMP {json}: {l}");
            }
        }
    }

    fn screendump(&mut self, to: &Path) -> Result<Rgb> {
        let _ = std::fs::remove_file(to);
        self.call(&format!(
            r#"{{"execute":"screendump","arguments":{{"filename":"{}"}}}}"#,
            to.display()
        ))?;
        read_ppm(&std::fs::read(to)?)
    }

    /// A tap at (x, y) in screen pixels, through the virtio tablet (absolute axes 0..32767).
    fn tap(&mut self, x: u32, y: u32, w: u32, h: u32) -> Result<()> {
        let ax = x as u64 * 32767 / (w as u64 - 1);
        let ay = y as u64 * 32767 / (h as u64 - 1);
        let ev = |down: bool| {
            format!(
                r#"{{"execute":"input-send-event","arguments":{{"events":[{{"type":"abs","data":{{"axis":"x","value":{ax}}}}},{{"type":"abs","data":{{"axis":"y","value":{ay}}}}},{{"type":"btn","data":{{"down":{down},"button":"left"}}}}]}}}}"#
            )
        };
        self.call(&ev(true))?;
        std::thread::sleep(Duration::from_millis(120));
        self.call(&ev(false))?;
        Ok(())
    }

    /// A key pressed and released on the USB keyboard (`qcode`: QEMU's key name).
    fn key(&mut self, qcode: &str) -> Result<()> {
        let ev = |down: bool| {
            format!(
                r#"{{"execute":"input-send-event","arguments":{{"events":[{{"type":"key","data":{{"down":{down},"key":{{"type":"qcode","data":"{qcode}"}}}}}}]}}}}"#
            )
        };
        self.call(&ev(true))?;
        std::thread::sleep(Duration::from_millis(100));
        self.call(&ev(false))?;
        Ok(())
    }
}

/// A binary PPM (P6, maxval 255) as RGB.
pub fn read_ppm(b: &[u8]) -> Result<Rgb> {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        ensure!(start < i, "truncated PPM header");
        fields.push(String::from_utf8_lossy(&b[start..i]).into_owned());
    }
    ensure!(fields[0] == "P6" && fields[3] == "255", "not a P6/255 PPM");
    let w: u32 = fields[1].parse()?;
    let h: u32 = fields[2].parse()?;
    let data = &b[i + 1..];
    ensure!(data.len() >= (w * h * 3) as usize, "truncated PPM data");
    Ok((w, h, data[..(w * h * 3) as usize].to_vec()))
}

fn read_png(p: &Path) -> Result<Rgb> {
    let img = bitig_io::png::read(p)?;
    Ok((img.width, img.height, img.to_rgb()))
}

fn differing(a: &Rgb, b: &Rgb) -> usize {
    if (a.0, a.1) != (b.0, b.1) {
        return usize::MAX;
    }
    a.2.chunks(3)
        .zip(b.2.chunks(3))
        .filter(|(x, y)| x != y)
        .count()
}

fn best_match<'a>(shot: &Rgb, goldens: &'a [(PathBuf, Rgb)]) -> Option<(&'a Path, usize)> {
    goldens
        .iter()
        .map(|(p, g)| (p.as_path(), differing(shot, g)))
        .min_by_key(|(_, d)| *d)
}

fn save_png(path: &Path, shot: &Rgb) -> Result<()> {
    bitig_io::png::write(path, shot.0, shot.1, bitig_io::png::Color::Rgb, &shot.2)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A booted guest: QEMU, its QMP socket and its serial console log.
struct Guest {
    qemu: Qemu,
    qmp: Qmp,
    serial: PathBuf,
    t0: Instant,
    deadline: Instant,
}

impl Guest {
    fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.serial).unwrap_or_default()).into_owned()
    }

    /// Waits until `what` is on the console `count` times; fails early on a failed boot.
    fn wait_for(&mut self, what: &str, count: usize, within: Duration) -> Result<Duration> {
        let until = (Instant::now() + within).min(self.deadline);
        loop {
            let log = self.log();
            if log.matches(what).count() >= count {
                return Ok(self.t0.elapsed());
            }
            for fatal in ["Kernel panic", "emergency mode", "Give root password"] {
                if log.contains(fatal) {
                    bail!(
                        "the guest failed to boot ({fatal}); serial log:\n{}",
                        tail(&log, 40)
                    );
                }
            }
            // A kiosk that cannot start (a wrong ExecStart, a crash) is restarted for ever;
            // three failures are enough to say so, rather than wait for the timeout.
            let failures = log
                .matches("bitig-kiosk.service: Failed with result")
                .count();
            if failures >= 3 {
                bail!(
                    "the kiosk service failed {failures} times; serial log:\n{}",
                    tail(&log, 40)
                );
            }
            if let Ok(Some(st)) = self.qemu.child.try_wait() {
                bail!("qemu exited ({st}); serial log:\n{}", tail(&log, 40));
            }
            if Instant::now() > until {
                bail!(
                    "no \"{what}\" (x{count}) within {} s; serial log:\n{}",
                    within.as_secs(),
                    tail(&log, 40)
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The last line on the console that contains `what`.
    fn last_line(&self, what: &str) -> Option<String> {
        self.log()
            .lines()
            .rev()
            .find(|l| l.contains(what))
            .map(|l| l.trim().to_string())
    }

    /// A power cut: QEMU is killed (SIGKILL), with no shutdown of the guest.
    fn pull_the_plug(mut self) {
        let _ = self.qemu.child.kill();
        let _ = self.qemu.child.wait();
    }
}

/// How long the attract screen stands alone before the first touch, and the kiosk's budget
/// of wake-ups a second meanwhile beyond its watchdog heartbeat (issue 14). The kiosk's report
/// covers its first to its last timer wake-up on the attract screen, a few seconds less.
const IDLE_S: u64 = 60;
const IDLE_BUDGET_PER_S: f64 = 1.0;
/// The kiosk's idle report (`app::State::report_idle_wait`).
const IDLE: &str = "bitig-kiosk: idle ";

/// `bitig-kiosk: idle 61.2 s on the attract screen: 52 wake-ups (0.85/s; bitig-kiosk 50,
/// bitig-usb 2), 180 ms CPU, watchdog heartbeat every 5.0 s (0 wake-ups of its own)` (or
/// `no watchdog`).
#[derive(Debug, PartialEq)]
struct IdleLine {
    secs: f64,
    wakeups: u64,
    /// The heartbeats that woke the kiosk on their own (the rest rode on other wake-ups).
    heartbeat_wakeups: u64,
}

impl IdleLine {
    fn parse(line: &str) -> Option<IdleLine> {
        let rest = &line[line.find(IDLE)? + IDLE.len()..];
        let (secs, rest) = rest.split_once(" s on the attract screen: ")?;
        let (wakeups, rest) = rest.split_once(" wake-ups")?;
        let heartbeat_wakeups = match rest.split_once("watchdog heartbeat every ") {
            Some((_, h)) => h.split_once(" s (")?.1.split_once(' ')?.0.parse().ok()?,
            None if rest.trim_end().ends_with("no watchdog") => 0,
            None => return None,
        };
        Some(IdleLine {
            secs: secs.parse().ok()?,
            wakeups: wakeups.parse().ok()?,
            heartbeat_wakeups,
        })
    }

    /// Wake-ups a second, less the heartbeat's own.
    fn beyond_heartbeat_per_s(&self) -> f64 {
        self.wakeups.saturating_sub(self.heartbeat_wakeups) as f64 / self.secs
    }
}

/// The kiosk's line on its first frame, and systemd's once it has READY=1 (Type=notify).
const MARK: &str = "bitig-kiosk: first frame shown";
const STARTED: &str = "Started bitig-kiosk.service";
/// The kiosk's line naming the content it shows (main.rs).
const CONTENT: &str = "bitig-kiosk: content slot ";

fn boot(o: &Options, disk: &Path, work: &Path, n: usize) -> Result<Guest> {
    let serial = work.join(format!("serial-{n}.log"));
    let qmp_path = work.join(format!("qmp-{n}.sock"));
    let err_path = work.join(format!("qemu-{n}.err"));
    let t0 = Instant::now();
    let child = Command::new("qemu-system-aarch64")
        .args(["-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1024"])
        .args(["-display", "none", "-no-reboot"])
        .arg("-serial")
        .arg(format!("file:{}", serial.display()))
        .arg("-qmp")
        .arg(format!("unix:{},server=on,wait=off", qmp_path.display()))
        .arg("-kernel")
        .arg(work.join("vmlinuz"))
        .arg("-initrd")
        .arg(work.join("initrd"))
        .arg("-append")
        .arg("root=LABEL=rootfs ro rootwait console=ttyAMA0 systemd.journald.forward_to_console=1 systemd.show_status=1")
        // The card: a copy of the image, so what the kiosk writes survives a power cut.
        .arg("-drive")
        .arg(format!("file={},if=virtio,format=raw", disk.display()))
        .arg("-device")
        .arg(format!("virtio-gpu-pci,xres={},yres={}", o.width, o.height))
        // Touch only: the keyboard is a USB one, plugged in while the kiosk runs.
        .args(["-device", "virtio-tablet-pci"])
        // A USB host controller for the stick, the keyboard and the sound card, plugged in later.
        .args(["-device", "qemu-xhci,id=xhci"])
        // What the sound card plays goes to a WAV file (48 kHz stereo, 16-bit).
        .arg("-audiodev")
        .arg(format!("wav,id=snd0,path={}", voice_wav(work, n).display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path)?)
        .spawn()
        .context("cannot run qemu-system-aarch64 (scripts/setup-image.sh installs it)")?;
    let mut qemu = Qemu { child };
    let deadline = t0 + o.timeout;
    let qmp = match Qmp::connect(&qmp_path, deadline) {
        Ok(q) => q,
        Err(e) => {
            let _ = qemu.child.kill();
            let err = std::fs::read_to_string(&err_path).unwrap_or_default();
            return Err(e.context(format!("qemu-system-aarch64 did not start: {}", err.trim())));
        }
    };
    Ok(Guest {
        qemu,
        qmp,
        serial,
        t0,
        deadline,
    })
}

/// Where boot `n` records what the guest's USB sound card plays.
fn voice_wav(work: &Path, n: usize) -> PathBuf {
    work.join(format!("voice-{n}.wav"))
}

/// Dumps the screen until it equals one of the attract goldens (its language cycles).
fn expect_attract(
    g: &mut Guest,
    attract: &[(PathBuf, Rgb)],
    work: &Path,
    save: &Path,
) -> Result<Rgb> {
    let dump = work.join("screen.ppm");
    let mut best = (PathBuf::new(), usize::MAX);
    let mut shot = (0, 0, Vec::new());
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        shot = g.qmp.screendump(&dump)?;
        if let Some((p, d)) = best_match(&shot, attract) {
            if d < best.1 {
                best = (p.to_path_buf(), d);
            }
            if d == 0 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(400));
    }
    save_png(save, &shot)?;
    ensure!(
        best.1 == 0,
        "the screendump ({}x{}) is not the attract screen: closest golden {} differs in {} pixels; see {}",
        shot.0,
        shot.1,
        best.0.display(),
        best.1,
        save.display()
    );
    eprintln!(
        "boot-test: screendump {}x{} equals {} pixel for pixel",
        shot.0,
        shot.1,
        best.0.display()
    );
    Ok(shot)
}

/// A FAT stick image (no partition table, as many sticks are) with `bitig/update.bundle`, and
/// `bitig/update.speech` if the update has a speech part beside it.
fn make_stick(update: &Path, to: &Path) -> Result<()> {
    let f = std::fs::File::create(to)?;
    f.set_len(64 << 20)?;
    drop(f);
    let o = Command::new("mkfs.vfat")
        .args(["-n", "BITIGUSB"])
        .arg(to)
        .output()
        .context("cannot run mkfs.vfat (dosfstools)")?;
    ensure!(
        o.status.success(),
        "mkfs.vfat: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let spec = to.display().to_string();
    let speech = update.with_extension("speech");
    let mut copies = vec![
        vec![
            "mmd".to_string(),
            "-i".into(),
            spec.clone(),
            "::bitig".into(),
        ],
        vec![
            "mcopy".to_string(),
            "-i".into(),
            spec.clone(),
            update.display().to_string(),
            "::bitig/update.bundle".into(),
        ],
    ];
    if speech.exists() {
        copies.push(vec![
            "mcopy".to_string(),
            "-i".into(),
            spec.clone(),
            speech.display().to_string(),
            "::bitig/update.speech".into(),
        ]);
    }
    for args in copies {
        let o = Command::new(&args[0])
            .env("MTOOLS_SKIP_CHECK", "1")
            .args(&args[1..])
            .output()
            .with_context(|| format!("cannot run {} (mtools)", args[0]))?;
        ensure!(
            o.status.success(),
            "{}: {}",
            args[0],
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Ok(())
}

/// The content hash the kiosk logs for a bundle file (signed or not).
fn bundle_hash(bytes: &[u8]) -> Result<String> {
    let inner = bitig_format::signature::split(bytes).0;
    let h = bitig_format::Header::from_bundle_bytes(inner)
        .map_err(|e| anyhow::anyhow!("not a bundle: {e}"))?;
    Ok(bitig_format::hex::to_hex(&h.hash))
}

fn hash_range(path: &Path, start: u64, len: u64) -> Result<blake3::Hash> {
    use std::io::{Read, Seek};
    let mut f = std::fs::File::open(path)?;
    f.seek(std::io::SeekFrom::Start(start))?;
    let mut h = blake3::Hasher::new();
    std::io::copy(&mut f.take(len), &mut h)?;
    Ok(h.finalize())
}

/// The uid of `user` in an /etc/passwd.
fn uid_of(passwd: &str, user: &str) -> Option<u32> {
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == user)
            .then(|| f[2].parse().ok())
            .flatten()
    })
}

/// An update for the boot test's USB stick: its file, its bundle hash and its bytes.
type Update = (PathBuf, String, Vec<u8>);

pub fn run(o: &Options) -> Result<()> {
    let attract = read_goldens(&o.attract)?;
    let after = read_goldens(&o.after_touch)?;
    let update = match &o.update {
        Some(p) => Some(read_update(p)?),
        None => None,
    };
    let work = o.out.join("boot-test-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let (root, data) = take_kernel(o, &work)?;
    let disk = work.join("card.img");
    copy_card(&o.image, &disk)?;

    // First boot: the attract screen, READY, a touch, the idle report.
    let mut g = boot(o, &disk, &work, 1)?;
    let booted = first_frame(&mut g, o)?;
    let before = expect_attract(&mut g, &attract, &work, &o.out.join("boot-attract.png"))?;
    // The attract screen left alone: the kiosk logs how often it woke once a touch ends the
    // wait (judged after the touch below).
    std::thread::sleep(Duration::from_secs(IDLE_S));
    touch_wakes(&mut g, o, &work, (&before, &attract, &after))?;
    check_idle(&mut g)?;
    if let Some(u) = &update {
        install_update(&mut g, &work, u)?;
        expect_attract(&mut g, &attract, &work, &o.out.join("boot-updated.png"))?;
        if let Some((taps, golden)) = &o.updated_screen {
            expect_updated_screen(&mut g, o, &work, taps, golden)?;
        }
    }

    // A power cut at the wall, then the second boot on the same card.
    g.pull_the_plug();
    eprintln!("boot-test: power cut (qemu killed)");
    let serial_2 = second_boot(o, &disk, &work, &attract, update.as_ref())?;
    check_card(o, &disk, &work, (&root, &data), update.as_ref())?;

    std::fs::copy(work.join("serial-1.log"), o.out.join("serial.log"))?;
    std::fs::copy(&serial_2, o.out.join("serial-after-power-cut.log"))?;
    let _ = std::fs::remove_dir_all(&work);
    println!(
        "boot-test: PASS: first frame {:.1} s after qemu started; attract screen matches the headless golden; a touch changed the screen; {}READY after a power cut; read-only root; the kiosk runs as bitig and writes /var/lib/bitig on the data partition",
        booted.as_secs_f64(),
        if update.is_some() { "a USB update was installed and shown; " } else { "" }
    );
    if !o.keys.is_empty() {
        println!(
            "boot-test: PASS: a USB keyboard plugged into the running kiosk; {} keys alone woke it, chose a language, opened a statement and turned a page, each screen equal to its headless golden, and a screendump mid-slide differing from both pages",
            o.keys.len()
        );
    }
    Ok(())
}

/// The headless screenshots to compare with.
fn read_goldens(ps: &[PathBuf]) -> Result<Vec<(PathBuf, Rgb)>> {
    ps.iter()
        .map(|p| {
            Ok((
                p.clone(),
                read_png(p).with_context(|| p.display().to_string())?,
            ))
        })
        .collect()
}

fn read_update(p: &Path) -> Result<Update> {
    let bytes = std::fs::read(p).with_context(|| p.display().to_string())?;
    let hash = bundle_hash(&bytes).with_context(|| p.display().to_string())?;
    Ok((p.to_path_buf(), hash, bytes))
}

/// The image's own kernel and initrd, from its boot partition, into `work`; returns the root
/// and data partitions.
fn take_kernel(o: &Options, work: &Path) -> Result<(Partition, Partition)> {
    let parts = mbr_partitions(&o.image)?;
    let boot_part = parts
        .iter()
        .find(|p| matches!(p.kind, 0x0b | 0x0c | 0x0e))
        .context("no FAT boot partition in the image")?;
    let linux: Vec<_> = parts.iter().filter(|p| p.kind == 0x83).collect();
    let (Some(root), Some(data)) = (linux.first(), linux.get(1)) else {
        bail!("the image has no root and data partitions (is it a `bitig image --debian` image?)");
    };
    let listing = Command::new("mdir")
        .env("MTOOLS_SKIP_CHECK", "1")
        .args(["-b", "-i"])
        .arg(format!("{}@@{}", o.image.display(), boot_part.start))
        .arg("::/")
        .output()
        .context("cannot run mdir (mtools)")?;
    let names: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|l| l.trim_start_matches("::/").to_string())
        .collect();
    let kernel = names
        .iter()
        .find(|n| n.starts_with("vmlinuz-"))
        .context("no vmlinuz-* on the boot partition")?;
    let initrd = names
        .iter()
        .find(|n| n.starts_with("initrd.img-"))
        .context("no initrd.img-* on the boot partition")?;
    let fat = Fat::new(&o.image, boot_part.start, work);
    std::fs::write(work.join("vmlinuz"), fat.read(kernel)?)?;
    std::fs::write(work.join("initrd"), fat.read(initrd)?)?;
    eprintln!("boot-test: kernel {kernel}, initrd {initrd}");
    Ok((**root, **data))
}

/// The card: a sparse copy of the image, written by the guest and kept from one boot to the
/// next.
fn copy_card(image: &Path, disk: &Path) -> Result<()> {
    let cp = Command::new("cp")
        .arg("--sparse=always")
        .arg(image)
        .arg(disk)
        .status()
        .context("cannot run cp")?;
    ensure!(
        cp.success(),
        "cannot copy {} to {}",
        image.display(),
        disk.display()
    );
    Ok(())
}

/// Waits for the kiosk's first frame and READY; returns the time from qemu's start.
fn first_frame(g: &mut Guest, o: &Options) -> Result<Duration> {
    let booted = g.wait_for(MARK, 1, o.timeout)?;
    g.wait_for(STARTED, 1, Duration::from_secs(30))
        .context("the kiosk drew but systemd never saw READY=1")?;
    let log = g.log();
    let kernel_line = log
        .lines()
        .find(|l| l.contains("Linux version"))
        .unwrap_or("");
    eprintln!(
        "boot-test: first frame after {:.1} s ({})",
        booted.as_secs_f64(),
        kernel_line.trim()
    );
    let first_content = g
        .last_line(CONTENT)
        .context("the kiosk did not say what content it shows")?;
    eprintln!("boot-test: {first_content}");
    Ok(booted)
}

/// Headless screenshots, each with its file.
type Goldens = [(PathBuf, Rgb)];

/// A touch wakes the kiosk: the screen must change (to the language screen) from `before`,
/// and no longer be an attract golden; it is compared with the goldens for `after` the touch.
fn touch_wakes(
    g: &mut Guest,
    o: &Options,
    work: &Path,
    (before, attract, after): (&Rgb, &Goldens, &Goldens),
) -> Result<()> {
    let dump = work.join("screen.ppm");
    g.qmp.tap(o.width / 2, o.height / 2, o.width, o.height)?;
    let until = Instant::now() + Duration::from_secs(20);
    let mut changed = None;
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(500));
        let s = g.qmp.screendump(&dump)?;
        if differing(&s, before) > 0 && best_match(&s, attract).is_none_or(|(_, d)| d > 0) {
            // Let a slide settle, then take the final picture.
            std::thread::sleep(Duration::from_millis(700));
            changed = Some(g.qmp.screendump(&dump)?);
            break;
        }
    }
    let after_shot = changed.context("the screen did not change after a touch")?;
    save_png(&o.out.join("boot-after-touch.png"), &after_shot)?;
    match best_match(&after_shot, after) {
        Some((p, 0)) => eprintln!("boot-test: after the touch the screen equals {}", p.display()),
        Some((p, d)) => eprintln!(
            "boot-test: after the touch the screen changed; closest golden {} differs in {d} pixels",
            p.display()
        ),
        None => eprintln!("boot-test: after the touch the screen changed"),
    }
    Ok(())
}

/// The kiosk's idle report from the attract screen, against the budget.
fn check_idle(g: &mut Guest) -> Result<()> {
    g.wait_for(IDLE, 1, Duration::from_secs(30))
        .context("the kiosk did not report its idle wait on the attract screen")?;
    let line = g.last_line(IDLE).unwrap_or_default();
    let idle = IdleLine::parse(&line)
        .with_context(|| format!("cannot read the kiosk's idle report: {line}"))?;
    let beyond = idle.beyond_heartbeat_per_s();
    eprintln!(
        "boot-test: idle on the attract screen: {line}; {beyond:.2} wake-ups/s beyond the watchdog heartbeat (budget {IDLE_BUDGET_PER_S:.1})"
    );
    ensure!(
        idle.secs >= IDLE_S as f64 - 10.0 && beyond <= IDLE_BUDGET_PER_S,
        "the kiosk woke {beyond:.2} times a second beyond its watchdog heartbeat while the attract screen stood alone for {:.0} s (budget {IDLE_BUDGET_PER_S:.1}, over at least {} s): {line}",
        idle.secs,
        IDLE_S - 10
    );
    Ok(())
}

/// A USB stick with a signed update: installed, and the kiosk back after its restart,
/// showing it.
fn install_update(g: &mut Guest, work: &Path, (path, hash, _): &Update) -> Result<()> {
    let stick = work.join("stick.img");
    make_stick(path, &stick)?;
    g.qmp.call(&format!(
        r#"{{"execute":"blockdev-add","arguments":{{"driver":"raw","node-name":"stick","file":{{"driver":"file","filename":"{}"}}}}}}"#,
        stick.display()
    ))?;
    g.qmp.call(
        r#"{"execute":"device_add","arguments":{"driver":"usb-storage","id":"stick0","drive":"stick","bus":"xhci.0"}}"#,
    )?;
    eprintln!(
        "boot-test: USB stick with bitig/update.bundle (and its speech part, if any) plugged in"
    );
    g.wait_for(
        "bitig-kiosk: update installed in slot",
        1,
        Duration::from_secs(180),
    )?;
    g.wait_for(MARK, 2, Duration::from_secs(120))
        .context("the kiosk did not come back after installing the update")?;
    g.wait_for(STARTED, 2, Duration::from_secs(30))?;
    let shown = g.last_line(CONTENT).unwrap_or_default();
    ensure!(
        shown.contains(hash.as_str()),
        "after the update the kiosk shows other content: \"{shown}\" (the update is {hash})"
    );
    eprintln!("boot-test: update installed; after the restart: {shown}");
    Ok(())
}

/// The update's content on the screen: tap through to it, as a visitor would, and compare.
fn expect_updated_screen(
    g: &mut Guest,
    o: &Options,
    work: &Path,
    taps: &[(u32, u32)],
    golden: &Path,
) -> Result<()> {
    let want = read_png(golden).with_context(|| golden.display().to_string())?;
    let dump = work.join("screen.ppm");
    for &(x, y) in taps {
        g.qmp.tap(x, y, o.width, o.height)?;
        std::thread::sleep(Duration::from_millis(1500));
    }
    let until = Instant::now() + Duration::from_secs(20);
    let mut shot = g.qmp.screendump(&dump)?;
    while differing(&shot, &want) > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(500));
        shot = g.qmp.screendump(&dump)?;
    }
    let save = o.out.join("boot-updated-content.png");
    save_png(&save, &shot)?;
    let d = differing(&shot, &want);
    ensure!(
        d == 0,
        "after the update the screen is not the update's content: {d} pixels differ from {}; see {}",
        golden.display(),
        save.display()
    );
    eprintln!(
        "boot-test: the update's content is on the screen: equals {} pixel for pixel",
        golden.display()
    );
    Ok(())
}

/// The second boot on the same card: READY, the same content, the attract screen. Returns
/// the serial log's path.
fn second_boot(
    o: &Options,
    disk: &Path,
    work: &Path,
    attract: &[(PathBuf, Rgb)],
    update: Option<&Update>,
) -> Result<PathBuf> {
    let mut g = boot(o, disk, work, 2)?;
    let rebooted = g.wait_for(MARK, 1, o.timeout)?;
    g.wait_for(STARTED, 1, Duration::from_secs(30))
        .context("after the power cut the kiosk drew but systemd never saw READY=1")?;
    let second = g.last_line(CONTENT).unwrap_or_default();
    if let Some((_, hash, _)) = update {
        ensure!(
            second.contains(hash.as_str()),
            "after the power cut the kiosk shows other content: \"{second}\" (the update is {hash})"
        );
    }
    expect_attract(
        &mut g,
        attract,
        work,
        &o.out.join("boot-after-power-cut.png"),
    )?;
    eprintln!(
        "boot-test: after the power cut: first frame after {:.1} s; {second}",
        rebooted.as_secs_f64()
    );
    let walked = if o.keys.is_empty() {
        None
    } else {
        Some(keys_walk(&mut g, work, &o.keys)?)
    };
    let _ = g.qmp.call(r#"{"execute":"quit"}"#);
    let serial_2 = g.serial.clone();
    // QEMU closes the recording as it quits; drop kills it if it has not within 10 s.
    let until = Instant::now() + Duration::from_secs(10);
    while matches!(g.qemu.child.try_wait(), Ok(None)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(g);
    if let Some(before_keys) = walked {
        let wav = std::fs::read(voice_wav(work, 2))?;
        let heard = check_voice(&wav, before_keys)?;
        std::fs::write(o.out.join("boot-voice.wav"), &wav)?;
        eprintln!("boot-test: the USB sound card's recording: {heard}");
    }
    Ok(serial_2)
}

/// The kernel's lines once the keyboard is an input device and the sound card a sound card.
const KEYBOARD_UP: &str = "USB HID v1.11 Keyboard [QEMU QEMU USB Keyboard]";
const SOUND_CARD_UP: &str = "Reached target sound.target";

/// The kiosk's line when a sound card comes while it runs (platform::sound).
const CARD_CAME: &str = "bitig-kiosk: a sound card came";
/// The kiosk's line naming the card its voice plays on (platform::sound).
const VOICE_CARD: &str = "bitig-kiosk: the voice plays on ";

/// A USB sound card and a USB keyboard plugged into the running kiosk (hot-plug on the xHCI
/// bus), then the walk by keys alone, each checked step against its headless golden. Returns
/// how many bytes of the sound card's recording there were before the first key.
fn keys_walk(g: &mut Guest, work: &Path, steps: &[KeyStep]) -> Result<u64> {
    g.qmp.call(
        r#"{"execute":"device_add","arguments":{"driver":"usb-audio","id":"headset0","audiodev":"snd0","bus":"xhci.0"}}"#,
    )?;
    g.qmp.call(
        r#"{"execute":"device_add","arguments":{"driver":"usb-kbd","id":"keypad0","bus":"xhci.0"}}"#,
    )?;
    eprintln!("boot-test: USB sound card and USB keyboard plugged in");
    // Enumeration (the kernel's lines on the console), then libinput's udev monitor seeing
    // the keyboard. Loading usbhid and snd-usb-audio on first plug takes a while in QEMU.
    g.wait_for(KEYBOARD_UP, 1, Duration::from_secs(60))
        .context("the guest did not take the USB keyboard")?;
    g.wait_for(SOUND_CARD_UP, 1, Duration::from_secs(60))
        .context("the guest did not take the USB sound card")?;
    // The kiosk sees the card come (its inotify watch on /dev/snd) and, at the attract
    // screen, says the welcome on it: the card is opened before any key.
    g.wait_for(CARD_CAME, 1, Duration::from_secs(30))
        .context("the kiosk did not see the USB sound card come")?;
    g.wait_for(VOICE_CARD, 1, Duration::from_secs(30))
        .context("the kiosk did not say the welcome on the sound card plugged in")?;
    eprintln!("boot-test: the kiosk saw the sound card come and opened it for the welcome");
    // libinput's udev monitor takes the keyboard a moment after the kernel does.
    std::thread::sleep(Duration::from_secs(3));
    let before_keys = std::fs::metadata(voice_wav(work, 2)).map_or(0, |m| m.len());
    let dump = work.join("screen.ppm");
    for (i, step) in steps.iter().enumerate() {
        let turns = matches!(step.qcode.as_str(), "right" | "left");
        let before = if turns {
            Some(g.qmp.screendump(&dump)?)
        } else {
            None
        };
        g.qmp.key(&step.qcode)?;
        // A page turn slides: screendumps as fast as QMP gives them, while it runs.
        let sliding = match &before {
            Some(_) => slide_shots(g, &dump)?,
            None => {
                std::thread::sleep(Duration::from_millis(400));
                Vec::new()
            }
        };
        let Some(golden) = &step.golden else {
            continue;
        };
        let want = read_png(golden).with_context(|| golden.display().to_string())?;
        let until = Instant::now() + Duration::from_secs(20);
        let mut shot = g.qmp.screendump(&dump)?;
        while differing(&shot, &want) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(500));
            shot = g.qmp.screendump(&dump)?;
        }
        let name = golden
            .file_name()
            .map_or("key.png".into(), |n| n.to_string_lossy().into_owned());
        let save = work.parent().unwrap_or(work).join(format!("boot-{name}"));
        save_png(&save, &shot)?;
        let d = differing(&shot, &want);
        ensure!(
            d == 0,
            "key {} ({}): {d} pixels differ from {}; see {}",
            i + 1,
            step.qcode,
            golden.display(),
            save.display()
        );
        eprintln!(
            "boot-test: key {} ({}): the screen equals {} pixel for pixel",
            i + 1,
            step.qcode,
            golden.display()
        );
        if let Some(before) = &before {
            let save = work.parent().unwrap_or(work).join("boot-mid-slide.png");
            check_mid_slide(before, &sliding, &shot, &save)?;
        }
    }
    // The last key left the kiosk reading; let it speak a while.
    std::thread::sleep(Duration::from_secs(8));
    let card = g
        .last_line(VOICE_CARD)
        .context("after the keys the kiosk never opened a sound card for its voice")?;
    ensure!(
        card.contains("CARD="),
        "the voice did not go to the USB sound card: {card}"
    );
    eprintln!("boot-test: {card}");
    Ok(before_keys)
}

/// Screendumps for a second after a page turn's key, as fast as QMP takes them (the slide
/// lasts 180 ms).
fn slide_shots(g: &mut Guest, dump: &Path) -> Result<Vec<Rgb>> {
    let until = Instant::now() + Duration::from_secs(1);
    let mut shots = Vec::new();
    while Instant::now() < until {
        shots.push(g.qmp.screendump(dump)?);
    }
    Ok(shots)
}

/// A page turn shows a slide on the real DRM path: one of the screendumps taken while it ran
/// differs from both the page before and the settled page after (saved to `save`).
fn check_mid_slide(before: &Rgb, shots: &[Rgb], after: &Rgb, save: &Path) -> Result<()> {
    ensure!(
        differing(before, after) > 0,
        "the page turn did not change the screen"
    );
    let mid = shots
        .iter()
        .enumerate()
        .find(|(_, s)| differing(s, before) > 0 && differing(s, after) > 0);
    let Some((i, mid)) = mid else {
        bail!(
            "no screendump of {} in the second after the page turn shows the slide: each equals the page before or the page after",
            shots.len()
        );
    };
    save_png(save, mid)?;
    eprintln!(
        "boot-test: mid-slide: screendump {} of {} differs from the page before in {} pixels and from the page after in {}; see {}",
        i + 1,
        shots.len(),
        differing(mid, before),
        differing(mid, after),
        save.display()
    );
    Ok(())
}

/// 20 ms windows of a recording whose level (RMS, 16-bit full scale 32767) is speech. The
/// headless voice test uses the same.
const SPEECH_LEVEL: f64 = 300.0;
/// How many 20 ms windows of speech the recording must hold after the first key. QEMU kept 5
/// windows in one run and 1 in another of the same walk; silence gives 0.
const SPOKEN_WINDOWS: usize = 1;

/// Checks QEMU's WAV recording of the sound card: after byte `before_keys` (the first key)
/// windows carry speech; before it, the welcome said on the card's plug is counted.
/// Returns what it found, for the log.
fn check_voice(wav: &[u8], before_keys: u64) -> Result<String> {
    let bitig_io::wav::Layout {
        channels,
        rate,
        data_at,
    } = bitig_io::wav::layout(wav)
        .map_err(|e| anyhow::anyhow!("the sound card's recording: {e}"))?;
    let frame = 2 * usize::from(channels);
    let window = rate as usize / 50;
    let levels: Vec<(usize, f64)> = wav[data_at..]
        .chunks_exact(frame * window)
        .enumerate()
        .map(|(i, w)| {
            let sum: f64 = w
                .chunks_exact(2)
                .map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])).powi(2))
                .sum();
            (
                data_at + i * frame * window,
                (sum / (w.len() / 2) as f64).sqrt(),
            )
        })
        .collect();
    let cut = before_keys.max(data_at as u64) as usize;
    let before: Vec<f64> = levels
        .iter()
        .filter(|(at, _)| at + frame * window <= cut)
        .map(|l| l.1)
        .collect();
    // Before the keys the card plays the welcome a headset hears on its plug (QEMU keeps
    // only part of it, so it is counted, not required); the headless voice test checks the
    // silence before any key or plug.
    let welcome = before.iter().filter(|&&l| l > SPEECH_LEVEL).count();
    let spoken = levels
        .iter()
        .filter(|(at, l)| *at >= cut && *l > SPEECH_LEVEL)
        .count();
    let seconds = spoken as f64 / 50.0;
    // QEMU's usb-audio under TCG records only part of what the guest streams (QEMU logs
    // "Resetting rate control" and drops the backlog), so this asks for speech, not for its
    // length: a 20 ms window at speech level. The headless voice test checks
    // every sentence against the timing index.
    ensure!(
        spoken >= SPOKEN_WINDOWS,
        "after the keys the sound card's recording carries {seconds:.2} s of speech-level sound (want at least {SPOKEN_WINDOWS} windows of 20 ms above level {SPEECH_LEVEL}); {} bytes recorded, {} after the first key",
        wav.len(),
        wav.len().saturating_sub(cut)
    );
    Ok(format!(
        "{rate} Hz, {channels} channels; {:.1} s before the first key, {:.2} s of it the welcome at speech level; {seconds:.1} s of speech after it",
        before.len() as f64 / 50.0,
        welcome as f64 / 50.0
    ))
}

/// What the guest wrote to its card: nothing on the root filesystem (it is read-only), and
/// the kiosk's files on the data partition (mounted at /var/lib/bitig), owned by user bitig.
fn check_card(
    o: &Options,
    disk: &Path,
    work: &Path,
    (root, data): (&Partition, &Partition),
    update: Option<&Update>,
) -> Result<()> {
    ensure!(
        hash_range(disk, root.start, root.len)? == hash_range(&o.image, root.start, root.len)?,
        "the root filesystem changed on the card: it was not mounted read-only"
    );
    eprintln!("boot-test: root filesystem unchanged after two boots and a power cut (read-only)");
    let rootfs = crate::image::Ext4::new(disk, root.start, work);
    let passwd = String::from_utf8_lossy(&rootfs.read("/etc/passwd")?).into_owned();
    let bitig_uid = uid_of(&passwd, "bitig").context("no user bitig in the image's /etc/passwd")?;
    let datafs = crate::image::Ext4::new(disk, data.start, work);
    let starts = datafs
        .stat("/starts")?
        .context("the kiosk wrote no `starts` on the data partition: /var/lib/bitig is not the data partition, or the kiosk cannot write it")?;
    ensure!(
        starts.uid == bitig_uid,
        "`starts` on the data partition belongs to uid {}, not bitig ({bitig_uid}): the kiosk does not run as bitig",
        starts.uid
    );
    eprintln!(
        "boot-test: the kiosk (uid {bitig_uid}, bitig) wrote its start record on the data partition"
    );
    if let Some((_, _, bytes)) = update {
        let active = String::from_utf8_lossy(&datafs.read("/active")?)
            .trim()
            .to_string();
        let slot = datafs.read(&format!("/slot-{active}.bundle"))?;
        ensure!(
            &slot == bytes,
            "the active slot ({active}) on the data partition is not the update's bytes"
        );
        eprintln!(
            "boot-test: the data partition's active slot {active} holds the update, byte for byte"
        );
        let speech_path = o.update.as_ref().map(|p| p.with_extension("speech"));
        if let Some(speech_path) = speech_path.filter(|p| p.exists()) {
            ensure!(
                datafs.read(&format!("/slot-{active}.speech"))? == std::fs::read(&speech_path)?,
                "the active slot ({active}) on the data partition does not hold the update's speech part"
            );
            eprintln!("boot-test: and its speech part beside it, byte for byte");
        }
    }
    Ok(())
}

fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_key_walk_and_names_a_bad_line() {
        let dir = std::env::temp_dir().join(format!("bitig-keywalk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("keys.txt");
        std::fs::write(&p, "# wake\nret a.png\ndown\n\nright b.png # turn\n").unwrap();
        let steps = read_key_steps(&p).unwrap();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].qcode, "ret");
        assert_eq!(
            steps[0].golden.as_deref(),
            Some(dir.join("a.png").as_path())
        );
        assert_eq!(steps[1].golden, None);
        std::fs::write(&p, "ret\nret a.png b.png\n").unwrap();
        let e = read_key_steps(&p).unwrap_err().to_string();
        assert!(e.contains("keys.txt:2:"), "{e}");
        std::fs::write(&p, "ret\n\"ret\"\n").unwrap();
        let e = read_key_steps(&p).unwrap_err().to_string();
        assert!(
            e.contains("keys.txt:2:") && e.contains("not a QEMU key name"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reads_the_kiosks_idle_report() {
        let line = "[   95.1] bitig-kiosk[301]: bitig-kiosk: idle 61.5 s on the attract screen: 52 wake-ups (0.85/s; bitig-kiosk 50, bitig-usb 2), 180 ms CPU, watchdog heartbeat every 5.0 s (3 wake-ups of its own)";
        let r = IdleLine::parse(line).unwrap();
        assert_eq!(
            r,
            IdleLine {
                secs: 61.5,
                wakeups: 52,
                heartbeat_wakeups: 3
            }
        );
        assert!((r.beyond_heartbeat_per_s() - 49.0 / 61.5).abs() < 1e-9);
        let none = "bitig-kiosk: idle 40.0 s on the attract screen: 20 wake-ups (0.50/s; bitig-kiosk 20), 0 ms CPU, no watchdog";
        let r = IdleLine::parse(none).unwrap();
        assert_eq!(r.heartbeat_wakeups, 0);
        assert!((r.beyond_heartbeat_per_s() - 0.5).abs() < 1e-9);
        assert_eq!(
            IdleLine::parse("bitig-kiosk: idle x s on the attract screen: 1 wake-ups"),
            None
        );
    }

    #[test]
    fn a_slide_is_seen_only_in_a_shot_unlike_both_pages() {
        let page = |v: u8| -> Rgb { (2, 1, vec![v; 6]) };
        let (before, after) = (page(1), page(2));
        let dir = std::env::temp_dir().join(format!("bitig-mid-slide-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let save = dir.join("mid.png");
        // Every shot is one page or the other: no slide was seen.
        let e = check_mid_slide(&before, &[page(1), page(2), page(2)], &after, &save)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no screendump of 3"), "{e}");
        assert!(!save.exists());
        // One shot shows both pages in part.
        let mid: Rgb = (2, 1, vec![1, 1, 1, 2, 2, 2]);
        check_mid_slide(&before, &[page(1), mid, page(2)], &after, &save).unwrap();
        assert!(save.exists());
        // A key that changed nothing is no page turn.
        assert!(check_mid_slide(&before, &[], &page(1), &save).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reads_a_ppm_with_comments() {
        let mut b = b"P6\n# qemu\n2 1\n255\n".to_vec();
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(read_ppm(&b).unwrap(), (2, 1, vec![1, 2, 3, 4, 5, 6]));
        assert!(read_ppm(b"P6\n2 1\n255\n\x01").is_err());
    }
}
