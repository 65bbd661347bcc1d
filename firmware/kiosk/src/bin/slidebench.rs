//! `bitig-slidebench MODE TURNS BUNDLE`: what a page turn costs the device, for instruction
//! counts (callgrind on x86_64, qemu-aarch64 on aarch64; `tools/bench` runs it).
//!
//! The headless kiosk (the device's UI and software renderer, a virtual clock) opens the first
//! statement in English and turns TURNS pages with a tap at the page's edge (back again at the
//! last page). Frames go into 32-bit XRGB8888 buffers, the format of the DRM dumb buffers the
//! device's linuxkms backend renders into.
//!
//! MODE is `<frames>-<repaint>`:
//! - frames `settled`: each turn draws only its settled frame; `all`: every frame the device
//!   draws during the slide too (one when the finger lifts, then one a vblank, 60 Hz, while
//!   it slides: the slide's pages are copied in, `bitig_kiosk::slide`). The difference between the two, over the slide frames, is one slide frame.
//! - repaint `full`: every pixel of every frame, then a copy of the frame into the scan-out
//!   buffer; `partial`: the device's way (`platform::swap::SwapChain`, as platform/drm.rs
//!   drives it): Slint renders only what changed into a frame in memory, and each of two
//!   scan-out buffers gets a copy of what it lacks; a slide's pages are copied straight in.
//!
//! `memcpy TURNS BUNDLE` copies one frame TURNS times (the floor).
//!
//! Prints `frames F slide-frames S checksum C`.

use bitig_kiosk::app::{load_bundle, Kiosk};
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::{Headless, STEP_MS};
use bitig_kiosk::platform::swap::SwapChain;
use bitig_kiosk::slide::{Compositor, Xrgb8888 as Xrgb};
use slint::platform::software_renderer::{RenderingRotation, RepaintBufferType};
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str =
    "usage: bitig-slidebench settled-full|all-full|settled-partial|all-partial|memcpy TURNS BUNDLE";

fn main() -> ExitCode {
    match run() {
        Ok((frames, slide, sum)) => {
            println!("frames {frames} slide-frames {slide} checksum {sum}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bitig-slidebench: {e:#}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<(u64, u64, u64)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, turns, bundle] = args.as_slice() else {
        anyhow::bail!("expected three arguments");
    };
    let turns: u64 = turns
        .parse()
        .map_err(|_| anyhow::anyhow!("TURNS must be a number, not {turns:?}"))?;
    let (all, partial) = match mode.as_str() {
        "settled-full" => (false, false),
        "all-full" => (true, false),
        "settled-partial" => (false, true),
        "all-partial" => (true, true),
        "memcpy" => return Ok(memcpy(turns)),
        other => anyhow::bail!("unknown MODE {other:?}"),
    };
    let repaint = if partial {
        RepaintBufferType::SwappedBuffers
    } else {
        RepaintBufferType::NewBuffer
    };
    let (mut h, clock) = Headless::install_with(Rotation::R0, repaint)?;
    // Nothing but the reader: no content slots or statistics to write, no USB watcher (the
    // device build's defaults would start both).
    let mut config = Config::load(None)?;
    config.content_dir = None;
    config.usb_dir = None;
    let kiosk = Kiosk::new(load_bundle(Path::new(bundle)), config, clock)?;
    h.attach(&kiosk)?;
    let (w, ht) = h.panel_size();
    let len = (w * ht) as usize;
    // Two buffers that swap (partial), or one drawn in full and copied to the scan-out buffer.
    let mut buffers = [vec![Xrgb::default(); len], vec![Xrgb::default(); len]];
    let mut frames = 0u64;
    // The sliding pages, in the buffers' format (converted once a turn).
    let mut compositor = Compositor::<Xrgb>::default();
    // The device's way (platform/drm.rs): Slint renders what changed into a frame in memory,
    // each scan-out buffer gets a copy of what it lacks, a slide's pages are copied in.
    let mut chain = SwapChain::<Xrgb>::new(w as usize, ht as usize, RenderingRotation::NoRotation);
    let layer = kiosk.slide_layer();
    let mut draw = |h: &mut Headless| {
        if partial {
            let b = chain.back();
            if chain.draw(h.window(), &layer, h.now_ms(), &mut buffers[b], w as usize) {
                frames += 1;
            }
        } else {
            let [drawn, scanout] = &mut buffers;
            h.render_into(drawn);
            h.compose_into(&mut compositor, drawn);
            black_box(&mut *scanout).copy_from_slice(black_box(drawn));
            frames += 1;
        }
    };
    anyhow::ensure!(
        (w, ht) == (800, 480),
        "BUNDLE is for a {w}x{ht} panel; the benchmark taps the 800x480 landscape panel's buttons"
    );
    // Wake, English, the first statement.
    for (x, y) in [(400.0, 300.0), (400.0, 350.0), (300.0, 120.0)] {
        h.tap(x, y);
        draw(&mut h);
    }
    anyhow::ensure!(kiosk.screen() == Screen::Reader, "the reader did not open");
    let (wf, hf) = (w as f32, ht as f32);
    let mut slide = 0u64;
    let mut forward = true;
    let y = hf / 2.0;
    for _ in 0..turns {
        for _attempt in 0..2 {
            let before = kiosk.page().0;
            let x = if forward { wf - 20.0 } else { 20.0 };
            h.press(x, y);
            h.advance(60);
            h.release(x, y);
            if kiosk.page().0 != before {
                break;
            }
            forward = !forward; // the last (or first) page: turn back the other way
        }
        // The device draws when the finger lifts (the slide's first frame), then one frame a
        // vblank (60 Hz: a step of the virtual clock) until the slide ends; its end draws the
        // settled frame.
        while kiosk.sliding() {
            if all {
                draw(&mut h);
                slide += 1;
            }
            h.advance(STEP_MS);
        }
        draw(&mut h);
    }
    let sum = buffers
        .iter()
        .flat_map(|b| b.iter().step_by(61))
        .fold(0u64, |s, p| s.rotate_left(5) ^ u64::from(p.0));
    Ok((frames, slide, sum))
}

/// Copies one 32-bit frame `n` times.
fn memcpy(n: u64) -> (u64, u64, u64) {
    let len = 800 * 480;
    let src = vec![Xrgb(0x00ff_5a5a); len];
    let mut dst = vec![Xrgb::default(); len];
    for _ in 0..n {
        black_box(&mut dst).copy_from_slice(black_box(&src));
    }
    (n, 0, dst.iter().step_by(61).map(|p| u64::from(p.0)).sum())
}
