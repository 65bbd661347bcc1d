//! Content on the kiosk's data partition: two slots, an atomic pointer, USB updates, rollback
//! and crash-loop fallback.
//!
//! ```text
//! <content_dir>/
//!   slot-a.bundle, slot-b.bundle   the two content slots (signed bundles)
//!   active                         "a" or "b": the slot in use
//!   starts                         the last start times, for crash-loop detection
//! ```
//!
//! An update verifies the new bundle completely in memory, writes it to the inactive slot as
//! `slot-X.bundle.tmp`, fsyncs, reads it back, renames it into place, fsyncs the directory,
//! and only then switches `active` the same way (`active.tmp`, fsync, rename, fsync). A cut
//! at any point leaves `active` naming a complete, verified slot. The previous slot stays as
//! the fallback: if the active slot fails to load on start, or the kiosk restarts three times
//! within a minute, [`select`] switches back to it by itself.
//!
//! Every write goes through [`Fs`], so tests cut the power after any number of operations.

use bitig_format::speech::Speech;
use bitig_format::{Bundle, FormatError};

pub mod updater;
use std::io;
use std::path::{Path, PathBuf};

/// What went wrong when the bundle was loaded.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub code: &'static str,
    pub message: String,
}

/// A checked bundle and its content hash (hex), for the operator menu; and its voice, if a
/// speech part that belongs to it lies beside it.
pub struct Loaded {
    pub bundle: Bundle<'static>,
    pub hash: String,
    pub speech: Option<Speech<'static>>,
    /// Why the speech part beside the bundle was refused (the kiosk reads on, silent).
    pub speech_error: Option<LoadError>,
}

/// Reads and checks the bundle. The bytes are leaked on purpose: the bundle lives as long as
/// the process (an update restarts the kiosk), and the decoded view borrows from them.
pub fn load_bundle(path: &std::path::Path) -> Result<Loaded, LoadError> {
    load_bundle_checked(path, &[])
}

/// Like [`load_bundle`], and when `trusted` is not empty the file must carry a valid signature
/// by one of those public keys (E-UNSIGNED, E-UNTRUSTED, E-SIGNATURE otherwise). Without
/// trusted keys (development) a signature trailer, if any, is ignored.
pub fn load_bundle_checked(
    path: &std::path::Path,
    trusted: &[[u8; 32]],
) -> Result<Loaded, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError {
        code: if e.kind() == std::io::ErrorKind::NotFound {
            "E-MISSING"
        } else {
            "E-READ"
        },
        message: format!("{}: {e}", path.display()),
    })?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let refused = |e: FormatError| LoadError {
        code: e.code(),
        message: format!("{}: {e}", path.display()),
    };
    let bytes = if trusted.is_empty() {
        bitig_format::signature::split(bytes).0
    } else {
        bitig_format::signature::verify(bytes, trusted).map_err(|e| LoadError {
            code: e.code(),
            message: format!("{}: {e}", path.display()),
        })?
    };
    let header = bitig_format::Header::from_bundle_bytes(bytes).map_err(refused)?;
    let bundle = Bundle::from_bundle_bytes(bytes).map_err(refused)?;
    let (speech, speech_error) = match load_speech(path, trusted, &bundle, &header.hash) {
        Ok(s) => (s, None),
        Err(e) => {
            eprintln!(
                "bitig-kiosk: speech part refused [{}]: {}",
                e.code, e.message
            );
            (None, Some(e))
        }
    };
    Ok(Loaded {
        bundle,
        hash: bitig_format::hex::to_hex(&header.hash),
        speech,
        speech_error,
    })
}

/// The speech part beside `bundle_path` (`slot-a.bundle` -> `slot-a.speech`), checked as the
/// bundle is (hash, signature when keys are trusted) and bound to it: a part made for other
/// text is refused. No file is no voice, not an error.
pub fn load_speech(
    bundle_path: &Path,
    trusted: &[[u8; 32]],
    bundle: &Bundle<'_>,
    bundle_hash: &[u8; 32],
) -> Result<Option<Speech<'static>>, LoadError> {
    let path = bundle_path.with_extension("speech");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LoadError {
                code: "E-READ",
                message: format!("{}: {e}", path.display()),
            })
        }
    };
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let at = |code: &'static str, e: &dyn std::fmt::Display| LoadError {
        code,
        message: format!("{}: {e}", path.display()),
    };
    let bytes = if trusted.is_empty() {
        bitig_format::signature::split(bytes).0
    } else {
        bitig_format::signature::verify(bytes, trusted).map_err(|e| at(e.code(), &e))?
    };
    let speech = Speech::from_speech_bytes(bytes).map_err(|e| at(e.code(), &e))?;
    speech
        .check_belongs(bundle_hash, bundle)
        .map_err(|e| at(e.code(), &e))?;
    Ok(Some(speech))
}

/// Refuses a bundle laid out for another panel before anything is sized from it: its panel
/// must be the one the configured profile's name ends in (`…-800x480`), and its pages must
/// fit that panel. A bundle may be signed and still claim a page of any size.
pub fn check_panel(bundle: &Bundle<'_>, profile: &str) -> Result<(), LoadError> {
    let p = &bundle.profile;
    let (bw, bh) = (u32::from(p.width), u32::from(p.height));
    let (w, h) = bitig_format::profile_size(profile).unwrap_or((bw.min(8192), bh.min(8192)));
    let pages_fit = u32::from(p.page_width) <= w && u32::from(p.page_height) <= h;
    if (bw, bh) != (w, h) || !pages_fit {
        return Err(LoadError {
            code: "E-PROFILE",
            message: format!(
                "the bundle is laid out for a {bw}x{bh} panel ({}) with {}x{} pages; this kiosk's profile {profile} is {w}x{h}; build the bundle for {profile}",
                p.name, p.page_width, p.page_height
            ),
        });
    }
    Ok(())
}

/// The two content slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    A,
    B,
}

impl Slot {
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Slot::A => "a",
            Slot::B => "b",
        }
    }
    pub fn path(self, dir: &Path) -> PathBuf {
        dir.join(format!("slot-{}.bundle", self.name()))
    }
}

use bitig_io::durable::write_with;
pub use bitig_io::durable::{Fs, RealFs};

/// The slot `active` names; a missing or unreadable pointer means slot A.
pub fn active_slot(dir: &Path) -> Slot {
    match std::fs::read_to_string(dir.join("active"))
        .as_deref()
        .map(str::trim)
    {
        Ok("b") => Slot::B,
        _ => Slot::A,
    }
}

pub fn set_active(fs: &mut dyn Fs, dir: &Path, slot: Slot) -> io::Result<()> {
    write_with(
        fs,
        &dir.join("active"),
        format!("{}\n", slot.name()).as_bytes(),
    )
}

/// What [`select`] chose, and what it had to do.
pub struct Selection {
    pub slot: Slot,
    pub loaded: Result<Loaded, LoadError>,
    /// Rollbacks and fallbacks, for the log and the operator menu.
    pub notes: Vec<String>,
    /// Why the kiosk is not on the slot `active` named (E-CRASHLOOP or the slot's error).
    pub recovered_from: Option<&'static str>,
}

/// Picks the content to show at start: the active slot if it loads (and there is no crash
/// loop), else the other slot, switching the pointer to it; else the active slot's error.
pub fn select(dir: &Path, trusted: &[[u8; 32]], crash_loop: bool, fs: &mut dyn Fs) -> Selection {
    let active = active_slot(dir);
    let mut notes = Vec::new();
    let first = if crash_loop { active.other() } else { active };
    let loaded = load_bundle_checked(&first.path(dir), trusted);
    if loaded.is_ok() && first == active {
        return Selection {
            slot: active,
            loaded,
            notes,
            recovered_from: None,
        };
    }
    if let Ok(l) = loaded {
        // Crash loop: the previous slot loads, so go back to it.
        let note = format!(
            "crash loop (3 starts within 60 s) on slot {}: fell back to slot {}",
            active.name(),
            first.name()
        );
        if let Err(e) = set_active(fs, dir, first) {
            notes.push(format!("could not switch the active slot: {e}"));
        }
        notes.push(note);
        return Selection {
            slot: first,
            loaded: Ok(l),
            notes,
            recovered_from: Some("E-CRASHLOOP"),
        };
    }
    if crash_loop {
        notes.push(format!(
            "crash loop on slot {}, but slot {} does not load either; staying",
            active.name(),
            first.name()
        ));
        return Selection {
            slot: active,
            loaded: load_bundle_checked(&active.path(dir), trusted),
            notes,
            recovered_from: None,
        };
    }
    let Err(err) = loaded else {
        unreachable!("handled above")
    };
    let other = active.other();
    match load_bundle_checked(&other.path(dir), trusted) {
        Ok(l) => {
            notes.push(format!(
                "slot {} refused [{}]: {}; rolled back to slot {}",
                active.name(),
                err.code,
                err.message,
                other.name()
            ));
            if let Err(e) = set_active(fs, dir, other) {
                notes.push(format!("could not switch the active slot: {e}"));
            }
            Selection {
                slot: other,
                loaded: Ok(l),
                notes,
                recovered_from: Some(err.code),
            }
        }
        Err(_) => Selection {
            slot: active,
            loaded: Err(err),
            notes,
            recovered_from: None,
        },
    }
}

/// Notes this start in `starts` and says whether the kiosk is in a crash loop: three starts
/// within 60 s of the same boot. Uses the boot id and the time since boot, never the wall
/// clock (there is no RTC). After a crash loop is reported the record starts afresh.
pub fn record_start(dir: &Path, boot_id: &str, uptime_s: f64, fs: &mut dyn Fs) -> bool {
    let path = dir.join("starts");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let mut starts: Vec<(String, f64)> = old
        .lines()
        .filter_map(|l| {
            let (b, t) = l.split_once(' ')?;
            Some((b.to_string(), t.parse().ok()?))
        })
        .filter(|(b, _)| b == boot_id)
        .collect();
    starts.push((boot_id.to_string(), uptime_s));
    let keep = starts.len().saturating_sub(3);
    starts.drain(..keep);
    let looping = starts.len() == 3 && uptime_s - starts[0].1 < 60.0;
    let text: String = if looping {
        String::new()
    } else {
        starts
            .iter()
            .map(|(b, t)| format!("{b} {t:.1}\n"))
            .collect()
    };
    let _ = write_with(fs, &path, text.as_bytes());
    looping
}

/// A restart the kiosk asked for itself (the operator's Restart, an installed update) is not
/// a crash: the start that led to it is dropped from `starts`, so the next start does not
/// count towards a crash loop. Called just before such a restart exits.
pub fn forget_start(dir: &Path, boot_id: &str, fs: &mut dyn Fs) {
    let path = dir.join("starts");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines: Vec<&str> = old.lines().collect();
    if let Some(i) = lines
        .iter()
        .rposition(|l| l.split_once(' ').is_some_and(|(b, _)| b == boot_id))
    {
        lines.remove(i);
    }
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let _ = write_with(fs, &path, text.as_bytes());
}

/// Wrong PINs in a row, kept in `pin-failures` beside the content slots so that a restart
/// does not reset the operator pad's lockout. Missing or unreadable: 0.
pub fn load_pin_failures(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("pin-failures"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

/// Keeps the count of wrong PINs (temp file, fsync, rename, fsync of the folder).
pub fn save_pin_failures(dir: &Path, failures: u32, fs: &mut dyn Fs) -> io::Result<()> {
    write_with(
        fs,
        &dir.join("pin-failures"),
        format!("{failures}\n").as_bytes(),
    )
}

/// This boot's id and seconds since boot, from /proc (both independent of the wall clock).
pub fn boot_clock() -> (String, f64) {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let up = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    (id, up)
}

/// Why an update from a USB stick was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateError {
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for UpdateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

/// The file a USB stick carries, relative to its root.
pub const USB_BUNDLE: &str = "bitig/update.bundle";
/// Bundles are well under 10 MB; anything past this is not one.
pub const MAX_BUNDLE: u64 = 64 << 20;
const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Create,
    Write,
    Sync,
    Verify,
    Rename,
    SyncDir,
    Switch,
    Done,
}

/// A bundle file on a USB stick, opened without trusting it and read a chunk at a time (the
/// update worker reports progress between chunks).
///
/// [`StickFile::open`] opens with `O_NOFOLLOW` (a symlink, say to `/dev/zero`, is refused)
/// and `O_NONBLOCK` (a FIFO cannot hang the open), `fstat`s the same descriptor (only a
/// regular file is read, and one larger than `cap` is refused before a byte is read), and
/// reads through that descriptor at most `cap + 1` bytes, so memory stays bounded even if the
/// file grows. A file that changes size while it is read, or a stick pulled mid-read, is
/// refused too. Every refusal has its code: E-SYMLINK, E-NOTFILE, E-TOOBIG, E-CHANGED,
/// E-READ.
pub struct StickFile {
    reader: Box<dyn io::Read + Send>,
    size: u64,
    cap: u64,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StickFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StickFile({} of {} bytes)", self.bytes.len(), self.size)
    }
}

impl StickFile {
    pub fn open(file: &Path, cap: u64) -> Result<StickFile, UpdateError> {
        use rustix::fs::{fstat, open, FileType, Mode, OFlags};
        let shown = USB_BUNDLE;
        let refuse = |code, message: String| UpdateError { code, message };
        let fd = open(
            file,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            if e == rustix::io::Errno::LOOP {
                refuse(
                    "E-SYMLINK",
                    format!(
                        "{shown} is a symbolic link; copy the bundle file itself onto the stick"
                    ),
                )
            } else {
                refuse("E-READ", format!("{shown}: {}", io::Error::from(e)))
            }
        })?;
        let st =
            fstat(&fd).map_err(|e| refuse("E-READ", format!("{shown}: {}", io::Error::from(e))))?;
        let kind = match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => None,
            FileType::Directory => Some("a folder"),
            FileType::Fifo => Some("a named pipe (FIFO)"),
            FileType::Socket => Some("a socket"),
            FileType::CharacterDevice | FileType::BlockDevice => Some("a device"),
            _ => Some("not a plain file"),
        };
        if let Some(kind) = kind {
            return Err(refuse(
                "E-NOTFILE",
                format!("{shown} is {kind}, not a bundle file"),
            ));
        }
        let size = u64::try_from(st.st_size).unwrap_or(u64::MAX);
        if size > cap {
            return Err(refuse(
                "E-TOOBIG",
                format!("{shown}: {size} bytes is too large for a bundle (at most {cap})"),
            ));
        }
        Ok(StickFile::from_reader(
            Box::new(std::fs::File::from(fd)),
            size,
            cap,
        ))
    }

    /// A file whose `fstat` said `size` bytes (at most `cap`), read through `reader`.
    pub fn from_reader(reader: Box<dyn io::Read + Send>, size: u64, cap: u64) -> StickFile {
        let size = size.min(cap);
        StickFile {
            reader,
            size,
            cap,
            bytes: Vec::with_capacity(usize::try_from(size).unwrap_or(0)),
        }
    }

    /// The size `fstat` gave.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes read so far.
    pub fn read_so_far(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Reads the next chunk (64 KiB). `Ok(true)` once the whole file is in and it is exactly
    /// the size `fstat` gave.
    pub fn read_chunk(&mut self) -> Result<bool, UpdateError> {
        use std::io::Read;
        let shown = USB_BUNDLE;
        let refuse = |code, message: String| UpdateError { code, message };
        let room = (self.cap + 1).saturating_sub(self.bytes.len() as u64);
        let want = room.min(CHUNK as u64);
        let got = (&mut self.reader)
            .take(want)
            .read_to_end(&mut self.bytes)
            .map_err(|e| {
                refuse(
                    "E-READ",
                    format!("{shown}: {e} (was the stick pulled out?)"),
                )
            })? as u64;
        let len = self.bytes.len() as u64;
        if len > self.cap {
            return Err(refuse(
                "E-TOOBIG",
                format!("{shown} grew past {} bytes while it was read", self.cap),
            ));
        }
        if got == want {
            return Ok(false); // more may follow
        }
        if len != self.size {
            return Err(refuse(
                "E-CHANGED",
                format!(
                    "{shown} changed while it was read ({} bytes at the start, {len} read); copy it again",
                    self.size
                ),
            ));
        }
        Ok(true)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn read_all(mut self) -> Result<Vec<u8>, UpdateError> {
        while !self.read_chunk()? {}
        Ok(self.into_bytes())
    }
}

/// Reads the bundle file on a USB stick without trusting it, all at once (see [`StickFile`]).
pub fn read_stick_file(file: &Path, cap: u64) -> Result<Vec<u8>, UpdateError> {
    StickFile::open(file, cap)?.read_all()
}

/// Reads a file whose `fstat` said `size` bytes (at most `cap`) through `reader`, never more
/// than `cap + 1` bytes, and refuses it if it is not exactly `size` bytes long after all
/// (E-CHANGED, or E-TOOBIG past the cap) or if a read fails (E-READ: the stick was pulled).
pub fn read_declared(
    reader: impl io::Read + Send + 'static,
    size: u64,
    cap: u64,
) -> Result<Vec<u8>, UpdateError> {
    StickFile::from_reader(Box::new(reader), size, cap).read_all()
}

fn no_keys(trusted: &[[u8; 32]]) -> Result<(), UpdateError> {
    if trusted.is_empty() {
        return Err(UpdateError {
            code: "E-NOKEYS",
            message: "this kiosk trusts no signing keys (trusted_keys in its config), so it takes no updates".into(),
        });
    }
    Ok(())
}

/// An update in progress, one step at a time (so the UI can show progress between steps).
/// It writes the bundle to the inactive slot, then its speech part beside it if the stick had
/// one, each verified by reading it back, and only then switches `active`: text and voice
/// arrive together or not at all.
#[derive(Debug)]
pub struct Update {
    dir: PathBuf,
    /// What to write: the bundle, then the speech part.
    files: Vec<(PathBuf, Vec<u8>)>,
    file: usize,
    pub target: Slot,
    written: usize,
    stage: Stage,
}

/// The speech part beside the update on a stick.
pub const USB_SPEECH: &str = "bitig/update.speech";
/// The largest speech part taken from a stick (an hour of speech is 5.5 MB).
pub const MAX_SPEECH: u64 = 256 << 20;

impl Update {
    /// Reads `file` from a stick and checks it (see [`Update::verify`]).
    pub fn prepare(
        file: &Path,
        dir: &Path,
        trusted: &[[u8; 32]],
        profile: &str,
        active_hash: &str,
    ) -> Result<Update, UpdateError> {
        no_keys(trusted)?;
        let bytes = read_stick_file(file, MAX_BUNDLE)?;
        let speech = read_stick_speech(file)?;
        Update::verify(bytes, speech, dir, trusted, profile, active_hash)
    }

    /// Checks a bundle read from a stick completely before anything is written: signature by
    /// a trusted key, format version, hash, decode and validation, the display profile, and
    /// that it is not the content already shown.
    pub fn verify(
        bytes: Vec<u8>,
        speech: Option<Vec<u8>>,
        dir: &Path,
        trusted: &[[u8; 32]],
        profile: &str,
        active_hash: &str,
    ) -> Result<Update, UpdateError> {
        let refuse = |code, message: String| UpdateError { code, message };
        // Messages name the file as it is on the stick (they show in the operator menu).
        let shown = USB_BUNDLE;
        no_keys(trusted)?;
        let bundle = bitig_format::signature::verify(&bytes, trusted)
            .map_err(|e| refuse(e.code(), format!("{}: {e}", shown)))?;
        let header = bitig_format::Header::from_bundle_bytes(bundle)
            .map_err(|e| refuse(e.code(), format!("{}: {e}", shown)))?;
        let b = bitig_format::Bundle::from_bundle_bytes(bundle)
            .map_err(|e| refuse(e.code(), format!("{}: {e}", shown)))?;
        check_panel(&b, profile).map_err(|e| refuse(e.code, format!("{shown}: {}", e.message)))?;
        if b.profile.name != profile {
            return Err(refuse(
                "E-PROFILE",
                format!(
                    "{}: laid out for {}, this kiosk is {profile}",
                    shown, b.profile.name
                ),
            ));
        }
        let hash = bitig_format::hex::to_hex(&header.hash);
        if hash == active_hash {
            return Err(refuse("E-SAME", "this content is already installed".into()));
        }
        if let Some(part) = &speech {
            let shown = USB_SPEECH;
            let part = bitig_format::signature::verify(part, trusted)
                .map_err(|e| refuse(e.code(), format!("{shown}: {e}")))?;
            let sp = bitig_format::speech::Speech::from_speech_bytes(part)
                .map_err(|e| refuse(e.code(), format!("{shown}: {e}")))?;
            sp.check_belongs(&header.hash, &b)
                .map_err(|e| refuse(e.code(), format!("{shown}: {e}")))?;
        }
        let target = active_slot(dir).other();
        let slot = target.path(dir);
        let mut files = vec![(slot.clone(), bytes)];
        if let Some(part) = speech {
            files.push((slot.with_extension("speech"), part));
        }
        Ok(Update {
            dir: dir.to_path_buf(),
            files,
            file: 0,
            target,
            written: 0,
            stage: Stage::Create,
        })
    }

    fn tmp(&self) -> PathBuf {
        let (path, _) = &self.files[self.file.min(self.files.len() - 1)];
        let mut name = path.as_os_str().to_owned();
        name.push(".tmp");
        PathBuf::from(name)
    }

    /// Fraction done, 0..=1.
    pub fn progress(&self) -> f32 {
        let total: usize = self.files.iter().map(|f| f.1.len()).sum();
        let before: usize = self.files[..self.file.min(self.files.len())]
            .iter()
            .map(|f| f.1.len())
            .sum();
        match self.stage {
            Stage::Create if self.file == 0 => 0.0,
            Stage::Create | Stage::Write => {
                (before + self.written) as f32 / total.max(1) as f32 * 0.95
            }
            Stage::Done => 1.0,
            _ => 0.97,
        }
    }

    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// One step: at most one write, fsync or rename.
    pub fn step(&mut self, fs: &mut dyn Fs) -> Result<(), UpdateError> {
        let io = |e: io::Error| UpdateError {
            code: "E-WRITE",
            message: format!("writing the update failed: {e}"),
        };
        let tmp = self.tmp();
        let Some((path, bytes)) = self.files.get(self.file) else {
            return Ok(());
        };
        match self.stage {
            Stage::Create => {
                fs.create(&tmp).map_err(io)?;
                self.stage = Stage::Write;
            }
            Stage::Write => {
                let end = (self.written + CHUNK).min(bytes.len());
                fs.append(&tmp, &bytes[self.written..end]).map_err(io)?;
                self.written = end;
                if end == bytes.len() {
                    self.stage = Stage::Sync;
                }
            }
            Stage::Sync => {
                fs.sync(&tmp).map_err(io)?;
                self.stage = Stage::Verify;
            }
            Stage::Verify => {
                let back = read_from_card(&tmp).map_err(io)?;
                if back != *bytes {
                    return Err(UpdateError {
                        code: "E-VERIFY",
                        message: format!(
                            "{} reads back different from what was written; the card may be failing",
                            tmp.display()
                        ),
                    });
                }
                self.stage = Stage::Rename;
            }
            Stage::Rename => {
                fs.rename(&tmp, path).map_err(io)?;
                self.stage = Stage::SyncDir;
            }
            Stage::SyncDir => {
                fs.sync_dir(&self.dir).map_err(io)?;
                // The next file, or the switch once all are in place.
                if self.file + 1 < self.files.len() {
                    self.file += 1;
                    self.written = 0;
                    self.stage = Stage::Create;
                } else {
                    self.stage = Stage::Switch;
                }
            }
            Stage::Switch => {
                set_active(fs, &self.dir, self.target).map_err(io)?;
                self.stage = Stage::Done;
            }
            Stage::Done => {}
        }
        Ok(())
    }
}

/// The speech part beside `bundle` on a stick (`update.speech`), if there is one, read as
/// carefully as the bundle.
pub fn read_stick_speech(bundle: &Path) -> Result<Option<Vec<u8>>, UpdateError> {
    let path = bundle.with_extension("speech");
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        _ => read_stick_file(&path, MAX_SPEECH).map(Some),
    }
}

/// Reads a file back from the card rather than from the page cache: the cached pages of the
/// (already fsynced) file are dropped first (`posix_fadvise(DONTNEED)`), as `bitig flash`
/// does for its read-back, so a card that lost the data is noticed.
fn read_from_card(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed).map_err(io::Error::from)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// Which `USB_BUNDLE` under a mount point (the image's udev rule mounts sticks there
/// read-only) is new. [`updater`] asks it each time the mount directory changes.
#[derive(Debug)]
pub struct UsbWatch {
    file: PathBuf,
    seen: Option<(u64, std::time::SystemTime)>,
}

impl UsbWatch {
    pub fn new(mount: &Path) -> UsbWatch {
        UsbWatch::at(mount.join(USB_BUNDLE))
    }

    /// Watches one file (the statistics export's request).
    pub fn at(file: PathBuf) -> UsbWatch {
        UsbWatch { file, seen: None }
    }

    /// The update file, when one appears that was not tried before.
    pub fn poll(&mut self) -> Option<PathBuf> {
        let m = match std::fs::metadata(&self.file) {
            Ok(m) => m,
            Err(_) => {
                self.seen = None; // stick removed: the same file may be tried again
                return None;
            }
        };
        let id = (m.len(), m.modified().unwrap_or(std::time::UNIX_EPOCH));
        if self.seen == Some(id) {
            return None;
        }
        self.seen = Some(id);
        Some(self.file.clone())
    }
}
