//! `bitig watch`: the editor's live preview. Builds one profile's bundle, then rebuilds it on
//! every save under the statement folders and the assets (inotify, no polling), typesetting
//! only the editions whose source changed (`bitig_typeset::EditionCache`). The simulator
//! started with `--watch` (`scripts/simulator --watch`) shows each new bundle in place.
//!
//! A source that does not build leaves the last good bundle where it is. Its diagnostics go
//! to the terminal, and beside the bundle as `FILE.error` (the text) and `FILE.error.png` (a
//! banner as wide as the panel, drawn here with the bundle's own fonts: the kiosk opens no
//! font). Both go again once the sources build.

use crate::SourceArgs;
use anyhow::{Context, Result};
use bitig_format::Lang;
use bitig_typeset::shape::{Fonts, ShapeContext};
use bitig_typeset::{Diagnostic, EditionCache, Error as TsError, ProfileSpec};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    src: SourceArgs,
    /// The display profile (a name in ASSETS/profiles, or a file).
    #[arg(long, default_value = "pi-touch-800x480")]
    profile: String,
    /// The bundle to keep up to date. Default: target/bitig/watch/PROFILE.bundle.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// How long the sources must stay quiet after a change before the rebuild (an editor's save
/// is often a write, a rename and a chmod).
const SETTLE: Duration = Duration::from_millis(40);

pub fn run(a: WatchArgs) -> Result<()> {
    let inputs = a.src.inputs();
    let as_path = Path::new(&a.profile);
    let profile = if as_path.is_file() {
        as_path.to_path_buf()
    } else {
        inputs
            .assets
            .join("profiles")
            .join(format!("{}.toml", a.profile))
    };
    let (spec, _) = ProfileSpec::load(&profile).map_err(crate::report)?;
    let out = a.out.unwrap_or_else(|| {
        PathBuf::from("target/bitig/watch").join(format!("{}.bundle", spec.name))
    });
    let fonts = Fonts::load(&inputs.assets.join("fonts")).map_err(crate::report)?;
    let mut dirs: Vec<PathBuf> = ["fonts", "ui", "hyphenation", "profiles"]
        .iter()
        .map(|d| inputs.assets.join(d))
        .collect();
    for s in &inputs.statements {
        dirs.push(if s.is_dir() {
            s.clone()
        } else {
            s.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        });
    }
    let watch = Watch::new(&dirs)?;
    let mut w = Watcher {
        inputs,
        profile,
        out,
        width: u32::from(spec.width),
        fonts,
        cache: EditionCache::default(),
    };
    eprintln!(
        "bitig watch: {} from {}; saving a source rebuilds it (Ctrl-C stops)",
        w.out.display(),
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    loop {
        w.rebuild();
        watch.wait()?;
    }
}

struct Watcher {
    inputs: bitig_typeset::Inputs,
    profile: PathBuf,
    out: PathBuf,
    /// The panel's width in the UI's orientation (the banner's).
    width: u32,
    fonts: Fonts,
    cache: EditionCache,
}

impl Watcher {
    /// Builds the bundle, or reports why not and leaves the last good one.
    fn rebuild(&mut self) {
        let t0 = Instant::now();
        let built = bitig_typeset::load_sources(&self.inputs).and_then(|sources| {
            bitig_typeset::build_bundle_cached(
                &sources,
                &self.profile,
                &mut |_| {},
                &mut self.cache,
            )
        });
        let err = self.out.with_extension("bundle.error");
        let png = self.out.with_extension("bundle.error.png");
        match built {
            Ok(bytes) => {
                if let Err(e) = bitig_io::durable::write(&self.out, &bytes) {
                    eprintln!("error: cannot write {}: {e}", self.out.display());
                    return;
                }
                let _ = std::fs::remove_file(&png);
                let _ = std::fs::remove_file(&err);
                let c = &self.cache;
                println!(
                    "rebuilt {} in {} ms: {} of {} edition(s) typeset, {} bytes",
                    self.out.display(),
                    t0.elapsed().as_millis(),
                    c.typeset,
                    c.typeset + c.reused,
                    bytes.len()
                );
            }
            Err(e) => {
                let diags = match &e {
                    TsError::Content { diagnostics, .. } => diagnostics.clone(),
                    other => vec![Diagnostic::error(
                        "build",
                        &self.profile,
                        other.to_string(),
                        "mend the file it names and save again".into(),
                    )],
                };
                let errors: Vec<&Diagnostic> = diags
                    .iter()
                    .filter(|d| d.severity == bitig_typeset::Severity::Error)
                    .collect();
                let mut text = String::new();
                for d in &errors {
                    text.push_str(&format!("{d}\n\n"));
                }
                eprint!("{text}");
                let banner = banner(&self.fonts, &errors, self.width);
                let written = bitig_io::durable::write(&err, text.as_bytes())
                    .and_then(|()| bitig_io::durable::write(&png, &banner));
                if let Err(e) = written {
                    eprintln!("error: cannot write {}: {e}", err.display());
                }
                eprintln!(
                    "bitig watch: {} error(s); {} keeps the last good bundle",
                    errors.len(),
                    self.out.display()
                );
            }
        }
    }
}

/// An inotify watch on the source folders.
struct Watch {
    fd: rustix::fd::OwnedFd,
}

impl Watch {
    fn new(dirs: &[PathBuf]) -> Result<Watch> {
        use rustix::fs::inotify::{self, WatchFlags};
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC)
            .context("cannot start an inotify watch")?;
        let what = WatchFlags::CLOSE_WRITE
            | WatchFlags::MOVED_TO
            | WatchFlags::MOVED_FROM
            | WatchFlags::DELETE
            | WatchFlags::CREATE;
        for d in dirs {
            inotify::add_watch(&fd, d, what)
                .with_context(|| format!("cannot watch {}", d.display()))?;
        }
        Ok(Watch { fd })
    }

    /// Sleeps until a source changed and the folders have been quiet for [`SETTLE`].
    fn wait(&self) -> Result<()> {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 8192];
        let mut events = rustix::fs::inotify::Reader::new(&self.fd, &mut buf);
        loop {
            let ev = events.next().context("inotify")?;
            if ev.file_name().is_some_and(|f| is_source(f.to_bytes())) {
                break;
            }
        }
        let settle = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: SETTLE.as_nanos() as i64,
        };
        let mut drain = [0u8; 8192];
        loop {
            let mut fds = [rustix::event::PollFd::new(
                &self.fd,
                rustix::event::PollFlags::IN,
            )];
            match rustix::event::poll(&mut fds, Some(&settle)) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    rustix::io::read(&self.fd, &mut drain).context("inotify")?;
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e).context("inotify"),
            }
        }
    }
}

/// Whether `name` is a file an editor saves: not a hidden file, a backup (`~`) or a swap
/// file.
fn is_source(name: &[u8]) -> bool {
    !(name.is_empty()
        || name.first() == Some(&b'.')
        || name.ends_with(b"~")
        || name.ends_with(b".swp")
        || name.ends_with(b".swx"))
}

const BANNER_PX: f32 = 15.0;
const LINE: u32 = 21;
const PAD: u32 = 10;
const RED: [u8; 3] = [0x8c, 0x1c, 0x1c];
const WHITE: [u8; 3] = [0xff, 0xff, 0xff];
const MARK: [u8; 3] = [0xff, 0xd6, 0x4a];

/// One line of the banner: its text, whether it is bold, and the byte range to mark.
type BannerLine = (String, bool, Option<std::ops::Range<usize>>);

/// The banner the simulator shows over the last good bundle: each error's code and message,
/// file:line:col, the source line around the column with the character marked, and the
/// help, on red, `width` wide; as PNG bytes.
pub fn banner(fonts: &Fonts, errors: &[&Diagnostic], width: u32) -> Vec<u8> {
    let mut lines: Vec<BannerLine> = Vec::new();
    for d in errors.iter().take(2) {
        lines.push((format!("error[{}]: {}", d.code, d.message), true, None));
        let at = match d.pos {
            Some(p) => format!("{}:{}:{}", d.file.display(), p.line, p.col),
            None => d.file.display().to_string(),
        };
        lines.push((at, false, None));
        if let (Some(s), Some(p)) = (&d.snippet, d.pos) {
            lines.push(snippet_window(s, p.col));
        }
        lines.push((format!("help: {}", d.help), false, None));
    }
    if errors.len() > 2 {
        let more = format!("and {} more error(s): see the terminal", errors.len() - 2);
        lines.push((more, false, None));
    }
    lines.push((
        "bitig watch: the last good bundle stays on screen until the sources build".into(),
        false,
        None,
    ));
    let mut shaper = ShapeContext::new(fonts);
    let mut set = Vec::new();
    for (text, bold, mark) in &lines {
        set.extend(wrap(
            &mut shaper,
            text,
            *bold,
            mark.clone(),
            width - 2 * PAD,
        ));
    }
    let height = PAD * 2 + LINE * set.len() as u32;
    let mut px = Canvas::new(width, height, RED);
    for (i, l) in set.iter().enumerate() {
        let base = (PAD + LINE * i as u32 + 15) as i32;
        px.line(fonts, &mut shaper, l, PAD as i32, base);
    }
    px.png()
}

/// The source line around 1-based column `col` (at most 60 characters), with the character
/// at `col` marked.
fn snippet_window(line: &str, col: usize) -> BannerLine {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let at = col.saturating_sub(1).min(chars.len().saturating_sub(1));
    let from = at.saturating_sub(30);
    let to = (from + 60).min(chars.len());
    let byte = |i: usize| chars.get(i).map_or(line.len(), |c| c.0);
    let (b0, b1) = (byte(from), byte(to));
    let mut text = String::new();
    if from > 0 {
        text.push('…');
    }
    let lead = text.len();
    text.push_str(&line[b0..b1]);
    if to < chars.len() {
        text.push('…');
    }
    let mark = (lead + byte(at) - b0)..(lead + byte(at + 1).min(b1) - b0);
    (text, false, Some(mark))
}

/// `text` cut at spaces into lines at most `width` px wide (a word wider than that stands on
/// a line of its own and is clipped).
fn wrap(
    shaper: &mut ShapeContext<'_>,
    text: &str,
    bold: bool,
    mark: Option<std::ops::Range<usize>>,
    width: u32,
) -> Vec<BannerLine> {
    let font = usize::from(bold);
    let scale = BANNER_PX / shaper.upem[font];
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let rest = &text[start..];
        let shaped = shaper.shape(font, Lang::En, rest);
        let mut x = 0.0;
        let mut cut = rest.len();
        let mut last_space = None;
        for g in &shaped.glyphs {
            let c = g.cluster as usize;
            if rest[c..].starts_with(' ') {
                last_space = Some(c);
            }
            x += g.advance as f32 * scale;
            if x > width as f32 {
                cut = match last_space {
                    Some(s) if s > 0 => s,
                    _ if c > 0 => c,
                    _ => rest.chars().next().map_or(rest.len(), char::len_utf8),
                };
                break;
            }
        }
        let piece = rest[..cut].trim_end().to_string();
        let m = mark.as_ref().and_then(|m| {
            let (a, b) = (m.start.max(start), m.end.min(start + cut));
            (a < b).then(|| (a - start)..(b - start))
        });
        out.push((piece, bold, m));
        start += cut;
        while text[start..].starts_with(' ') {
            start += 1;
        }
    }
    out
}

/// An RGB picture the banner is drawn on.
struct Canvas {
    w: u32,
    h: u32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(w: u32, h: u32, fill: [u8; 3]) -> Canvas {
        Canvas {
            w,
            h,
            rgb: fill.repeat((w * h) as usize),
        }
    }

    /// Blends `colour` over pixel (x, y) by `alpha` (0–255); outside the picture, nothing.
    fn blend(&mut self, x: i32, y: i32, colour: [u8; 3], alpha: u8) {
        if x < 0 || y < 0 || x >= self.w as i32 || y >= self.h as i32 {
            return;
        }
        let i = (y as usize * self.w as usize + x as usize) * 3;
        for (k, c) in colour.iter().enumerate() {
            let d = u32::from(self.rgb[i + k]);
            let a = u32::from(alpha);
            self.rgb[i + k] = ((u32::from(*c) * a + d * (255 - a) + 127) / 255) as u8;
        }
    }

    /// One banner line with its pen at (x, baseline); the marked characters on yellow.
    fn line(
        &mut self,
        fonts: &Fonts,
        shaper: &mut ShapeContext<'_>,
        (text, bold, mark): &BannerLine,
        x: i32,
        baseline: i32,
    ) {
        let font = usize::from(*bold);
        let scale = BANNER_PX / shaper.upem[font];
        let shaped = shaper.shape(font, Lang::En, text);
        let mut pen = x as f32;
        for g in &shaped.glyphs {
            let advance = g.advance as f32 * scale;
            let marked = mark
                .as_ref()
                .is_some_and(|m| m.contains(&(g.cluster as usize)));
            if marked {
                for yy in baseline - 15..baseline + 5 {
                    for xx in pen as i32 - 1..(pen + advance.max(6.0)) as i32 + 1 {
                        self.blend(xx, yy, MARK, 255);
                    }
                }
            }
            let colour = if marked { [0, 0, 0] } else { WHITE };
            let (m, cov) = fonts.raster[font].rasterize_indexed(g.gid, BANNER_PX);
            let left = (pen + g.x_offset as f32 * scale).round() as i32 + m.xmin;
            let top =
                baseline - (g.y_offset as f32 * scale).round() as i32 - m.ymin - m.height as i32;
            for row in 0..m.height {
                for col in 0..m.width {
                    let a = cov[row * m.width + col];
                    if a > 0 {
                        self.blend(left + col as i32, top + row as i32, colour, a);
                    }
                }
            }
            pen += advance;
        }
    }

    fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.w, self.h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let written = enc
            .write_header()
            .and_then(|mut w| w.write_image_data(&self.rgb));
        if let Err(e) = written {
            eprintln!("error: the error banner does not encode: {e}");
        }
        out
    }
}
