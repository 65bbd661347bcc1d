//! The page blitter's fast paths give the bytes of its plainest one, on a real bundle.
//!
//! A `Canvas` draws a page three ways:
//! - with the glyphs pre-blended for the theme's inks (`Inked`, as the kiosk's reader draws):
//!   a run's cells looked up once, each glyph inside the canvas copied from its cell, the
//!   background written row by row just ahead of the glyphs;
//! - filled, without them: each mask blended through the background's table;
//! - painted with `fill_rect` only, so that the canvas knows no background: every pixel by
//!   the arithmetic.
//!
//! The pages are drawn where glyphs are clipped by each edge and where a second page lies
//! over the first (glyphs on ink, which the fast paths must leave to the blend).
//!
//! A reused buffer (`Canvas::refill` with the `Held` record of the drawing before) restores
//! only what that drawing changed; it must give the bytes of a drawing into a new buffer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_format::{Bundle, Page};
use bitig_render::{draw_page, Canvas, Held, Ink, Inked};
use bitig_tests::*;

/// Where a page goes on the canvas, then (optionally) a second one over it.
type Placing = ((i32, i32), Option<(i32, i32)>);

fn draw(b: &Bundle<'_>, pages: (&Page, &Page), at: Placing, how: &str, inked: &Inked) -> Vec<u8> {
    let (w, h) = (
        u32::from(b.profile.page_width),
        u32::from(b.profile.page_height),
    );
    let theme = b.profile.theme;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let mut c = Canvas::new(&mut buf, w, h).unwrap();
    match how {
        "inked" => {
            c = c.with_inked(inked);
            c.fill(theme.background);
        }
        "table" => c.fill(theme.background),
        _ => c.fill_rect(0, 0, w, h, theme.background),
    }
    let ((x, y), over) = at;
    draw_page(&mut c, b, pages.0, x, y, Ink::Theme(theme)).unwrap();
    if let Some((x, y)) = over {
        draw_page(&mut c, b, pages.1, x, y, Ink::Theme(theme)).unwrap();
    }
    drop(c);
    buf
}

/// Every page of every layout of `b`.
fn all_pages<'b>(b: &'b Bundle<'_>) -> Vec<&'b Page> {
    b.documents
        .iter()
        .flat_map(|d| &d.editions)
        .flat_map(|e| &e.layouts)
        .flat_map(|l| &l.pages)
        .collect()
}

#[test]
fn every_way_of_drawing_a_page_gives_the_same_bytes() {
    let bytes = tiny_bundle();
    let b = Bundle::from_bundle_bytes(&bytes).unwrap();
    let inked = Inked::theme(&b);
    let (w, h) = (
        i32::from(b.profile.page_width),
        i32::from(b.profile.page_height),
    );
    let pages = all_pages(&b);
    assert!(
        pages.len() >= 2,
        "the tiny bundle has {} pages",
        pages.len()
    );
    let placings: [Placing; 5] = [
        ((0, 0), None),
        // Clipped by the left and top edges, then by the right and bottom ones.
        ((-9, -13), None),
        ((w / 3, h / 2), None),
        // A second page over the first, a few pixels off: glyphs on ink.
        ((0, 0), Some((3, 2))),
        ((0, 0), Some((-w / 2, 5))),
    ];
    let mut inked_pixels = 0;
    for (i, page) in pages.iter().enumerate() {
        let other = pages[(i + 1) % pages.len()];
        for at in placings {
            let plain = draw(&b, (page, other), at, "plain", &inked);
            for how in ["inked", "table"] {
                let got = draw(&b, (page, other), at, how, &inked);
                if let Some((x, y, got, want)) = first_difference(&got, &plain, w as usize) {
                    panic!(
                        "page {i} placed at {at:?}, drawn {how}: pixel ({x}, {y}) is {got:?}, \
                         the arithmetic gives {want:?}"
                    );
                }
            }
            let bg = b.profile.theme.background;
            inked_pixels += plain.chunks(3).filter(|p| *p != [bg.0, bg.1, bg.2]).count();
        }
    }
    assert!(inked_pixels > 10_000, "only {inked_pixels} pixels inked");
}

/// A filled canvas that is dropped with nothing drawn holds the fill in every row (the rows
/// are written as they are needed, the rest when the canvas goes).
#[test]
fn a_fill_reaches_every_row() {
    let (w, h) = (37u32, 11u32);
    let mut buf = vec![7u8; (w * h * 3) as usize];
    let mut c = Canvas::new(&mut buf, w, h).unwrap();
    c.fill(bitig_format::Rgb(1, 2, 3));
    c.fill_rect(5, 2, 3, 3, bitig_format::Rgb(9, 9, 9));
    assert_eq!(c.pixel(36, 10), Some(bitig_format::Rgb(1, 2, 3)));
    drop(c);
    for (i, p) in buf.chunks(3).enumerate() {
        let (x, y) = (i as u32 % w, i as u32 / w);
        let want: &[u8] = if (5..8).contains(&x) && (2..5).contains(&y) {
            &[9, 9, 9]
        } else {
            &[1, 2, 3]
        };
        assert_eq!(p, want, "pixel ({x}, {y})");
    }
}

/// What one drawing puts on a canvas filled already: a page at `at` (and another over it),
/// on some steps a mark under the page's start and a rule at the right edge.
fn paint(c: &mut Canvas<'_>, b: &Bundle<'_>, pages: (&Page, &Page), at: Placing, step: usize) {
    let theme = b.profile.theme;
    let w = i32::from(b.profile.page_width);
    if step % 3 == 1 {
        c.fill_rect(at.0 .0 + 20, at.0 .1 + 8, 90, 14, theme.muted);
        c.fill_rect(w - 3, 0, 1, 40, theme.accent);
    }
    let ((x, y), over) = at;
    draw_page(c, b, pages.0, x, y, Ink::Theme(theme)).unwrap();
    if let Some((x, y)) = over {
        draw_page(c, b, pages.1, x, y, Ink::Theme(theme)).unwrap();
    }
}

/// The first pixel where `got` and `want` differ, as (x, y, got, want).
fn first_difference(got: &[u8], want: &[u8], w: usize) -> Option<(usize, usize, Vec<u8>, Vec<u8>)> {
    let k = (0..got.len().min(want.len())).find(|&k| got[k] != want[k])?;
    let px = k / 3;
    Some((
        px % w,
        px / w,
        got[px * 3..px * 3 + 3].to_vec(),
        want[px * 3..px * 3 + 3].to_vec(),
    ))
}

#[test]
fn a_page_drawn_over_the_one_before_gives_the_bytes_of_a_new_buffer() {
    let bytes = tiny_bundle();
    let b = Bundle::from_bundle_bytes(&bytes).unwrap();
    let inked = Inked::theme(&b);
    let theme = b.profile.theme;
    let (w, h) = (
        u32::from(b.profile.page_width),
        u32::from(b.profile.page_height),
    );
    let pages = all_pages(&b);
    let placings: [Placing; 4] = [
        ((0, 0), None),
        ((-9, -13), None),
        ((w as i32 / 3, h as i32 / 2), None),
        ((0, 0), Some((3, 2))),
    ];
    // Garbage at first: the record knows nothing of it.
    let mut buf: Vec<u8> = (0..w * h * 3).map(|i| (i * 7) as u8).collect();
    let mut held = Held::unknown();
    let mut step = 0;
    for round in 0..2 {
        for (i, page) in pages.iter().enumerate() {
            let other = pages[(i + 1) % pages.len()];
            for at in placings {
                // Now and then another background: the record then does not apply.
                let bg = if step % 7 == 6 {
                    theme.surface
                } else {
                    theme.background
                };
                {
                    let c = Canvas::refill(&mut buf, w, h, &mut held, bg).unwrap();
                    let mut c = c.with_inked(&inked);
                    paint(&mut c, &b, (page, other), at, step);
                }
                let mut want = vec![0u8; buf.len()];
                {
                    let mut c = Canvas::new(&mut want, w, h).unwrap().with_inked(&inked);
                    c.fill(bg);
                    paint(&mut c, &b, (page, other), at, step);
                }
                if let Some((x, y, got, want)) = first_difference(&buf, &want, w as usize) {
                    panic!(
                        "round {round}, page {i} at {at:?} (step {step}), over the drawing \
                         before: pixel ({x}, {y}) is {got:?}, a new buffer gives {want:?}"
                    );
                }
                step += 1;
            }
        }
    }
    // The same buffer at another size: the record does not apply either.
    let (w2, h2) = (w - 5, h - 3);
    let n = (w2 * h2 * 3) as usize;
    {
        let c = Canvas::refill(&mut buf[..n], w2, h2, &mut held, theme.background).unwrap();
        paint(
            &mut c.with_inked(&inked),
            &b,
            (pages[0], pages[1]),
            placings[0],
            0,
        );
    }
    let mut want = vec![0u8; n];
    {
        let mut c = Canvas::new(&mut want, w2, h2).unwrap().with_inked(&inked);
        c.fill(theme.background);
        paint(&mut c, &b, (pages[0], pages[1]), placings[0], 0);
    }
    if let Some(d) = first_difference(&buf[..n], &want, w2 as usize) {
        panic!("resized to {w2}x{h2}: (x, y, got, want) = {d:?}");
    }
}
