//! The page blitter shared by the kiosk, the simulator, the headless test mode and the
//! bundler's proof sheets.
//!
//! Text arrives fully shaped and positioned in the bundle; drawing a line is a sequence of
//! alpha-mask blits from the atlases. Nothing here allocates, shapes or opens a font.
//!
//! Two kinds of target:
//! - [`Canvas`], an RGB888 byte buffer (the kiosk's page buffers), which blends each mask
//!   with the pixels already there. This is the fast path.
//! - any embedded-graphics `DrawTarget`, through [`OnBackground`], which blends against a
//!   known background colour because a `DrawTarget` cannot be read back.
//!
//! Blending is integer-only, so every platform produces the same bytes.
#![no_std]

extern crate alloc;

use bitig_format::{AtlasGlyph, Bundle, ColorRole, Line, Page, Rgb, Run, Strike, TextBlock, Theme};
use embedded_graphics_core::{
    draw_target::DrawTarget,
    geometry::{OriginDimensions, Point, Size},
    pixelcolor::{Rgb888, RgbColor},
    Pixel,
};

/// An alpha mask: `h` rows of `w` coverage bytes, `stride` bytes apart.
#[derive(Debug, Clone, Copy)]
pub struct Mask<'a> {
    pub data: &'a [u8],
    pub stride: usize,
    pub w: u32,
    pub h: u32,
    /// Which glyph of the bundle this is, if it is one: its strike and its entry there (the
    /// key of its cell in an [`Inked`]).
    pub glyph: Option<(u16, u16)>,
}

/// Glyph `entry` of strike `strike` in `bundle`, as a mask into its atlas.
pub fn glyph_mask<'b>(bundle: &'b Bundle<'_>, strike: u16, entry: u16) -> Option<Mask<'b>> {
    let ag = bundle
        .strikes
        .get(usize::from(strike))?
        .glyphs
        .get(usize::from(entry))?;
    atlas_mask(bundle, ag, (strike, entry))
}

/// `ag` (glyph `key` of the bundle) as a mask into its atlas.
#[inline(always)]
fn atlas_mask<'b>(bundle: &'b Bundle<'_>, ag: &AtlasGlyph, key: (u16, u16)) -> Option<Mask<'b>> {
    let atlas = bundle.atlases.get(usize::from(ag.atlas.0))?;
    let stride = usize::from(atlas.width);
    let start = usize::from(ag.y) * stride + usize::from(ag.x);
    Some(Mask {
        data: atlas.alpha.get(start..)?,
        stride,
        w: u32::from(ag.w),
        h: u32::from(ag.h),
        glyph: Some(key),
    })
}

/// Where one glyph's pre-blended rows are in an [`Inked`]'s bytes.
#[derive(Debug, Clone, Copy)]
struct Cell {
    /// The first byte of its first row.
    at: u32,
    /// Bytes from one row to the next: the row's `3 * w` bytes, then background pixels up to
    /// the next multiple of 16.
    pitch: u16,
}

/// A bundle's glyphs with every coverage byte already blended, for each of a few inks on one
/// background: RGB888, 3 bytes where the atlas has one. Made once a bundle (the kiosk's reader
/// makes it for its theme's inks when a bundle loads). A glyph row on plain background is then
/// a copy of its bytes from here, where it was a look-up per pixel.
///
/// Each glyph has a cell of its own: its rows one after the other, each padded with
/// background pixels to a multiple of 16 bytes. A glyph's rows are then a few neighbouring
/// cache lines (in an atlas they were a row of the atlas apart), and a row on plain
/// background is copied as whole 16-byte blocks: the padding only writes background over
/// background.
#[derive(Debug)]
pub struct Inked {
    background: Rgb,
    /// Per strike, per glyph entry: its cell (the same in every ink's bytes).
    cells: alloc::vec::Vec<alloc::vec::Vec<Cell>>,
    /// Per ink: the ink and every glyph's cell blended in it.
    inks: alloc::vec::Vec<(Rgb, alloc::vec::Vec<u8>)>,
}

impl Inked {
    /// The bundle's glyphs blended for each of `inks` (repeats are made once) on
    /// `background`.
    pub fn new(bundle: &Bundle<'_>, background: Rgb, inks: &[Rgb]) -> Inked {
        let strikes: alloc::vec::Vec<alloc::vec::Vec<Mask<'_>>> = (0..bundle.strikes.len())
            .map(|s| {
                let n = bundle.strikes[s].glyphs.len();
                (0..n)
                    .map(|e| {
                        // A glyph whose mask lies outside its atlas (not in a valid
                        // bundle) gets an empty cell and is drawn the slow way.
                        glyph_mask(bundle, s as u16, e as u16).unwrap_or(Mask {
                            data: &[],
                            stride: 0,
                            w: 0,
                            h: 0,
                            glyph: None,
                        })
                    })
                    .collect()
            })
            .collect();
        let refs: alloc::vec::Vec<&[Mask<'_>]> = strikes.iter().map(|s| s.as_slice()).collect();
        Inked::from_masks(&refs, background, inks)
    }

    /// For the bundle's pages: its theme's four inks on its background.
    pub fn theme(bundle: &Bundle<'_>) -> Inked {
        let t = bundle.profile.theme;
        Inked::new(bundle, t.background, &[t.text, t.muted, t.accent, t.title])
    }

    /// The same from the glyphs' masks, per strike in entry order. A mask whose rows run
    /// past its data gets an empty cell.
    pub fn from_masks(strikes: &[&[Mask<'_>]], background: Rgb, inks: &[Rgb]) -> Inked {
        let mut total = 0usize;
        let cells: alloc::vec::Vec<alloc::vec::Vec<Cell>> = strikes
            .iter()
            .map(|masks| {
                masks
                    .iter()
                    .map(|m| {
                        let pitch = (m.w as usize * 3).div_ceil(16) * 16;
                        let fits = m.h == 0
                            || m.data.len() >= (m.h as usize - 1) * m.stride + m.w as usize;
                        // Pitch 0: no cell (the glyph is drawn the slow way).
                        let pitch = if fits {
                            u16::try_from(pitch).unwrap_or(0)
                        } else {
                            0
                        };
                        let cell = Cell {
                            at: u32::try_from(total).unwrap_or(u32::MAX),
                            pitch,
                        };
                        total += m.h as usize * usize::from(pitch);
                        cell
                    })
                    .collect()
            })
            .collect();
        let bg = [background.0, background.1, background.2];
        let mut out: alloc::vec::Vec<(Rgb, alloc::vec::Vec<u8>)> = alloc::vec::Vec::new();
        for &ink in inks {
            if out.iter().any(|(i, _)| *i == ink) {
                continue;
            }
            let t = blend_table(ink, background);
            let mut bytes = alloc::vec::Vec::with_capacity(total);
            for (masks, cells) in strikes.iter().zip(&cells) {
                for (m, cell) in masks.iter().zip(cells) {
                    let pitch = usize::from(cell.pitch);
                    if pitch == 0 {
                        continue;
                    }
                    for row in 0..m.h as usize {
                        let cov = &m.data[row * m.stride..row * m.stride + m.w as usize];
                        bytes.extend(cov.iter().flat_map(|&c| t[usize::from(c)]));
                        bytes.extend((m.w as usize * 3..pitch).map(|k| bg[k % 3]));
                    }
                }
            }
            out.push((ink, bytes));
        }
        Inked {
            background,
            cells,
            inks: out,
        }
    }

    /// Bytes held, for the memory figures.
    pub fn bytes(&self) -> usize {
        self.inks.iter().map(|(_, b)| b.len()).sum()
    }

    /// The cells of strike `strike`'s glyphs, by entry, and the bytes of `ink` they lie in.
    fn strike(&self, ink: Rgb, strike: u16) -> Option<(&[Cell], &[u8])> {
        let (_, bytes) = self.inks.iter().find(|(i, _)| *i == ink)?;
        Some((self.cells.get(usize::from(strike))?, bytes))
    }

    /// The cell of glyph (`strike`, `entry`) and the bytes of `ink` it lies in.
    fn cell(&self, ink: Rgb, (strike, entry): (u16, u16)) -> Option<(Cell, &[u8])> {
        let (cells, bytes) = self.strike(ink, strike)?;
        Some((*cells.get(usize::from(entry))?, bytes))
    }
}

/// Each coverage's pixel for `ink` on `background`.
fn blend_table(ink: Rgb, background: Rgb) -> [[u8; 3]; 256] {
    let mut t = [[0u8; 3]; 256];
    for (a, px) in t.iter_mut().enumerate() {
        let a = a as u8;
        *px = [
            blend_channel(ink.0, background.0, a),
            blend_channel(ink.1, background.1, a),
            blend_channel(ink.2, background.2, a),
        ];
    }
    t
}

/// Copies `src` into `dst` (the same length, a glyph row: a few dozen bytes) in 16-byte
/// blocks, the last one overlapping (two 8-byte words below 16 bytes): no call to `memcpy`
/// for a row of a dozen pixels.
#[inline(always)]
fn copy_row(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    if n < 16 {
        if n < 8 {
            dst[..n].copy_from_slice(&src[..n]);
        } else {
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..n].copy_from_slice(&src[n - 8..n]);
        }
        return;
    }
    let mut i = 0;
    while i + 16 < n {
        dst[i..i + 16].copy_from_slice(&src[i..i + 16]);
        i += 16;
    }
    dst[n - 16..n].copy_from_slice(&src[n - 16..n]);
}

/// Copies rows of `N` bytes (one, two or three 16-byte blocks), one after the other in `src`,
/// to rows `stride` bytes apart in `dst`, as many as both hold. Each row is split off as an
/// array, so a row costs one length check.
#[inline(always)]
fn copy_blocks<const N: usize>(dst: &mut [u8], stride: usize, src: &[u8]) {
    let (mut d, mut s) = (dst, src);
    while let (Some((row, _)), Some((from, rest))) =
        (d.split_first_chunk_mut::<N>(), s.split_first_chunk::<N>())
    {
        *row = *from;
        s = rest;
        d = d.get_mut(stride..).unwrap_or_default();
    }
}

/// Something glyph masks can be blended into. One required method; the text functions below
/// are written against it.
pub trait GlyphTarget {
    type Error;
    /// Blends `color` into the target at (`x`, `y`) with the mask's coverage. Parts of the mask
    /// outside the target are clipped.
    fn blend_mask(&mut self, x: i32, y: i32, mask: Mask<'_>, color: Rgb)
        -> Result<(), Self::Error>;

    /// Draws the glyphs of `run` in `color`, the pen starting at `pen` on the baseline
    /// `base_y`. By default each glyph's mask through [`blend_mask`](Self::blend_mask); a
    /// target may look up what a run shares (its strike, its ink) once for all its glyphs.
    fn draw_run(
        &mut self,
        bundle: &Bundle<'_>,
        run: &Run,
        pen: i32,
        base_y: i32,
        color: Rgb,
    ) -> Result<(), Self::Error> {
        draw_run_masks(self, bundle, run, pen, base_y, color)
    }
}

/// [`GlyphTarget::draw_run`]'s default: each glyph's mask through `blend_mask`.
fn draw_run_masks<T: GlyphTarget + ?Sized>(
    target: &mut T,
    bundle: &Bundle<'_>,
    run: &Run,
    pen: i32,
    base_y: i32,
    color: Rgb,
) -> Result<(), T::Error> {
    let Some(strike) = bundle.strikes.get(usize::from(run.strike.0)) else {
        return Ok(());
    };
    for (gx, gy, entry, ag) in run_glyphs(strike, run, pen, base_y) {
        if let Some(mask) = atlas_mask(bundle, ag, (u16::from(run.strike.0), entry)) {
            target.blend_mask(gx, gy, mask, color)?;
        }
    }
    Ok(())
}

/// The glyphs of `run` (of `strike`) that have pixels, in order, the pen starting at `pen`
/// on the baseline `base_y`: where each one's top-left goes, its entry, and its place in the
/// atlas.
#[inline(always)]
fn run_glyphs<'s>(
    strike: &'s Strike,
    run: &'s Run,
    mut pen: i32,
    base_y: i32,
) -> impl Iterator<Item = (i32, i32, u16, &'s AtlasGlyph)> + 's {
    run.glyphs.iter().filter_map(move |g| {
        pen += i32::from(g.dx);
        let ag = strike.glyphs.get(usize::from(g.entry))?;
        if ag.w == 0 || ag.h == 0 {
            return None;
        }
        let gy = base_y - i32::from(g.dy) - i32::from(ag.top);
        Some((pen + i32::from(ag.left), gy, g.entry, ag))
    })
}

/// `(fg * a + bg * (255 - a)) / 255`, rounded, in integers.
#[inline(always)]
pub fn blend_channel(fg: u8, bg: u8, a: u8) -> u8 {
    let a = u32::from(a);
    let v = u32::from(fg) * a + u32::from(bg) * (255 - a) + 128;
    ((v + (v >> 8)) >> 8) as u8
}

/// Rows a [`Canvas`] tracks for its fast path (the taller portrait panel has 1280); rows
/// below always take the exact per-pixel path.
const TRACKED_ROWS: usize = 2048;

/// What a reused buffer holds after a drawing, kept beside the buffer by its owner: the
/// colour of the drawing's fill and, per row, the column from which the row is still plain
/// fill. A canvas made with it ([`Canvas::refill`]) then restores only the pixels the
/// drawing before changed: the page's margins, the gaps between its lines and the ends of
/// its short lines are already the background, and are not written again.
#[derive(Debug, Clone)]
pub struct Held {
    background: Option<Rgb>,
    size: (u32, u32),
    clear_from: [u16; TRACKED_ROWS],
}

impl Held {
    /// A buffer whose pixels are not known (new, or written by something else): the next
    /// canvas over it fills every pixel.
    pub const fn unknown() -> Held {
        Held {
            background: None,
            size: (0, 0),
            clear_from: [u16::MAX; TRACKED_ROWS],
        }
    }

    /// The columns of row `row`, as a number of bytes from the row's start, that may not be
    /// plain `background` (the whole row, `row_len`, if the record cannot tell).
    fn owed(&self, row: usize, row_len: usize) -> usize {
        self.clear_from
            .get(row)
            .map_or(row_len, |&c| (usize::from(c) * 3).min(row_len))
    }
}

impl Default for Held {
    fn default() -> Held {
        Held::unknown()
    }
}

/// An RGB888 frame buffer in memory (row-major, 3 bytes per pixel, `stride` bytes per row).
#[derive(Debug)]
pub struct Canvas<'b> {
    buf: &'b mut [u8],
    width: u32,
    height: u32,
    stride: usize,
    /// The colour of the last [`fill`](Canvas::fill): most of a page's pixels under a glyph.
    background: Option<Rgb>,
    /// For one ink on that background, each coverage's blended pixel (a page has a handful of
    /// inks, so the table is made a handful of times a page).
    table: Option<(Rgb, [[u8; 3]; 256])>,
    /// The atlases blended for this canvas's background, if the owner made them.
    inked: Option<&'b Inked>,
    /// Per row, the column from which the row is still the plain background of the last
    /// `fill`: nothing has been drawn there since. A glyph row that starts at or right of it
    /// is written from the table without reading the pixels (a page's glyphs go left to
    /// right, so almost all of them); one that starts left of it (a kerned overlap, a mark,
    /// the line above's descender) blends pixel by pixel.
    clear_from: [u16; TRACKED_ROWS],
    /// `(top, bottom, bound)`: the rows the current line's glyphs fall in, and one mark for
    /// all of them: `bound`, which is at least each row's `clear_from`. A glyph inside the
    /// band and right of `bound` is then checked in O(1), where a check row by row cost a
    /// fifth of a page's time (its loop's exit is mispredicted glyph after glyph), and marked
    /// in O(1) too: only `bound` grows. The rows' own marks are brought up to `bound` when
    /// the band is read row by row or left ([`settle_band`]). [`mark`] and `fill` are the
    /// only writers of `clear_from`.
    ///
    /// [`mark`]: Canvas::mark
    /// [`settle_band`]: Canvas::settle_band
    band: (usize, usize, u16),
    /// Rows `filled..height` still owe the last [`fill`](Canvas::fill) (see there).
    filled: usize,
    /// A row written by the fill that the rows after it are copied from, while nothing has
    /// been drawn on it.
    plain_row: Option<usize>,
    /// 16 pixels of the fill's colour: 48 bytes, a whole number of pixels and of 16-byte
    /// blocks.
    pattern: [u8; 48],
    /// The record of what the buffer holds, if the owner keeps one: read by the fill (when
    /// `prior` is set) and written when the canvas drops.
    held: Option<&'b mut Held>,
    /// Whether `held` tells what the buffer held when the current fill began, in its
    /// colour: the fill then writes only the columns `held` says are not plain.
    prior: bool,
}

impl<'b> Canvas<'b> {
    /// Wraps `buf`; returns `None` if it is too small for `width` x `height`.
    pub fn new(buf: &'b mut [u8], width: u32, height: u32) -> Option<Canvas<'b>> {
        let stride = width as usize * 3;
        if buf.len() < stride * height as usize {
            return None;
        }
        Some(Canvas {
            buf,
            width,
            height,
            stride,
            background: None,
            table: None,
            inked: None,
            clear_from: [u16::MAX; TRACKED_ROWS],
            band: (0, 0, 0),
            filled: height as usize,
            plain_row: None,
            pattern: [0; 48],
            held: None,
            prior: false,
        })
    }

    /// Wraps `buf`, which `held` describes, and fills it with `background` (see
    /// [`fill`](Canvas::fill)). If `held` says the buffer was last filled with `background`
    /// at this size, only the pixels drawn since are restored. When the canvas drops, `held`
    /// is left describing the buffer. Returns `None` if `buf` is too small.
    pub fn refill(
        buf: &'b mut [u8],
        width: u32,
        height: u32,
        held: &'b mut Held,
        background: Rgb,
    ) -> Option<Canvas<'b>> {
        let mut c = Canvas::new(buf, width, height)?;
        let prior = held.background == Some(background) && held.size == (width, height);
        // Unknown until the canvas drops and writes it again.
        held.background = None;
        c.held = Some(held);
        c.fill(background);
        c.prior = prior;
        Some(c)
    }

    /// Glyph rows on the plain background are copied from `inked` (used only while the
    /// canvas is filled with `inked`'s background).
    pub fn with_inked(mut self, inked: &'b Inked) -> Self {
        self.inked = Some(inked);
        self
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Fills the whole canvas with one colour.
    ///
    /// The rows are written as they are needed, from the top: before anything is drawn on a
    /// row, every row above it is filled, and the rest when the canvas is dropped. A line's
    /// glyphs then land on rows just filled, where after a fill of the whole frame (larger
    /// than a Pi 3's 512 KB L2) many were read back from memory first.
    pub fn fill(&mut self, c: Rgb) {
        if self.background != Some(c) {
            self.background = Some(c);
            self.table = None;
        }
        self.clear_from = [0; TRACKED_ROWS];
        self.band = (0, 0, 0);
        for px in self.pattern.chunks_exact_mut(3) {
            px.copy_from_slice(&[c.0, c.1, c.2]);
        }
        self.filled = 0;
        self.plain_row = None;
        self.prior = false;
    }

    /// Rows `..to` hold what they should: the fill's rows among them are written.
    #[inline(always)]
    fn fill_to(&mut self, to: usize) {
        if to > self.filled {
            self.fill_rows(to);
        }
    }

    /// Writes the fill's rows from `filled` to `to` (at most the height): copies of a row
    /// that is still plain fill (nothing drawn on it since), written from the pattern when
    /// there is none. Most pages keep their first row clear (the top margin): it is written
    /// from the pattern once, and every other row is a copy of it.
    #[inline(never)]
    fn fill_rows(&mut self, to: usize) {
        let to = to.min(self.height as usize);
        if to <= self.filled {
            return;
        }
        if self.prior && self.held.is_some() {
            return self.restore_rows(to);
        }
        let (n, row_len) = (self.stride, self.width as usize * 3);
        let clean = |r: usize| self.mark_of(r) == Some(0);
        let from = match self.plain_row {
            Some(r) if r < self.filled && clean(r) => r,
            _ => {
                // 16 pixels (48 bytes) at a time: whole pixels and whole 16-byte blocks.
                let r = self.filled;
                let mut blocks = self.buf[r * n..r * n + row_len].chunks_exact_mut(48);
                for b in &mut blocks {
                    b.copy_from_slice(&self.pattern);
                }
                let tail = blocks.into_remainder();
                tail.copy_from_slice(&self.pattern[..tail.len()]);
                self.filled += 1;
                self.plain_row = Some(r);
                r
            }
        };
        let (above, below) = self.buf[..to * n].split_at_mut(self.filled * n);
        let src = &above[from * n..from * n + row_len];
        for row in below.chunks_exact_mut(n) {
            row[..row_len].copy_from_slice(src);
        }
        self.filled = to;
    }

    /// [`fill_rows`](Canvas::fill_rows) over a buffer that `held` describes: of each row,
    /// only the columns `held` says were drawn on are written, from a row that is plain fill
    /// (or from the pattern, if there is none yet).
    fn restore_rows(&mut self, to: usize) {
        let (n, row_len) = (self.stride, self.width as usize * 3);
        let Some(held) = self.held.as_deref() else {
            return;
        };
        for r in self.filled..to {
            let owed = held.owed(r, row_len);
            let plain = self.plain_row.filter(|&p| self.mark_of(p) == Some(0));
            if owed == 0 {
                // Plain already: the source of the rows after it.
                if plain.is_none() {
                    self.plain_row = Some(r);
                }
                continue;
            }
            let (above, row) = self.buf.split_at_mut(r * n);
            let row = &mut row[..owed];
            match plain {
                Some(p) => row.copy_from_slice(&above[p * n..p * n + owed]),
                None => {
                    let mut blocks = row.chunks_exact_mut(48);
                    for b in &mut blocks {
                        b.copy_from_slice(&self.pattern);
                    }
                    let tail = blocks.into_remainder();
                    tail.copy_from_slice(&self.pattern[..tail.len()]);
                    if owed == row_len {
                        self.plain_row = Some(r);
                    }
                }
            }
        }
        self.filled = to;
    }

    /// Fills a rectangle (clipped).
    pub fn fill_rect(&mut self, x: i32, y: i32, w: u32, h: u32, c: Rgb) {
        let x0 = x.clamp(0, self.width as i32) as usize;
        let y0 = y.clamp(0, self.height as i32) as usize;
        let x1 = (x.saturating_add(w as i32)).clamp(0, self.width as i32) as usize;
        let y1 = (y.saturating_add(h as i32)).clamp(0, self.height as i32) as usize;
        self.fill_to(y1);
        for row in y0..y1 {
            self.touched(row, x1);
            let line = &mut self.buf[row * self.stride..];
            for px in line[x0 * 3..x1 * 3].chunks_exact_mut(3) {
                px[0] = c.0;
                px[1] = c.1;
                px[2] = c.2;
            }
        }
    }

    /// Copies the clipped glyph `(sx0, sy0, sx1, sy1)` of a mask at (`x`, `y`) from its
    /// pre-blended `cell` in `bytes`, if every one of its rows lies on plain background.
    /// Returns false, having written nothing, if not (the caller then goes row by row).
    fn copy_glyph(
        &mut self,
        x: i32,
        y: i32,
        (sx0, sy0, sx1, sy1): (u32, u32, u32, u32),
        cell: Cell,
        bytes: &[u8],
    ) -> bool {
        let (cols, rows) = ((sx1 - sx0) as usize, (sy1 - sy0) as usize);
        if cell.pitch == 0 {
            return false; // no cell
        }
        let (row_bytes, pitch) = (cols * 3, usize::from(cell.pitch));
        let dx = (x + sx0 as i32) as usize;
        let dy = (y + sy0 as i32) as usize;
        // A whole, unclipped row with its padding, in 16-byte blocks, where the padding fits
        // in the canvas's row. Else the glyph's bytes alone.
        let whole = sx0 == 0 && dx * 3 + pitch <= self.width as usize * 3;
        let n = if whole { pitch } else { row_bytes };
        // Under every row, the `n` bytes written must be plain background: at once if the
        // rows lie in the band and its bound is `dx` or less (nothing drawn from `dx` on),
        // else row by row: a row whose mark is right of `dx` (something drawn on it further
        // right: the line above's descender, a kerned neighbour) has its pixels compared
        // with the background. A pixel of the background's colour blends the same, whatever
        // drew it. If one row is not clear, the caller blends the glyph, reading each pixel.
        let (top, bottom, bound) = self.band;
        let inside = top <= dy && dy + rows <= bottom;
        if !(inside && usize::from(bound) <= dx) {
            self.settle_band();
            let Some(clear) = self.clear_from.get(dy..dy + rows) else {
                return false;
            };
            let mut worst = 0;
            for (r, &c) in clear.iter().enumerate() {
                if usize::from(c) > dx && !self.is_background((dy + r) * self.stride + dx * 3, n) {
                    return false;
                }
                worst = worst.max(c);
            }
            // Clear: the band becomes these rows, with the band's if the two meet and its
            // rows are clear from `dx` too.
            self.band = if usize::from(bound) <= dx && dy <= bottom && top <= dy + rows {
                (top.min(dy), bottom.max(dy + rows), bound.max(worst))
            } else {
                (dy, dy + rows, worst)
            };
        }
        self.mark(dy..dy + rows, dx + cols);
        let src_start = cell.at as usize + sy0 as usize * pitch + sx0 as usize * 3;
        let dst_start = dy * self.stride + dx * 3;
        let (Some(src), Some(dst)) = (
            bytes.get(src_start..src_start + (rows - 1) * pitch + n),
            self.buf
                .get_mut(dst_start..dst_start + (rows - 1) * self.stride + n),
        ) else {
            return false;
        };
        if whole {
            // Rows of one, two or three blocks (nearly every glyph of a page) unrolled.
            let stride = self.stride;
            match pitch / 16 {
                1 => copy_blocks::<16>(dst, stride, src),
                2 => copy_blocks::<32>(dst, stride, src),
                3 => copy_blocks::<48>(dst, stride, src),
                _ => {
                    for (d, s) in dst.chunks_mut(stride).zip(src.chunks(pitch)) {
                        copy_row(&mut d[..pitch], s);
                    }
                }
            }
        } else {
            for (d, s) in dst.chunks_mut(self.stride).zip(src.chunks(pitch)) {
                copy_row(&mut d[..row_bytes], &s[..row_bytes]);
            }
        }
        true
    }

    /// Whether the `n` bytes at `at` are pixels of the fill's colour.
    fn is_background(&self, at: usize, n: usize) -> bool {
        self.background.is_some()
            && self
                .buf
                .get(at..at + n)
                .is_some_and(|px| px.chunks(48).all(|p| p == &self.pattern[..p.len()]))
    }

    /// Row `row` is no longer plain background left of column `x_end`.
    #[inline(always)]
    fn touched(&mut self, row: usize, x_end: usize) {
        self.mark(row..row + 1, x_end);
    }

    /// Rows `rows` are no longer plain background left of column `x_end`: each keeps the
    /// larger of its mark and `x_end`, and the band's bound grows to match if they meet it.
    #[inline(always)]
    fn mark(&mut self, rows: core::ops::Range<usize>, x_end: usize) {
        let end = x_end.min(usize::from(u16::MAX)) as u16;
        let (top, bottom, bound) = self.band;
        if rows.start < bottom && top < rows.end {
            self.band.2 = bound.max(end);
            if top <= rows.start && rows.end <= bottom {
                return; // the band's bound is these rows' mark
            }
        }
        let n = self.clear_from.len();
        for c in &mut self.clear_from[rows.start.min(n)..rows.end.min(n)] {
            *c = (*c).max(end);
        }
    }

    /// Row `row`'s mark: the column from which it is plain background (`None` past the
    /// tracked rows).
    #[inline(always)]
    fn mark_of(&self, row: usize) -> Option<u16> {
        let (top, bottom, bound) = self.band;
        let c = *self.clear_from.get(row)?;
        Some(if top <= row && row < bottom {
            c.max(bound)
        } else {
            c
        })
    }

    /// Writes the band's bound into its rows' own marks, for a reader of `clear_from`.
    fn settle_band(&mut self) {
        let (top, bottom, bound) = self.band;
        let n = self.clear_from.len();
        for c in &mut self.clear_from[top.min(n)..bottom.min(n)] {
            *c = (*c).max(bound);
        }
    }

    /// Whether the marks tell the truth (for the tests): in every row written, the pixels
    /// from the row's mark on are the background, and the band's rows are within its bound.
    #[cfg(test)]
    fn band_holds(&self) -> bool {
        let (top, bottom, bound) = self.band;
        let Some(bg) = self.background else {
            return true;
        };
        self.clear_from[top..bottom].iter().all(|&c| c <= bound)
            && (0..self.filled.min(TRACKED_ROWS)).all(|r| {
                let from = usize::from(self.mark_of(r).unwrap_or(0)).min(self.width as usize);
                let row = &self.buf[r * self.stride..r * self.stride + self.width as usize * 3];
                row[from * 3..].chunks(3).all(|p| p == [bg.0, bg.1, bg.2])
            })
    }

    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgb> {
        if x >= self.width || y >= self.height {
            return None;
        }
        if y as usize >= self.filled {
            return self.background; // not written yet
        }
        let i = y as usize * self.stride + x as usize * 3;
        Some(Rgb(self.buf[i], self.buf[i + 1], self.buf[i + 2]))
    }
}

/// Blends `c` into the pixels `dst` with the coverages `src`, reading each pixel: one on the
/// canvas's background `bg` through its `table`, any other by the arithmetic.
fn blend_pixels(
    src: &[u8],
    dst: &mut [u8],
    c: Rgb,
    table: Option<&[[u8; 3]; 256]>,
    bg: Option<[u8; 3]>,
) {
    for (&a, px) in src.iter().zip(dst.chunks_exact_mut(3)) {
        match a {
            0 => {}
            255 => {
                px[0] = c.0;
                px[1] = c.1;
                px[2] = c.2;
            }
            a => match (table, bg) {
                (Some(t), Some(b)) if px[..] == b[..] => {
                    px.copy_from_slice(&t[usize::from(a)]);
                }
                _ => {
                    px[0] = blend_channel(c.0, px[0], a);
                    px[1] = blend_channel(c.1, px[1], a);
                    px[2] = blend_channel(c.2, px[2], a);
                }
            },
        }
    }
}

impl GlyphTarget for Canvas<'_> {
    type Error = core::convert::Infallible;

    fn draw_run(
        &mut self,
        bundle: &Bundle<'_>,
        run: &Run,
        pen: i32,
        base_y: i32,
        color: Rgb,
    ) -> Result<(), Self::Error> {
        self.draw_run_cells(bundle, run, pen, base_y, color)
    }

    fn blend_mask(&mut self, x: i32, y: i32, mask: Mask<'_>, c: Rgb) -> Result<(), Self::Error> {
        // Clip the mask rectangle to the canvas.
        let sx0 = (-x).max(0) as u32;
        let sy0 = (-y).max(0) as u32;
        let sx1 = mask.w.min((self.width as i32 - x).max(0) as u32);
        let sy1 = mask.h.min((self.height as i32 - y).max(0) as u32);
        if sx0 >= sx1 || sy0 >= sy1 {
            return Ok(());
        }
        self.fill_to((y + sy1 as i32) as usize);
        // The mask's rows pre-blended, when the canvas has them for this ink.
        let inked = match (self.inked, mask.glyph) {
            (Some(i), Some(glyph)) if Some(i.background) == self.background => i.cell(c, glyph),
            _ => None,
        };
        // Almost every glyph of a page: pre-blended, and plain background under all its
        // rows. Its rows are then copied with the bounds checked once for the whole glyph.
        if let Some((cell, bytes)) = inked {
            if self.copy_glyph(x, y, (sx0, sy0, sx1, sy1), cell, bytes) {
                return Ok(());
            }
        }
        self.blend_rows((x, y), (sx0, sy0, sx1, sy1), &mask, c, inked);
        Ok(())
    }
}

impl Canvas<'_> {
    /// Blends the clipped rows `(sx0, sy0, sx1, sy1)` of `mask` at (`x`, `y`) row by row,
    /// reading the pixels under them: a glyph not copied whole. `inked` is its cell in `c`,
    /// if it has one.
    fn blend_rows(
        &mut self,
        (x, y): (i32, i32),
        (sx0, sy0, sx1, sy1): (u32, u32, u32, u32),
        mask: &Mask<'_>,
        c: Rgb,
        inked: Option<(Cell, &[u8])>,
    ) {
        let cols = (sx1 - sx0) as usize;
        // Glyphs with no cell use the table (made when the ink changes): on the filled
        // background, a pixel's blend is a look-up, the same bytes as the arithmetic, which
        // only pixels already inked (overlapping glyphs, the spoken mark) still need. (Glyphs
        // with a cell copy their pixels on the background, and the few over ink are left
        // to the arithmetic.)
        self.settle_band();
        let bg = self.background.map(|b| [b.0, b.1, b.2]);
        if let (Some(b), None) = (bg, inked) {
            if self.table.as_ref().is_none_or(|(ink, _)| *ink != c) {
                self.table = Some((c, blend_table(c, Rgb(b[0], b[1], b[2]))));
            }
        }
        for sy in sy0..sy1 {
            let src_start = sy as usize * mask.stride + sx0 as usize;
            let Some(src) = mask.data.get(src_start..src_start + cols) else {
                return;
            };
            let dy = (y + sy as i32) as usize;
            let dx = (x + sx0 as i32) as usize;
            let dst_start = dy * self.stride + dx * 3;
            let dst = &mut self.buf[dst_start..dst_start + cols * 3];
            // The row's pixels from `split` on lie on plain background; those before it are
            // over something drawn already (a kerned neighbour, the line above's descender,
            // the spoken mark): a few columns, most rows none, or the whole row where the
            // canvas knows no background.
            let split = self
                .clear_from
                .get(dy)
                .map_or(cols, |&c| usize::from(c).saturating_sub(dx).min(cols));
            let (over, on_bg) = (src.split_at(split), dst.split_at_mut(split * 3));
            let pre = inked.and_then(|(cell, bytes)| {
                let pitch = usize::from(cell.pitch);
                let o = cell.at as usize + sy as usize * pitch + (sx0 as usize + split) * 3;
                (pitch != 0).then(|| bytes.get(o..o + (cols - split) * 3))?
            });
            let table = self
                .table
                .as_ref()
                .filter(|_| inked.is_none())
                .map(|(_, t)| t);
            match (pre, table, bg) {
                // Blended already: a copy.
                (Some(pre), _, _) => copy_row(on_bg.1, pre),
                // Every pixel from the table, no branch and no read (coverage 0 gives the
                // background, 255 the ink).
                (None, Some(t), Some(_)) => {
                    for (&a, px) in over.1.iter().zip(on_bg.1.chunks_exact_mut(3)) {
                        px.copy_from_slice(&t[usize::from(a)]);
                    }
                }
                (None, table, bg) => blend_pixels(over.1, on_bg.1, c, table, bg),
            }
            blend_pixels(over.0, on_bg.0, c, table, bg);
            self.touched(dy, dx + cols);
        }
    }

    /// [`GlyphTarget::draw_run`] for a canvas: the run's cells and ink are looked up once,
    /// and a glyph wholly inside the canvas goes straight to its cell. The rest (clipped,
    /// over ink, no cell) are blended as masks.
    fn draw_run_cells(
        &mut self,
        bundle: &Bundle<'_>,
        run: &Run,
        pen: i32,
        base_y: i32,
        color: Rgb,
    ) -> Result<(), core::convert::Infallible> {
        let s = u16::from(run.strike.0);
        let pre = match self.inked {
            Some(i) if Some(i.background) == self.background => i.strike(color, s),
            _ => None,
        };
        let (Some(strike), Some((cells, bytes))) = (bundle.strikes.get(usize::from(s)), pre) else {
            return draw_run_masks(self, bundle, run, pen, base_y, color);
        };
        let (width, height) = (self.width as i32, self.height as i32);
        for (gx, gy, entry, ag) in run_glyphs(strike, run, pen, base_y) {
            let (w, h) = (u32::from(ag.w), u32::from(ag.h));
            if gx >= 0 && gy >= 0 && gx + w as i32 <= width && gy + h as i32 <= height {
                if let Some(&cell) = cells.get(usize::from(entry)) {
                    self.fill_to(gy as usize + h as usize);
                    if !self.copy_glyph(gx, gy, (0, 0, w, h), cell, bytes) {
                        // Over ink: row by row, with the cell already found.
                        if let Some(mask) = atlas_mask(bundle, ag, (s, entry)) {
                            self.blend_rows(
                                (gx, gy),
                                (0, 0, w, h),
                                &mask,
                                color,
                                Some((cell, bytes)),
                            );
                        }
                    }
                    continue;
                }
            }
            if let Some(mask) = atlas_mask(bundle, ag, (s, entry)) {
                self.blend_mask(gx, gy, mask, color)?;
            }
        }
        Ok(())
    }
}

impl Drop for Canvas<'_> {
    /// The rows the fill still owes.
    fn drop(&mut self) {
        self.fill_to(self.height as usize);
        self.settle_band();
        if let Some(held) = self.held.as_deref_mut() {
            held.background = self.background;
            held.size = (self.width, self.height);
            held.clear_from = self.clear_from;
        }
    }
}

impl OriginDimensions for Canvas<'_> {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Canvas<'_> {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        self.fill_to(self.height as usize);
        for Pixel(p, c) in pixels {
            if p.x >= 0 && p.y >= 0 && (p.x as u32) < self.width && (p.y as u32) < self.height {
                self.touched(p.y as usize, p.x as usize + 1);
                let i = p.y as usize * self.stride + p.x as usize * 3;
                self.buf[i] = c.r();
                self.buf[i + 1] = c.g();
                self.buf[i + 2] = c.b();
            }
        }
        Ok(())
    }
}

/// Adapts any embedded-graphics RGB888 target: masks are blended against `background`,
/// and fully transparent pixels are not drawn.
#[derive(Debug)]
pub struct OnBackground<'d, D> {
    pub target: &'d mut D,
    pub background: Rgb,
}

impl<D: DrawTarget<Color = Rgb888>> GlyphTarget for OnBackground<'_, D> {
    type Error = D::Error;

    fn blend_mask(&mut self, x: i32, y: i32, mask: Mask<'_>, c: Rgb) -> Result<(), D::Error> {
        let bg = self.background;
        let pixels = (0..mask.h).flat_map(move |my| {
            (0..mask.w).filter_map(move |mx| {
                let a = *mask.data.get(my as usize * mask.stride + mx as usize)?;
                if a == 0 {
                    return None;
                }
                let color = Rgb888::new(
                    blend_channel(c.0, bg.0, a),
                    blend_channel(c.1, bg.1, a),
                    blend_channel(c.2, bg.2, a),
                );
                Some(Pixel(Point::new(x + mx as i32, y + my as i32), color))
            })
        });
        self.target.draw_iter(pixels)
    }
}

/// How to colour runs: the bundle's theme, or one colour for everything (e.g. a label on an
/// accent button).
#[derive(Debug, Clone, Copy)]
pub enum Ink {
    Theme(Theme),
    Solid(Rgb),
}

impl Ink {
    fn color(&self, role: ColorRole) -> Rgb {
        match self {
            Ink::Theme(t) => t.color(role),
            Ink::Solid(c) => *c,
        }
    }
}

/// RGB888 bytes (3 a pixel) into XRGB8888 pixels (`0xffRRGGBB`, the format of the device's
/// scan-out buffers), pixel for pixel, as far as both go: one pass a page when a slide
/// starts.
///
/// On aarch64 (the device) blocks of 16 pixels go through NEON: one `ld3` splits 48 bytes into
/// their red, green and blue lanes, one `st4` writes them back as 16 pixels with alpha. The
/// compiler does not do this by itself in the release build: fat LTO optimizes the whole
/// kiosk at its opt-level "s", which does not vectorize loops (the aarch64 binary held no
/// `ld3` with a plain loop, whatever this crate's own opt-level). Elsewhere, and for the last
/// pixels, a plain loop.
pub fn rgb888_to_xrgb8888(src: &[u8], dst: &mut [u32]) {
    let n = dst.len().min(src.len() / 3);
    let (src, dst) = (&src[..n * 3], &mut dst[..n]);
    #[cfg(all(target_arch = "aarch64", target_endian = "little"))]
    let (src, dst) = neon::rgb888_to_xrgb8888_blocks(src, dst);
    for (d, s) in dst.iter_mut().zip(src.chunks_exact(3)) {
        *d = xrgb8888(s[0], s[1], s[2]);
    }
}

/// One XRGB8888 pixel, `0xffRRGGBB`.
#[inline(always)]
pub const fn xrgb8888(r: u8, g: u8, b: u8) -> u32 {
    0xff00_0000 | ((r as u32) << 16) | ((g as u32) << 8) | b as u32
}

#[cfg(all(target_arch = "aarch64", target_endian = "little"))]
#[allow(unsafe_code)]
mod neon {
    use core::arch::aarch64::{uint8x16x4_t, vdupq_n_u8, vld3q_u8, vst4q_u8};

    /// Converts the whole blocks of 16 pixels; returns what is left of `src` and `dst`.
    pub(super) fn rgb888_to_xrgb8888_blocks<'s, 'd>(
        src: &'s [u8],
        dst: &'d mut [u32],
    ) -> (&'s [u8], &'d mut [u32]) {
        let blocks = dst.len().min(src.len() / 48);
        let (src, src_rest) = src.split_at(blocks * 48);
        let (dst, dst_rest) = dst.split_at_mut(blocks * 16);
        for (s, d) in src.chunks_exact(48).zip(dst.chunks_exact_mut(16)) {
            // SAFETY: NEON is a baseline feature of every aarch64 target (`neon` is on by
            // default). `vld3q_u8` reads 48 bytes and `s` is exactly 48 bytes long;
            // `vst4q_u8` writes 64 bytes and `d` is exactly 16 u32s (64 bytes). Neither needs
            // alignment. Memory order of a little-endian `0xffRRGGBB` is B, G, R, 0xff.
            unsafe {
                let rgb = vld3q_u8(s.as_ptr());
                let px = uint8x16x4_t(rgb.2, rgb.1, rgb.0, vdupq_n_u8(0xff));
                vst4q_u8(d.as_mut_ptr().cast::<u8>(), px);
            }
        }
        (src_rest, dst_rest)
    }
}

/// Checks [`rgb888_to_xrgb8888`] against each pixel's bytes, for every length from 0 to 70
/// pixels (around the 16-pixel blocks), with `dst` as long as `src`, longer and shorter.
/// Returns the pixels checked, or the first wrong one. For the unit test and for
/// `examples/conversion_check.rs`, which scripts/cross-test runs under qemu-aarch64 (Rust's
/// test harness hangs there) to check the NEON path.
#[doc(hidden)]
pub fn check_rgb888_to_xrgb8888() -> Result<usize, alloc::string::String> {
    let src: alloc::vec::Vec<u8> = (0..3 * 70u32).map(|i| (i * 37 + 11) as u8).collect();
    let mut checked = 0;
    for n in 0..=70usize {
        for (src_px, dst_px) in [(n, n), (n, n + 5), ((n + 5).min(70), n)] {
            let mut dst = alloc::vec![0x1234_5678u32; dst_px];
            rgb888_to_xrgb8888(&src[..src_px * 3], &mut dst);
            for (i, d) in dst.iter().enumerate() {
                let want = match src.get(i * 3..i * 3 + 3).filter(|_| i < src_px) {
                    Some(p) => {
                        0xff00_0000
                            | (u32::from(p[0]) << 16)
                            | (u32::from(p[1]) << 8)
                            | u32::from(p[2])
                    }
                    None => 0x1234_5678,
                };
                if *d != want {
                    return Err(alloc::format!(
                        "pixel {i} of {dst_px} (from {src_px} pixels) is {d:#010x}, not {want:#010x}"
                    ));
                }
                checked += 1;
            }
        }
    }
    Ok(checked)
}

/// Draws one line with its top-left reference at (`ox`, `oy`).
pub fn draw_line<T: GlyphTarget>(
    target: &mut T,
    bundle: &Bundle<'_>,
    line: &Line,
    ox: i32,
    oy: i32,
    ink: Ink,
) -> Result<(), T::Error> {
    let base_y = oy + i32::from(line.y);
    for run in &line.runs {
        let pen = ox + i32::from(line.x) + i32::from(run.x);
        target.draw_run(bundle, run, pen, base_y, ink.color(run.color))?;
    }
    Ok(())
}

/// Draws `text` from the bundle's ASCII strip with the pen starting at (`x`, `baseline`), and
/// returns the pen advance in pixels. Characters outside printable ASCII draw as `?`. For
/// text only known on the device (page counters, hashes, uptime); no shaping happens.
pub fn draw_ascii<T: GlyphTarget>(
    target: &mut T,
    bundle: &Bundle<'_>,
    text: &str,
    x: i32,
    baseline: i32,
    color: Rgb,
) -> Result<i32, T::Error> {
    let strip = &bundle.ascii;
    let Some(strike) = bundle.strikes.get(usize::from(strip.strike.0)) else {
        return Ok(0);
    };
    let mut pen64 = 0i32;
    for c in text.chars() {
        let (entry, advance) = strip.glyph(c);
        let pen = x + (pen64 + 32) / 64;
        pen64 += i32::from(advance);
        let Some(ag) = strike.glyphs.get(usize::from(entry)) else {
            continue;
        };
        if ag.w == 0 || ag.h == 0 {
            continue;
        }
        let Some(mask) = atlas_mask(bundle, ag, (u16::from(strip.strike.0), entry)) else {
            continue;
        };
        target.blend_mask(
            pen + i32::from(ag.left),
            baseline - i32::from(ag.top),
            mask,
            color,
        )?;
    }
    Ok((pen64 + 32) / 64)
}

/// Width in pixels of `text` drawn by [`draw_ascii`].
pub fn ascii_width(bundle: &Bundle<'_>, text: &str) -> i32 {
    let w: i32 = text
        .chars()
        .map(|c| i32::from(bundle.ascii.glyph(c).1))
        .sum();
    (w + 32) / 64
}

/// The rectangles that mark bytes `start..end` of block `block` on `page` drawn at
/// (`ox`, `oy`): per line, from the pen of the first glyph in the range to the ink's end of
/// the last, from the line's ascent to its descent. `f` gets x, y, width and height.
pub fn span_rects(
    bundle: &Bundle<'_>,
    page: &Page,
    (block, start, end): (u16, u32, u32),
    ox: i32,
    oy: i32,
    mut f: impl FnMut(i32, i32, u32, u32),
) {
    for line in page.lines.iter().filter(|l| l.block == block) {
        if line.end <= start || line.start >= end {
            continue;
        }
        let (mut x0, mut x1) = (i32::MAX, i32::MIN);
        let (mut top, mut bottom) = (i32::MAX, i32::MIN);
        let base_y = oy + i32::from(line.y);
        for run in &line.runs {
            let Some(strike) = bundle.strikes.get(usize::from(run.strike.0)) else {
                continue;
            };
            let mut pen = ox + i32::from(line.x) + i32::from(run.x);
            for g in &run.glyphs {
                pen += i32::from(g.dx);
                let at = line.start + u32::from(g.cluster);
                if at < start || at >= end {
                    continue;
                }
                let ink_end = strike
                    .glyphs
                    .get(usize::from(g.entry))
                    .map_or(pen, |ag| pen + i32::from(ag.left) + i32::from(ag.w));
                x0 = x0.min(pen);
                x1 = x1.max(ink_end);
                top = top.min(base_y - i32::from(strike.ascent));
                bottom = bottom.max(base_y - i32::from(strike.descent));
            }
        }
        if x0 < x1 && top < bottom {
            f(x0, top, (x1 - x0) as u32, (bottom - top) as u32);
        }
    }
}

/// Draws every line of a page at (`ox`, `oy`).
pub fn draw_page<T: GlyphTarget>(
    target: &mut T,
    bundle: &Bundle<'_>,
    page: &Page,
    ox: i32,
    oy: i32,
    ink: Ink,
) -> Result<(), T::Error> {
    for line in &page.lines {
        draw_line(target, bundle, line, ox, oy, ink)?;
    }
    Ok(())
}

/// Draws a text block (UI label, library card) at (`ox`, `oy`).
pub fn draw_block<T: GlyphTarget>(
    target: &mut T,
    bundle: &Bundle<'_>,
    block: &TextBlock,
    ox: i32,
    oy: i32,
    ink: Ink,
) -> Result<(), T::Error> {
    for line in &block.lines {
        draw_line(target, bundle, line, ox, oy, ink)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::mock_display::MockDisplay;
    use embedded_graphics::pixelcolor::Rgb888;

    const MASK: [u8; 6] = [0, 255, 128, 255, 0, 0];

    /// The conversion gives each pixel's bytes (the plain loop here; the NEON blocks of the
    /// device under qemu-aarch64 in scripts/cross-test, through the same check).
    #[test]
    fn rgb888_to_xrgb8888_gives_every_pixel() {
        assert_eq!(check_rgb888_to_xrgb8888(), Ok(7810));
    }

    fn mask() -> Mask<'static> {
        Mask {
            data: &MASK,
            stride: 3,
            w: 3,
            h: 2,
            glyph: None,
        }
    }

    #[test]
    fn blend_is_exact_at_the_ends_and_rounds_in_between() {
        assert_eq!(blend_channel(200, 10, 255), 200);
        assert_eq!(blend_channel(200, 10, 0), 10);
        assert_eq!(blend_channel(255, 0, 128), 128);
        assert_eq!(blend_channel(0, 255, 128), 127);
    }

    #[test]
    fn canvas_blends_with_existing_pixels_and_clips() {
        let mut buf = [0u8; 4 * 3 * 3];
        let mut c = Canvas::new(&mut buf, 4, 3).expect("size");
        c.fill(Rgb(255, 255, 255));
        c.blend_mask(2, 2, mask(), Rgb(0, 0, 0))
            .expect("infallible");
        // Row 0 of the mask lands on y=2: x=2 has a=0, x=3 has a=255, x=4 is clipped.
        assert_eq!(c.pixel(2, 2), Some(Rgb(255, 255, 255)));
        assert_eq!(c.pixel(3, 2), Some(Rgb(0, 0, 0)));
        // Row 1 is below the canvas and clipped; nothing else changed.
        assert_eq!(c.pixel(1, 2), Some(Rgb(255, 255, 255)));
        c.blend_mask(-1, -1, mask(), Rgb(0, 0, 0))
            .expect("infallible");
        // Mask (2,1) a=0 -> (1,0) untouched; mask (1,1) a=0; mask (2,0) a=128 lands off-canvas? no: (1,-1).
        assert_eq!(c.pixel(0, 0), Some(Rgb(255, 255, 255)));
    }

    #[test]
    fn the_background_table_gives_the_bytes_of_the_arithmetic() {
        // A mask with every coverage, blended twice, overlapping, in two inks: once on a
        // canvas that knows its background (`fill`: the table), once on one painted the same
        // colour by `fill_rect` (the arithmetic only).
        let mut cov = [0u8; 16 * 16];
        for (i, a) in cov.iter_mut().enumerate() {
            *a = i as u8;
        }
        // The mask is also glyph 0 of an `Inked`, whose rows a third canvas copies. Glyph 1,
        // 7 columns of it, has rows of 21 bytes: its cell pads them to 32 with background.
        let m = Mask {
            data: &cov,
            stride: 16,
            w: 16,
            h: 16,
            glyph: Some((0, 0)),
        };
        let narrow = Mask {
            w: 7,
            glyph: Some((0, 1)),
            ..m
        };
        let bg = Rgb(251, 248, 241);
        let (ink, mark) = (Rgb(30, 42, 60), Rgb(200, 30, 40));
        // Overlaps of every kind: a glyph over an earlier one to its left and to its right,
        // a glyph on a rectangle filled in another colour, and one on a lone pixel.
        let draw = |c: &mut Canvas<'_>| {
            // Clipped by the right edge to rows of 12 and 6 bytes (the short row copies).
            c.blend_mask(28, 0, m, ink).expect("infallible");
            c.blend_mask(30, 18, m, mark).expect("infallible");
            c.blend_mask(2, 1, m, ink).expect("infallible");
            c.blend_mask(9, 5, m, mark).expect("infallible");
            c.blend_mask(4, 3, m, ink).expect("infallible");
            c.fill_rect(26, 0, 3, 10, mark);
            c.blend_mask(24, 2, m, ink).expect("infallible");
            assert!(c.band_holds(), "the band {:?} is wrong", c.band);
            c.draw_iter([Pixel(Point::new(30, 20), Rgb888::new(9, 9, 9))])
                .expect("infallible");
            c.blend_mask(20, 12, m, ink).expect("infallible");
            // Below them, on plain background (rows 36 on): whole padded rows (a row's
            // padding ends inside the canvas), then a glyph whose padding would run past the
            // right edge into the first glyph's ink on the next row (its bytes alone), one
            // clipped by that edge, and one clipped by the bottom edge.
            c.blend_mask(0, 38, narrow, ink).expect("infallible");
            c.blend_mask(10, 36, narrow, mark).expect("infallible");
            c.blend_mask(24, 37, narrow, ink).expect("infallible");
            c.blend_mask(28, 40, narrow, mark).expect("infallible");
            c.blend_mask(3, 56, narrow, ink).expect("infallible");
            assert!(c.band_holds(), "the band {:?} is wrong", c.band);
        };
        let (mut fast, mut slow) = ([0u8; 32 * 64 * 3], [0u8; 32 * 64 * 3]);
        let mut c = Canvas::new(&mut fast, 32, 64).expect("size");
        c.fill(bg);
        draw(&mut c);
        drop(c);
        let mut c = Canvas::new(&mut slow, 32, 64).expect("size");
        c.fill_rect(0, 0, 32, 64, bg);
        draw(&mut c);
        drop(c);
        assert!(
            fast == slow,
            "the table's blend differs from the arithmetic"
        );
        let inked = Inked::from_masks(&[&[m, narrow]], bg, &[ink, mark, ink]);
        assert_eq!(
            inked.bytes(),
            2 * 16 * (48 + 32),
            "per ink, 16 rows of each glyph at a pitch of 48 and of 32 bytes"
        );
        let mut copied = [0u8; 32 * 64 * 3];
        let mut c = Canvas::new(&mut copied, 32, 64)
            .expect("size")
            .with_inked(&inked);
        c.fill(bg);
        draw(&mut c);
        drop(c);
        assert!(
            copied == slow,
            "the pre-blended rows differ from the arithmetic"
        );
        assert!(
            fast.chunks(3).any(|p| p != [bg.0, bg.1, bg.2]),
            "nothing was drawn"
        );
    }

    #[test]
    fn on_background_draws_only_inked_pixels() {
        let mut display: MockDisplay<Rgb888> = MockDisplay::new();
        let mut t = OnBackground {
            target: &mut display,
            background: Rgb(255, 255, 255),
        };
        t.blend_mask(0, 0, mask(), Rgb(0, 0, 0)).expect("mock");
        assert_eq!(display.get_pixel(Point::new(0, 0)), None);
        assert_eq!(display.get_pixel(Point::new(1, 0)), Some(Rgb888::BLACK));
        assert_eq!(
            display.get_pixel(Point::new(2, 0)),
            Some(Rgb888::new(127, 127, 127))
        );
        assert_eq!(display.get_pixel(Point::new(0, 1)), Some(Rgb888::BLACK));
        assert_eq!(display.get_pixel(Point::new(1, 1)), None);
    }
}
