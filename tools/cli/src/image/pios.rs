//! `bitig image --base RPIOS.img`: a Raspberry Pi OS Lite image with the kiosk injected, all
//! read back.

use super::payload::*;
use super::{ext4::*, fat::*, files::*, mbr::*, tool::text};
use anyhow::{bail, ensure, Context, Result};
use std::path::Path;

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
