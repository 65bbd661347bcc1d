//! Proof sheets: every page of a bundle drawn with the kiosk's own renderer
//! (`bitig-render`) and laid out as a PNG contact sheet.

use bitig_format::{Bundle, Edition, Layout, Rgb};
use bitig_render::{draw_page, Canvas, Ink};
use std::path::Path;

/// Renders one page to an RGB888 buffer of the profile's page size.
pub fn render_page(bundle: &Bundle<'_>, layout: &Layout, page: usize) -> Vec<u8> {
    let w = u32::from(layout.size.page_width(bundle.profile.page_width));
    let h = u32::from(bundle.profile.page_height);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    if let Some(mut c) = Canvas::new(&mut buf, w, h) {
        c.fill(bundle.profile.theme.background);
        if let Some(p) = layout.pages.get(page) {
            let _ = draw_page(&mut c, bundle, p, 0, 0, Ink::Theme(bundle.profile.theme));
        }
    }
    buf
}

/// A contact sheet of all pages of one edition layout: `cols` pages per row, 16 px gaps.
pub fn contact_sheet(bundle: &Bundle<'_>, layout: &Layout, cols: u32) -> (u32, u32, Vec<u8>) {
    let pw = u32::from(layout.size.page_width(bundle.profile.page_width));
    let ph = u32::from(bundle.profile.page_height);
    let n = layout.pages.len() as u32;
    let cols = cols.clamp(1, n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let gap = 16;
    let w = cols * pw + (cols + 1) * gap;
    let h = rows * ph + (rows + 1) * gap;
    let mut sheet = vec![0u8; (w * h * 3) as usize];
    if let Some(mut c) = Canvas::new(&mut sheet, w, h) {
        c.fill(Rgb(0x8a, 0x8a, 0x8a));
    }
    for i in 0..n {
        let page = render_page(bundle, layout, i as usize);
        let x0 = gap + (i % cols) * (pw + gap);
        let y0 = gap + (i / cols) * (ph + gap);
        for row in 0..ph {
            let src = (row * pw * 3) as usize;
            let dst = (((y0 + row) * w + x0) * 3) as usize;
            sheet[dst..dst + (pw * 3) as usize]
                .copy_from_slice(&page[src..src + (pw * 3) as usize]);
        }
    }
    (w, h, sheet)
}

/// Writes one contact sheet per edition and text size into `dir`; returns the file names.
pub fn write_proofs(bundle: &Bundle<'_>, dir: &Path) -> Result<Vec<String>, crate::Error> {
    let mut names = Vec::new();
    for doc in &bundle.documents {
        for ed in &doc.editions {
            for layout in &ed.layouts {
                let name = proof_name(doc.id, ed, layout);
                let (w, h, rgb) = contact_sheet(bundle, layout, 3);
                let path = dir.join(&name);
                bitig_io::png::write(&path, w, h, bitig_io::png::Color::Rgb, &rgb)
                    .map_err(|e| crate::Error::io(&path, e))?;
                names.push(name);
            }
        }
    }
    Ok(names)
}

fn proof_name(id: &str, ed: &Edition<'_>, layout: &Layout) -> String {
    let size = match layout.size {
        bitig_format::TextSize::Normal => "normal",
        bitig_format::TextSize::Large => "large",
        bitig_format::TextSize::Half => "half",
    };
    format!("{id}.{}.{size}.png", ed.lang.tag())
}
