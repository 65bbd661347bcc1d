//! The page-render workloads of `bitig-bench` (docs/performance.md), shared with the
//! `bitig-pagebench` binary, which runs one of them on its own so that its instructions can
//! be counted: with callgrind on x86_64 and with `qemu-aarch64 -singlestep` on aarch64.
//!
//! - [`draw_bitig`]: Bitig's way, blitting the bundle's pre-shaped glyphs;
//! - [`draw_runtime`]: (a) shaping with rustybuzz and rasterizing with fontdue at run time;
//! - a memcpy of one frame is the floor.

use bitig_format::{line_text, Bundle, Lang, Page, TextSize};
use std::collections::HashMap;

/// The pages to draw: every normal-size page of every edition.
pub fn pages<'b>(b: &'b Bundle<'b>) -> Vec<(&'b bitig_format::Edition<'b>, &'b Page)> {
    let mut out = Vec::new();
    for d in &b.documents {
        for e in &d.editions {
            if let Some(l) = e.layout(TextSize::Normal) {
                for p in &l.pages {
                    out.push((e, p));
                }
            }
        }
    }
    out
}

pub fn texts<'b>(e: &bitig_format::Edition<'b>) -> Vec<&'b str> {
    e.blocks.iter().map(|b| b.text).collect()
}

/// Bitig: fill the page and blit its pre-shaped glyphs from the atlases, as the kiosk's reader
/// does: with the atlases blended for the theme's inks (`Inked::theme`, made once a bundle),
/// into a frame that `held` describes (what the drawing before left in it: the kiosk's page
/// buffers are reused), and leaves `held` describing it.
pub fn draw_bitig(
    b: &Bundle<'_>,
    inked: &bitig_render::Inked,
    page: &Page,
    frame: &mut [u8],
    held: &mut bitig_render::Held,
    (w, h): (u32, u32),
) {
    if let Some(c) = bitig_render::Canvas::refill(frame, w, h, held, b.profile.theme.background) {
        let mut c = c.with_inked(inked);
        let _ = bitig_render::draw_page(
            &mut c,
            b,
            page,
            0,
            0,
            bitig_render::Ink::Theme(b.profile.theme),
        );
    }
}

/// What a runtime-text design has per line: the text, the font and size, the pen position.
#[derive(Debug)]
pub struct RtLine {
    pub text: String,
    pub font: usize,
    pub px: f32,
    pub x: f32,
    pub y: f32,
    pub lang: Lang,
}

pub fn runtime_lines(b: &Bundle<'_>, e: &bitig_format::Edition<'_>, page: &Page) -> Vec<RtLine> {
    let t = texts(e);
    page.lines
        .iter()
        .filter_map(|l| {
            let mut text = line_text(&t, l)?.to_string();
            if l.hyphen {
                text.push('-');
            }
            let strike = b.strikes.get(usize::from(l.runs.first()?.strike.0))?;
            Some(RtLine {
                text,
                font: usize::from(strike.font),
                px: f32::from(strike.px),
                x: f32::from(l.x) + f32::from(l.runs.first()?.x),
                y: f32::from(l.y),
                lang: e.lang,
            })
        })
        .collect()
}

pub fn lang_tag(l: Lang) -> &'static str {
    match l {
        Lang::Kk => "kk",
        Lang::Tr => "tr",
        Lang::En => "en",
    }
}

/// (a) Shape every line with rustybuzz and rasterize every glyph with fontdue, at run time.
/// Glyph bitmaps are cached within the page (as a runtime design would), not across pages.
pub fn draw_runtime(
    faces: &[rustybuzz::Face<'_>],
    raster: &[fontdue::Font],
    lines: &[RtLine],
    frame: &mut [u8],
    w: usize,
    h: usize,
) {
    frame.fill(0xf5);
    let mut cache: HashMap<(usize, u16, u32), (fontdue::Metrics, Vec<u8>)> = HashMap::new();
    for l in lines {
        let face = &faces[l.font.min(faces.len() - 1)];
        let font = &raster[l.font.min(raster.len() - 1)];
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(&l.text);
        if let Ok(lang) = lang_tag(l.lang).parse() {
            buf.set_language(lang);
        }
        let shaped = rustybuzz::shape(face, &[], buf);
        let scale = l.px / face.units_per_em() as f32;
        let mut pen = l.x;
        for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
            let gid = info.glyph_id as u16;
            let (m, bitmap) = cache
                .entry((l.font, gid, l.px.to_bits()))
                .or_insert_with(|| font.rasterize_indexed(gid, l.px));
            let gx = (pen + pos.x_offset as f32 * scale) as i32 + m.xmin;
            let gy = (l.y - pos.y_offset as f32 * scale) as i32 - m.height as i32 - m.ymin;
            for row in 0..m.height {
                let y = gy + row as i32;
                if y < 0 || y as usize >= h {
                    continue;
                }
                for col in 0..m.width {
                    let x = gx + col as i32;
                    if x < 0 || x as usize >= w {
                        continue;
                    }
                    let a = u16::from(bitmap[row * m.width + col]);
                    let i = (y as usize * w + x as usize) * 3;
                    for c in &mut frame[i..i + 3] {
                        *c = ((u16::from(*c) * (255 - a) + 0x20 * a) / 255) as u8;
                    }
                }
            }
            pen += pos.x_advance as f32 * scale;
        }
    }
}
