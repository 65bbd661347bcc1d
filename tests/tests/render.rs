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
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_format::{Bundle, Page};
use bitig_render::{draw_page, Canvas, Ink, Inked};
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

#[test]
fn every_way_of_drawing_a_page_gives_the_same_bytes() {
    let bytes = tiny_bundle();
    let b = Bundle::from_bundle_bytes(&bytes).unwrap();
    let inked = Inked::theme(&b);
    let (w, h) = (
        i32::from(b.profile.page_width),
        i32::from(b.profile.page_height),
    );
    let pages: Vec<&Page> = b
        .documents
        .iter()
        .flat_map(|d| &d.editions)
        .flat_map(|e| &e.layouts)
        .flat_map(|l| &l.pages)
        .collect();
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
                if let Some(k) = (0..got.len()).find(|&k| got[k] != plain[k]) {
                    let px = k / 3;
                    panic!(
                        "page {i} placed at {at:?}, drawn {how}: pixel ({}, {}) is {:?}, \
                         the arithmetic gives {:?}",
                        px as i32 % w,
                        px as i32 / w,
                        &got[px * 3..px * 3 + 3],
                        &plain[px * 3..px * 3 + 3]
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
