//! A page turn's slide, drawn by copying. When a turn starts, the reader hands both pages (the
//! one going out, the one coming in) to the [`Layer`]. Each frame of the slide, the
//! platform's [`Compositor`] copies rows of the two pages into the frame at the slide's offset
//! for the frame's time: one copy of the page area, where Slint's renderer fetched the two
//! moving images pixel by pixel (about 30 instructions a pixel). Slint draws the bars as
//! before, and only what changed in them. Its page image stays the page going out until the
//! slide ends (the copy covers it), so Slint draws nothing of the page area during a slide.
//!
//! The platform says it composes ([`Layer::set_composed`]). A platform that does not (Slint's
//! own linuxkms backend on the device) gets the slide the old way: the reader moves the
//! page images through Slint properties on the frame timer.

use slint::platform::software_renderer::{PremultipliedRgbaColor, TargetPixel};
use slint::{Rgb8Pixel, SharedPixelBuffer};
use std::cell::{Cell, RefCell};

/// One pixel of a DRM dumb buffer in XRGB8888, the format the device's panel scans out.
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Xrgb8888(pub u32);

impl Xrgb8888 {
    fn rgba(self) -> PremultipliedRgbaColor {
        PremultipliedRgbaColor {
            red: (self.0 >> 16) as u8,
            green: (self.0 >> 8) as u8,
            blue: self.0 as u8,
            alpha: 255,
        }
    }
}

impl TargetPixel for Xrgb8888 {
    fn blend(&mut self, color: PremultipliedRgbaColor) {
        let mut c = self.rgba();
        c.blend(color);
        *self = Xrgb8888::from_rgb(c.red, c.green, c.blue);
    }
    fn from_rgb(r: u8, g: u8, b: u8) -> Self {
        Xrgb8888(bitig_render::xrgb8888(r, g, b))
    }
}

/// How long a page slides.
pub const SLIDE_MS: u64 = 180;

/// Where the incoming page's left edge is, `t_ms` into a slide that comes in from the right
/// (`dir` 1, Next) or the left (-1, Back) of a page `width` pixels wide. The slide eases out
/// (quadratic). The distance left is rounded up, so the page reaches its place only when the
/// slide ends: no frame before the end shows it at rest.
pub fn incoming_x(dir: i32, width: u32, t_ms: u64) -> i32 {
    let t = (t_ms as f32 / SLIDE_MS as f32).min(1.0);
    let left = (1.0 - t) * (1.0 - t);
    dir * (width as f32 * left).ceil() as i32
}

/// A drawn page: its buffer, and which drawing of the page buffers it is (a buffer is drawn
/// again and again; the number tells the drawings apart).
pub type Drawn = (SharedPixelBuffer<Rgb8Pixel>, u64);

/// One slide: both pages, which way, since when, and where the page area starts.
struct Turn {
    old: Drawn,
    new: Drawn,
    dir: i32,
    start_ms: u64,
    top: u32,
}

/// What the reader and the platform share about the slide in progress.
#[derive(Default)]
pub struct Layer {
    composed: Cell<bool>,
    turn: RefCell<Option<Turn>>,
    /// Counts the pages handed over, so a compositor converts each page once.
    serial: Cell<u64>,
}

impl Layer {
    /// The platform copies the sliding pages into its frames.
    pub fn set_composed(&self) {
        self.composed.set(true);
    }

    pub fn composed(&self) -> bool {
        self.composed.get()
    }

    /// A slide starts at `start_ms`: `old` goes out, `new` comes in from `dir`'s side, in the
    /// page area from line `top` down.
    pub fn start(&self, old: Drawn, new: Drawn, dir: i32, start_ms: u64, top: u32) {
        *self.turn.borrow_mut() = Some(Turn {
            old,
            new,
            dir,
            start_ms,
            top,
        });
        self.serial.set(self.serial.get() + 1);
    }

    /// The incoming page was drawn again mid-slide (the spoken sentence moved).
    pub fn replace_new(&self, new: Drawn) {
        if let Some(t) = self.turn.borrow_mut().as_mut() {
            t.new = new;
            self.serial.set(self.serial.get() + 1);
        }
    }

    /// The slide ended (or was cut short): the pages go back to Slint.
    pub fn end(&self) {
        self.turn.borrow_mut().take();
    }

    /// A slide is on: the platform should draw frames.
    pub fn active(&self) -> bool {
        self.turn.borrow().is_some()
    }

    /// Where the sliding pages are drawn while a slide is on: the first line, the width and
    /// the height of the page area.
    pub fn area(&self) -> Option<(u32, u32, u32)> {
        let t = self.turn.borrow();
        let t = t.as_ref()?;
        Some((t.top, t.new.0.width(), t.new.0.height()))
    }
}

/// The platform's side: both pages in the frame's pixel format, converted once a turn, and
/// the copy into each frame.
pub struct Compositor<P> {
    serial: u64,
    old: Vec<P>,
    new: Vec<P>,
    /// Which drawings of the page buffers `old` and `new` hold: a turn's page going out is
    /// mostly the last turn's page coming in, already converted.
    old_drawing: Option<u64>,
    new_drawing: Option<u64>,
    /// Pages converted so far (the benchmark and the tests count them).
    pub conversions: u64,
}

impl<P> Default for Compositor<P> {
    fn default() -> Self {
        Compositor {
            serial: 0,
            old: Vec::new(),
            new: Vec::new(),
            old_drawing: None,
            new_drawing: None,
            conversions: 0,
        }
    }
}

impl<P: PagePixel> Compositor<P> {
    /// Copies the sliding pages into `frame` (UI orientation, `stride` pixels a line) where
    /// they are at `now_ms`. Returns false, drawing nothing, if no slide is on.
    pub fn compose(&mut self, layer: &Layer, now_ms: u64, frame: &mut [P], stride: usize) -> bool {
        let turn = layer.turn.borrow();
        let Some(t) = turn.as_ref() else {
            return false;
        };
        let (w, h) = (t.new.0.width() as usize, t.new.0.height() as usize);
        if self.serial != layer.serial.get() {
            self.serial = layer.serial.get();
            self.convert(t, w * h);
        }
        let x = incoming_x(t.dir, w as u32, now_ms.saturating_sub(t.start_ms));
        let old_x = x - t.dir * w as i32;
        let w = w.min(stride);
        for row in 0..h {
            let at = (t.top as usize + row) * stride;
            let Some(line) = frame.get_mut(at..at + w) else {
                break;
            };
            let src = row * w;
            copy_shifted(line, &self.new[src..], x);
            copy_shifted(line, &self.old[src..], old_x);
        }
        true
    }
}

impl<P: PagePixel> Compositor<P> {
    /// Both pages in the frame's format: each converted once, the page going out taken from
    /// the last turn's page coming in when it is that drawing.
    fn convert(&mut self, t: &Turn, n: usize) {
        if Some(t.old.1) == self.new_drawing && Some(t.old.1) != self.old_drawing {
            std::mem::swap(&mut self.old, &mut self.new);
            std::mem::swap(&mut self.old_drawing, &mut self.new_drawing);
        }
        if Some(t.old.1) != self.old_drawing {
            convert(&t.old.0, &mut self.old, n);
            self.old_drawing = Some(t.old.1);
            self.conversions += 1;
        }
        if Some(t.new.1) != self.new_drawing {
            convert(&t.new.0, &mut self.new, n);
            self.new_drawing = Some(t.new.1);
            self.conversions += 1;
        }
    }
}

/// A pixel format the pages are converted into for a slide.
pub trait PagePixel: TargetPixel + Copy + Default {
    /// `page`'s RGB888 bytes into `out`, pixel for pixel.
    fn convert(page: &[u8], out: &mut [Self]);
}

impl PagePixel for Rgb8Pixel {
    fn convert(page: &[u8], out: &mut [Self]) {
        for (d, s) in out.iter_mut().zip(page.chunks_exact(3)) {
            *d = Rgb8Pixel {
                r: s[0],
                g: s[1],
                b: s[2],
            };
        }
    }
}

impl PagePixel for Xrgb8888 {
    fn convert(page: &[u8], out: &mut [Self]) {
        bitig_render::rgb888_to_xrgb8888(page, bytemuck::cast_slice_mut(out));
    }
}

/// A page's pixels in the frame's format, into `out` (its memory kept from turn to turn).
fn convert<P: PagePixel>(page: &SharedPixelBuffer<Rgb8Pixel>, out: &mut Vec<P>, n: usize) {
    out.resize(n, P::default());
    P::convert(page.as_bytes(), out);
}

/// Copies the part of `src` (a page line) that falls on `line` when the page's left edge is
/// at `x`.
fn copy_shifted<P: Copy>(line: &mut [P], src: &[P], x: i32) {
    let w = line.len();
    let shift = x.unsigned_abs() as usize;
    if shift >= w {
        return;
    }
    if x >= 0 {
        line[shift..].copy_from_slice(&src[..w - shift]);
    } else {
        line[..w - shift].copy_from_slice(&src[shift..w]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incoming_page_starts_at_the_edge_and_rests_only_at_the_end() {
        assert_eq!(incoming_x(1, 800, 0), 800);
        assert_eq!(incoming_x(-1, 800, 0), -800);
        for t in (1..SLIDE_MS).step_by(1) {
            let x = incoming_x(1, 800, t);
            assert!((1..800).contains(&x), "at {t} ms: {x}");
            assert!(
                incoming_x(1, 800, t + 1) <= x,
                "the slide goes back at {t} ms"
            );
        }
        assert_eq!(incoming_x(1, 800, SLIDE_MS), 0);
        assert_eq!(incoming_x(-1, 800, SLIDE_MS + 50), 0);
    }

    fn page(w: u32, h: u32, shade: u8) -> SharedPixelBuffer<Rgb8Pixel> {
        let mut b = SharedPixelBuffer::<Rgb8Pixel>::new(w, h);
        for (i, p) in b.make_mut_slice().iter_mut().enumerate() {
            *p = Rgb8Pixel {
                r: shade,
                g: (i % w as usize) as u8,
                b: 0,
            };
        }
        b
    }

    #[test]
    fn each_frame_is_the_two_pages_at_the_offset_of_its_time() {
        let (w, h, stride, top) = (8u32, 2u32, 8usize, 1u32);
        let layer = Layer::default();
        layer.start((page(w, h, 1), 1), (page(w, h, 2), 2), 1, 1000, top);
        let mut c = Compositor::<Rgb8Pixel>::default();
        let mut frame = vec![Rgb8Pixel { r: 9, g: 9, b: 9 }; stride * 4];
        assert!(c.compose(&layer, 1000 + SLIDE_MS / 2, &mut frame, stride));
        let x = incoming_x(1, w, SLIDE_MS / 2) as usize;
        assert_eq!(x, 2);
        // Line 0 is not the page's: untouched.
        assert!(frame[..stride].iter().all(|p| p.r == 9));
        for row in 1..3 {
            let line = &frame[row * stride..(row + 1) * stride];
            for (i, p) in line.iter().enumerate() {
                let (shade, col) = if i < x {
                    (1, i + w as usize - x)
                } else {
                    (2, i - x)
                };
                assert_eq!((p.r, p.g), (shade, col as u8), "row {row} pixel {i}");
            }
        }
        assert!(frame[3 * stride..].iter().all(|p| p.r == 9));
        layer.end();
        assert!(!c.compose(&layer, 2000, &mut frame, stride));
    }

    #[test]
    fn a_turn_converts_only_its_new_page_when_the_old_one_came_in_last() {
        let (w, h, stride) = (8u32, 2u32, 8usize);
        let layer = Layer::default();
        let mut c = Compositor::<Rgb8Pixel>::default();
        let mut frame = vec![Rgb8Pixel { r: 9, g: 9, b: 9 }; stride * 2];
        let (p1, p2, p3) = (page(w, h, 1), page(w, h, 2), page(w, h, 3));
        layer.start((p1, 1), (p2.clone(), 2), 1, 0, 0);
        assert!(c.compose(&layer, 0, &mut frame, stride));
        assert_eq!(c.conversions, 2);
        // The next turn: page 2 goes out (converted last turn), page 3 comes in.
        layer.start((p2, 2), (p3, 3), 1, 100, 0);
        assert!(c.compose(&layer, 100, &mut frame, stride));
        assert_eq!(c.conversions, 3, "page 2 was converted again");
        // At the turn's start the page going out is where it was: page 2 fills the line.
        assert!(
            frame[..stride].iter().all(|p| p.r == 2),
            "{:?}",
            &frame[..stride]
        );
    }
}
