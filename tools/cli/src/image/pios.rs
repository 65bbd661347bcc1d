//! `bitig image --base RPIOS.img`: a Raspberry Pi OS Lite image with the kiosk injected, all
//! read back.

use super::payload::*;
use super::{ext4::*, fat::*, files::*, mbr::*, tool::text};
use anyhow::{bail, ensure, Context, Result};
use bitig_io::durable::{folder_of, private_temp};
use std::path::Path;

/// Copies `base` to `out` (atomically) with the kiosk injected, all read back.
pub fn inject(base: &Path, out: &Path, payload: &Payload) -> Result<()> {
    let kiosk = std::fs::read(&payload.kiosk)
        .with_context(|| format!("reading the kiosk binary {}", payload.kiosk.display()))?;
    let content = read_content(&payload.bundle, &payload.trusted)?;
    let machine = elf_machine(&kiosk).with_context(|| {
        format!(
            "{} is not an ELF executable; give the cross-built kiosk (scripts/cross-test builds it)",
            payload.kiosk.display()
        )
    })?;
    // Check the base before copying it.
    let (boot, root) = boot_and_root(base)?;
    std::fs::create_dir_all(folder_of(out))?;
    let tmp = private_temp(out);
    let scratch = folder_of(out).join(format!(
        ".{}.work{}",
        out.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("kiosk.img"),
        std::process::id()
    ));
    let result = (|| -> Result<()> {
        std::fs::create_dir_all(&scratch)?;
        eprintln!("copying {} ...", base.display());
        std::fs::copy(base, &tmp)
            .with_context(|| format!("copying {} to {}", base.display(), tmp.display()))?;
        let fs = Ext4::new(&tmp, root.start, &scratch);
        // The binary must run on the image.
        check_architecture(&fs, machine, &payload.kiosk)?;
        eprintln!(
            "root filesystem: partition {} at byte {}",
            root.index, root.start
        );
        let (mut files, (uid, gid)) = kiosk_user(&fs)?;
        files.extend(kiosk_files(&kiosk, &content, &payload.config, (uid, gid)));
        let links = vec![(
            format!("/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}"),
            format!("/etc/systemd/system/{UNIT_NAME}"),
        )];
        eprintln!(
            "writing and reading back {} files ...",
            files.len() + links.len()
        );
        write_root(&fs, &files, &links)?;
        give_content_dir(&fs, uid, gid)?;
        fs.fsck()?;
        eprintln!(
            "boot partition: partition {} at byte {}",
            boot.index, boot.start
        );
        set_boot(&Fat::new(&tmp, boot.start, &scratch))?;
        bitig_io::durable::commit(&tmp, out)?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Refuses a kiosk binary that would not run on the image's root filesystem.
fn check_architecture(fs: &Ext4, machine: u16, kiosk: &Path) -> Result<()> {
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
            kiosk.display(),
            machine_name(machine),
            machine_name(a)
        ),
        None => bail!("the root filesystem has neither /usr/lib/aarch64-linux-gnu nor /usr/lib/arm-linux-gnueabihf; is it a Raspberry Pi OS root?"),
        _ => {}
    }
    Ok(())
}

/// The image's users and groups with the `bitig` user added (each file keeping its owner and
/// mode), and that user's uid and gid.
fn kiosk_user(fs: &Ext4) -> Result<(Vec<RootFile>, (u32, u32))> {
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
    Ok((files, (uid, gid)))
}

/// The kiosk's own files: its binary, the content in slot A (the kiosk's; the bundle and its
/// speech part), its config, its
/// unit, the panel's udev rules and the journal's settings.
fn kiosk_files(
    kiosk: &[u8],
    content: &Content,
    config: &str,
    (uid, gid): (u32, u32),
) -> Vec<RootFile> {
    let root_file = |path: &str, bytes: Vec<u8>, mode: u32| RootFile {
        path: path.into(),
        bytes,
        mode,
        uid: 0,
        gid: 0,
    };
    let content_file = |path: &str, bytes: Vec<u8>| RootFile {
        path: path.into(),
        bytes,
        mode: 0o644,
        uid,
        gid,
    };
    let mut files = vec![
        root_file("/usr/local/bin/bitig-kiosk", kiosk.to_vec(), 0o755),
        content_file("/var/lib/bitig/slot-a.bundle", content.bundle.clone()),
        content_file("/var/lib/bitig/active", b"a\n".to_vec()),
        root_file("/etc/bitig/kiosk.toml", config.as_bytes().to_vec(), 0o644),
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
    ];
    if let Some(speech) = &content.speech {
        files.push(content_file("/var/lib/bitig/slot-a.speech", speech.clone()));
    }
    files
}

/// The content directory belongs to the kiosk: updates write new slots there.
fn give_content_dir(fs: &Ext4, uid: u32, gid: u32) -> Result<()> {
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
    Ok(())
}

/// The boot partition's cmdline.txt and config.txt with the kiosk's settings.
fn set_boot(fat: &Fat) -> Result<()> {
    let cmdline = fat.read("cmdline.txt")?;
    fat.write("cmdline.txt", kiosk_cmdline(&text(&cmdline)).as_bytes())?;
    let config = fat.read("config.txt")?;
    fat.write("config.txt", kiosk_config_txt(&text(&config)).as_bytes())?;
    Ok(())
}
