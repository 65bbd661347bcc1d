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

use super::{set_theme, Kiosk, State};
use crate::content::{check_panel, load_bundle_checked, Loaded};
use crate::nav::{Nav, Screen};
use crate::screens::Screens;
use crate::{AppWindow, Ui};
use bitig_format::Bundle;
use slint::ComponentHandle;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// The bundle on watch, seen from the UI thread.
struct Watched {
    kiosk: (slint::Weak<AppWindow>, std::rc::Weak<RefCell<State>>),
    bundle: PathBuf,
    trusted: Vec<[u8; 32]>,
    /// The bundle file's length and modification time when last read.
    seen: Option<(u64, std::time::SystemTime)>,
}

thread_local! {
    static WATCHED: RefCell<Option<Watched>> = const { RefCell::new(None) };
}

/// `bundle`'s banner: `FILE.bundle` -> `FILE.bundle.error.png`.
pub fn banner_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".error.png");
    PathBuf::from(name)
}

impl Kiosk {
    /// Shows each new version of `bundle` in place and its error banner, from now on (see
    /// the module's doc). Shows the banner if one is there already.
    pub fn watch(&self, bundle: &Path, trusted: Vec<[u8; 32]>) -> std::io::Result<()> {
        use rustix::fs::inotify::{self, WatchFlags};
        let dir = match bundle.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // `bitig watch` may not have written its first bundle yet.
        std::fs::create_dir_all(&dir)?;
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC)?;
        let what = WatchFlags::CLOSE_WRITE
            | WatchFlags::MOVED_TO
            | WatchFlags::DELETE
            | WatchFlags::MOVED_FROM;
        inotify::add_watch(&fd, &dir, what)?;
        let seen = stamp(bundle);
        WATCHED.with(|w| {
            *w.borrow_mut() = Some(Watched {
                kiosk: (self.window.as_weak(), std::rc::Rc::downgrade(&self.state)),
                bundle: bundle.to_path_buf(),
                trusted,
                seen,
            })
        });
        self.show_banner(std::fs::read(banner_path(bundle)).ok().as_deref());
        let name = bundle.file_name().map(|n| n.as_encoded_bytes().to_vec());
        std::thread::Builder::new()
            .name("bitig-watch".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = rustix::io::read(&fd, &mut buf) {
                    if names(&buf[..n]).any(|f| Some(f) == name.as_deref() || is_banner(f, &name)) {
                        let woke = slint::invoke_from_event_loop(|| WATCHED.with(check));
                        if woke.is_err() {
                            return; // the event loop is gone
                        }
                    }
                }
            })?;
        Ok(())
    }

    /// Shows `loaded` in place of the bundle on show (see the module's doc).
    pub fn reload(&self, loaded: Loaded) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            crate::hot::ours(|| s.reload(&self.window, loaded));
        }
    }

    /// Shows the banner `png` at the foot of the panel, or none; a picture that does not
    /// decode shows none.
    pub fn show_banner(&self, png: Option<&[u8]>) {
        let image = png.and_then(decode_png).unwrap_or_default();
        self.window.global::<Ui>().set_watch_banner(image);
    }
}

/// The names in a buffer of inotify events.
fn names(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at + 16 > buf.len() {
            return None;
        }
        let len = u32::from_ne_bytes([buf[at + 12], buf[at + 13], buf[at + 14], buf[at + 15]]);
        let end = (at + 16 + len as usize).min(buf.len());
        let name = &buf[at + 16..end];
        at = end;
        Some(&name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())])
    })
}

fn is_banner(file: &[u8], bundle: &Option<Vec<u8>>) -> bool {
    bundle
        .as_ref()
        .is_some_and(|b| file.strip_prefix(b.as_slice()) == Some(b".error.png"))
}

fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// On the UI thread, after the folder changed: the banner as it is now, and the bundle if
/// it is new. A bundle that does not load is reported and the one on show stays.
fn check(w: &RefCell<Option<Watched>>) {
    let mut w = w.borrow_mut();
    let Some(w) = w.as_mut() else {
        return;
    };
    let (Some(window), Some(state)) = (w.kiosk.0.upgrade(), w.kiosk.1.upgrade()) else {
        return;
    };
    let kiosk = Kiosk { window, state };
    kiosk.show_banner(std::fs::read(banner_path(&w.bundle)).ok().as_deref());
    let now = stamp(&w.bundle);
    if now.is_none() || now == w.seen {
        return;
    }
    w.seen = now;
    let profile = kiosk.state.borrow().ctx.config.profile.clone();
    let loaded = load_bundle_checked(&w.bundle, &w.trusted)
        .and_then(|l| check_panel(&l.bundle, &profile).map(|()| l));
    match loaded {
        Ok(l) => {
            kiosk.reload(l);
            eprintln!("bitig-kiosk: {} shown again", w.bundle.display());
        }
        Err(e) => eprintln!(
            "bitig-kiosk: {} not shown [{}]: {}; the last bundle stays",
            w.bundle.display(),
            e.code,
            e.message
        ),
    }
}

fn decode_png(bytes: &[u8]) -> Option<slint::Image> {
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

impl State {
    fn reload(&mut self, w: &AppWindow, loaded: Loaded) {
        let c = &mut self.ctx;
        let now = c.now();
        let place = same_place(&c.bundle, &loaded.bundle, &c.nav);
        c.voice.replace_speech(now, c.volume, loaded.speech);
        c.bundle = loaded.bundle;
        c.hash = loaded.hash;
        if c.error.take().is_some() {
            // Out of the maintenance screen, as if started on this bundle.
            c.fallback = None;
            c.nav = Nav::new(c.config.idle_timeout_ms, false);
        }
        let n = &mut c.nav;
        match place {
            Some((doc, page)) => (n.doc, n.page) = (doc, page),
            None if matches!(
                n.screen,
                Screen::Reader | Screen::Contents | Screen::PageGrid
            ) =>
            {
                // The statement or its edition is gone: the library lists what there is.
                (n.screen, n.doc, n.page) = (Screen::Library, 0, 0);
            }
            None => (n.doc, n.page) = (0, 0),
        }
        // The same page, in a bundle with other page numbers, is not a new page read.
        self.counted_page =
            (n.screen == Screen::Reader).then_some((n.doc, n.edition, n.size, n.page));
        set_theme(w, &c.bundle);
        self.screens = Screens::new(&self.ctx);
        self.refresh(w);
        self.reschedule();
    }
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
