//! From set lines to positioned glyph runs, pages and text blocks.

use crate::hyph::Hyphenator;
use crate::linebreak::{set_paragraph, style_units, ParaInput, SetLine};
use crate::shape::{font_index, ShapeContext};
use crate::source::Style;
use bitig_format::{ColorRole, Glyph, Lang, Line, Page, Run, StrikeId, TextBlock};
use std::collections::BTreeMap;

/// Assigns strike ids and glyph entries in first-use order (deterministic for a fixed input
/// order).
#[derive(Debug, Default)]
pub struct StrikeTable {
    /// (font, px) of each strike.
    pub strikes: Vec<(usize, u16)>,
    /// Glyph ids of each strike, in entry order.
    pub glyphs: Vec<Vec<u16>>,
    index: BTreeMap<(usize, u16), u8>,
    entries: Vec<BTreeMap<u16, u16>>,
}

impl StrikeTable {
    pub fn strike(&mut self, font: usize, px: u16) -> Result<StrikeId, String> {
        if let Some(&i) = self.index.get(&(font, px)) {
            return Ok(StrikeId(i));
        }
        let i = u8::try_from(self.strikes.len()).map_err(|_| "more than 256 strikes")?;
        self.index.insert((font, px), i);
        self.strikes.push((font, px));
        self.glyphs.push(Vec::new());
        self.entries.push(BTreeMap::new());
        Ok(StrikeId(i))
    }

    /// Adds `other`'s strikes and glyphs, in its order, as if they had been asked for here.
    /// Returns, for each of `other`'s strikes, this table's strike and its entries.
    pub fn merge(&mut self, other: &StrikeTable) -> Result<Vec<(StrikeId, Vec<u16>)>, String> {
        let mut map = Vec::with_capacity(other.strikes.len());
        for (&(font, px), gids) in other.strikes.iter().zip(&other.glyphs) {
            let s = self.strike(font, px)?;
            let entries = gids
                .iter()
                .map(|&g| self.entry(s, g))
                .collect::<Result<Vec<_>, _>>()?;
            map.push((s, entries));
        }
        Ok(map)
    }

    pub fn entry(&mut self, strike: StrikeId, gid: u16) -> Result<u16, String> {
        let s = usize::from(strike.0);
        if let Some(&e) = self.entries[s].get(&gid) {
            return Ok(e);
        }
        let e = u16::try_from(self.glyphs[s].len())
            .map_err(|_| "more than 65536 glyphs in a strike")?;
        self.entries[s].insert(gid, e);
        self.glyphs[s].push(gid);
        Ok(e)
    }
}

/// Vertical metrics of a style at a size, in whole pixels.
#[derive(Debug, Clone, Copy)]
pub struct VMetrics {
    pub ascent: i32,
    pub descent: i32,
    pub line_height: i32,
}

pub fn vmetrics(shaper: &ShapeContext<'_>, font: usize, px: f32, line_height: f32) -> VMetrics {
    let (a, d) = shaper.metrics(font);
    let upem = shaper.upem[font];
    VMetrics {
        ascent: (f32::from(a) * px / upem).ceil() as i32,
        descent: (f32::from(d) * px / upem).floor() as i32,
        line_height: (px * line_height).round() as i32,
    }
}

/// Shared state for composing lines.
pub struct Composer<'a, 'f> {
    pub shaper: &'a mut ShapeContext<'f>,
    pub hyph: &'a Hyphenator,
    pub strikes: &'a mut StrikeTable,
    /// The paragraph builder's cost model.
    pub params: crate::linebreak::Params,
}

impl std::fmt::Debug for Composer<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composer").finish()
    }
}

/// One block to compose.
#[derive(Debug, Clone, Copy)]
pub struct BlockStyle {
    pub px: f32,
    pub line_height: f32,
    pub color: ColorRole,
    pub justify: bool,
    pub hyphenate: bool,
    /// Ragged blocks: lines of about equal length (titles, headings).
    pub balance: bool,
}

impl Composer<'_, '_> {
    /// Sets `text` and turns the lines into glyph runs. Line `y` is the baseline relative to
    /// the top of the first line's box; `x` includes `left`.
    #[allow(clippy::too_many_arguments)]
    pub fn compose(
        &mut self,
        block: u16,
        text: &str,
        styles: &[(std::ops::Range<usize>, Style)],
        lang: Lang,
        style: BlockStyle,
        measure: f32,
        indent: f32,
        left: i32,
    ) -> Result<(Vec<Line>, VMetrics, f32), String> {
        let input = ParaInput {
            text,
            styles,
            lang,
            px: style.px,
            measure,
            indent,
            justify: style.justify && measure >= self.params.ragged_below_em * style.px,
            hyphenate: style.hyphenate,
            balance: style.balance,
            params: self.params,
        };
        let set = set_paragraph(self.shaper, self.hyph, &input);
        let font0 = styles.first().map_or(0, |(_, s)| font_index(*s));
        let vm = vmetrics(self.shaper, font0, style.px, style.line_height);
        let baseline0 = (vm.line_height - (vm.ascent - vm.descent)) / 2 + vm.ascent;
        let mut lines = Vec::with_capacity(set.len());
        for (i, sl) in set.iter().enumerate() {
            let y = baseline0 + i as i32 * vm.line_height;
            lines.push(self.glyph_line(block, text, styles, lang, style, sl, left, y)?);
        }
        let width = set.iter().map(|l| l.x + l.width).fold(0.0f32, f32::max);
        Ok((lines, vm, width))
    }

    #[allow(clippy::too_many_arguments)]
    fn glyph_line(
        &mut self,
        block: u16,
        text: &str,
        styles: &[(std::ops::Range<usize>, Style)],
        lang: Lang,
        style: BlockStyle,
        sl: &SetLine,
        left: i32,
        y: i32,
    ) -> Result<Line, String> {
        let px16 = style.px.round() as u16;
        let line_x = left + sl.x.round() as i32;
        let mut runs: Vec<Run> = Vec::new();
        let mut last_pos: i32 = 0;
        let n_pieces = sl.pieces.len();
        for (pi, piece) in sl.pieces.iter().enumerate() {
            let units = style_units(styles, piece.range.clone());
            let n_units = units.len();
            let mut pen_units_px = 0.0f32;
            for (ui, (r, st)) in units.into_iter().enumerate() {
                let font = font_index(st);
                let scale = style.px / self.shaper.upem[font];
                let mut s = text[r.clone()].to_string();
                let with_hyphen = sl.hyphen && pi + 1 == n_pieces && ui + 1 == n_units;
                if with_hyphen {
                    s.push('-');
                }
                let shaped = self.shaper.shape(font, lang, &s);
                let strike = self.strikes.strike(font, px16)?;
                let mut pen = 0i32;
                for g in &shaped.glyphs {
                    let gx = sl.x + piece.x + pen_units_px + (pen + g.x_offset) as f32 * scale;
                    pen += g.advance;
                    if self.shaper.is_blank(font, g.gid) {
                        continue;
                    }
                    let pos = (gx.round() as i32) + left;
                    let dy = (g.y_offset as f32 * scale).round() as i16;
                    let cluster = (r.start - sl.start) as u32 + g.cluster;
                    let entry = self.strikes.entry(strike, g.gid)?;
                    let needs_new_run = runs
                        .last()
                        .is_none_or(|run| run.strike != strike || run.color != style.color);
                    if needs_new_run {
                        runs.push(Run {
                            strike,
                            color: style.color,
                            x: i16::try_from(pos - line_x).map_err(|_| "line too wide")?,
                            glyphs: Vec::new(),
                        });
                        last_pos = pos;
                    }
                    let run = runs.last_mut().ok_or("no run")?;
                    run.glyphs.push(Glyph {
                        entry,
                        dx: i16::try_from(pos - last_pos).map_err(|_| "glyph step too large")?,
                        dy,
                        cluster: u16::try_from(cluster)
                            .map_err(|_| "line longer than 65535 bytes")?,
                    });
                    last_pos = pos;
                }
                pen_units_px += pen as f32 * scale;
            }
        }
        Ok(Line {
            block,
            start: sl.start as u32,
            end: sl.end as u32,
            hyphen: sl.hyphen,
            x: i16::try_from(line_x).map_err(|_| "line x out of range")?,
            y: i16::try_from(y).map_err(|_| "line y out of range")?,
            runs,
        })
    }
}

/// A composed block ready for pagination.
#[derive(Debug, Clone)]
pub struct Flow {
    pub block: u16,
    pub lines: Vec<Line>,
    pub line_height: i32,
    /// Space above the block (dropped at a page top).
    pub space_before: i32,
    /// Keep this block on the same page as the start of the next one (headings, titles).
    pub keep_with_next: bool,
}

/// The page builder's costs, TeX's names in brackets. A page break inside a paragraph
/// costs the sum of the penalties that apply; at or above [`FORBIDDEN`] it is never taken.
pub mod page_params {
    /// Penalties at or above this are never taken (TeX's 10000).
    pub const FORBIDDEN: i32 = 10000;
    /// `\clubpenalty`: a break after the first line of a paragraph (an orphan). Forbidden.
    pub const CLUB_PENALTY: i32 = FORBIDDEN;
    /// `\widowpenalty`: a break before the last line of a paragraph (a widow). Forbidden.
    pub const WIDOW_PENALTY: i32 = FORBIDDEN;
    /// `\brokenpenalty`: a break after a hyphenated line, so that the visitor must turn
    /// the page in the middle of a word.
    pub const BROKEN_PENALTY: i32 = 100;
    /// Each empty line left at the bottom of a page (our stand-in for TeX's page badness
    /// with `\raggedbottom`): a page may end a line short rather than on a hyphen.
    pub const SHORT_LINE_COST: i32 = 80;
}

/// Where to break a block of `n` lines when `room` of them fit on the page: the number of
/// lines to keep on this page (0: move the whole block on), by the least cost in
/// [`page_params`].
pub fn page_split(n: usize, room: usize, hyphenated: impl Fn(usize) -> bool) -> usize {
    use page_params::*;
    let mut best = (room as i32 * SHORT_LINE_COST, 0usize);
    for k in 1..=room.min(n.saturating_sub(1)) {
        let mut cost = (room - k) as i32 * SHORT_LINE_COST;
        if k == 1 {
            cost += CLUB_PENALTY;
        }
        if n - k == 1 {
            cost += WIDOW_PENALTY;
        }
        if hyphenated(k - 1) {
            cost += BROKEN_PENALTY;
        }
        if cost < FORBIDDEN && cost < best.0 {
            best = (cost, k);
        }
    }
    best.1
}

/// The fewest lines of a block that must come with it onto a page: all of a block that
/// cannot be split by [`page_split`], else two.
fn min_lines(n: usize) -> usize {
    if n <= 3 {
        n
    } else {
        2
    }
}

/// Distributes blocks over pages of `height` pixels with `top`/`bottom` margins. Paragraphs
/// are split where [`page_split`] finds the least cost: never leaving a widow or an orphan,
/// and rather not after a hyphenated line. Blocks marked keep-with-next (titles, headings)
/// move to the next page with the start of the following block, so a heading is never the
/// last thing on a page. Returns the pages and, for each block, the page it starts on.
pub fn paginate(
    flows: &[Flow],
    n_blocks: usize,
    height: i32,
    top: i32,
    bottom: i32,
) -> (Vec<Page>, Vec<u16>) {
    let usable = height - top - bottom;
    let mut pages: Vec<Page> = Vec::new();
    let mut block_pages = vec![0u16; n_blocks];
    let mut cur: Vec<Line> = Vec::new();
    let mut first: Option<u16> = None;
    let mut y = 0i32;
    let flush =
        |pages: &mut Vec<Page>, cur: &mut Vec<Line>, first: &mut Option<u16>, y: &mut i32| {
            if !cur.is_empty() {
                pages.push(Page {
                    first_block: first.unwrap_or(0),
                    lines: std::mem::take(cur),
                });
            }
            *first = None;
            *y = 0;
        };
    let (mut i, mut off) = (0usize, 0usize);
    while i < flows.len() {
        let f = &flows[i];
        let lines = &f.lines[off.min(f.lines.len())..];
        let n = lines.len();
        if n == 0 {
            i += 1;
            off = 0;
            continue;
        }
        let lh = f.line_height;
        let before = if y == 0 || off > 0 { 0 } else { f.space_before };
        let avail = usable - y - before;
        let room = (avail / lh).max(0) as usize;
        // What must come along onto this page: every following keep-with-next block whole
        // (a title's byline), then the least of the first block that is not.
        let mut need_next = 0;
        if f.keep_with_next {
            for nx in &flows[i + 1..] {
                if nx.keep_with_next {
                    need_next += nx.space_before + nx.line_height * nx.lines.len() as i32;
                } else {
                    need_next +=
                        nx.space_before + nx.line_height * min_lines(nx.lines.len()) as i32;
                    break;
                }
            }
        }
        let mut take = if n as i32 * lh + need_next <= avail {
            n
        } else if f.keep_with_next {
            0
        } else {
            page_split(n, room, |k| lines[k].hyphen)
        };
        if take == 0 && y == 0 {
            // An empty page always takes something, so pagination always ends.
            take = room.max(1).min(n);
        }
        if take == 0 {
            flush(&mut pages, &mut cur, &mut first, &mut y);
            continue;
        }
        if off == 0 {
            if let Some(bp) = block_pages.get_mut(usize::from(f.block)) {
                *bp = u16::try_from(pages.len()).unwrap_or(u16::MAX);
            }
        }
        first.get_or_insert(f.block);
        let top_y = top + y + before;
        for l in &lines[..take] {
            let mut l = l.clone();
            let yy = top_y + i32::from(l.y) - off as i32 * lh;
            l.y = i16::try_from(yy).unwrap_or(i16::MAX);
            cur.push(l);
        }
        y += before + take as i32 * lh;
        if take < n {
            off += take;
            flush(&mut pages, &mut cur, &mut first, &mut y);
        } else {
            i += 1;
            off = 0;
        }
    }
    flush(&mut pages, &mut cur, &mut first, &mut y);
    (pages, block_pages)
}

/// Lays out a ragged block (UI label, library card) and measures it. `pad` pixels are kept
/// on every side so that overhanging ink stays inside the block.
pub fn text_block(lines: Vec<Line>, height: i32, width: f32, pad: i32) -> TextBlock {
    TextBlock {
        width: (width.ceil() as i32 + 2 * pad).max(0) as u16,
        height: (height + 2 * pad).max(0) as u16,
        lines: lines
            .into_iter()
            .map(|mut l| {
                l.y += pad as i16;
                l
            })
            .collect(),
    }
}
