//! The files `bitig image` generates for a kiosk: the kernel command line and config.txt
//! block, the systemd unit, journald's settings, the udev rules, the user `bitig` in
//! passwd/group/shadow/gshadow, and /etc/bitig/kiosk.toml.

use anyhow::{ensure, Context, Result};

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
SupplementaryGroups=video input render audio
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
# groups video, input, render and audio; these rules make sure the panel's devices are theirs
# (the sound cards' /dev/snd/* are the audio group's already, by Debian's own rules).
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
/// groups video, input, render (the panel) and audio (the voice's headphones). Idempotent. Returns the new files.
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
    for g in ["video", "input", "render", "audio"] {
        group = add_member(&group, g, 3)?;
        if has(&gshadow, g) {
            gshadow = add_member(&gshadow, g, 3)?;
        }
    }
    Ok([passwd, group, shadow, gshadow])
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
        .map(|k| format!("\"{}\"", bitig_format::hex::to_hex(k)))
        .collect();
    let hash = bitig_format::hex::to_hex(pin_hash);
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
    fn adds_a_locked_user_with_only_the_panel_and_audio_groups() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\nsystemd-network:x:998:998::/:/usr/sbin/nologin\n";
        let group = "root:x:0:\nvideo:x:44:pi\naudio:x:29:pi\ninput:x:105:pi\nrender:x:106:\nsudo:x:27:pi\npi:x:1000:\nsystemd-network:x:998:\n";
        let shadow = "root:*:19000:0:99999:7:::\n";
        let gshadow = "video:*::pi\ninput:!::pi\nrender:!::\nsudo:*::pi\n";
        let [p, g, s, gs] = add_kiosk_user(passwd, group, shadow, gshadow).unwrap();
        assert!(
            p.ends_with("bitig:x:999:999:Bitig kiosk:/var/lib/bitig:/usr/sbin/nologin\n"),
            "{p}"
        );
        assert!(g.contains("video:x:44:pi,bitig\n") && g.contains("input:x:105:pi,bitig\n"));
        assert!(g.contains("render:x:106:bitig\n") && g.contains("sudo:x:27:pi\n"));
        assert!(g.contains("audio:x:29:pi,bitig\n"), "{g}");
        assert!(g.contains("bitig:x:999:\n"));
        assert!(s.contains("bitig:!*:"));
        assert!(gs.contains("render:!::bitig\n") && gs.contains("bitig:!::\n"));
        // Idempotent.
        assert_eq!(add_kiosk_user(&p, &g, &s, &gs).unwrap(), [p, g, s, gs]);
        // A base without a render group is refused with a clear message.
        let e = add_kiosk_user(
            passwd,
            "video:x:44:\ninput:x:105:\naudio:x:29:\n",
            shadow,
            "",
        )
        .unwrap_err();
        assert!(e.to_string().contains("group render is missing"), "{e}");
    }
}
