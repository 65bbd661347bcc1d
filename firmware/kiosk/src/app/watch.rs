//! The editor's live preview (`bitig-kiosk --watch`, `scripts/simulator --watch`): when
//! `bitig watch` writes a new bundle, the kiosk shows it in place, on the same statement, in
//! the same language and size, on the page that holds the text that was at the top of the
//! page. When the sources do not build, `bitig watch` leaves the bundle and writes a banner
//! beside it (`FILE.error.png`), which is shown at the foot of the panel until they build.
//!
//! A thread waits on the bundle's folder (inotify, no polling) and wakes the event loop; the
//! bundle is read and checked on the UI thread, as at start. Each bundle shown stays in
//! memory (its bytes are leaked, as at start: the decoded view borrows them), a few hundred
//! kilobytes per save; this is a desktop tool, never the device's.

use crate::content::{check_panel, load_bundle_checked, LoadError, Loaded};
use crate::nav::Nav;
use bitig_format::Bundle;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// What a wake-up of the watch thread runs on the UI thread (the app's check).
type Pump = Box<dyn FnMut()>;
thread_local! {
    static PUMP: RefCell<Option<Pump>> = const { RefCell::new(None) };
}

/// `bundle`'s banner: `FILE.bundle` -> `FILE.bundle.error.png`.
pub fn banner_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".error.png");
    PathBuf::from(name)
}

/// Runs `pump` on the UI thread each time the bundle or its banner changes, from now on:
/// a thread waits on the bundle's folder (made if missing: `bitig watch` may not have
/// written its first bundle yet).
pub fn spawn(bundle: &Path, pump: Pump) -> std::io::Result<()> {
    use rustix::fs::inotify::{self, WatchFlags};
    let dir = match bundle.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let fd = inotify::init(inotify::CreateFlags::CLOEXEC)?;
    let what = WatchFlags::CLOSE_WRITE
        | WatchFlags::MOVED_TO
        | WatchFlags::DELETE
        | WatchFlags::MOVED_FROM;
    inotify::add_watch(&fd, &dir, what)?;
    PUMP.with(|p| *p.borrow_mut() = Some(pump));
    let name = bundle.file_name().map(|n| n.as_encoded_bytes().to_vec());
    std::thread::Builder::new()
        .name("bitig-watch".into())
        .spawn(move || {
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
            let mut events = inotify::Reader::new(&fd, &mut buf);
            loop {
                let ours = match events.next() {
                    Ok(ev) => ev.file_name().is_some_and(|f| {
                        let f = f.to_bytes();
                        Some(f) == name.as_deref() || is_banner(f, &name)
                    }),
                    Err(rustix::io::Errno::INTR) => false,
                    Err(_) => return,
                };
                if ours {
                    let woke = slint::invoke_from_event_loop(|| {
                        PUMP.with(|p| {
                            if let Some(pump) = p.borrow_mut().as_mut() {
                                pump();
                            }
                        })
                    });
                    if woke.is_err() {
                        return; // the event loop is gone
                    }
                }
            }
        })?;
    Ok(())
}

fn is_banner(file: &[u8], bundle: &Option<Vec<u8>>) -> bool {
    bundle
        .as_ref()
        .is_some_and(|b| file.strip_prefix(b.as_slice()) == Some(b".error.png"))
}

/// The bundle on watch: where it is, the keys it must be signed with, and the file as last
/// read.
pub struct Watched {
    pub bundle: PathBuf,
    trusted: Vec<[u8; 32]>,
    /// The bundle file's length and modification time when last read.
    seen: Option<(u64, std::time::SystemTime)>,
}

impl Watched {
    /// `bundle` as it is now (on show already).
    pub fn new(bundle: &Path, trusted: Vec<[u8; 32]>) -> Watched {
        Watched {
            bundle: bundle.to_path_buf(),
            trusted,
            seen: stamp(bundle),
        }
    }

    /// The bundle, loaded and checked for `profile` as at start, if the file changed since
    /// it was last read.
    pub fn changed(&mut self, profile: &str) -> Option<Result<Loaded, LoadError>> {
        let now = stamp(&self.bundle);
        if now.is_none() || now == self.seen {
            return None;
        }
        self.seen = now;
        Some(
            load_bundle_checked(&self.bundle, &self.trusted)
                .and_then(|l| check_panel(&l.bundle, profile).map(|()| l)),
        )
    }

    /// The banner beside the bundle, if there is one.
    pub fn banner(&self) -> Option<Vec<u8>> {
        std::fs::read(banner_path(&self.bundle)).ok()
    }
}

fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// The picture of a PNG (RGB or RGBA; alpha dropped), or `None` if it does not decode.
pub fn decode_png(bytes: &[u8]) -> Option<slint::Image> {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = dec.read_info().ok()?;
    let mut buf = vec![0; r.output_buffer_size()?];
    let info = r.next_frame(&mut buf).ok()?;
    let px = &buf[..info.buffer_size()];
    let rgb: Vec<u8> = match info.color_type {
        png::ColorType::Rgb => px.to_vec(),
        png::ColorType::Rgba => px
            .chunks_exact(4)
            .flat_map(|c| [c[0], c[1], c[2]])
            .collect(),
        _ => return None,
    };
    let buffer = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(
        &rgb,
        info.width,
        info.height,
    );
    Some(slint::Image::from_rgb8(buffer))
}

/// Where the reader stands in `new`: the statement with the same id, and the page of the
/// same edition and size that holds the text at the top of the page on show (the same block,
/// or the nearest block with the same text if blocks came or went, at the same offset).
/// `None` if the statement or the edition is not in `new`.
pub fn same_place(old: &Bundle<'_>, new: &Bundle<'_>, nav: &Nav) -> Option<(usize, u16)> {
    let id = old.documents.get(nav.doc)?.id;
    let doc = new.documents.iter().position(|d| d.id == id)?;
    let ed = new.documents[doc].edition(nav.edition)?;
    let layout = ed.layout(nav.size)?;
    let top = old.documents[nav.doc].edition(nav.edition).and_then(|e| {
        let line = e
            .layout(nav.size)?
            .pages
            .get(usize::from(nav.page))?
            .lines
            .first()?;
        let text = e.blocks.get(usize::from(line.block))?.text;
        Some((usize::from(line.block), line.start, text))
    });
    let Some((block, start, text)) = top else {
        return Some((doc, 0));
    };
    let last = ed.blocks.len().checked_sub(1)?;
    // Blocks with the same text, nearest first; else the same index (the block edited).
    let same = (0..=last)
        .filter(|&b| ed.blocks[b].text == text)
        .min_by_key(|&b| b.abs_diff(block));
    let block = same.unwrap_or(block.min(last));
    let start = start.min(ed.blocks[block].text.len() as u32);
    let on = |l: &bitig_format::Line| usize::from(l.block) == block && l.start <= start;
    let page = layout
        .pages
        .iter()
        .rposition(|p| p.lines.iter().any(on))
        .map(|p| p as u16)
        .or_else(|| layout.block_pages.get(block).copied())
        .unwrap_or(0);
    Some((doc, page))
}
