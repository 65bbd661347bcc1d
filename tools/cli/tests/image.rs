//! `bitig image --base`: injects the kiosk into a synthetic image with the Raspberry Pi OS
//! layout (tests/scripts/make-synthetic-rpios.sh), then checks the result with the stock tools
//! (debugfs, e2fsck, mtools), not with bitig's own reader. Also: the base is never modified,
//! a second run is idempotent, and wrong inputs are refused with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT_OFFSET: u64 = 139_264 * 512;
const BOOT_OFFSET: u64 = 8192 * 512;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn tools_present() -> bool {
    ["sfdisk", "mkfs.vfat", "mcopy", "debugfs", "mkfs.ext4"]
        .iter()
        .all(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

fn synthetic(dir: &Path) -> PathBuf {
    let img = dir.join("rpios.img");
    let o = Command::new(repo().join("tests/scripts/make-synthetic-rpios.sh"))
        .arg(&img)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    img
}

/// The kiosk binary to inject: the cross-built aarch64 one if scripts/cross-test made it,
/// else a stand-in with an aarch64 ELF header (this test is about the image, not the binary).
fn kiosk_binary(dir: &Path) -> PathBuf {
    let real = repo().join("target/aarch64-unknown-linux-gnu/release/bitig-kiosk");
    if real.exists() {
        return real;
    }
    let mut b = vec![0u8; 4096];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // 64-bit
    b[5] = 1; // little endian
    b[18] = 0xB7; // EM_AARCH64
    for (i, x) in b.iter_mut().enumerate().skip(64) {
        *x = (i * 31 % 251) as u8;
    }
    let p = dir.join("bitig-kiosk-standin");
    std::fs::write(&p, b).unwrap();
    p
}

/// A small real bundle: the Turkish and Kazakh fixtures on the tiny test profile.
fn bundle(dir: &Path) -> PathBuf {
    let out = dir.join("fixtures.bundle");
    build_fixtures("tests/fixtures/profiles/tiny-320x240.toml", &out);
    out
}

fn debugfs(img: &Path, req: &str) -> String {
    let o = Command::new("debugfs")
        .arg("-R")
        .arg(req)
        .arg(format!("{}?offset={ROOT_OFFSET}", img.display()))
        .output()
        .unwrap();
    text(&o.stdout)
}

fn dump(img: &Path, path: &str, to: &Path) -> Vec<u8> {
    let _ = std::fs::remove_file(to);
    debugfs(img, &format!("dump {path} {}", to.display()));
    std::fs::read(to).unwrap_or_default()
}

fn mtype(img: &Path, name: &str) -> String {
    let o = Command::new("mtype")
        .env("MTOOLS_SKIP_CHECK", "1")
        .arg("-i")
        .arg(format!("{}@@{BOOT_OFFSET}", img.display()))
        .arg(format!("::{name}"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout)
}

fn e2fsck_clean(img: &Path) -> bool {
    Command::new("e2fsck")
        .arg("-fn")
        .arg(format!("{}?offset={ROOT_OFFSET}", img.display()))
        .output()
        .unwrap()
        .status
        .success()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// `bitig image` never writes the default PIN: `--pin 1234` and a `--config` without a PIN
/// hash are refused before anything is written; two images get different salts.
#[test]
fn refuses_the_default_pin() {
    let d = scratch("image-pin");
    let kiosk = kiosk_binary(&d);
    let bundle = bundle(&d);
    let out = d.join("kiosk.img");
    let base = d.join("base.img");
    std::fs::write(&base, b"not read").unwrap();
    let o = bitig(&[
        "image",
        "--base",
        s(&base),
        "--out",
        s(&out),
        "--kiosk",
        s(&kiosk),
        "--bundle",
        s(&bundle),
        "--pin",
        "1234",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("default PIN"),
        "{}",
        text(&o.stderr)
    );
    let cfg = d.join("kiosk.toml");
    std::fs::write(&cfg, "profile = \"pi-touch-800x480\"\n").unwrap();
    let o = bitig(&[
        "image",
        "--base",
        s(&base),
        "--out",
        s(&out),
        "--kiosk",
        s(&kiosk),
        "--bundle",
        s(&bundle),
        "--config",
        s(&cfg),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("sets no pin_blake3"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
}

#[test]
fn injects_the_kiosk_into_a_pi_os_layout_and_reads_it_back() {
    if !tools_present() {
        skip("needs fdisk, dosfstools, mtools, e2fsprogs (scripts/setup-debian.sh)");
        return;
    }
    let d = scratch("image-inject");
    let base = synthetic(&d);
    let base_hash = blake3::hash(&std::fs::read(&base).unwrap());
    let kiosk = kiosk_binary(&d);
    let bundle = bundle(&d);
    let out = d.join("kiosk.img");
    let o = bitig(&[
        "image",
        "--base",
        s(&base),
        "--out",
        s(&out),
        "--kiosk",
        s(&kiosk),
        "--bundle",
        s(&bundle),
        "--rotation",
        "180",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // The base is untouched; nothing half-written is left beside the output.
    assert_eq!(blake3::hash(&std::fs::read(&base).unwrap()), base_hash);
    assert!(leftovers(&d).is_empty(), "{:?}", leftovers(&d));

    // Independent checks with the stock tools.
    assert!(e2fsck_clean(&out));
    let tmp = d.join("dumped");
    assert_eq!(
        dump(&out, "/usr/local/bin/bitig-kiosk", &tmp),
        std::fs::read(&kiosk).unwrap()
    );
    assert_eq!(
        dump(&out, "/var/lib/bitig/slot-a.bundle", &tmp),
        std::fs::read(&bundle).unwrap()
    );
    assert_eq!(dump(&out, "/var/lib/bitig/active", &tmp), b"a\n");
    // The voice comes with the text: the speech part beside the bundle, in slot A beside it.
    assert_eq!(
        dump(&out, "/var/lib/bitig/slot-a.speech", &tmp),
        std::fs::read(bundle.with_extension("speech")).expect("the fixtures' speech part")
    );
    let st = debugfs(&out, "stat /usr/local/bin/bitig-kiosk");
    assert!(
        st.contains("Mode:  0755") && st.contains("User:     0"),
        "{st}"
    );
    let config = text(&dump(&out, "/etc/bitig/kiosk.toml", &tmp));
    assert!(config.contains("rotation = 180"), "{config}");
    // A random 6-digit PIN, printed once, stored as a hash with the image's own salt.
    let said = text(&o.stdout);
    let pin = said
        .split("operator PIN: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no PIN printed:\n{said}"));
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    let value = |key: &str| {
        config
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no {key} in\n{config}"))
            .to_string()
    };
    let salt = value("pin_salt");
    assert_eq!(salt.len(), 32, "{salt}");
    let want = bitig_format::hex::to_hex(&bitig_format::pin::pin_hash(salt.as_bytes(), pin));
    assert_eq!(value("pin_blake3"), want);
    assert!(
        !config.contains(&pin.to_string()),
        "the PIN itself is in the config"
    );
    assert!(
        config.contains("content_dir = \"/var/lib/bitig\""),
        "{config}"
    );
    let unit = text(&dump(&out, "/etc/systemd/system/bitig-kiosk.service", &tmp));
    for want in [
        "Restart=always",
        "WatchdogSec=",
        "User=bitig",
        "SupplementaryGroups=video input render",
        "Type=notify",
    ] {
        assert!(unit.contains(want), "unit lacks {want}:\n{unit}");
    }
    let link = debugfs(
        &out,
        "stat /etc/systemd/system/multi-user.target.wants/bitig-kiosk.service",
    );
    assert!(
        link.contains("Fast link dest: \"/etc/systemd/system/bitig-kiosk.service\""),
        "{link}"
    );
    let journald = text(&dump(&out, "/etc/systemd/journald.conf.d/bitig.conf", &tmp));
    assert!(journald.contains("Storage=volatile"), "{journald}");
    let rules = text(&dump(&out, "/etc/udev/rules.d/70-bitig-panel.rules", &tmp));
    assert!(rules.contains("SUBSYSTEM==\"input\""), "{rules}");
    let passwd = text(&dump(&out, "/etc/passwd", &tmp));
    let user = passwd
        .lines()
        .find(|l| l.starts_with("bitig:"))
        .expect("no bitig user");
    assert!(
        user.ends_with(":/var/lib/bitig:/usr/sbin/nologin"),
        "{user}"
    );
    let gid = user.split(':').nth(3).unwrap();
    let group = text(&dump(&out, "/etc/group", &tmp));
    // Member of exactly video, audio (the voice), input and render (plus its own primary group).
    let member_of: Vec<&str> = group
        .lines()
        .filter(|l| {
            l.rsplit(':')
                .next()
                .unwrap()
                .split(',')
                .any(|m| m == "bitig")
        })
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(member_of, ["video", "audio", "input", "render"]);
    assert!(group.contains(&format!("bitig:x:{gid}:")));
    // The content directory is the kiosk's, so it can install updates.
    let uid = user.split(':').nth(2).unwrap();
    let st = debugfs(&out, "stat /var/lib/bitig");
    assert!(
        st.contains(&format!("User: {uid:>5}")) && st.contains(&format!("Group: {gid:>5}")),
        "{st}"
    );
    // /etc/shadow keeps its owner and mode (root:shadow 0640).
    let st = debugfs(&out, "stat /etc/shadow");
    assert!(
        st.contains("Mode:  0640") && st.contains("Group:    42"),
        "{st}"
    );
    assert!(text(&dump(&out, "/etc/shadow", &tmp)).contains("bitig:!*:"));

    let cmdline = mtype(&out, "cmdline.txt");
    assert_eq!(cmdline.lines().count(), 1, "{cmdline}");
    assert!(!cmdline.contains("console=tty1"), "{cmdline}");
    assert!(cmdline.contains("console=serial0,115200") && cmdline.contains("consoleblank=0"));
    let cfg = mtype(&out, "config.txt");
    assert!(
        cfg.contains("disable_splash=1") && cfg.contains("dtparam=audio=on"),
        "{cfg}"
    );

    // A second run over the result changes nothing that should stay single.
    let out2 = d.join("kiosk2.img");
    let o = bitig(&[
        "image",
        "--base",
        s(&out),
        "--out",
        s(&out2),
        "--kiosk",
        s(&kiosk),
        "--bundle",
        s(&bundle),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(e2fsck_clean(&out2));
    assert_eq!(mtype(&out2, "cmdline.txt"), cmdline);
    assert_eq!(
        mtype(&out2, "config.txt")
            .matches("disable_splash=1")
            .count(),
        1
    );
    let passwd2 = text(&dump(&out2, "/etc/passwd", &tmp));
    let users = passwd2.lines().filter(|l| l.starts_with("bitig:")).count();
    assert_eq!(users, 1, "{passwd2}");
}

#[test]
fn refuses_wrong_inputs_and_writes_nothing() {
    if !tools_present() {
        skip("needs fdisk, dosfstools, mtools, e2fsprogs (scripts/setup-debian.sh)");
        return;
    }
    let d = scratch("image-refusals");
    let base = synthetic(&d);
    let bundle = bundle(&d);
    let out = d.join("kiosk.img");
    // The host's own (x86-64) binary is not for an arm64 image.
    let host_binary = env!("CARGO_BIN_EXE_bitig");
    let o = bitig(&[
        "image",
        "--base",
        s(&base),
        "--out",
        s(&out),
        "--kiosk",
        host_binary,
        "--bundle",
        s(&bundle),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("x86-64 binary but the image is aarch64"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    assert!(leftovers(&d).is_empty(), "{:?}", leftovers(&d));

    let kiosk = kiosk_binary(&d);
    // Not a disk image.
    let junk = d.join("junk.img");
    std::fs::write(&junk, vec![7u8; 4096]).unwrap();
    let o = bitig(&[
        "image",
        "--base",
        s(&junk),
        "--out",
        s(&out),
        "--kiosk",
        s(&kiosk),
        "--bundle",
        s(&bundle),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no MBR partition table"),
        "{}",
        text(&o.stderr)
    );
    // A bundle that is not one.
    let o = bitig(&[
        "image",
        "--base",
        s(&base),
        "--out",
        s(&out),
        "--kiosk",
        s(&kiosk),
        "--bundle",
        s(&junk),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("not a valid bundle"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    assert!(leftovers(&d).is_empty(), "{:?}", leftovers(&d));
    // A speech part beside the bundle that the kiosk would refuse (cut short) is refused here.
    let cut = d.join("cut.bundle");
    std::fs::copy(&bundle, &cut).unwrap();
    let part = std::fs::read(bundle.with_extension("speech")).unwrap();
    std::fs::write(cut.with_extension("speech"), &part[..part.len() / 2]).unwrap();
    let o = bitig(&[
        "image",
        "--base",
        s(&base),
        "--out",
        s(&out),
        "--kiosk",
        s(&kiosk),
        "--bundle",
        s(&cut),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("cut.speech: refused [E-"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    assert!(leftovers(&d).is_empty(), "{:?}", leftovers(&d));
    // With a trusted key the bundle must be signed by it, or the kiosk would refuse it.
    let key = d.join("site");
    assert!(bitig(&["keygen", s(&key)]).status.success());
    let public = d.join("site.public");
    let image_args = |bundle: &Path| {
        vec![
            "image".to_string(),
            "--base".into(),
            s(&base).into(),
            "--out".into(),
            s(&out).into(),
            "--kiosk".into(),
            s(&kiosk).into(),
            "--bundle".into(),
            s(bundle).into(),
            "--public-key".into(),
            s(&public).into(),
        ]
    };
    let args = image_args(&bundle);
    let o = bitig(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("[E-UNSIGNED]"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    let o = bitig(&["sign", s(&bundle), "--key", s(&d.join("site.secret"))]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = bitig(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let config = text(&dump(&out, "/etc/bitig/kiosk.toml", &d.join("dumped")));
    let hex = std::fs::read_to_string(&public).unwrap();
    let hex = hex
        .lines()
        .last()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    assert!(
        config.contains(&format!("trusted_keys = [\"{hex}\"]")),
        "{config}"
    );
}
