//! Paragraph setting as TeX does it: UAX #14 break opportunities, hyphenation points, a
//! Knuth–Plass choice of breaks for the whole paragraph (badness, fitness classes, adjacent,
//! double-hyphen and final-hyphen demerits, TeX's three passes and an emergency pass), then
//! justification. No line ever overflows the measure. Every parameter is in [`params`].

use crate::hyph::Hyphenator;
use crate::shape::{font_index, ShapeContext};
use crate::source::Style;
use bitig_format::Lang;
use icu_segmenter::options::LineBreakOptions;
use icu_segmenter::LineSegmenter;
use std::collections::HashMap;
use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// The whole cost model of the paragraph builder, in one place. Names and values are plain
/// TeX's (`plain.tex`), unless a comment says otherwise; docs/typography.md shows how they
/// were checked against LuaTeX on the same paragraphs.
pub mod params {
    /// `\pretolerance`: the first pass tries the paragraph without hyphenation and accepts
    /// it if no line is worse than this badness.
    pub const PRETOLERANCE: f64 = 100.0;
    /// `\tolerance`: the second pass, with hyphenation, accepts lines up to this badness.
    pub const TOLERANCE: f64 = 200.0;
    /// `\linepenalty`: added to every line's badness before squaring, so that fewer lines
    /// are preferred.
    pub const LINE_PENALTY: f64 = 10.0;
    /// `\hyphenpenalty`: the cost of breaking at an inserted hyphen (or a soft hyphen).
    pub const HYPHEN_PENALTY: f64 = 50.0;
    /// `\exhyphenpenalty`: the cost of breaking after a hyphen that is in the text.
    pub const EX_HYPHEN_PENALTY: f64 = 50.0;
    /// Breaking inside a URL (after `/`, before `.`): as costly as a hyphen, since the reader
    /// must put the address together again.
    pub const URL_PENALTY: f64 = 50.0;
    /// `\doublehyphendemerits`: two hyphenated lines in a row.
    pub const DOUBLE_HYPHEN_DEMERITS: f64 = 10000.0;
    /// `\finalhyphendemerits`: the second-last line ends in a hyphen.
    pub const FINAL_HYPHEN_DEMERITS: f64 = 5000.0;
    /// `\adjdemerits`: adjacent lines whose fitness classes are not neighbours (a very
    /// loose line next to a decent or tight one).
    pub const ADJ_DEMERITS: f64 = 10000.0;
    /// `\emergencystretch`, in ems of the body size: extra stretch on every line in the
    /// third pass, tried only when the second pass finds no feasible set of breaks (plain TeX
    /// has 0; LaTeX users commonly set 3em, and so does the TeX yardstick).
    pub const EMERGENCY_STRETCH_EM: f32 = 3.0;
    /// Inter-word stretch and shrink as fractions of the font's space: luaotfload's defaults
    /// for an OpenType font (`\fontdimen3` = space/2, `\fontdimen4` = space/3).
    pub const SPACE_STRETCH: f32 = 0.5;
    pub const SPACE_SHRINK: f32 = 1.0 / 3.0;
    /// `\rightskip` stretch of ragged-right blocks, in ems. Plain TeX's `\raggedright` has
    /// 2em; Bitig sets body text ragged (see [`RAGGED_BELOW_EM`]) and takes 4em, which
    /// keeps its hyphen share below TeX's justified one on every layout (the trade-off table
    /// in docs/typography.md). Spaces keep their natural width in ragged blocks.
    pub const RAGGED_STRETCH_EM: f32 = 4.0;
    /// Body text on a measure narrower than this many ems is set ragged right instead of
    /// justified. Infinity: always ragged. On these panels justified text cannot keep its
    /// spaces under 1.5 times the font's space for 95% of lines, in TeX or here, without
    /// hyphenating far more than TeX does; ragged right holds both (docs/typography.md).
    pub const RAGGED_BELOW_EM: f32 = f32::INFINITY;
    /// TeX's `inf_bad`: the badness of a line that cannot stretch enough.
    pub const INF_BAD: f64 = 10000.0;
    /// At most this many hyphenated lines in a row (a rule of the house style, stricter than
    /// TeX, which only charges `\doublehyphendemerits`).
    pub const MAX_HYPHEN_RUN: u8 = 2;
    /// In the last resort pass only: a line that holds nothing but one hyphenated fragment,
    /// or a third hyphenated line in a row. Every other pass refuses both outright.
    pub const LAST_RESORT_DEMERITS: f64 = 1.0e10;
}

use params::{INF_BAD, LAST_RESORT_DEMERITS, MAX_HYPHEN_RUN};

/// The paragraph builder's adjustable costs, for one block. [`Params::BITIG`] holds the
/// values of [`params`] (the default); [`Params::PLAIN_TEX`] is plain TeX's justified
/// setting, the yardstick's; the trade-off study in docs/typography.md varies them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub pretolerance: f64,
    pub tolerance: f64,
    pub line_penalty: f64,
    pub hyphen_penalty: f64,
    pub ex_hyphen_penalty: f64,
    pub url_penalty: f64,
    pub double_hyphen_demerits: f64,
    pub final_hyphen_demerits: f64,
    pub adj_demerits: f64,
    pub emergency_stretch_em: f32,
    pub space_stretch: f32,
    pub space_shrink: f32,
    pub ragged_stretch_em: f32,
    /// Justified blocks on a measure narrower than this many ems are set ragged right
    /// instead (0: always justify).
    pub ragged_below_em: f32,
}

impl Params {
    /// Bitig's setting: plain TeX's costs, body text ragged right with a 4em rag.
    pub const BITIG: Params = Params {
        ragged_stretch_em: params::RAGGED_STRETCH_EM,
        ragged_below_em: params::RAGGED_BELOW_EM,
        ..Params::PLAIN_TEX
    };

    /// Plain TeX's justified setting: every block justified, `\raggedright`'s 2em rag.
    pub const PLAIN_TEX: Params = Params {
        pretolerance: params::PRETOLERANCE,
        tolerance: params::TOLERANCE,
        line_penalty: params::LINE_PENALTY,
        hyphen_penalty: params::HYPHEN_PENALTY,
        ex_hyphen_penalty: params::EX_HYPHEN_PENALTY,
        url_penalty: params::URL_PENALTY,
        double_hyphen_demerits: params::DOUBLE_HYPHEN_DEMERITS,
        final_hyphen_demerits: params::FINAL_HYPHEN_DEMERITS,
        adj_demerits: params::ADJ_DEMERITS,
        emergency_stretch_em: params::EMERGENCY_STRETCH_EM,
        space_stretch: params::SPACE_STRETCH,
        space_shrink: params::SPACE_SHRINK,
        ragged_stretch_em: 2.0,
        ragged_below_em: 0.0,
    };
}

impl Default for Params {
    fn default() -> Params {
        Params::BITIG
    }
}

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
    /// Ragged blocks only: make the lines about equally long (titles), using the narrowest
    /// measure that needs no more lines than the full one.
    pub balance: bool,
    /// The cost model.
    pub params: Params,
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
    /// Width of the set line in pixels: from the first piece's left edge to the last
    /// piece's right edge (its hyphen included), measured from the pieces themselves.
    pub width: f32,
    /// Stretch (+) or shrink (-) of each inter-word space in pixels, beyond its natural
    /// width.
    pub space_extra: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// After a word followed by a space.
    Glue,
    /// After a word with no space after it: a hyphen in the text (`hyphen`), a URL break
    /// (`url`), or another UAX #14 opportunity such as after a dash or a slash.
    Explicit { hyphen: bool, url: bool },
    /// Inside a word, showing an inserted hyphen: a hyphenation point (`pattern`) or a soft
    /// hyphen in the source.
    Hyphen { pattern: bool },
    /// Inside a word wider than the measure, without a hyphen.
    Emergency,
    /// A forced break: the end of the block or a hard line break.
    Mandatory,
}

impl Kind {
    /// The line ending here ends with a hyphen (inserted or in the text).
    fn hyphenated(self) -> bool {
        matches!(
            self,
            Kind::Hyphen { .. } | Kind::Explicit { hyphen: true, .. }
        )
    }

    fn penalty(self, p: &Params) -> f64 {
        match self {
            Kind::Hyphen { .. } => p.hyphen_penalty,
            Kind::Explicit { hyphen: true, .. } => p.ex_hyphen_penalty,
            Kind::Explicit { url: true, .. } => p.url_penalty,
            _ => 0.0,
        }
    }
}

#[derive(Debug, Clone)]
struct Word {
    range: Range<usize>,
    /// A space follows this word (the gap to the next word is stretchable).
    space_after: bool,
    /// A mandatory break follows this word.
    mandatory: bool,
    /// The word ends with a soft hyphen (U+00AD): the break after it shows a hyphen.
    soft_hyphen: bool,
    /// A URL break follows this word.
    url_break: bool,
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
                soft_hyphen: trimmed.ends_with('\u{ad}'),
                url_break: false,
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

/// What a token (a run of words with no space between them) is, for hyphenation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenClass {
    /// Ordinary text: hyphenated by the language's rules.
    Text,
    /// A URL or an e-mail address: never hyphenated; breaks after `/` and before `.` only.
    Address,
    /// Contains a digit: never hyphenated.
    Number,
    /// Contains a hyphen: breaks only at its hyphens.
    Compound,
    /// Contains a soft hyphen: breaks only at its soft hyphens.
    Soft,
}

/// Classifies one token (text between spaces).
pub fn token_class(token: &str) -> TokenClass {
    let t = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '@');
    let lower = t.to_lowercase();
    let email = t
        .find('@')
        .is_some_and(|at| at > 0 && t[at + 1..].contains('.') && !t[at + 1..].starts_with('.'));
    if lower.contains("://") || lower.starts_with("www.") || email {
        TokenClass::Address
    } else if token.chars().any(|c| c.is_numeric()) {
        TokenClass::Number
    } else if token.contains(['-', '\u{2010}']) {
        TokenClass::Compound
    } else if token.contains('\u{ad}') {
        TokenClass::Soft
    } else {
        TokenClass::Text
    }
}

/// Byte offsets (relative to `token`) where a URL or address may break without a hyphen:
/// after a `/` (but not inside `//`) and before a `.`, never in the first or last
/// character (Chicago Manual of Style).
pub fn address_breaks(token: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = token.char_indices().collect();
    let mut out = Vec::new();
    for k in 1..chars.len() {
        let (at, c) = chars[k];
        let prev = chars[k - 1].1;
        let after_slash = prev == '/' && c != '/';
        let before_dot = c == '.' && prev != '/' && prev != '.' && k + 1 < chars.len();
        if (after_slash || before_dot) && k + 1 < chars.len() {
            out.push(at);
        }
    }
    out
}

/// Groups words into tokens and rewrites address tokens to break only at their URL
/// breaks. Returns the words and, for each word, its token's class.
fn tokens(text: &str, words: Vec<Word>) -> (Vec<Word>, Vec<TokenClass>) {
    let mut out = Vec::with_capacity(words.len());
    let mut classes = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut j = i;
        while j + 1 < words.len() && !words[j].space_after && !words[j].mandatory {
            j += 1;
        }
        let span = words[i].range.start..words[j].range.end;
        let class = token_class(&text[span.clone()]);
        if class == TokenClass::Address {
            let mut start = span.start;
            for b in address_breaks(&text[span.clone()]) {
                out.push(Word {
                    range: start..span.start + b,
                    space_after: false,
                    mandatory: false,
                    soft_hyphen: false,
                    url_break: true,
                });
                classes.push(class);
                start = span.start + b;
            }
            out.push(Word {
                range: start..span.end,
                ..words[j].clone()
            });
            classes.push(class);
        } else {
            for w in &words[i..=j] {
                out.push(w.clone());
                classes.push(class);
            }
        }
        i = j + 1;
    }
    (out, classes)
}

/// TeX's badness of a line that must stretch (or shrink) by `t` where it can by `s`:
/// about 100 (t/s)³, at most [`params::INF_BAD`].
fn badness(t: f64, s: f64) -> f64 {
    if t <= 0.0 {
        0.0
    } else if s <= 0.0 {
        INF_BAD
    } else {
        (100.0 * (t / s).powi(3)).min(INF_BAD)
    }
}

/// TeX's fitness classes: 0 very loose, 1 loose, 2 decent, 3 tight.
fn fitness(b: f64, shrinking: bool) -> u8 {
    if shrinking {
        if b > 12.0 {
            3
        } else {
            2
        }
    } else if b > 99.0 {
        0
    } else if b > 12.0 {
        1
    } else {
        2
    }
}

/// One pass of the paragraph builder.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// Lines worse than this are infeasible (`None`: the last resort, anything goes).
    threshold: Option<f64>,
    /// Hyphenation points from patterns are breaks.
    hyphenate: bool,
    /// Extra stretch on every line, in pixels (`\emergencystretch`).
    background: f32,
}

/// A break chosen by the optimal fit: where, with which fitness, after how many hyphenated
/// lines in a row.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Active {
    node: Option<usize>,
    fitness: u8,
    run: u8,
}

const STATES: usize = 4 * (MAX_HYPHEN_RUN as usize + 2);

fn state_index(fitness: u8, run: u8) -> usize {
    usize::from(fitness) * (usize::from(MAX_HYPHEN_RUN) + 2)
        + usize::from(run.min(MAX_HYPHEN_RUN + 1))
}

/// Sets one block into lines. Never returns a line wider than its measure (apart from a
/// single grapheme cluster wider than the whole measure, which cannot be split).
pub fn set_paragraph(
    shaper: &mut ShapeContext<'_>,
    hyph: &Hyphenator,
    input: &ParaInput<'_>,
) -> Vec<SetLine> {
    let lines = set_once(shaper, hyph, input);
    if !(input.balance && !input.justify && lines.len() > 1) {
        return lines;
    }
    // Balance: the narrowest whole-pixel measure that still needs no more lines.
    let count = lines.len();
    let (mut lo, mut hi) = (input.measure / count as f32, input.measure);
    let mut best = lines;
    for _ in 0..12 {
        if hi - lo < 1.0 {
            break;
        }
        let mid = ((lo + hi) / 2.0).floor();
        let narrower = ParaInput {
            measure: mid,
            ..input.clone()
        };
        let try_lines = set_once(shaper, hyph, &narrower);
        let fits = try_lines.len() <= count
            && try_lines
                .iter()
                .all(|l| l.x + l.width <= mid + 0.01 || l.pieces.len() <= 1);
        if fits {
            hi = mid;
            best = try_lines;
        } else {
            lo = mid;
        }
    }
    best
}

fn set_once(
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
    let (words, classes) = tokens(input.text, words_of(input.text));
    if words.is_empty() {
        return Vec::new();
    }
    let space = m.shaper.shape(0, input.lang, " ").advance as f32 * m.scale[0];
    let narrowest = input.measure - input.indent;
    let nodes = candidate_breaks(&mut m, hyph, &words, &classes, narrowest);
    let br = Breaks {
        words: &words,
        nodes,
        space,
        narrowest,
    };
    let mut chain = Vec::new();
    for (pi, pass) in passes(input).into_iter().enumerate() {
        if let Some(c) = optimal_fit(&mut m, &br, pass) {
            // BITIG_TRACE_PASSES=1 names the pass that set each block (docs/typography.md).
            if std::env::var_os("BITIG_TRACE_PASSES").is_some() {
                eprintln!(
                    "pass {pi}: {:?}",
                    input.text.chars().take(40).collect::<String>()
                );
            }
            chain = c;
            break;
        }
    }
    let mut lines = Vec::new();
    let mut from: Option<usize> = None;
    for j in chain {
        lines.push(set_line(&mut m, &br, from, j));
        from = Some(j);
    }
    lines
}

/// A block's words and its candidate breaks, in text order, with the width of a space and
/// the measure of every line but the first.
struct Breaks<'w> {
    words: &'w [Word],
    nodes: Vec<Node>,
    space: f32,
    narrowest: f32,
}

impl Breaks<'_> {
    /// Where a line that starts after node `i` begins: (word, text offset).
    fn start_of(&self, i: Option<usize>) -> (usize, usize) {
        match i {
            None => (0, self.words[0].range.start),
            Some(i) => {
                let n = self.nodes[i];
                match n.kind {
                    Kind::Hyphen { pattern: true } | Kind::Emergency => (n.word, n.at),
                    _ => (
                        n.word + 1,
                        self.words.get(n.word + 1).map_or(n.at, |w| w.range.start),
                    ),
                }
            }
        }
    }
}

/// TeX's passes: first without hyphenation at the pretolerance, then with it at the
/// tolerance, then with emergency stretch, then anything (the last resort).
fn passes(input: &ParaInput<'_>) -> [Pass; 4] {
    let emergency = input.params.emergency_stretch_em * input.px;
    [
        Pass {
            threshold: Some(input.params.pretolerance),
            hyphenate: false,
            background: 0.0,
        },
        Pass {
            threshold: Some(input.params.tolerance),
            hyphenate: true,
            background: 0.0,
        },
        Pass {
            threshold: Some(input.params.tolerance),
            hyphenate: true,
            background: emergency,
        },
        Pass {
            threshold: None,
            hyphenate: true,
            background: emergency,
        },
    ]
}

/// Every place a line may end, in text order: inside a word (emergency breaks in a word
/// wider than the measure, hyphenation points), then after it.
fn candidate_breaks(
    m: &mut Measurer<'_, '_>,
    hyph: &Hyphenator,
    words: &[Word],
    classes: &[TokenClass],
    narrowest: f32,
) -> Vec<Node> {
    let input = m.input;
    let mut nodes: Vec<Node> = Vec::new();
    for (wi, w) in words.iter().enumerate() {
        let whole = m.width(w.range.clone(), false);
        if whole > narrowest {
            emergency_breaks(m, wi, w, narrowest, &mut nodes);
        } else if input.hyphenate && classes[wi] == TokenClass::Text {
            hyphenation_points(input, hyph, wi, w, &mut nodes);
        }
        nodes.push(Node {
            word: wi,
            at: w.range.end,
            kind: break_after(input, words, wi),
        });
    }
    nodes
}

/// Emergency breaks in a word wider than the narrowest measure: greedy grapheme chunks that
/// each fit it.
fn emergency_breaks(
    m: &mut Measurer<'_, '_>,
    wi: usize,
    w: &Word,
    narrowest: f32,
    nodes: &mut Vec<Node>,
) {
    let mut chunk_start = w.range.start;
    for (off, g) in m.input.text[w.range.clone()].grapheme_indices(true) {
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
}

/// The hyphenation points of each run of letters in a word.
fn hyphenation_points(
    input: &ParaInput<'_>,
    hyph: &Hyphenator,
    wi: usize,
    w: &Word,
    nodes: &mut Vec<Node>,
) {
    let wtext = &input.text[w.range.clone()];
    let mut run_start = None;
    let push_run = |nodes: &mut Vec<Node>, a: usize, b: usize| {
        for p in hyph.points(input.lang, &wtext[a..b]) {
            nodes.push(Node {
                word: wi,
                at: w.range.start + a + p,
                kind: Kind::Hyphen { pattern: true },
            });
        }
    };
    for (i, c) in wtext.char_indices() {
        match (c.is_alphabetic(), run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                push_run(nodes, s, i);
                run_start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = run_start {
        push_run(nodes, s, wtext.len());
    }
}

/// The kind of break after word `wi`.
fn break_after(input: &ParaInput<'_>, words: &[Word], wi: usize) -> Kind {
    let w = &words[wi];
    if w.mandatory || wi + 1 == words.len() {
        Kind::Mandatory
    } else if w.space_after {
        Kind::Glue
    } else if w.soft_hyphen {
        Kind::Hyphen { pattern: false }
    } else {
        let t = input.text[w.range.clone()].trim_end_matches('\u{ad}');
        Kind::Explicit {
            hyphen: t.ends_with(['-', '\u{2010}']),
            url: w.url_break,
        }
    }
}

/// The line from the break after node `from` (the block's start if `None`) to node `j`, set:
/// its pieces placed, its spaces stretched or shrunk.
fn set_line(m: &mut Measurer<'_, '_>, br: &Breaks<'_>, from: Option<usize>, j: usize) -> SetLine {
    let input = m.input;
    let words = br.words;
    let (w0, s0) = br.start_of(from);
    let n = br.nodes[j];
    let first = from.is_none();
    let measure = if first { input.measure } else { br.narrowest };
    let x = if first { 0.0 } else { input.indent };
    let last = n.kind == Kind::Mandatory;
    let (natural, gaps) = line_width(m, words, w0, s0, n, br.space);
    // Justified lines stretch or shrink to the measure. Any line that the fit accepted
    // only by shrinking its spaces (a last or ragged line too) is shrunk, never left
    // overflowing.
    let extra = if gaps > 0 && ((input.justify && !last) || natural > measure) {
        (measure - natural) / gaps as f32
    } else {
        0.0
    };
    let hyphen = matches!(n.kind, Kind::Hyphen { .. });
    let mut pieces = Vec::new();
    let mut pen = 0.0f32;
    let mut width = 0.0f32;
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
        width = pen - m.width(a..b, false) + m.width(a..b, hyphen && wi == n.word);
        if wi < n.word && w.space_after {
            pen += br.space + extra;
        }
    }
    SetLine {
        start: s0.min(n.at),
        end: n.at,
        hyphen,
        x,
        pieces,
        width,
        space_extra: if gaps > 0 { extra } else { 0.0 },
    }
}

/// The best state (total demerits, the break before it) of each node, `STATES` per node.
type Best = Vec<Option<(f64, Active)>>;

/// Knuth and Plass's optimal fit for one pass: the chain of nodes that ends the lines, or
/// `None` if no chain stays within the pass's threshold.
fn optimal_fit(m: &mut Measurer<'_, '_>, br: &Breaks<'_>, pass: Pass) -> Option<Vec<usize>> {
    let nodes = &br.nodes;
    let mut best: Best = vec![None; nodes.len() * STATES];
    let mut actives: Vec<(Active, f64)> = vec![(
        Active {
            node: None,
            fitness: 2,
            run: 0,
        },
        0.0,
    )];
    let mut next = 0usize;
    // Every active state here sits at the same node, so the lines from it are measured once
    // and charged to each state.
    while !actives.is_empty() {
        lines_from(m, br, pass, &actives, &mut best);
        actives = next_actives(&best, nodes.len(), &mut next);
    }
    walk_back(&best, nodes.len())
}

/// Records in `best` each break a line from the active states (all at one node) can reach.
fn lines_from(
    m: &mut Measurer<'_, '_>,
    br: &Breaks<'_>,
    pass: Pass,
    actives: &[(Active, f64)],
    best: &mut Best,
) {
    let input = m.input;
    let p = &input.params;
    let nodes = &br.nodes;
    let from_node = actives[0].0.node;
    let (w0, s0) = br.start_of(from_node);
    let measure = if from_node.is_none() {
        input.measure
    } else {
        br.narrowest
    };
    let prev_hyphenated = from_node.is_some_and(|i| nodes[i].kind.hyphenated());
    let first_j = from_node.map_or(0, |i| i + 1);
    let mut any_fit = false;
    for (j, &n) in nodes.iter().enumerate().skip(first_j) {
        if n.word < w0 || (n.at <= s0 && n.kind != Kind::Mandatory) {
            continue;
        }
        if !pass.hyphenate && n.kind == (Kind::Hyphen { pattern: true }) {
            continue;
        }
        let last = n.kind == Kind::Mandatory;
        let (natural, gaps) = line_width(m, br.words, w0, s0, n, br.space);
        let b = match line_badness(input, pass, br.space, (measure, natural, gaps), n, any_fit) {
            Fit::Skip => continue,
            Fit::Stop => break,
            Fit::Badness(b) => b,
        };
        let shrinking = natural > measure;
        let one_fragment = gaps == 0 && n.kind.hyphenated();
        if pass.threshold.is_some_and(|t| b > t) || (one_fragment && pass.threshold.is_some()) {
            if last {
                break;
            }
            continue;
        }
        any_fit = true;
        let f = fitness(b, shrinking);
        let mut line_demerits = (p.line_penalty + b).powi(2) + n.kind.penalty(p).powi(2);
        if one_fragment {
            line_demerits += LAST_RESORT_DEMERITS;
        }
        if prev_hyphenated && n.kind.hyphenated() {
            line_demerits += p.double_hyphen_demerits;
        }
        if last && prev_hyphenated {
            line_demerits += p.final_hyphen_demerits;
        }
        record(
            best,
            pass,
            actives,
            (j, n, f),
            (line_demerits, p.adj_demerits),
        );
        if last {
            break;
        }
    }
}

/// What a candidate line is worth.
enum Fit {
    /// Too wide at a hyphenation point: a later break of the same word may fit.
    Skip,
    /// Too wide: so is every later break from here.
    Stop,
    Badness(f64),
}

/// The badness of a line `natural` pixels wide with `gaps` spaces, set to `measure`.
fn line_badness(
    input: &ParaInput<'_>,
    pass: Pass,
    space: f32,
    (measure, natural, gaps): (f32, f32, usize),
    n: Node,
    any_fit: bool,
) -> Fit {
    let p = &input.params;
    let diff = f64::from(measure - natural);
    let (stretch, shrink) = if input.justify {
        (
            f64::from(gaps as f32 * space * p.space_stretch + pass.background),
            f64::from(gaps as f32 * space * p.space_shrink),
        )
    } else {
        (
            f64::from(p.ragged_stretch_em * input.px + pass.background),
            0.0,
        )
    };
    if diff < 0.0 {
        if -diff > shrink + 0.001 {
            // Too wide. A hyphenated prefix may be too wide where a later break of the same
            // word is not: keep looking. Otherwise only a first piece that cannot be split
            // (one grapheme wider than the measure) may stay, in the last resort, so that
            // setting always ends.
            if matches!(n.kind, Kind::Hyphen { .. }) {
                Fit::Skip
            } else if !any_fit && pass.threshold.is_none() {
                Fit::Badness(INF_BAD)
            } else {
                Fit::Stop
            }
        } else {
            Fit::Badness(badness(-diff, shrink))
        }
    } else if n.kind == Kind::Mandatory {
        Fit::Badness(0.0)
    } else {
        Fit::Badness(badness(diff, stretch))
    }
}

/// Charges a line ending at node `j` (`n`, of fitness `f`) to each active state, and keeps
/// the best in `best`.
fn record(
    best: &mut Best,
    pass: Pass,
    actives: &[(Active, f64)],
    (j, n, f): (usize, Node, u8),
    (line_demerits, adj_demerits): (f64, f64),
) {
    for &(from, base) in actives {
        let run = if n.kind.hyphenated() {
            from.run.saturating_add(1)
        } else {
            0
        };
        let mut demerits = line_demerits;
        if run > MAX_HYPHEN_RUN {
            if pass.threshold.is_some() {
                continue;
            }
            demerits += LAST_RESORT_DEMERITS;
        }
        if f.abs_diff(from.fitness) > 1 {
            demerits += adj_demerits;
        }
        let total = base + demerits;
        let slot = &mut best[j * STATES + state_index(f, run)];
        if slot.is_none_or(|(d, _)| total < d) {
            *slot = Some((total, from));
        }
    }
}

/// The next node (from `*next` on) that has any break recorded: its states become the
/// sources of new lines. Empty when none is left before the last node.
fn next_actives(best: &Best, len: usize, next: &mut usize) -> Vec<(Active, f64)> {
    while *next < len {
        let j = *next;
        *next += 1;
        let found: Vec<(Active, f64)> = (0..STATES)
            .filter_map(|s| {
                best[j * STATES + s].map(|(d, _)| {
                    (
                        Active {
                            node: Some(j),
                            fitness: (s / (usize::from(MAX_HYPHEN_RUN) + 2)) as u8,
                            run: (s % (usize::from(MAX_HYPHEN_RUN) + 2)) as u8,
                        },
                        d,
                    )
                })
            })
            .collect();
        if !found.is_empty() && j + 1 < len {
            return found;
        }
    }
    Vec::new()
}

/// The best state of the final node, then the chain of breaks back from it.
fn walk_back(best: &Best, len: usize) -> Option<Vec<usize>> {
    let end = len - 1;
    let (mut state, _) = (0..STATES)
        .filter_map(|s| best[end * STATES + s].map(|(d, _)| (s, d)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let mut chain = vec![end];
    let mut at = end;
    loop {
        let (_, prev) = best[at * STATES + state]?;
        match prev.node {
            None => break,
            Some(p) => {
                chain.push(p);
                state = state_index(prev.fitness, prev.run);
                at = p;
            }
        }
    }
    chain.reverse();
    Some(chain)
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
    let hyphen = matches!(n.kind, Kind::Hyphen { .. });
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
