//! Kiosk configuration: a TOML file, every key optional, documented defaults.
//!
//! ```toml
//! # Bundle to show. Default: target/bitig/<profile>.bundle in the source tree (simulator),
//! # /var/lib/bitig/current.bundle on the device.
//! bundle = "/var/lib/bitig/current.bundle"
//! # Display profile the bundle must be laid out for. Default: pi-touch-800x480.
//! profile = "pi-touch-800x480"
//! # Seconds without a touch before the kiosk returns to its attract screen. Default: 90.
//! idle_timeout_s = 90
//! # BLAKE3 of "bitig-pin:" + salt + ":" + PIN, hex (`bitig-kiosk --hash-pin PIN --pin-salt
//! # SALT` prints it; `bitig image` writes both). Default: the unsalted hash of 1234, for the
//! # simulator; every image gets its own PIN and salt.
//! pin_blake3 = "…"
//! pin_salt = "3f9c…"
//! # Panel rotation in degrees, clockwise: 0, 90, 180 or 270. Default: 0.
//! rotation = 0
//! # Ed25519 public keys (hex, from `bitig keygen`) whose signed bundles this kiosk accepts.
//! # When set, every bundle it loads must be signed by one of them. Empty (the default): any
//! # bundle loads unsigned, and updates from USB sticks are refused (E-NOKEYS).
//! trusted_keys = ["a846…"]
//! # Content slots (slot-a.bundle, slot-b.bundle, active), used when `bundle` is not set.
//! # Default: /var/lib/bitig on the device, none in the simulator.
//! content_dir = "/var/lib/bitig"
//! # Where USB sticks are mounted; an update is <usb_dir>/bitig/update.bundle.
//! # Default: /media/bitig-usb on the device, none in the simulator.
//! usb_dir = "/media/bitig-usb"
//! # This kiosk's name in exported statistics (bitig-stats-<kiosk_id>-<n>.csv): letters,
//! # digits, - and _. Default: the first 8 characters of /etc/machine-id, else "kiosk".
//! kiosk_id = "astana-hall-2"
//! # The voice's sound card (an ALSA device name, e.g. "plughw:CARD=Device"), or "auto": the
//! # first USB sound card (a keypad's or a headset's socket), then the board's headphone
//! # jack. Default: "auto".
//! audio_device = "auto"
//! # Whether "auto" may fall back to a loudspeaker (HDMI, the system default) when there is no
//! # headphone output. Private listening is the default (EN 301 549 5.1.3.10). Default: false.
//! loudspeaker = false
//!
//! # The tactile keypad: each logical key (up, down, back, next, action, help, volume_down,
//! # volume_up, speed) and the Linux key names (linux/input-event-codes.h) it answers to. A key
//! # listed here replaces its defaults; the others keep theirs (see `keys::DEFAULT_MAP`).
//! [keys]
//! action = ["KEY_ENTER", "KEY_KPENTER", "KEY_SPACE"]
//! ```

use crate::keys::{self, KeyMap};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const DEFAULT_PROFILE: &str = "pi-touch-800x480";
pub const DEFAULT_IDLE_S: u64 = 90;
pub const DEFAULT_PIN: &str = "1234";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub bundle: Option<PathBuf>,
    pub profile: Option<String>,
    pub idle_timeout_s: Option<u64>,
    pub pin_blake3: Option<String>,
    pub pin_salt: Option<String>,
    pub rotation: Option<u16>,
    #[serde(default)]
    pub trusted_keys: Vec<String>,
    pub content_dir: Option<PathBuf>,
    pub usb_dir: Option<PathBuf>,
    pub kiosk_id: Option<String>,
    pub audio_device: Option<String>,
    pub loudspeaker: Option<bool>,
    /// Read with its positions by [`keys_from`].
    pub keys: Option<toml::Table>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub bundle: Option<PathBuf>,
    pub profile: String,
    pub idle_timeout_ms: u64,
    pub pin_hash: [u8; 32],
    /// The kiosk's PIN salt (empty: unsalted).
    pub pin_salt: String,
    pub rotation: Rotation,
    pub trusted_keys: Vec<[u8; 32]>,
    pub content_dir: Option<PathBuf>,
    pub usb_dir: Option<PathBuf>,
    /// Names this kiosk's statistics exports.
    pub kiosk_id: String,
    /// Set at start, not from the file: a content problem the kiosk recovered from (a rollback
    /// or crash-loop fallback), shown in the operator menu.
    pub startup_issue: Option<(&'static str, String)>,
    /// The keys the config file set (the rest are defaults).
    pub set_in_file: Vec<&'static str>,
    /// From the keypad's key codes to logical keys.
    pub keys: KeyMap,
    /// The voice's sound card: an ALSA device name, or `auto`.
    pub audio_device: String,
    /// `auto` may fall back to a loudspeaker.
    pub loudspeaker: bool,
}

/// Panel rotation, clockwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    R0,
    R90,
    R180,
    R270,
}

impl Rotation {
    /// The rotation in degrees clockwise.
    pub fn degrees(self) -> u16 {
        match self {
            Rotation::R0 => 0,
            Rotation::R90 => 90,
            Rotation::R180 => 180,
            Rotation::R270 => 270,
        }
    }

    pub fn from_degrees(d: u16) -> Option<Rotation> {
        Some(match d {
            0 => Rotation::R0,
            90 => Rotation::R90,
            180 => Rotation::R180,
            270 => Rotation::R270,
            _ => return None,
        })
    }

    /// Panel size for a UI of `w` x `h`.
    pub fn panel_size(self, w: u32, h: u32) -> (u32, u32) {
        match self {
            Rotation::R0 | Rotation::R180 => (w, h),
            Rotation::R90 | Rotation::R270 => (h, w),
        }
    }

    /// Maps a touch at panel pixel (`px`, `py`) to UI coordinates, for a UI of `w` x `h`.
    /// The UI is drawn rotated clockwise by the rotation onto the panel.
    pub fn touch_to_ui(self, px: f32, py: f32, w: f32, h: f32) -> (f32, f32) {
        match self {
            Rotation::R0 => (px, py),
            // UI (x, y) lands on panel (h - 1 - y, x).
            Rotation::R90 => (py, h - 1.0 - px),
            Rotation::R180 => (w - 1.0 - px, h - 1.0 - py),
            // UI (x, y) lands on panel (y, w - 1 - x).
            Rotation::R270 => (w - 1.0 - py, px),
        }
    }

    /// The panel pixel that UI pixel (`x`, `y`) of a UI of `w` x `h` lands on: the inverse of
    /// [`touch_to_ui`](Self::touch_to_ui) (headless frames and the simulator's window).
    pub fn ui_to_panel(self, x: usize, y: usize, w: usize, h: usize) -> (usize, usize) {
        match self {
            Rotation::R0 => (x, y),
            Rotation::R90 => (h - 1 - y, x),
            Rotation::R180 => (w - 1 - x, h - 1 - y),
            Rotation::R270 => (y, w - 1 - x),
        }
    }

    /// Rotates a UI frame (`w` x `h`, RGB) into panel orientation.
    pub fn rotate_frame(self, rgb: &[u8], w: usize, h: usize, out: &mut Vec<u8>) {
        out.clear();
        out.resize(rgb.len(), 0);
        let (pw, _) = self.panel_size(w as u32, h as u32);
        let pw = pw as usize;
        for y in 0..h {
            for x in 0..w {
                let (px, py) = self.ui_to_panel(x, y, w, h);
                let s = (y * w + x) * 3;
                let d = (py * pw + px) * 3;
                out[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
            }
        }
    }
}

/// The panel size a profile name ends in: `pi-touch-800x480` -> (800, 480).
pub use bitig_format::profile_size;

/// The unsalted PIN hash (development configs); see [`bitig_format::pin`].
pub fn pin_hash(pin: &str) -> [u8; 32] {
    bitig_format::pin::pin_hash(b"", pin)
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The keys a config file may have (the fields of [`ConfigFile`]).
pub const KNOWN_KEYS: [&str; 13] = [
    "bundle",
    "profile",
    "idle_timeout_s",
    "pin_blake3",
    "pin_salt",
    "rotation",
    "trusted_keys",
    "content_dir",
    "usb_dir",
    "kiosk_id",
    "keys",
    "audio_device",
    "loudspeaker",
];

/// The default kiosk id: the start of /etc/machine-id, else `kiosk`.
fn default_kiosk_id() -> String {
    std::fs::read_to_string("/etc/machine-id")
        .ok()
        .map(|s| s.trim().chars().take(8).collect::<String>())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "kiosk".to_string())
}

/// `file:line:col` of `key`'s value in a config file (1:1 if it cannot be found).
fn key_pos(path: &Path, text: &str, key: &str) -> String {
    let name = path.display();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let rest = t.strip_prefix(key).map(str::trim_start);
        if let Some(rest) = rest.filter(|r| r.starts_with('=')) {
            let value = rest[1..].trim_start();
            let col = line.len() - value.len() + 1;
            return format!("{name}:{}:{col}", i + 1);
        }
    }
    format!("{name}:1:1")
}

/// A config file that cannot be used: what is wrong, where (`file:line:col`) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Loads `path` (if given) and resolves defaults. Errors name the file, line and column
    /// and say what to fix. Unknown keys are not errors (a newer version may have added
    /// them): they come back as warnings, with their positions.
    pub fn load_checked(path: Option<&Path>) -> Result<(Config, Vec<String>), ConfigError> {
        let Some(p) = path else {
            return Ok((
                Config::resolve(ConfigFile::default(), None, "")?,
                Vec::new(),
            ));
        };
        let text = std::fs::read_to_string(p).map_err(|e| {
            ConfigError(format!(
                "{}: cannot read the config: {e}; check the path given with --config",
                p.display()
            ))
        })?;
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start).min(text.len());
            let line = text[..at].matches('\n').count() + 1;
            let col = text[..at].rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ConfigError(format!(
                "{}:{line}:{col}: the config is not valid TOML: {}; fix the line (values: numbers bare, text in \"quotes\")",
                p.display(),
                e.message().trim()
            ))
        })?;
        let mut warnings = Vec::new();
        let unknown: Vec<String> = table
            .keys()
            .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            table.remove(&k);
            warnings.push(format!(
                "{}: unknown key {k} is ignored (known keys: {})",
                key_pos(p, &text, &k),
                KNOWN_KEYS.join(", ")
            ));
        }
        let text_keys: Vec<String> = table.keys().cloned().collect();
        // A value of the wrong type: find the key by trying each one alone.
        let culprit = table
            .iter()
            .find(|(k, v)| {
                let mut one = toml::Table::new();
                one.insert((*k).clone(), (*v).clone());
                toml::Value::Table(one).try_into::<ConfigFile>().is_err()
            })
            .map(|(k, _)| k.clone());
        let file: ConfigFile =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    let key = culprit.unwrap_or_default();
                    ConfigError(format!(
                        "{}: {key}: {}; see the keys documented in firmware/kiosk/src/config.rs",
                        key_pos(p, &text, &key),
                        e.message().trim()
                    ))
                })?;
        let mut config = Config::resolve(file, Some(p), &text)?;
        config.set_in_file = KNOWN_KEYS
            .iter()
            .copied()
            .filter(|k| text_keys.contains(&k.to_string()))
            .collect();
        Ok((config, warnings))
    }

    /// Loads `path` like [`Config::load_checked`], failing on an unusable config.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        Ok(Config::load_checked(path)?.0)
    }

    /// The settings the kiosk runs with when its config cannot be used: every default.
    pub fn defaults() -> Config {
        let device = cfg!(feature = "device");
        Config {
            bundle: None,
            profile: DEFAULT_PROFILE.to_string(),
            idle_timeout_ms: DEFAULT_IDLE_S * 1000,
            pin_hash: pin_hash(DEFAULT_PIN),
            pin_salt: String::new(),
            rotation: Rotation::R0,
            trusted_keys: Vec::new(),
            content_dir: device.then(|| PathBuf::from("/var/lib/bitig")),
            usb_dir: device.then(|| PathBuf::from("/media/bitig-usb")),
            kiosk_id: default_kiosk_id(),
            startup_issue: None,
            set_in_file: Vec::new(),
            keys: KeyMap::default(),
            audio_device: "auto".to_string(),
            loudspeaker: false,
        }
    }

    fn resolve(file: ConfigFile, path: Option<&Path>, text: &str) -> Result<Config, ConfigError> {
        let at = |key: &str| path.map_or_else(|| "config".to_string(), |p| key_pos(p, text, key));
        let rotation = match file.rotation {
            None => Rotation::R0,
            Some(d) => Rotation::from_degrees(d).ok_or_else(|| {
                ConfigError(format!(
                    "{}: rotation = {d} is not 0, 90, 180 or 270; write the panel's clockwise rotation in degrees",
                    at("rotation")
                ))
            })?,
        };
        let pin_hash = match &file.pin_blake3 {
            None => pin_hash(DEFAULT_PIN),
            Some(h) => parse_hex32(h).ok_or_else(|| {
                ConfigError(format!(
                    "{}: pin_blake3 must be 64 hex digits (bitig-kiosk --hash-pin PIN prints it)",
                    at("pin_blake3")
                ))
            })?,
        };
        let trusted_keys = file
            .trusted_keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                parse_hex32(k.trim()).ok_or_else(|| {
                    ConfigError(format!(
                        "{}: trusted_keys[{i}] must be 64 hex digits (the public key line `bitig keygen` writes)",
                        at("trusted_keys")
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(id) = &file.kiosk_id {
            let ok = !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(ConfigError(format!(
                    "{}: kiosk_id = {id:?} must be 1 to 64 letters, digits, - or _ (it names files on USB sticks)",
                    at("kiosk_id")
                )));
            }
        }
        let keys = match path {
            Some(p) if file.keys.is_some() => keys_from(p, text)?,
            _ => KeyMap::default(),
        };
        let d = Config::defaults();
        if let Some(dev) = &file.audio_device {
            let ok =
                !dev.is_empty() && dev.len() <= 128 && dev.chars().all(|c| c.is_ascii_graphic());
            if !ok {
                return Err(ConfigError(format!(
                    "{}: audio_device = {dev:?} is not an ALSA device name; write \"auto\" or a name such as \"plughw:CARD=Device\" (`aplay -L` lists them)",
                    at("audio_device")
                )));
            }
        }
        Ok(Config {
            audio_device: file.audio_device.unwrap_or(d.audio_device),
            loudspeaker: file.loudspeaker.unwrap_or(d.loudspeaker),
            keys,
            kiosk_id: file.kiosk_id.unwrap_or(d.kiosk_id),
            content_dir: file.content_dir.or(d.content_dir),
            usb_dir: file.usb_dir.or(d.usb_dir),
            trusted_keys,
            startup_issue: None,
            set_in_file: Vec::new(),
            bundle: file.bundle,
            profile: file.profile.unwrap_or(d.profile),
            idle_timeout_ms: file
                .idle_timeout_s
                .map_or(d.idle_timeout_ms, |s| s.max(5) * 1000),
            pin_hash,
            pin_salt: file.pin_salt.unwrap_or_default(),
            rotation,
        })
    }

    pub fn pin_ok(&self, pin: &str) -> bool {
        bitig_format::pin::pin_hash(self.pin_salt.as_bytes(), pin) == self.pin_hash
    }
}

/// `file:line:col` of byte `at` in `text`.
fn pos(path: &Path, text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        + 1;
    format!("{}:{line}:{col}", path.display())
}

/// The `[keys]` table of a config file, with the position of each name.
#[derive(Deserialize)]
struct KeysTable {
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
}

/// The key map a config's `[keys]` table makes: each logical key listed there answers to the
/// Linux keys listed for it, the rest keep their defaults. An unknown logical key, an unknown
/// key name, or a key given to two logical keys is an error at its file:line:col.
pub fn keys_from(path: &Path, text: &str) -> Result<KeyMap, ConfigError> {
    let table: KeysTable = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        ConfigError(format!(
            "{}: [keys] must map key names to lists of Linux key names: {}",
            pos(path, text, at),
            e.message().trim()
        ))
    })?;
    let logical: Vec<&str> = keys::LOGICAL.iter().map(|l| l.0).collect();
    let mut map = KeyMap::default();
    let mut given: Vec<(u16, keys::Key)> = Vec::new();
    // In the file's order, so an error names the first fault.
    let mut entries: Vec<_> = table.keys.iter().collect();
    entries.sort_by_key(|e| e.0.span().start);
    for (name, codes) in entries {
        let Some(key) = keys::LOGICAL
            .iter()
            .find(|l| l.0 == name.get_ref())
            .map(|l| l.1)
        else {
            return Err(ConfigError(format!(
                "{}: [keys] has no key `{}`; the keypad's keys are {}",
                pos(path, text, name.span().start),
                name.get_ref(),
                logical.join(", ")
            )));
        };
        let mut list = Vec::new();
        for c in codes.get_ref() {
            let at = pos(path, text, c.span().start);
            let code = keys::code_of(c.get_ref()).ok_or_else(|| {
                ConfigError(format!(
                    "{at}: `{}` is not a key name the kiosk knows; write a name from linux/input-event-codes.h such as KEY_ENTER, KEY_SPACE or KEY_F1 (docs/operations.md lists them)",
                    c.get_ref()
                ))
            })?;
            if let Some((_, other)) = given.iter().find(|g| g.0 == code) {
                return Err(ConfigError(format!(
                    "{at}: {} is already the {} key; give each key to one logical key",
                    c.get_ref(),
                    other.name()
                )));
            }
            given.push((code, key));
            list.push(code);
        }
        map.set(key, &list);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_transform_inverts_the_frame_rotation() {
        let (w, h) = (5usize, 3usize);
        // A frame whose every pixel encodes its own UI coordinates.
        let rgb: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).flat_map(move |x| [x as u8, y as u8, 7]))
            .collect();
        for r in [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270] {
            let mut out = Vec::new();
            r.rotate_frame(&rgb, w, h, &mut out);
            let (pw, ph) = r.panel_size(w as u32, h as u32);
            for py in 0..ph as usize {
                for px in 0..pw as usize {
                    let d = (py * pw as usize + px) * 3;
                    let (ux, uy) = r.touch_to_ui(px as f32, py as f32, w as f32, h as f32);
                    assert_eq!(
                        (out[d], out[d + 1]),
                        (ux as u8, uy as u8),
                        "{r:?} panel ({px},{py})"
                    );
                }
            }
        }
    }

    #[test]
    fn profile_sizes() {
        assert_eq!(profile_size("pi-touch-800x480"), Some((800, 480)));
        assert_eq!(profile_size("pi-touch2-720x1280"), Some((720, 1280)));
        assert_eq!(profile_size("custom"), None);
        assert_eq!(profile_size("x-0x5"), None);
    }

    #[test]
    fn pin_hash_and_config_errors() {
        let c = Config::load(None).unwrap();
        assert!(c.pin_ok("1234") && !c.pin_ok("1235"));
        assert_eq!(c.idle_timeout_ms, 90_000);
        let dir = std::env::temp_dir().join(format!("bitig-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.toml");
        std::fs::write(&p, "rotation = 45\n").unwrap();
        let e = Config::load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("rotation = 45"), "{e}");
        assert!(e.contains("bad.toml:1:12"), "{e}");
        // A salted PIN (as `bitig image` writes it).
        let h = bitig_format::hex::to_hex(&bitig_format::pin::pin_hash(b"5a17", "482913"));
        std::fs::write(&p, format!("pin_salt = \"5a17\"\npin_blake3 = \"{h}\"\n")).unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert!(c.pin_ok("482913") && !c.pin_ok("1234") && !c.pin_ok("482914"));
        // An unknown key is a warning with its position, not an error.
        std::fs::write(&p, "rotation = 0\nidle_timeout = 3\n").unwrap();
        let (c, warnings) = Config::load_checked(Some(&p)).unwrap();
        // What the file set, known keys only (a headless run keeps the device's folders only
        // when the file names them).
        assert_eq!(c.set_in_file, ["rotation"]);
        std::fs::write(&p, "# content_dir = \"/x\"\nusb_dir = \"/media/u\"\n").unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(c.set_in_file, ["usb_dir"], "a commented-out key is not set");
        assert!(
            warnings.len() == 1 && warnings[0].contains("bad.toml:2:16"),
            "{warnings:?}"
        );
        // Broken TOML: the position of the fault.
        std::fs::write(&p, "rotation = 0\nprofile = pi-touch\n").unwrap();
        let e = Config::load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("bad.toml:2:"), "{e}");
        // A value of the wrong type: the key's position.
        std::fs::write(&p, "profile = \"x\"\nidle_timeout_s = \"ninety\"\n").unwrap();
        let e = Config::load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("bad.toml:2:18"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
