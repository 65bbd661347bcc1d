//! Post-decode validation: after this, every index is in range and every glyph lies inside
//! its page or text block, so renderers may index without further checks.

use crate::{Bundle, Edition, Invalid, Layout, Line, Strike, TextBlock};

type Check = Result<(), Invalid>;

fn bound(what: &'static str, value: i64, limit: i64) -> Check {
    if (0..limit).contains(&value) {
        Ok(())
    } else {
        Err(Invalid { what, value, limit })
    }
}

fn at_most(what: &'static str, value: i64, limit: i64) -> Check {
    if (0..=limit).contains(&value) {
        Ok(())
    } else {
        Err(Invalid { what, value, limit })
    }
}

fn equal(what: &'static str, value: i64, expected: i64) -> Check {
    if value == expected {
        Ok(())
    } else {
        Err(Invalid {
            what,
            value,
            limit: expected,
        })
    }
}

impl Bundle<'_> {
    /// Checks every index, range and rectangle in the bundle.
    pub fn validate(&self) -> Result<(), Invalid> {
        let p = &self.profile;
        bound("profile.width", i64::from(p.width), 8193)?;
        bound("profile.height", i64::from(p.height), 8193)?;
        at_most(
            "profile.page_width",
            i64::from(p.page_width),
            i64::from(p.width),
        )?;
        at_most(
            "profile.page_height",
            i64::from(p.page_height),
            i64::from(p.height),
        )?;
        at_most("atlases.len", self.atlases.len() as i64, 256)?;
        at_most("strikes.len", self.strikes.len() as i64, 256)?;
        self.check_glyphs()?;
        for ui in &self.ui {
            self.check_block(&ui.block, &[ui.text])?;
        }
        self.check_ascii()?;
        for doc in &self.documents {
            for ed in &doc.editions {
                self.check_edition(ed)?;
            }
        }
        Ok(())
    }

    /// Each atlas holds its pixels; each glyph sits inside its atlas.
    fn check_glyphs(&self) -> Check {
        for atlas in &self.atlases {
            equal(
                "atlas.alpha.len",
                atlas.alpha.len() as i64,
                i64::from(atlas.width) * i64::from(atlas.height),
            )?;
        }
        for strike in &self.strikes {
            at_most("strike.glyphs.len", strike.glyphs.len() as i64, 65536)?;
            for g in &strike.glyphs {
                bound(
                    "glyph.atlas",
                    i64::from(g.atlas.0),
                    self.atlases.len() as i64,
                )?;
                let atlas = &self.atlases[usize::from(g.atlas.0)];
                at_most(
                    "glyph.x+w",
                    i64::from(g.x) + i64::from(g.w),
                    i64::from(atlas.width),
                )?;
                at_most(
                    "glyph.y+h",
                    i64::from(g.y) + i64::from(g.h),
                    i64::from(atlas.height),
                )?;
            }
        }
        Ok(())
    }

    /// The ASCII strip names a strike and glyphs that exist.
    fn check_ascii(&self) -> Check {
        let a = &self.ascii;
        bound(
            "ascii.strike",
            i64::from(a.strike.0),
            self.strikes.len() as i64,
        )?;
        equal(
            "ascii.entries.len",
            a.entries.len() as i64,
            crate::AsciiStrip::LEN as i64,
        )?;
        equal(
            "ascii.advances.len",
            a.advances.len() as i64,
            crate::AsciiStrip::LEN as i64,
        )?;
        let glyphs = self.strikes[usize::from(a.strike.0)].glyphs.len() as i64;
        for &e in &a.entries {
            if e != crate::AsciiStrip::BLANK {
                bound("ascii.entries[]", i64::from(e), glyphs)?;
            }
        }
        Ok(())
    }

    /// An edition's card, contents and layouts refer to its blocks and fit the profile.
    fn check_edition(&self, ed: &Edition<'_>) -> Check {
        let p = &self.profile;
        let mut texts = alloc::vec::Vec::with_capacity(ed.blocks.len());
        texts.extend(ed.blocks.iter().map(|b| b.text));
        at_most("edition.blocks.len", texts.len() as i64, 65535)?;
        at_most(
            "edition.card.width",
            i64::from(ed.card.width),
            i64::from(p.width),
        )?;
        self.check_block(&ed.card, &texts)?;
        at_most("edition.contents.len", ed.contents.len() as i64, 65535)?;
        for entry in &ed.contents {
            bound("contents.block", i64::from(entry.block), texts.len() as i64)?;
            at_most(
                "contents.label.width",
                i64::from(entry.label.width),
                i64::from(p.width),
            )?;
            self.check_block(&entry.label, &[entry.text])?;
        }
        for layout in &ed.layouts {
            self.check_layout(layout, &texts)?;
        }
        Ok(())
    }

    /// A layout's pages and the page each block starts on.
    fn check_layout(&self, layout: &Layout, texts: &[&str]) -> Check {
        let p = &self.profile;
        bound("layout.pages.len", layout.pages.len() as i64, 65536)?;
        equal(
            "layout.block_pages.len",
            layout.block_pages.len() as i64,
            texts.len() as i64,
        )?;
        for &bp in &layout.block_pages {
            bound(
                "layout.block_pages[]",
                i64::from(bp),
                layout.pages.len() as i64,
            )?;
        }
        for page in &layout.pages {
            bound(
                "page.first_block",
                i64::from(page.first_block),
                texts.len() as i64,
            )?;
            for line in &page.lines {
                self.check_line(
                    line,
                    texts,
                    layout.size.page_width(p.page_width),
                    p.page_height,
                )?;
            }
        }
        Ok(())
    }

    fn check_block(&self, block: &TextBlock, texts: &[&str]) -> Check {
        for line in &block.lines {
            self.check_line(line, texts, block.width, block.height)?;
        }
        Ok(())
    }

    fn check_line(&self, line: &Line, texts: &[&str], width: u16, height: u16) -> Check {
        bound("line.block", i64::from(line.block), texts.len() as i64)?;
        let text = texts[usize::from(line.block)];
        at_most("line.end", i64::from(line.end), text.len() as i64)?;
        at_most("line.start", i64::from(line.start), i64::from(line.end))?;
        if !text.is_char_boundary(line.start as usize) {
            return Err(Invalid {
                what: "line.start (not a char boundary)",
                value: i64::from(line.start),
                limit: text.len() as i64,
            });
        }
        if !text.is_char_boundary(line.end as usize) {
            return Err(Invalid {
                what: "line.end (not a char boundary)",
                value: i64::from(line.end),
                limit: text.len() as i64,
            });
        }
        let text_len = i64::from(line.end - line.start) + i64::from(line.hyphen);
        for run in &line.runs {
            bound(
                "run.strike",
                i64::from(run.strike.0),
                self.strikes.len() as i64,
            )?;
            let strike: &Strike = &self.strikes[usize::from(run.strike.0)];
            let mut pen = i64::from(line.x) + i64::from(run.x);
            for g in &run.glyphs {
                bound(
                    "glyph.entry",
                    i64::from(g.entry),
                    strike.glyphs.len() as i64,
                )?;
                at_most("glyph.cluster", i64::from(g.cluster), text_len)?;
                pen += i64::from(g.dx);
                let ag = &strike.glyphs[usize::from(g.entry)];
                if ag.w == 0 || ag.h == 0 {
                    continue;
                }
                let x0 = pen + i64::from(ag.left);
                let y0 = i64::from(line.y) - i64::from(g.dy) - i64::from(ag.top);
                at_most("glyph left edge", x0, i64::from(width))?;
                at_most("glyph right edge", x0 + i64::from(ag.w), i64::from(width))?;
                at_most("glyph top edge", y0, i64::from(height))?;
                at_most("glyph bottom edge", y0 + i64::from(ag.h), i64::from(height))?;
            }
        }
        Ok(())
    }
}
