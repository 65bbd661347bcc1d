//! Rasterizes exactly the glyphs the bundle uses (fontdue, by glyph index) and packs them
//! into A8 atlases (rect_packer).

use crate::compose::StrikeTable;
use crate::shape::{Fonts, ShapeContext};
use bitig_format::{AtlasGlyph, AtlasId, GlyphId, Strike};

/// Atlas width; height grows up to [`ATLAS_MAX_HEIGHT`], then a new atlas starts.
pub const ATLAS_WIDTH: u16 = 512;
pub const ATLAS_MAX_HEIGHT: u16 = 2048;

/// An owned atlas before encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedAtlas {
    pub width: u16,
    pub height: u16,
    pub alpha: Vec<u8>,
}

struct Item {
    strike: usize,
    entry: usize,
    w: u16,
    h: u16,
    left: i16,
    top: i16,
    bitmap: Vec<u8>,
}

pub fn build_atlases(
    fonts: &Fonts,
    shaper: &ShapeContext<'_>,
    table: &StrikeTable,
) -> Result<(Vec<OwnedAtlas>, Vec<Strike>), String> {
    let mut items = Vec::new();
    let mut strikes = Vec::new();
    for (si, (&(font, px), gids)) in table.strikes.iter().zip(&table.glyphs).enumerate() {
        let (a, d) = shaper.metrics(font);
        let scale = f32::from(px) / shaper.upem[font];
        strikes.push(Strike {
            font: font as u8,
            px,
            ascent: (f32::from(a) * scale).ceil() as i16,
            descent: (f32::from(d) * scale).floor() as i16,
            glyphs: Vec::with_capacity(gids.len()),
        });
        for (entry, &gid) in gids.iter().enumerate() {
            let (m, bitmap) = fonts.raster[font].rasterize_indexed(gid, f32::from(px));
            let w = u16::try_from(m.width).map_err(|_| "glyph too wide")?;
            let h = u16::try_from(m.height).map_err(|_| "glyph too tall")?;
            items.push(Item {
                strike: si,
                entry,
                w,
                h,
                left: m.xmin as i16,
                top: (m.ymin + m.height as i32) as i16,
                bitmap,
            });
        }
    }
    // Tallest first packs shelves tightly; ties broken by (strike, entry) for determinism.
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| {
        let it = &items[i];
        (
            std::cmp::Reverse(it.h),
            std::cmp::Reverse(it.w),
            it.strike,
            it.entry,
        )
    });
    let config = rect_packer::Config {
        width: i32::from(ATLAS_WIDTH),
        height: i32::from(ATLAS_MAX_HEIGHT),
        border_padding: 0,
        rectangle_padding: 1,
    };
    let mut packers = vec![rect_packer::Packer::new(config)];
    let mut placed: Vec<(usize, u16, u16)> = vec![(0, 0, 0); items.len()];
    for &i in &order {
        let it = &items[i];
        if it.w == 0 || it.h == 0 {
            continue;
        }
        let mut done = false;
        for (ai, p) in packers.iter_mut().enumerate() {
            if let Some(r) = p.pack(i32::from(it.w), i32::from(it.h), false) {
                placed[i] = (ai, r.x as u16, r.y as u16);
                done = true;
                break;
            }
        }
        if !done {
            let mut p = rect_packer::Packer::new(config);
            let r = p
                .pack(i32::from(it.w), i32::from(it.h), false)
                .ok_or("glyph larger than an atlas")?;
            placed[i] = (packers.len(), r.x as u16, r.y as u16);
            packers.push(p);
        }
    }
    if packers.len() > 256 {
        return Err("more than 256 atlases".into());
    }
    let mut heights = vec![1u16; packers.len()];
    for (i, it) in items.iter().enumerate() {
        let (ai, _, y) = placed[i];
        if it.h > 0 {
            heights[ai] = heights[ai].max(y + it.h);
        }
    }
    let mut atlases: Vec<OwnedAtlas> = heights
        .iter()
        .map(|&h| OwnedAtlas {
            width: ATLAS_WIDTH,
            height: h,
            alpha: vec![0; usize::from(ATLAS_WIDTH) * usize::from(h)],
        })
        .collect();
    for (i, it) in items.into_iter().enumerate() {
        let (ai, x, y) = placed[i];
        let atlas = &mut atlases[ai];
        for row in 0..usize::from(it.h) {
            let dst = (usize::from(y) + row) * usize::from(atlas.width) + usize::from(x);
            let src = row * usize::from(it.w);
            atlas.alpha[dst..dst + usize::from(it.w)]
                .copy_from_slice(&it.bitmap[src..src + usize::from(it.w)]);
        }
        let gid = table.glyphs[it.strike][it.entry];
        let strike = &mut strikes[it.strike];
        debug_assert_eq!(strike.glyphs.len(), it.entry);
        strike.glyphs.push(AtlasGlyph {
            gid: GlyphId(gid),
            atlas: AtlasId(ai as u8),
            x,
            y,
            w: it.w,
            h: it.h,
            left: it.left,
            top: it.top,
        });
    }
    Ok((atlases, strikes))
}
