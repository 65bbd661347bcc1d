//! The device's two scan-out buffers (`platform::swap`), driven as platform/drm.rs drives
//! them, on the headless kiosk: after every frame shown, the buffer on show is the whole
//! screen as Slint draws it (outside the page area while a page slides), whatever changed
//! since that buffer was last drawn: page turns by touch, the side-by-side view, a language.
//! A frame with nothing new is not drawn, and a page turn is one frame of Slint's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitig_kiosk::platform::headless::{Headless, STEP_MS};
use bitig_kiosk::platform::swap::SwapChain;
use bitig_kiosk::slide::{Layer, Xrgb8888};
use slint::platform::software_renderer::RenderingRotation;

const W: usize = 800;
const H: usize = 480;

struct Panel {
    chain: SwapChain<Xrgb8888>,
    buffers: [Vec<Xrgb8888>; 2],
    frames: usize,
    slide_frames: usize,
}

impl Panel {
    /// Draws a frame as the device does; if one was drawn, checks the buffer to be shown.
    fn frame(&mut self, h: &Headless, layer: &Layer, what: &str) -> bool {
        let b = self.chain.back();
        if !self
            .chain
            .draw(h.window(), layer, h.now_ms(), &mut self.buffers[b], W)
        {
            return false;
        }
        self.frames += 1;
        let page = layer
            .area()
            .map(|(top, _, h)| top as usize..(top + h) as usize);
        self.slide_frames += usize::from(page.is_some());
        let frame = self.chain.frame();
        for y in 0..H {
            if page.as_ref().is_some_and(|p| p.contains(&y)) {
                continue;
            }
            let row = y * W..(y + 1) * W;
            let wrong = self.buffers[b][row.clone()]
                .iter()
                .zip(&frame[row])
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(
                wrong, 0,
                "{what}: frame {}: line {y} of the buffer on show differs from the screen in {wrong} pixels",
                self.frames
            );
        }
        true
    }
}

#[test]
fn every_frame_shown_is_the_whole_screen() {
    let bundle = common::bundle("pi-touch-800x480");
    let (mut h, kiosk) = common::kiosk_in_reader(&bundle);
    let layer = kiosk.slide_layer();
    let mut p = Panel {
        chain: SwapChain::new(W, H, RenderingRotation::NoRotation),
        buffers: [vec![Xrgb8888(0); W * H], vec![Xrgb8888(0); W * H]],
        frames: 0,
        slide_frames: 0,
    };
    assert!(p.frame(&h, &layer, "the reader"));
    assert!(
        !p.frame(&h, &layer, "nothing new"),
        "a frame with nothing new was drawn"
    );
    let taps: [(&str, f32, f32); 6] = [
        ("next page", 780.0, 250.0),
        ("next page", 780.0, 250.0),
        ("side by side", 637.0, 28.0),
        ("previous page", 20.0, 250.0),
        ("Kazakh", 268.0, 28.0),
        ("next page", 780.0, 250.0),
    ];
    for (what, x, y) in taps {
        let renders = p.chain.renders();
        h.press(x, y);
        h.advance(60);
        h.release(x, y);
        p.frame(&h, &layer, what);
        while kiosk.sliding() {
            h.advance(STEP_MS);
            p.frame(&h, &layer, what);
        }
        h.advance(STEP_MS);
        p.frame(&h, &layer, what);
        h.advance(STEP_MS);
        assert!(
            !p.frame(&h, &layer, what),
            "{what}: a frame with nothing new"
        );
        // A page turn is one frame of Slint's: the page, the counter and the progress bar
        // change together when the slide ends. Each frame Slint renders allocates a node for
        // every property it reads (docs/performance.md), so a second one costs ~230 more.
        let rendered = p.chain.renders() - renders;
        if what.ends_with(" page") {
            assert_eq!(rendered, 1, "{what}: frames Slint rendered in a page turn");
        }
    }
    println!(
        "{} frames shown, {} of them slide frames; {} pages converted",
        p.frames,
        p.slide_frames,
        p.chain.pages_converted()
    );
    assert!(p.slide_frames >= 4 * 10, "{} slide frames", p.slide_frames);
    // Four turns: the first converts both pages; a turn after a turn only its new one; a
    // turn after the side-by-side view or a language both (the page on show was drawn anew).
    assert_eq!(p.chain.pages_converted(), 2 + 1 + 2 + 2, "pages converted");
}
