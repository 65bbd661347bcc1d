//! Paragraph setting: UAX #14 break opportunities, hyphenation points, an optimal-fit
//! (Knuth–Plass style) choice of breaks, justification, and emergency breaks so that no line
//! ever overflows the measure.

use crate::hyph::Hyphenator;
use crate::shape::{font_index, ShapeContext};
use crate::source::Style;
use bitig_format::Lang;
use icu_segmenter::options::LineBreakOptions;
use icu_segmenter::LineSegmenter;
use std::collections::HashMap;
use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// What to set: one block of text.
#[derive(Debug, Clone)]
pub struct ParaInput<'t> {
    pub text: &'t str,
    pub styles: &'t [(Range<usize>, Style)],
    pub lang: Lang,
    /// Pixels per em for every style of the block.
    pub px: f32,
    /// Line width in pixels.
    pub measure: f32,
    /// Hanging indent of every line after the first (list items), in pixels.
    pub indent: f32,
    pub justify: bool,
    pub hyphenate: bool,
}

/// A piece of a set line: a (partial) word placed at `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub range: Range<usize>,
    pub x: f32,
}

/// A set line, in block text offsets and pixels relative to the line's left edge.
#[derive(Debug, Clone, PartialEq)]
pub struct SetLine {
    pub start: usize,
    pub end: usize,
    /// A hyphen is drawn after the last piece.
    pub hyphen: bool,
    /// Left edge of the line relative to the block (the hanging indent).
    pub x: f32,
    pub pieces: Vec<Piece>,
    /// Width of the set line in pixels (equals the measure for justified lines).
    pub width: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// After a word followed by a space (or by nothing at the end of a gap-less break).
    Word,
    Hyphen,
    Emergency,
    Mandatory,
}

#[derive(Debug, Clone)]
struct Word {
    range: Range<usize>,
    /// A space follows this word (the gap to the next word is stretchable).
    space_after: bool,
    /// A mandatory break follows this word.
    mandatory: bool,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Word the break is in (or after).
    word: usize,
    /// Text offset where the line ends.
    at: usize,
    kind: Kind,
}

/// Width measurements in pixels, cached per block.
struct Measurer<'a, 'f> {
    shaper: &'a mut ShapeContext<'f>,
    input: &'a ParaInput<'a>,
    scale: Vec<f32>,
    cache: HashMap<(usize, usize, bool), f32>,
}

impl Measurer<'_, '_> {
    fn width(&mut self, r: Range<usize>, hyphen: bool) -> f32 {
        if let Some(&w) = self.cache.get(&(r.start, r.end, hyphen)) {
            return w;
        }
        let units = style_units(self.input.styles, r.clone());
        let mut w = 0.0;
        let n = units.len();
        for (i, (u, style)) in units.into_iter().enumerate() {
            let font = font_index(style);
            let mut s = self.input.text[u].to_string();
            if hyphen && i + 1 == n {
                s.push('-');
            }
            w += self.shaper.shape(font, self.input.lang, &s).advance as f32 * self.scale[font];
        }
        if n == 0 && hyphen {
            w += self.shaper.shape(0, self.input.lang, "-").advance as f32 * self.scale[0];
        }
        self.cache.insert((r.start, r.end, hyphen), w);
        w
    }
}

/// Splits `r` into maximal pieces of one style.
pub fn style_units(
    styles: &[(Range<usize>, Style)],
    r: Range<usize>,
) -> Vec<(Range<usize>, Style)> {
    let mut out: Vec<(Range<usize>, Style)> = Vec::new();
    for (sr, st) in styles {
        let a = sr.start.max(r.start);
        let b = sr.end.min(r.end);
        if a < b {
            out.push((a..b, *st));
        }
    }
    if out.is_empty() && r.start < r.end {
        out.push((r, Style::Regular));
    }
    out
}

/// The UAX #14 line break opportunities of `text`: byte offsets where a line may (or, if the
/// flag is set, must) end. The end of the text is always one. This is the segmenter the line
/// breaker uses (ICU4X, default rules, no dictionary scripts); `tests/tests/uax14.rs` runs
/// the Unicode conformance file of [`UAX14_UNICODE_VERSION`] through it.
pub fn break_opportunities(text: &str) -> impl Iterator<Item = (usize, bool)> + '_ {
    LineSegmenter::new_neo_for_non_complex_scripts(LineBreakOptions::default())
        .segment_str(text)
        .filter(|&i| i > 0)
        .map(move |i| {
            // LB3: at the end of the text, and LB4, LB5: after BK, CR, LF and NL, a break is
            // mandatory.
            let mandatory = i == text.len()
                || text[..i].chars().next_back().is_some_and(|c| {
                    matches!(
                        c,
                        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
                    )
                });
            (i, mandatory)
        })
}

/// The Unicode version of the line break rules and data behind [`break_opportunities`]
/// (icu_segmenter 2.4's "neo" line segmenter).
pub const UAX14_UNICODE_VERSION: (u8, u8, u8) = (18, 0, 0);

fn words_of(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut prev = 0;
    for (idx, mandatory) in break_opportunities(text) {
        let seg = &text[prev..idx];
        let trimmed = seg.trim_end_matches([' ', '\n']);
        let end = prev + trimmed.len();
        let space_after = trimmed.len() < seg.len() && seg[trimmed.len()..].contains(' ');
        if end > prev {
            words.push(Word {
                range: prev..end,
                space_after,
                mandatory,
            });
        } else if mandatory {
            if let Some(w) = words.last_mut() {
                w.mandatory = true;
            }
        }
        prev = idx;
    }
    words
}

/// Sets one block into lines. Never returns a line wider than its measure (apart from a
/// single grapheme cluster wider than the whole measure, which cannot be split).
pub fn set_paragraph(
    shaper: &mut ShapeContext<'_>,
    hyph: &Hyphenator,
    input: &ParaInput<'_>,
) -> Vec<SetLine> {
    let scale: Vec<f32> = shaper.upem.iter().map(|u| input.px / u).collect();
    let mut m = Measurer {
        shaper,
        input,
        scale,
        cache: HashMap::new(),
    };
    let words = words_of(input.text);
    if words.is_empty() {
        return Vec::new();
    }
    let space = m.shaper.shape(0, input.lang, " ").advance as f32 * m.scale[0];
    let narrowest = input.measure - input.indent;

    // Candidate breaks, in text order.
    let mut nodes: Vec<Node> = Vec::new();
    for (wi, w) in words.iter().enumerate() {
        let whole = m.width(w.range.clone(), false);
        if whole > narrowest {
            // Emergency breaks: greedy grapheme chunks that each fit the narrowest measure.
            let mut chunk_start = w.range.start;
            for (off, g) in input.text[w.range.clone()].grapheme_indices(true) {
                let at = w.range.start + off;
                let end = at + g.len();
                if at > chunk_start && m.width(chunk_start..end, false) > narrowest {
                    nodes.push(Node {
                        word: wi,
                        at,
                        kind: Kind::Emergency,
                    });
                    chunk_start = at;
                }
            }
        } else if input.hyphenate {
            let wtext = &input.text[w.range.clone()];
            let mut run_start = None;
            let push_run = |nodes: &mut Vec<Node>, a: usize, b: usize| {
                for p in hyph.points(input.lang, &wtext[a..b]) {
                    nodes.push(Node {
                        word: wi,
                        at: w.range.start + a + p,
                        kind: Kind::Hyphen,
                    });
                }
            };
            for (i, c) in wtext.char_indices() {
                match (c.is_alphabetic(), run_start) {
                    (true, None) => run_start = Some(i),
                    (false, Some(s)) => {
                        push_run(&mut nodes, s, i);
                        run_start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = run_start {
                push_run(&mut nodes, s, wtext.len());
            }
        }
        nodes.push(Node {
            word: wi,
            at: w.range.end,
            kind: if w.mandatory || wi + 1 == words.len() {
                Kind::Mandatory
            } else {
                Kind::Word
            },
        });
    }

    // Where a line that starts after node i begins.
    let start_of = |i: Option<usize>| -> (usize, usize) {
        match i {
            None => (0, words[0].range.start),
            Some(i) => {
                let n = nodes[i];
                match n.kind {
                    Kind::Hyphen | Kind::Emergency => (n.word, n.at),
                    _ => (
                        n.word + 1,
                        words.get(n.word + 1).map_or(n.at, |w| w.range.start),
                    ),
                }
            }
        }
    };

    // Optimal fit: best[j] = (demerits, previous node) for a line ending at node j.
    let mut best: Vec<Option<(f64, Option<usize>)>> = vec![None; nodes.len()];
    let starts: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..nodes.len()).map(Some))
        .collect();
    for &from in &starts {
        let base = match from {
            None => 0.0,
            Some(i) => match best[i] {
                Some((d, _)) => d,
                None => continue,
            },
        };
        if let Some(i) = from {
            if nodes[i].kind == Kind::Mandatory && i + 1 == nodes.len() {
                continue;
            }
        }
        let (w0, s0) = start_of(from);
        let measure = if from.is_none() {
            input.measure
        } else {
            narrowest
        };
        let prev_hyphen = from.is_some_and(|i| nodes[i].kind == Kind::Hyphen);
        let first_j = from.map_or(0, |i| i + 1);
        let mut feasible = false;
        for j in first_j..nodes.len() {
            let n = nodes[j];
            if n.word < w0 || n.at <= s0 && n.kind != Kind::Mandatory {
                continue;
            }
            let hyphen = n.kind == Kind::Hyphen;
            let (natural, gaps) = line_width(&mut m, &words, w0, s0, n, space);
            let last = n.kind == Kind::Mandatory;
            let diff = f64::from(measure - natural);
            let stretch = f64::from(gaps as f32 * space * 0.6);
            let shrink = f64::from(gaps as f32 * space * 0.25);
            let badness = if diff < 0.0 {
                if shrink <= 0.0 || -diff > shrink {
                    // Too wide. A hyphenated prefix may be too wide where the whole word is
                    // not: keep looking. Otherwise only a first piece that cannot be split
                    // (one grapheme wider than the measure) may stay, so setting always ends.
                    if hyphen {
                        continue;
                    } else if !feasible {
                        1.0e6
                    } else {
                        break;
                    }
                } else {
                    100.0 * (-diff / shrink).powi(3)
                }
            } else if last {
                0.0
            } else if !input.justify {
                // Ragged: prefer full lines, gently.
                let slack = diff / f64::from(measure.max(1.0));
                400.0 * slack * slack
            } else if stretch <= 0.0 {
                5000.0
            } else {
                (100.0 * (diff / stretch).powi(3)).min(10000.0)
            };
            let mut demerits = (10.0 + badness).powi(2);
            if hyphen {
                demerits += 50.0f64.powi(2);
                if prev_hyphen {
                    demerits += 3000.0;
                }
            }
            feasible = true;
            let total = base + demerits;
            if best[j].is_none_or(|(d, _)| total < d) {
                best[j] = Some((total, from));
            }
            if last {
                break;
            }
        }
    }

    // Walk back from the end.
    let mut chain = Vec::new();
    let mut at = Some(nodes.len() - 1);
    while let Some(j) = at {
        chain.push(j);
        at = best[j].and_then(|(_, p)| p);
        if best[j].is_none() {
            break;
        }
    }
    chain.reverse();

    let mut lines = Vec::new();
    let mut from: Option<usize> = None;
    for j in chain {
        let (w0, s0) = start_of(from);
        let n = nodes[j];
        let first = from.is_none();
        let measure = if first { input.measure } else { narrowest };
        let x = if first { 0.0 } else { input.indent };
        let last = n.kind == Kind::Mandatory;
        let (natural, gaps) = line_width(&mut m, &words, w0, s0, n, space);
        // Justified lines stretch or shrink to the measure. Any line that the fit accepted
        // only by shrinking its spaces (a last or ragged line too) is shrunk, never left
        // overflowing.
        let extra = if gaps > 0 && ((input.justify && !last) || natural > measure) {
            (measure - natural) / gaps as f32
        } else {
            0.0
        };
        let mut pieces = Vec::new();
        let mut pen = 0.0f32;
        let last_word = n.word.min(words.len() - 1);
        for (wi, w) in words.iter().enumerate().take(last_word + 1).skip(w0) {
            let a = if wi == w0 {
                s0.max(w.range.start)
            } else {
                w.range.start
            };
            let b = if wi == n.word {
                n.at.min(w.range.end)
            } else {
                w.range.end
            };
            if a >= b {
                continue;
            }
            pieces.push(Piece {
                range: a..b,
                x: pen,
            });
            pen += m.width(a..b, false);
            if wi < n.word && w.space_after {
                pen += space + extra;
            }
        }
        let hyphen = n.kind == Kind::Hyphen;
        let width = if extra != 0.0 { measure } else { natural };
        lines.push(SetLine {
            start: s0.min(n.at),
            end: n.at,
            hyphen,
            x,
            pieces,
            width,
        });
        from = Some(j);
    }
    lines
}

/// Natural width of a line starting at (`w0`, `s0`) and ending at node `n`, and its number of
/// stretchable gaps.
fn line_width(
    m: &mut Measurer<'_, '_>,
    words: &[Word],
    w0: usize,
    s0: usize,
    n: Node,
    space: f32,
) -> (f32, usize) {
    let hyphen = n.kind == Kind::Hyphen;
    let mut width = 0.0;
    let mut gaps = 0;
    for (wi, w) in words.iter().enumerate().take(n.word + 1).skip(w0) {
        let a = if wi == w0 {
            s0.max(w.range.start)
        } else {
            w.range.start
        };
        let b = if wi == n.word {
            n.at.min(w.range.end)
        } else {
            w.range.end
        };
        if a < b {
            width += m.width(a..b, hyphen && wi == n.word);
        }
        if wi < n.word && w.space_after {
            width += space;
            gaps += 1;
        }
    }
    (width, gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_spaces_and_mandatory_breaks() {
        let w = words_of("ab cd\nef-gh");
        let r: Vec<(&str, bool, bool)> = w
            .iter()
            .map(|w| (&"ab cd\nef-gh"[w.range.clone()], w.space_after, w.mandatory))
            .collect();
        assert_eq!(
            r,
            [
                ("ab", true, false),
                ("cd", false, true),
                ("ef-", false, false),
                ("gh", false, true)
            ]
        );
    }
}
