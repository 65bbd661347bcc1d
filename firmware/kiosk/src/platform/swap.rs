//! Two scan-out buffers that take turns on the panel (the device's DRM dumb buffers; the
//! slide benchmark's), fed from one frame in memory that Slint renders into.
//!
//! - Slint renders only what changed into the frame in memory (`ReusedBuffer`): it is always
//!   the whole screen as Slint last drew it.
//! - Each scan-out buffer is brought up to date by copying from that frame what changed
//!   since the buffer was last drawn (its damage). Scan-out buffers are write-combined on the
//!   board: they are only written, never read.
//! - During a page slide, the [`Compositor`] copies the two pages straight into the
//!   scan-out buffer. Slint's renderer is not called while nothing of its own changed, so a
//!   slide frame costs the copy of the page area and little more.
//!
//! Slint's own way with two buffers (`RepaintBufferType::SwappedBuffers`) renders the last
//! frame's dirty region a second time into the other buffer, and its renderer must run on
//! every frame shown; here that is a copy.

use crate::slide::{Compositor, Layer, PagePixel};
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, RenderingRotation, RepaintBufferType,
};

/// A rectangle of the frame, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rect {
    x: usize,
    y: usize,
    w: usize,
    h: usize,
}

impl Rect {
    fn union(self, o: Rect) -> Rect {
        let (x, y) = (self.x.min(o.x), self.y.min(o.y));
        let x1 = (self.x + self.w).max(o.x + o.w);
        let y1 = (self.y + self.h).max(o.y + o.h);
        Rect {
            x,
            y,
            w: x1 - x,
            h: y1 - y,
        }
    }

    fn inside(self, o: Rect) -> bool {
        self.x >= o.x
            && self.y >= o.y
            && self.x + self.w <= o.x + o.w
            && self.y + self.h <= o.y + o.h
    }
}

/// What a scan-out buffer lacks: a few rectangles (more are merged into their bounding box).
type Stale = heapless::Vec<Rect, 4>;

fn add(stale: &mut Stale, r: Rect) {
    if r.w == 0 || r.h == 0 || stale.iter().any(|s| r.inside(*s)) {
        return;
    }
    if let Err(r) = stale.push(r) {
        let all = stale.iter().fold(r, |a, s| a.union(*s));
        stale.clear();
        let _ = stale.push(all);
    }
}

/// The frame in memory, the two buffers' damage, the sliding pages.
pub struct SwapChain<P> {
    frame: Vec<P>,
    width: usize,
    height: usize,
    rotation: RenderingRotation,
    /// Slint has drawn the whole frame once.
    drawn: bool,
    /// Frames Slint rendered (something of its own had changed).
    renders: u64,
    stale: [Stale; 2],
    back: usize,
    compositor: Compositor<P>,
}

impl<P: PagePixel> SwapChain<P> {
    /// A frame of `width` x `height` pixels as the buffers hold it (after `rotation`).
    pub fn new(width: usize, height: usize, rotation: RenderingRotation) -> SwapChain<P> {
        let whole = Rect {
            x: 0,
            y: 0,
            w: width,
            h: height,
        };
        let mut stale = Stale::new();
        add(&mut stale, whole);
        SwapChain {
            frame: vec![P::from_rgb(0, 0, 0); width * height],
            width,
            height,
            rotation,
            drawn: false,
            renders: 0,
            stale: [stale.clone(), stale],
            back: 0,
            compositor: Compositor::default(),
        }
    }

    /// The buffer the next [`draw`](Self::draw) draws into (0 or 1).
    pub fn back(&self) -> usize {
        self.back
    }

    /// The frame in memory: the whole screen as Slint last drew it.
    pub fn frame(&self) -> &[P] {
        &self.frame
    }

    /// Frames Slint rendered so far (the benchmark counts them per page turn).
    pub fn renders(&self) -> u64 {
        self.renders
    }

    /// Pages the slides converted so far.
    pub fn pages_converted(&self) -> u64 {
        self.compositor.conversions
    }

    /// Draws the back buffer (`stride` pixels a line): what Slint has to draw, then what the
    /// buffer lacks, then the sliding pages where they are at `now_ms`. Returns false, having
    /// written nothing, if nothing changed; true if the back buffer is a new frame, to be
    /// shown (the next draw is into the other buffer).
    pub fn draw(
        &mut self,
        window: &MinimalSoftwareWindow,
        slide: &Layer,
        now_ms: u64,
        back: &mut [P],
        stride: usize,
    ) -> bool {
        let turned = self.rotation != RenderingRotation::NoRotation;
        let page = slide
            .area()
            .filter(|_| slide.composed() && !turned)
            .map(|(top, w, h)| Rect {
                x: 0,
                y: top as usize,
                w: (w as usize).min(self.width),
                h: h as usize,
            });
        let (w, h) = (self.width, self.height);
        let (fresh, rotation) = (!self.drawn, self.rotation);
        let frame = &mut self.frame;
        let mut damage = None;
        let rendered = window.draw_if_needed(|renderer| {
            renderer.set_rendering_rotation(rotation);
            renderer.set_repaint_buffer_type(if fresh {
                RepaintBufferType::NewBuffer
            } else {
                RepaintBufferType::ReusedBuffer
            });
            let region = renderer.render(frame, w);
            let (o, s) = (region.bounding_box_origin(), region.bounding_box_size());
            damage = Some(Rect {
                x: o.x.max(0) as usize,
                y: o.y.max(0) as usize,
                w: s.width as usize,
                h: s.height as usize,
            });
        });
        self.drawn |= rendered;
        self.renders += u64::from(rendered);
        let damage = match damage {
            // Turned, the renderer's region is not in the buffer's lines: copy it all.
            Some(_) if turned => Some(Rect { x: 0, y: 0, w, h }),
            d => d,
        };
        if !rendered && page.is_none() {
            return false;
        }
        let (b, f) = (self.back, self.back ^ 1);
        if let Some(d) = damage {
            add(&mut self.stale[b], d);
            add(&mut self.stale[f], d);
        }
        for r in &self.stale[b] {
            if !page.is_some_and(|p| r.inside(p)) {
                copy_rect(&self.frame, self.width, back, stride, *r);
            }
        }
        self.stale[b].clear();
        if let Some(p) = page {
            self.compositor.compose(slide, now_ms, back, stride);
            // The other buffer gets the page area from the frame in memory (Slint's page
            // once the slide has ended) or from the next slide frame.
            add(&mut self.stale[f], p);
        }
        self.back = f;
        true
    }
}

/// Copies rectangle `r` of `src` (`src_stride` pixels a line) into `dst`.
fn copy_rect<P: Copy>(src: &[P], src_stride: usize, dst: &mut [P], dst_stride: usize, r: Rect) {
    let w = r.w.min(src_stride.saturating_sub(r.x));
    for y in r.y..r.y + r.h {
        let (s, d) = (y * src_stride + r.x, y * dst_stride + r.x);
        if let (Some(s), Some(d)) = (src.get(s..s + w), dst.get_mut(d..d + w)) {
            d.copy_from_slice(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_kept_as_a_few_rectangles_and_merged_beyond() {
        let r = |x, y| Rect { x, y, w: 2, h: 2 };
        let mut s = Stale::new();
        for i in 0..4 {
            add(&mut s, r(10 * i, 0));
        }
        add(&mut s, r(1, 0)); // inside none; a fifth: everything merges
        assert_eq!(
            s.as_slice(),
            &[Rect {
                x: 0,
                y: 0,
                w: 32,
                h: 2
            }]
        );
        add(&mut s, r(4, 0)); // inside: nothing added
        assert_eq!(s.len(), 1);
    }
}
