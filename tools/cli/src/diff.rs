//! `bitig diff OLD.bundle NEW.bundle [--out DIR]`: what a content update changes, for the
//! approver who signs it off.
//!
//! For every statement, edition and text size it lists the pages whose text or glyphs
//! changed, and the blocks whose text changed, as a word diff. With `--out`, each changed
//! page is drawn (the kiosk's own renderer) old beside new, with the changed lines marked:
//! red on the old page, green on the new. Exit status 0 when the bundles' content is equal, 1
//! when it differs, 2 on error, like `diff`.
//!
//! Pages are compared by what a reader sees: each line's text, its hyphen, its place and its
//! glyphs (font glyph id, size, colour, offsets), not by the bundle's internal glyph indices,
//! which shift whenever the set of glyphs changes.

use anyhow::{Context, Result};
use bitig_format::{Bundle, Edition, Layout, Line, Rgb, TextSize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a reader sees of one line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Seen {
    text: String,
    hyphen: bool,
    x: i16,
    y: i16,
    /// Per glyph: font, size, colour role, glyph id, pen offsets.
    glyphs: Vec<(u8, u16, u8, u16, i16, i16)>,
}

fn seen(b: &Bundle<'_>, ed: &Edition<'_>, l: &Line) -> Seen {
    let text = ed
        .blocks
        .get(usize::from(l.block))
        .and_then(|bl| bl.text.get(l.start as usize..l.end as usize))
        .unwrap_or("")
        .to_string();
    let mut glyphs = Vec::new();
    for r in &l.runs {
        let strike = b.strikes.get(usize::from(r.strike.0));
        for (i, g) in r.glyphs.iter().enumerate() {
            let gid = strike
                .and_then(|s| s.glyphs.get(usize::from(g.entry)))
                .map_or(u16::MAX, |a| a.gid.0);
            let dx = if i == 0 { r.x.wrapping_add(g.dx) } else { g.dx };
            glyphs.push((
                strike.map_or(0, |s| s.font),
                strike.map_or(0, |s| s.px),
                r.color as u8,
                gid,
                dx,
                g.dy,
            ));
        }
    }
    Seen {
        text,
        hyphen: l.hyphen,
        x: l.x,
        y: l.y,
        glyphs,
    }
}

fn size_name(s: TextSize) -> &'static str {
    match s {
        TextSize::Normal => "normal",
        TextSize::Large => "large",
        TextSize::Half => "half",
    }
}

/// One changed page of a layout: its number (from 1) and which lines changed on each side
/// (indices into that side's page lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageChange {
    pub page: usize,
    pub old_lines: Vec<usize>,
    pub new_lines: Vec<usize>,
}

/// The changes of one edition in one text size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutChange {
    pub doc: String,
    pub lang: &'static str,
    pub size: &'static str,
    pub old_pages: usize,
    pub new_pages: usize,
    pub pages: Vec<PageChange>,
}

/// A block whose text changed, with its word diff (`[-old-]{+new+}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockChange {
    pub doc: String,
    pub lang: &'static str,
    pub block: usize,
    pub words: String,
}

/// Everything that differs between two bundles' content.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub layouts: Vec<LayoutChange>,
    pub blocks: Vec<BlockChange>,
    /// Statements or editions in one bundle only: `+ id [lang]` or `- id [lang]`.
    pub only: Vec<String>,
    /// UI strings whose text changed: `key [lang]`.
    pub ui: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.layouts.iter().all(|l| l.pages.is_empty())
            && self.blocks.is_empty()
            && self.only.is_empty()
            && self.ui.is_empty()
    }
}

/// Compares two decoded bundles.
pub fn compare(old: &Bundle<'_>, new: &Bundle<'_>) -> Changes {
    let mut c = Changes::default();
    for od in &old.documents {
        let Some(nd) = new.documents.iter().find(|d| d.id == od.id) else {
            for e in &od.editions {
                c.only.push(format!("- {} [{}]", od.id, e.lang.tag()));
            }
            continue;
        };
        for oe in &od.editions {
            let Some(ne) = nd.edition(oe.lang) else {
                c.only.push(format!("- {} [{}]", od.id, oe.lang.tag()));
                continue;
            };
            let lang = oe.lang.tag();
            for (i, ob) in oe.blocks.iter().enumerate() {
                let nt = ne.blocks.get(i).map_or("", |b| b.text);
                if ob.text != nt {
                    c.blocks.push(BlockChange {
                        doc: od.id.to_string(),
                        lang,
                        block: i,
                        words: word_diff(ob.text, nt),
                    });
                }
            }
            for (i, nb) in ne.blocks.iter().enumerate().skip(oe.blocks.len()) {
                c.blocks.push(BlockChange {
                    doc: od.id.to_string(),
                    lang,
                    block: i,
                    words: word_diff("", nb.text),
                });
            }
            for ol in &oe.layouts {
                let Some(nl) = ne.layout(ol.size) else {
                    continue;
                };
                c.layouts.push(LayoutChange {
                    doc: od.id.to_string(),
                    lang,
                    size: size_name(ol.size),
                    old_pages: ol.pages.len(),
                    new_pages: nl.pages.len(),
                    pages: changed_pages((old, oe, ol), (new, ne, nl)),
                });
            }
        }
        for ne in &nd.editions {
            if od.edition(ne.lang).is_none() {
                c.only.push(format!("+ {} [{}]", nd.id, ne.lang.tag()));
            }
        }
    }
    for nd in &new.documents {
        if !old.documents.iter().any(|d| d.id == nd.id) {
            for e in &nd.editions {
                c.only.push(format!("+ {} [{}]", nd.id, e.lang.tag()));
            }
        }
    }
    for ou in &old.ui {
        let same = new
            .ui
            .iter()
            .find(|u| u.key == ou.key && u.lang == ou.lang)
            .is_some_and(|u| u.text == ou.text);
        if !same {
            c.ui.push(format!("{} [{}]", ou.key, ou.lang.tag()));
        }
    }
    c
}

type Side<'s, 'a> = (&'s Bundle<'a>, &'s Edition<'a>, &'s Layout);

/// The pages whose lines differ (a page only one side has counts as changed).
fn changed_pages(old: Side<'_, '_>, new: Side<'_, '_>) -> Vec<PageChange> {
    let lines = |(b, e, l): Side<'_, '_>, p: usize| -> Vec<Seen> {
        l.pages
            .get(p)
            .map(|pg| pg.lines.iter().map(|ln| seen(b, e, ln)).collect())
            .unwrap_or_default()
    };
    let n = old.2.pages.len().max(new.2.pages.len());
    let mut out = Vec::new();
    for p in 0..n {
        let (o, w) = (lines(old, p), lines(new, p));
        if o == w {
            continue;
        }
        out.push(PageChange {
            page: p + 1,
            old_lines: (0..o.len()).filter(|&i| !w.contains(&o[i])).collect(),
            new_lines: (0..w.len()).filter(|&i| !o.contains(&w[i])).collect(),
        });
    }
    out
}

/// A word diff of two texts (longest common subsequence of words): unchanged words as they
/// are, removed ones as `[-…-]`, added ones as `{+…+}`, runs of unchanged words longer than
/// twelve shortened to their ends.
pub fn word_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    // LCS table from the ends.
    let mut t = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    enum Op<'w> {
        Same(&'w str),
        Del(&'w str),
        Add(&'w str),
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || t[i][j + 1] >= t[i + 1][j]) {
            ops.push(Op::Add(b[j]));
            j += 1;
        } else {
            ops.push(Op::Del(a[i]));
            i += 1;
        }
    }
    let mut out = String::new();
    let mut k = 0;
    while k < ops.len() {
        match ops[k] {
            Op::Same(_) => {
                let run: Vec<&str> = ops[k..]
                    .iter()
                    .map_while(|o| match o {
                        Op::Same(w) => Some(*w),
                        _ => None,
                    })
                    .collect();
                let (first, last) = (k == 0, k + run.len() == ops.len());
                let keep = 6;
                let words: Vec<&str> = if run.len() > 2 * keep {
                    let head = if first { &[][..] } else { &run[..keep] };
                    let tail = if last {
                        &[][..]
                    } else {
                        &run[run.len() - keep..]
                    };
                    head.iter()
                        .copied()
                        .chain(["…"])
                        .chain(tail.iter().copied())
                        .collect()
                } else {
                    run.clone()
                };
                push_words(&mut out, &words.join(" "));
                k += run.len();
            }
            Op::Del(_) | Op::Add(_) => {
                let mut del = Vec::new();
                let mut add = Vec::new();
                while let Some(o) = ops.get(k) {
                    match o {
                        Op::Del(w) => del.push(*w),
                        Op::Add(w) => add.push(*w),
                        Op::Same(_) => break,
                    }
                    k += 1;
                }
                if !del.is_empty() {
                    push_words(&mut out, &format!("[-{}-]", del.join(" ")));
                }
                if !add.is_empty() {
                    push_words(&mut out, &format!("{{+{}+}}", add.join(" ")));
                }
            }
        }
    }
    out
}

fn push_words(out: &mut String, words: &str) {
    if !out.is_empty() && !words.is_empty() {
        out.push(' ');
    }
    out.push_str(words);
}

/// Groups sorted page numbers into ranges: `3, 5–7`.
fn ranges(pages: &[usize]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < pages.len() {
        let mut j = i;
        while j + 1 < pages.len() && pages[j + 1] == pages[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        if i == j {
            let _ = write!(out, "{}", pages[i]);
        } else {
            let _ = write!(out, "{}–{}", pages[i], pages[j]);
        }
        i = j + 1;
    }
    out
}

/// The report, as printed.
pub fn report(c: &Changes) -> String {
    let mut out = String::new();
    for o in &c.only {
        let _ = writeln!(out, "{o}");
    }
    for l in c.layouts.iter().filter(|l| !l.pages.is_empty()) {
        let pages: Vec<usize> = l.pages.iter().map(|p| p.page).collect();
        let count = if l.old_pages == l.new_pages {
            format!("{} pages", l.new_pages)
        } else {
            format!("{} → {} pages", l.old_pages, l.new_pages)
        };
        let _ = writeln!(
            out,
            "{} [{}] {}: page{} {} changed ({count})",
            l.doc,
            l.lang,
            l.size,
            if pages.len() == 1 { "" } else { "s" },
            ranges(&pages)
        );
    }
    for b in &c.blocks {
        let _ = writeln!(out, "{} [{}] block {}: {}", b.doc, b.lang, b.block, b.words);
    }
    for u in &c.ui {
        let _ = writeln!(out, "UI string {u} changed");
    }
    if c.is_empty() {
        out.push_str("no changes\n");
    }
    out
}

/// Writes `DIR/<doc>-<lang>-<size>-p<N>.png` for each changed page: the old page on the left,
/// the new one on the right, changed lines marked. Returns the files written.
pub fn write_pages(
    old: &Bundle<'_>,
    new: &Bundle<'_>,
    c: &Changes,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for l in c.layouts.iter().filter(|l| !l.pages.is_empty()) {
        let side = |b: &'_ Bundle<'_>| -> Option<(usize, usize)> {
            let d = b.documents.iter().position(|d| d.id == l.doc)?;
            let e = b.documents[d]
                .editions
                .iter()
                .position(|e| e.lang.tag() == l.lang)?;
            Some((d, e))
        };
        let (Some((od, oe)), Some((nd, ne))) = (side(old), side(new)) else {
            continue;
        };
        let oed = &old.documents[od].editions[oe];
        let ned = &new.documents[nd].editions[ne];
        let size = match l.size {
            "large" => TextSize::Large,
            "half" => TextSize::Half,
            _ => TextSize::Normal,
        };
        let (Some(ol), Some(nl)) = (oed.layout(size), ned.layout(size)) else {
            continue;
        };
        for p in &l.pages {
            let left = page_picture(old, ol, p.page - 1, &p.old_lines, Rgb(0xd0, 0x30, 0x30));
            let right = page_picture(new, nl, p.page - 1, &p.new_lines, Rgb(0x20, 0xa0, 0x40));
            let (w, h, rgb) = side_by_side(&left, &right);
            let path = dir.join(format!("{}-{}-{}-p{}.png", l.doc, l.lang, l.size, p.page));
            bitig_io::png::write(&path, w, h, bitig_io::png::Color::Rgb, &rgb)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// An RGB picture: width, height, pixels.
type Picture = (u32, u32, Vec<u8>);

/// One page as the kiosk draws it, with a bar in the left margin and a tint over each marked
/// line; a blank grey page when the layout has no such page.
fn page_picture(b: &Bundle<'_>, l: &Layout, page: usize, marked: &[usize], mark: Rgb) -> Picture {
    let w = u32::from(l.size.page_width(b.profile.page_width));
    let h = u32::from(b.profile.page_height);
    let Some(pg) = l.pages.get(page) else {
        return (w, h, [0xc8u8; 3].repeat((w * h) as usize));
    };
    let mut rgb = bitig_typeset::proof::render_page(b, l, page);
    for &i in marked {
        let Some(line) = pg.lines.get(i) else {
            continue;
        };
        let (ascent, descent) = line
            .runs
            .first()
            .and_then(|r| b.strikes.get(usize::from(r.strike.0)))
            .map_or((16, -4), |s| (i32::from(s.ascent), i32::from(s.descent)));
        let top = (i32::from(line.y) - ascent).max(0) as u32;
        let bottom = ((i32::from(line.y) - descent) as u32).min(h);
        for y in top..bottom {
            for x in 0..w {
                let at = ((y * w + x) * 3) as usize;
                let px = &mut rgb[at..at + 3];
                let bar = x < 6;
                for (c, m) in px.iter_mut().zip([mark.0, mark.1, mark.2]) {
                    *c = if bar {
                        m
                    } else {
                        ((u16::from(*c) * 5 + u16::from(m)) / 6) as u8
                    };
                }
            }
        }
    }
    (w, h, rgb)
}

/// Two pictures beside each other on grey, 16 px apart and around.
fn side_by_side(a: &Picture, b: &Picture) -> Picture {
    let gap = 16;
    let w = a.0 + b.0 + 3 * gap;
    let h = a.1.max(b.1) + 2 * gap;
    let mut out = [0x8au8; 3].repeat((w * h) as usize);
    for (pic, x0) in [(a, gap), (b, 2 * gap + a.0)] {
        for row in 0..pic.1 {
            let src = (row * pic.0 * 3) as usize;
            let dst = (((gap + row) * w + x0) * 3) as usize;
            out[dst..dst + (pic.0 * 3) as usize]
                .copy_from_slice(&pic.2[src..src + (pic.0 * 3) as usize]);
        }
    }
    (w, h, out)
}

/// Reads a bundle file (signed or not) for the diff; errors name the file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bitig_format::signature::split(&bytes).0.to_vec())
}

#[cfg(test)]
mod tests {
    use super::{ranges, word_diff};

    #[test]
    fn word_diff_marks_the_changed_words_only() {
        assert_eq!(
            word_diff("the two countries agreed", "the two states agreed"),
            "the two [-countries-] {+states+} agreed"
        );
        assert_eq!(word_diff("a b", "a b c"), "a b {+c+}");
        assert_eq!(word_diff("a b c", "b c"), "[-a-] b c");
        let long: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
        let mut changed = long.clone();
        changed[15] = "NEW".into();
        let d = word_diff(&long.join(" "), &changed.join(" "));
        assert_eq!(
            d,
            "… w9 w10 w11 w12 w13 w14 [-w15-] {+NEW+} w16 w17 w18 w19 w20 w21 …"
        );
    }

    #[test]
    fn page_ranges() {
        assert_eq!(ranges(&[3, 5, 6, 7, 10]), "3, 5–7, 10");
        assert_eq!(ranges(&[]), "");
    }
}
