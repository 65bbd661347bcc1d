//! Everything Slint shows as text is an image drawn here from the bundle's pre-shaped glyphs
//! with `bitig-render`: labels (premultiplied RGBA over any background) and pages (RGB).

use bitig_format::{Bundle, Lang, Rgb, TextBlock};
use bitig_render::{blend_channel, GlyphTarget, Mask};
use slint::{Image, Rgb8Pixel, Rgba8Pixel, SharedPixelBuffer};

/// A premultiplied RGBA canvas: glyph ink composited "over" what is there.
pub struct LabelCanvas {
    pub buf: SharedPixelBuffer<Rgba8Pixel>,
}

impl LabelCanvas {
    pub fn new(width: u32, height: u32) -> LabelCanvas {
        LabelCanvas {
            buf: SharedPixelBuffer::new(width.max(1), height.max(1)),
        }
    }

    pub fn into_image(self) -> Image {
        Image::from_rgba8_premultiplied(self.buf)
    }

    /// Makes every pixel transparent again. Allocates nothing while no image shares the buffer.
    pub fn clear(&mut self) {
        self.buf.make_mut_slice().fill(Rgba8Pixel {
            r: 0,
            g: 0,
            b: 0,
            a: 0,
        });
    }

    /// Fills a rectangle with an opaque colour.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: u32, h: u32, c: Rgb) {
        let (bw, bh) = (self.buf.width() as i32, self.buf.height() as i32);
        let px = self.buf.make_mut_slice();
        for yy in y.max(0)..(y + h as i32).min(bh) {
            for xx in x.max(0)..(x + w as i32).min(bw) {
                px[(yy * bw + xx) as usize] = Rgba8Pixel {
                    r: c.0,
                    g: c.1,
                    b: c.2,
                    a: 255,
                };
            }
        }
    }
}

impl GlyphTarget for LabelCanvas {
    type Error = core::convert::Infallible;

    fn blend_mask(&mut self, x: i32, y: i32, mask: Mask<'_>, c: Rgb) -> Result<(), Self::Error> {
        let (bw, bh) = (self.buf.width() as i32, self.buf.height() as i32);
        let px = self.buf.make_mut_slice();
        for my in 0..mask.h as i32 {
            let yy = y + my;
            if yy < 0 || yy >= bh {
                continue;
            }
            for mx in 0..mask.w as i32 {
                let xx = x + mx;
                if xx < 0 || xx >= bw {
                    continue;
                }
                let a = mask
                    .data
                    .get(my as usize * mask.stride + mx as usize)
                    .copied()
                    .unwrap_or(0);
                if a == 0 {
                    continue;
                }
                let d = &mut px[(yy * bw + xx) as usize];
                // Premultiplied "over": out = src * a + dst * (1 - a).
                d.r = blend_channel(c.0, d.r, a);
                d.g = blend_channel(c.1, d.g, a);
                d.b = blend_channel(c.2, d.b, a);
                d.a = blend_channel(255, d.a, a);
            }
        }
        Ok(())
    }
}

/// Gap after the widest first column of tabbed ASCII lines, in pixels.
pub const TAB_GAP_PX: i32 = 16;

/// Vertical text blocks to stack into one image.
pub struct Stack<'b> {
    parts: Vec<(&'b TextBlock, i32)>,
    ascii: Vec<(String, Rgb, i32)>,
    width: u32,
    height: u32,
    centre: bool,
}

impl<'b> Stack<'b> {
    pub fn new(centre: bool) -> Stack<'b> {
        Stack {
            parts: Vec::new(),
            ascii: Vec::new(),
            width: 1,
            height: 0,
            centre,
        }
    }

    /// Adds a text block below what is there, `gap` px further down.
    pub fn block(mut self, b: &'b TextBlock, gap: u32) -> Stack<'b> {
        self.height += gap;
        self.parts.push((b, self.height as i32));
        self.height += u32::from(b.height);
        self.width = self.width.max(u32::from(b.width));
        self
    }

    /// Adds a line of device-composed ASCII (`line_height` px tall).
    pub fn ascii(
        mut self,
        bundle: &Bundle<'_>,
        text: &str,
        color: Rgb,
        line_height: u32,
    ) -> Stack<'b> {
        let w = bitig_render::ascii_width(bundle, text).max(1) as u32 + 4;
        self.ascii
            .push((text.to_string(), color, self.height as i32));
        self.height += line_height;
        self.width = self.width.max(w);
        self
    }

    pub fn render(
        self,
        bundle: &Bundle<'_>,
        theme_ink: bitig_render::Ink,
        ascii_baseline: i32,
    ) -> Image {
        let widest_tabbed = self
            .ascii
            .iter()
            .filter_map(|(t, _, _)| t.split_once('\t'))
            .map(|(key, value)| {
                let k = bitig_render::ascii_width(bundle, key);
                (k, bitig_render::ascii_width(bundle, value))
            })
            .fold((0, 0), |(k, v), (a, b)| (k.max(a), v.max(b)));
        let width = self
            .width
            .max((widest_tabbed.0 + TAB_GAP_PX + widest_tabbed.1 + 4) as u32);
        let mut c = LabelCanvas::new(width, self.height.max(1));
        for (b, y) in &self.parts {
            let x = if self.centre {
                (width as i32 - i32::from(b.width)) / 2
            } else {
                0
            };
            let _ = bitig_render::draw_block(&mut c, bundle, b, x, *y, theme_ink);
        }
        // Tabbed lines form two columns: the second starts after the widest first column.
        let column = self
            .ascii
            .iter()
            .filter_map(|(t, _, _)| t.split_once('\t'))
            .map(|(key, _)| bitig_render::ascii_width(bundle, key))
            .max()
            .map_or(0, |w| w + TAB_GAP_PX);
        for (t, color, y) in &self.ascii {
            let x = if self.centre {
                (width as i32 - bitig_render::ascii_width(bundle, t)) / 2
            } else {
                2
            };
            // A tab moves to the next tab stop (operator menu columns).
            let mut pen = x;
            for (i, part) in t.split('\t').enumerate() {
                if i > 0 {
                    pen = pen.max(x + column);
                }
                pen +=
                    bitig_render::draw_ascii(&mut c, bundle, part, pen, y + ascii_baseline, *color)
                        .unwrap_or(0);
            }
        }
        c.into_image()
    }
}

/// A UI string as an image, or an empty image if the bundle lacks it.
pub fn label(bundle: &Bundle<'_>, key: &str, lang: Lang) -> Image {
    match bundle.ui_text(key, lang) {
        Some(u) => Stack::new(false)
            .block(&u.block, 0)
            .render(bundle, ink(bundle), 0),
        None => Image::default(),
    }
}

/// The locked PIN pad's message ("Too many wrong PINs. Please wait:") with the wait as
/// `m:ss` below it, centred.
pub fn pin_locked_label(bundle: &Bundle<'_>, lang: Lang, wait_s: u64) -> Image {
    let wait = format!("{}:{:02}", wait_s / 60, wait_s % 60);
    countdown_label(bundle, "menu.pin-locked", lang, &wait)
}

/// "Still reading? Touch the screen to continue." and the seconds left before the reset.
pub fn idle_warning_label(bundle: &Bundle<'_>, lang: Lang, left_s: u64) -> Image {
    countdown_label(bundle, "idle.warning", lang, &left_s.to_string())
}

/// A UI text with a countdown (device-composed ASCII) under it, centred.
fn countdown_label(bundle: &Bundle<'_>, key: &str, lang: Lang, count: &str) -> Image {
    let (ascent, height) = ascii_metrics(bundle);
    let mut stack = Stack::new(true);
    if let Some(u) = bundle.ui_text(key, lang) {
        stack = stack.block(&u.block, 0);
    }
    stack
        .ascii(bundle, count, bundle.profile.theme.accent, height)
        .render(bundle, ink(bundle), ascent)
}

/// A number inside a sentence on one line: the UI strings `<key>.before` and `<key>.after`
/// (either may be empty) around `number` in device-composed ASCII, as in "Back to page 12",
/// "12. sayfaya dön", "12-бетке оралу". The number sits on the text's baseline.
pub fn number_in_text(bundle: &Bundle<'_>, key: &str, lang: Lang, number: &str) -> Image {
    let before = bundle.ui_text(&format!("{key}.before"), lang);
    let after = bundle.ui_text(&format!("{key}.after"), lang);
    let (ascii_ascent, ascii_h) = ascii_metrics(bundle);
    // The first line's baseline, from whichever part has text.
    let baseline = [before, after]
        .iter()
        .flatten()
        .find_map(|u| u.block.lines.first().map(|l| i32::from(l.y)))
        .unwrap_or(ascii_ascent);
    let space = bitig_render::ascii_width(bundle, " ");
    let num_w = bitig_render::ascii_width(bundle, number);
    let bw = before.map_or(0, |u| i32::from(u.block.width));
    let aw = after.map_or(0, |u| i32::from(u.block.width));
    let gap = if before.is_some() { space } else { 0 };
    let width = bw + gap + num_w + aw + 4;
    let height = [before, after]
        .iter()
        .flatten()
        .map(|u| i32::from(u.block.height))
        .max()
        .unwrap_or(0)
        .max(ascii_h as i32);
    let mut c = LabelCanvas::new(width.max(1) as u32, height.max(1) as u32);
    let theme = ink(bundle);
    if let Some(u) = before {
        let _ = bitig_render::draw_block(&mut c, bundle, &u.block, 0, 0, theme);
    }
    // A block's glyphs are inset by its ink pad (its first line's x) on both sides: the
    // number follows the text's advance, not the block's edge.
    let pad_of = |u: Option<&bitig_format::UiText<'_>>| {
        u.and_then(|u| u.block.lines.first())
            .map_or(0, |l| i32::from(l.x))
    };
    let pen = (bw - pad_of(before)).max(0) + gap;
    let pen = bitig_render::draw_ascii(
        &mut c,
        bundle,
        number,
        pen,
        baseline,
        bundle.profile.theme.text,
    )
    .map_or(pen + num_w, |adv| pen + adv);
    if let Some(u) = after {
        let _ = bitig_render::draw_block(&mut c, bundle, &u.block, pen - pad_of(after), 0, theme);
    }
    c.into_image()
}

/// Device-composed ASCII text (page counter, digits) as a label image.
pub fn ascii_label(bundle: &Bundle<'_>, text: &str, color: Rgb) -> Image {
    let (ascent, height) = ascii_metrics(bundle);
    Stack::new(false)
        .ascii(bundle, text, color, height)
        .render(bundle, ink(bundle), ascent)
}

/// Ascent and line height (px) of the ASCII strip's strike.
pub fn ascii_metrics(bundle: &Bundle<'_>) -> (i32, u32) {
    bundle
        .strikes
        .get(usize::from(bundle.ascii.strike.0))
        .map_or((16, 24), |s| {
            (
                i32::from(s.ascent) + 2,
                (i32::from(s.ascent) - i32::from(s.descent) + 6).max(1) as u32,
            )
        })
}

pub fn ink(bundle: &Bundle<'_>) -> bitig_render::Ink {
    bitig_render::Ink::Theme(bundle.profile.theme)
}

/// The reader's page counter ("12 / 30"), drawn into reused buffers (in rotation, like
/// [`PageBuffers`]) so that a page turn allocates nothing. The buffers are as wide as the widest
/// counter of the document and the text is right-aligned in them; the UI aligns the image's
/// right edge, so the digits land on the same pixels as in a label of their own width.
pub struct CounterLabel {
    canvases: [LabelCanvas; 3],
    next: usize,
}

impl Default for CounterLabel {
    fn default() -> Self {
        CounterLabel {
            canvases: [
                LabelCanvas::new(1, 1),
                LabelCanvas::new(1, 1),
                LabelCanvas::new(1, 1),
            ],
            next: 0,
        }
    }
}

/// "page / count" without allocating.
pub fn counter_text(page: u16, count: u16) -> heapless::String<16> {
    use core::fmt::Write;
    let mut s = heapless::String::new();
    // 5 + 3 + 5 characters always fit in 16.
    let _ = write!(s, "{page} / {count}");
    s
}

impl CounterLabel {
    /// Sizes the buffers for counters up to `count` (allocates only when the size changes).
    pub fn prepare(&mut self, bundle: &Bundle<'_>, count: u16) {
        let widest = (1..=count.max(1))
            .map(|p| bitig_render::ascii_width(bundle, &counter_text(p, count)))
            .max()
            .unwrap_or(0);
        let width = (widest.max(1) + 4) as u32;
        let height = ascii_metrics(bundle).1;
        for c in &mut self.canvases {
            if (c.buf.width(), c.buf.height()) != (width, height) {
                *c = LabelCanvas::new(width, height);
            }
        }
    }

    /// The labels' width in pixels (the widest counter's, from [`prepare`](Self::prepare)).
    pub fn width(&self) -> u32 {
        self.canvases[0].buf.width()
    }

    /// Draws `text` right-aligned into the next buffer and returns it as an image.
    pub fn render(&mut self, bundle: &Bundle<'_>, text: &str, color: Rgb) -> Image {
        let c = &mut self.canvases[self.next];
        self.next = (self.next + 1) % 3;
        c.clear();
        let x = c.buf.width() as i32 - 2 - bitig_render::ascii_width(bundle, text);
        let _ = bitig_render::draw_ascii(c, bundle, text, x, ascii_metrics(bundle).0, color);
        Image::from_rgba8_premultiplied(c.buf.clone())
    }
}

/// A span of a block's text marked on its page (the sentence the voice speaks): block, byte
/// range, colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marked {
    pub block: u16,
    pub start: u32,
    pub end: u32,
    pub colour: Rgb,
}

/// Fills the rectangles of `m` on `page` drawn at x `ox`, 2 px wider on each side.
fn mark(
    c: &mut bitig_render::Canvas<'_>,
    bundle: &Bundle<'_>,
    page: &bitig_format::Page,
    m: Marked,
    ox: i32,
) {
    bitig_render::span_rects(
        bundle,
        page,
        (m.block, m.start, m.end),
        ox,
        0,
        |x, y, w, h| c.fill_rect(x - 2, y, w + 4, h, m.colour),
    );
}

/// The reader's page buffers. Pages are rendered into reused buffers (no allocation once
/// they are unshared), in rotation, so Slint always sees a new buffer address.
pub struct PageBuffers {
    bufs: [SharedPixelBuffer<Rgb8Pixel>; 3],
    /// What each buffer holds: the next page drawn into it restores only the pixels the
    /// page before changed.
    held: Box<[bitig_render::Held; 3]>,
    /// The bundle's atlases blended for the theme's inks, made once a bundle.
    inked: bitig_render::Inked,
    next: usize,
    /// Pages drawn so far: the last one's number tells its drawing apart from earlier ones
    /// in the same buffer.
    drawings: u64,
}

impl PageBuffers {
    pub fn new(bundle: &Bundle<'_>, width: u32, height: u32) -> PageBuffers {
        PageBuffers {
            inked: bitig_render::Inked::theme(bundle),
            bufs: [
                SharedPixelBuffer::new(width, height),
                SharedPixelBuffer::new(width, height),
                SharedPixelBuffer::new(width, height),
            ],
            held: Box::new([const { bitig_render::Held::unknown() }; 3]),
            next: 0,
            drawings: 0,
        }
    }

    /// The page drawn last: its buffer (a shared handle: no copy) and its drawing's number.
    pub fn last(&self) -> crate::slide::Drawn {
        let n = self.bufs.len();
        (self.bufs[(self.next + n - 1) % n].clone(), self.drawings)
    }

    /// Draws two half-width pages side by side, with a rule between them (the parallel view),
    /// and the spoken sentence marked on the left one.
    pub fn render_pair(
        &mut self,
        bundle: &Bundle<'_>,
        left: Option<&bitig_format::Page>,
        right: Option<&bitig_format::Page>,
        spoken: Option<Marked>,
    ) -> Image {
        let i = self.next;
        self.next = (self.next + 1) % self.bufs.len();
        self.drawings += 1;
        let buf = &mut self.bufs[i];
        let (w, h) = (buf.width(), buf.height());
        let bytes = buf.make_mut_bytes();
        let theme = bundle.profile.theme;
        let held = &mut self.held[i];
        if let Some(c) = bitig_render::Canvas::refill(bytes, w, h, held, theme.background) {
            let mut c = c.with_inked(&self.inked);
            let half = (w / 2) as i32;
            c.fill_rect(half, 16, 1, h.saturating_sub(32), theme.muted);
            if let (Some(p), Some(m)) = (left, spoken) {
                mark(&mut c, bundle, p, m, 0);
            }
            for (page, x) in [(left, 0), (right, half)] {
                if let Some(p) = page {
                    let _ = bitig_render::draw_page(&mut c, bundle, p, x, 0, ink(bundle));
                }
            }
        }
        Image::from_rgb8(buf.clone())
    }

    /// Draws `page` of `layout` into the next buffer, with the spoken sentence marked, and
    /// returns it as an image.
    pub fn render(
        &mut self,
        bundle: &Bundle<'_>,
        page: Option<&bitig_format::Page>,
        spoken: Option<Marked>,
    ) -> Image {
        let i = self.next;
        self.next = (self.next + 1) % self.bufs.len();
        self.drawings += 1;
        let buf = &mut self.bufs[i];
        let (w, h) = (buf.width(), buf.height());
        let bytes = buf.make_mut_bytes();
        let (held, background) = (&mut self.held[i], bundle.profile.theme.background);
        if let Some(c) = bitig_render::Canvas::refill(bytes, w, h, held, background) {
            let mut c = c.with_inked(&self.inked);
            if let Some(p) = page {
                if let Some(m) = spoken {
                    mark(&mut c, bundle, p, m, 0);
                }
                let _ = bitig_render::draw_page(&mut c, bundle, p, 0, 0, ink(bundle));
            }
        }
        Image::from_rgb8(buf.clone())
    }
}
