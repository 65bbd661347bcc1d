//! `bitig-pagebench MODE PAGES BUNDLE [FONT...]`: draws the first PAGES normal-size pages of
//! BUNDLE (800x480 landscape profile) once each in one way, and prints a checksum of the
//! last frame. Run it twice, with PAGES = 0 and PAGES = N, under an instruction counter; the
//! difference divided by N is the cost of one page. `bitig-bench` does this with callgrind
//! (x86_64) and `qemu-aarch64 -d in_asm,exec,nochain` (aarch64: each translated block's
//! instructions times how often it ran). The checksum is taken once, so that it is not
//! counted: over every frame it cost more instructions than a page's glyphs (7 a sampled
//! byte on x86_64, 132,000 a frame).
//!
//! MODE: `bitig` (blit pre-shaped glyphs), `runtime` (shape with rustybuzz and rasterize with
//! fontdue, needs the FONT files in the bundler's order), `memcpy` (copy one frame: the floor),
//! and `bitig-sums`: `bitig` with a checksum over every frame, to check that a change to the
//! blitter keeps the bytes of every page (not for counting).

use bitig_format::Bundle;
use bitig_pagebench::{draw_bitig, draw_runtime, pages, runtime_lines, RtLine};
use std::hint::black_box;
use std::process::ExitCode;

const USAGE: &str = "usage: bitig-pagebench bitig|bitig-sums|runtime|memcpy PAGES BUNDLE [FONT...]";

fn main() -> ExitCode {
    match run() {
        Ok(sum) => {
            println!("checksum {sum}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bitig-pagebench: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<u64, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, count, bundle, fonts @ ..] = args.as_slice() else {
        return Err("missing arguments".into());
    };
    let count: usize = count
        .parse()
        .map_err(|_| format!("PAGES must be a number, not {count:?}"))?;
    let bytes = std::fs::read(bundle).map_err(|e| format!("cannot read {bundle}: {e}"))?;
    let b = Bundle::from_bundle_bytes(&bytes).map_err(|e| format!("{bundle}: {e}"))?;
    let all = pages(&b);
    if all.is_empty() {
        return Err(format!("{bundle} has no pages"));
    }
    let (w, h) = (u32::from(b.profile.width), u32::from(b.profile.height));
    let mut frame = vec![0u8; (w * h * 3) as usize];
    let mut sum = 0u64;
    let each = mode == "bitig-sums";
    let fold = |sum: u64, frame: &[u8]| {
        frame
            .iter()
            .step_by(61)
            .fold(sum, |s, &v| s.rotate_left(5) ^ u64::from(v))
    };
    // Every frame (`bitig-sums`), or only the last one, after the loop: the same work
    // whatever PAGES is, so the difference between two runs has none of it.
    let mut checksum = |frame: &[u8]| {
        if each {
            sum = fold(sum, frame);
        }
        black_box(frame);
    };
    match mode.as_str() {
        "bitig" | "bitig-sums" => {
            let inked = bitig_render::Inked::theme(&b);
            // Each page over the one before, as in the kiosk's reused page buffers.
            let mut held = bitig_render::Held::unknown();
            for i in 0..count {
                draw_bitig(
                    &b,
                    &inked,
                    all[i % all.len()].1,
                    black_box(&mut frame),
                    &mut held,
                    (w, h),
                );
                checksum(&frame);
            }
        }
        "memcpy" => {
            let src = vec![0x5au8; frame.len()];
            for _ in 0..count {
                black_box(&mut frame).copy_from_slice(black_box(&src));
                checksum(&frame);
            }
        }
        "runtime" => {
            let data: Vec<Vec<u8>> = fonts
                .iter()
                .map(|f| std::fs::read(f).map_err(|e| format!("cannot read {f}: {e}")))
                .collect::<Result<_, _>>()?;
            if data.is_empty() {
                return Err("runtime needs the font files".into());
            }
            let faces: Vec<rustybuzz::Face<'_>> = data
                .iter()
                .zip(fonts)
                .map(|(d, f)| rustybuzz::Face::from_slice(d, 0).ok_or(format!("{f}: not a font")))
                .collect::<Result<_, _>>()?;
            let raster: Vec<fontdue::Font> = data
                .iter()
                .zip(fonts)
                .map(|(d, f)| {
                    fontdue::Font::from_bytes(d.as_slice(), fontdue::FontSettings::default())
                        .map_err(|e| format!("{f}: {e}"))
                })
                .collect::<Result<_, _>>()?;
            // Prepared for every page whatever PAGES is, so only drawing differs.
            let lines: Vec<Vec<RtLine>> =
                all.iter().map(|(e, p)| runtime_lines(&b, e, p)).collect();
            for i in 0..count {
                let page = &lines[i % lines.len()];
                draw_runtime(
                    &faces,
                    &raster,
                    page,
                    black_box(&mut frame),
                    w as usize,
                    h as usize,
                );
                checksum(&frame);
            }
        }
        other => return Err(format!("unknown mode {other:?}")),
    }
    if !each {
        sum = fold(sum, &frame);
    }
    Ok(sum)
}
