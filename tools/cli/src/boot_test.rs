//! `bitig boot-test IMAGE`: boots a `bitig image --debian` image in qemu-system-aarch64 (virt
//! machine, Cortex-A72, virtio-gpu, virtio tablet) with the image's own kernel and initrd,
//! waits on the serial console until the kiosk service reports its first frame, takes a
//! `screendump` through QMP and compares it with the headless goldens, then sends a touch
//! through QMP `input-send-event` and checks that the screen changes.
//!
//! This proves the real linuxkms backend, libinput and the systemd unit together; the
//! headless tests cannot.

use crate::image::{mbr_partitions, Fat};
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
    let dec = png::Decoder::new(BufReader::new(std::fs::File::open(p)?));
    let mut r = dec.read_info()?;
    let mut buf = vec![0; r.output_buffer_size().context("PNG too large")?];
    let info = r.next_frame(&mut buf)?;
    buf.truncate(info.buffer_size());
    ensure!(
        info.color_type == png::ColorType::Rgb,
        "{}: not an RGB PNG",
        p.display()
    );
    Ok((info.width, info.height, buf))
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
    let bytes = bitig_typeset::proof::png_rgb(shot.0, shot.1, &shot.2)?;
    bitig_typeset::write_atomic(path, &bytes)?;
    Ok(())
}

pub fn run(o: &Options) -> Result<()> {
    let load = |ps: &[PathBuf]| -> Result<Vec<(PathBuf, Rgb)>> {
        ps.iter()
            .map(|p| {
                Ok((
                    p.clone(),
                    read_png(p).with_context(|| p.display().to_string())?,
                ))
            })
            .collect()
    };
    let attract = load(&o.attract)?;
    let after = load(&o.after_touch)?;
    let work = o.out.join("boot-test-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    // The image's own kernel and initrd, from its boot partition.
    let boot = mbr_partitions(&o.image)?
        .into_iter()
        .find(|p| matches!(p.kind, 0x0b | 0x0c | 0x0e))
        .context("no FAT boot partition in the image")?;
    let listing = Command::new("mdir")
        .env("MTOOLS_SKIP_CHECK", "1")
        .args(["-b", "-i"])
        .arg(format!("{}@@{}", o.image.display(), boot.start))
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
    let fat = Fat::new(&o.image, boot.start, &work);
    std::fs::write(work.join("vmlinuz"), fat.read(kernel)?)?;
    std::fs::write(work.join("initrd"), fat.read(initrd)?)?;
    eprintln!("boot-test: kernel {kernel}, initrd {initrd}");

    let serial = work.join("serial.log");
    let qmp_path = work.join("qmp.sock");
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
        .arg("-drive")
        .arg(format!("file={},if=virtio,format=raw,snapshot=on", o.image.display()))
        .arg("-device")
        .arg(format!("virtio-gpu-pci,xres={},yres={}", o.width, o.height))
        .args(["-device", "virtio-tablet-pci", "-device", "virtio-keyboard-pci"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(work.join("qemu.err"))?)
        .spawn()
        .context("cannot run qemu-system-aarch64 (scripts/setup-image.sh installs it)")?;
    let mut qemu = Qemu { child };
    let deadline = t0 + o.timeout;
    let qemu_err = || std::fs::read_to_string(work.join("qemu.err")).unwrap_or_default();
    let mut qmp = Qmp::connect(&qmp_path, deadline)
        .with_context(|| format!("qemu-system-aarch64 did not start: {}", qemu_err().trim()))?;

    // Wait for the kiosk's first frame on the serial console.
    const MARK: &str = "bitig-kiosk: first frame shown";
    let mut booted = None;
    let mut log = String::new();
    while Instant::now() < deadline {
        log = String::from_utf8_lossy(&std::fs::read(&serial).unwrap_or_default()).into_owned();
        if log.contains(MARK) {
            booted = Some(t0.elapsed());
            break;
        }
        for fatal in ["Kernel panic", "emergency mode", "Give root password"] {
            if log.contains(fatal) {
                bail!(
                    "the guest failed to boot ({fatal}); serial log:\n{}",
                    tail(&log, 40)
                );
            }
        }
        if let Ok(Some(st)) = qemu.child.try_wait() {
            bail!("qemu exited ({st}); serial log:\n{}", tail(&log, 40));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let Some(booted) = booted else {
        bail!(
            "no \"{MARK}\" within {} s; serial log:\n{}",
            o.timeout.as_secs(),
            tail(&log, 40)
        );
    };
    // Type=notify: systemd reports the unit started only after the kiosk's READY=1.
    const STARTED: &str = "Started bitig-kiosk.service";
    let until = Instant::now() + Duration::from_secs(30);
    while !log.contains(STARTED) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(250));
        log = String::from_utf8_lossy(&std::fs::read(&serial).unwrap_or_default()).into_owned();
    }
    ensure!(
        log.contains(STARTED),
        "the kiosk drew but systemd never saw READY=1 (no \"{STARTED}\"); serial log:\n{}",
        tail(&log, 40)
    );
    let kernel_line = log
        .lines()
        .find(|l| l.contains("Linux version"))
        .unwrap_or("");
    eprintln!(
        "boot-test: first frame after {:.1} s ({})",
        booted.as_secs_f64(),
        kernel_line.trim()
    );

    // The attract screen cycles its "touch to begin" language; dump until a phase matches.
    let dump = work.join("screen.ppm");
    let mut best = (PathBuf::new(), usize::MAX);
    let mut shot = (0, 0, Vec::new());
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        shot = qmp.screendump(&dump)?;
        if let Some((p, d)) = best_match(&shot, &attract) {
            if d < best.1 {
                best = (p.to_path_buf(), d);
            }
            if d == 0 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(400));
    }
    save_png(&o.out.join("boot-attract.png"), &shot)?;
    ensure!(
        best.1 == 0,
        "the screendump ({}x{}) is not the attract screen: closest golden {} differs in {} pixels; see {}",
        shot.0,
        shot.1,
        best.0.display(),
        best.1,
        o.out.join("boot-attract.png").display()
    );
    eprintln!(
        "boot-test: screendump {}x{} equals {} pixel for pixel",
        shot.0,
        shot.1,
        best.0.display()
    );

    // A touch wakes the kiosk: the screen must change (to the language screen).
    let before = shot.clone();
    qmp.tap(o.width / 2, o.height / 2, o.width, o.height)?;
    let until = Instant::now() + Duration::from_secs(20);
    let mut changed = None;
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(500));
        let s = qmp.screendump(&dump)?;
        if differing(&s, &before) > 0 && best_match(&s, &attract).is_none_or(|(_, d)| d > 0) {
            // Let a slide settle, then take the final picture.
            std::thread::sleep(Duration::from_millis(700));
            changed = Some(qmp.screendump(&dump)?);
            break;
        }
    }
    let after_shot = changed.context("the screen did not change after a touch")?;
    save_png(&o.out.join("boot-after-touch.png"), &after_shot)?;
    match best_match(&after_shot, &after) {
        Some((p, 0)) => eprintln!("boot-test: after the touch the screen equals {}", p.display()),
        Some((p, d)) => eprintln!(
            "boot-test: after the touch the screen changed; closest golden {} differs in {d} pixels",
            p.display()
        ),
        None => eprintln!("boot-test: after the touch the screen changed"),
    }
    let _ = qmp.call(r#"{"execute":"quit"}"#);
    drop(qemu);
    std::fs::copy(&serial, o.out.join("serial.log"))?;
    let _ = std::fs::remove_dir_all(&work);
    println!(
        "boot-test: PASS: first frame {:.1} s after qemu started; attract screen matches the headless golden; a touch changed the screen",
        booted.as_secs_f64()
    );
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
    fn reads_a_ppm_with_comments() {
        let mut b = b"P6\n# qemu\n2 1\n255\n".to_vec();
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(read_ppm(&b).unwrap(), (2, 1, vec![1, 2, 3, 4, 5, 6]));
        assert!(read_ppm(b"P6\n2 1\n255\n\x01").is_err());
    }
}
