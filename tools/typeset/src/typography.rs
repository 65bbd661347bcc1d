//! Typographic measurements of a finished bundle, read from the bundle alone (block texts,
//! lines and glyph positions) plus the fonts' advances and the exception lists: what a
//! proofreader counts on the proof pages. `bitig inspect --typography` prints them; the tests
//! hold the default bundles to zero of every fault.

use crate::hyph::{exception_for, lower_char, Hyphenator};
use crate::linebreak::{token_class, TokenClass};
use crate::shape::ShapeContext;
use bitig_format as fmt;
use bitig_format::{BlockKind, Lang, TextSize};

/// The counts of one layout of one edition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub doc: String,
    pub lang: Option<Lang>,
    pub size: Option<TextSize>,
    /// Body lines (paragraphs and list items).
    pub lines: usize,
    /// Body lines that end with a hyphen (inserted, soft, or in the text).
    pub hyphenated: usize,
    /// The longest run of hyphenated lines in a row.
    pub longest_run: usize,
    /// Lines that hold nothing but one hyphenated fragment ("sis-").
    pub one_fragment: Vec<String>,
    /// The last line of a paragraph alone at the top of a page.
    pub widows: Vec<String>,
    /// The first line of a paragraph alone at the bottom of a page.
    pub orphans: Vec<String>,
    /// A heading or title that is the last thing on a page.
    pub stranded_headings: Vec<String>,
    /// Names (exception-list words) hyphenated where their entry does not allow it.
    pub bad_name_breaks: Vec<String>,
    /// Hyphens inserted into a URL or an e-mail address.
    pub url_hyphens: Vec<String>,
    /// Straight quotes (`"` and `'`) left in the text.
    pub straight_quotes: usize,
    /// Inter-word space of every justified line, as a ratio to the font's space.
    pub spaces: Vec<f32>,
}

impl Stats {
    pub fn hyphen_share(&self) -> f64 {
        if self.lines == 0 {
            0.0
        } else {
            self.hyphenated as f64 / self.lines as f64
        }
    }

    pub fn space_mean(&self) -> f32 {
        if self.spaces.is_empty() {
            1.0
        } else {
            self.spaces.iter().sum::<f32>() / self.spaces.len() as f32
        }
    }

    /// The 95th percentile of the inter-word space ratio (nearest rank).
    pub fn space_p95(&self) -> f32 {
        percentile(&self.spaces, 0.95)
    }

    /// Justified lines whose spaces are wider than 1.5 times the font's space.
    pub fn loose_lines(&self) -> usize {
        self.spaces.iter().filter(|&&r| r > 1.5).count()
    }

    /// Every fault found by line, as `what: where` (empty for print quality): one-fragment
    /// lines, widows, orphans, headings last on a page, names broken outside their exception
    /// points, hyphens in URLs.
    pub fn listed_faults(&self) -> Vec<String> {
        [
            ("one-fragment line", &self.one_fragment),
            ("widow", &self.widows),
            ("orphan", &self.orphans),
            ("heading last on a page", &self.stranded_headings),
            (
                "name broken outside its exception points",
                &self.bad_name_breaks,
            ),
            ("hyphen in a URL", &self.url_hyphens),
        ]
        .into_iter()
        .flat_map(|(what, list)| list.iter().map(move |l| format!("{what}: {l}")))
        .collect()
    }
}

/// Nearest-rank percentile of `v` (`q` in 0..=1); 1.0 for no values.
pub fn percentile(v: &[f32], q: f64) -> f32 {
    if v.is_empty() {
        return 1.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

fn is_body(kind: BlockKind) -> bool {
    matches!(kind, BlockKind::Paragraph | BlockKind::ListItem(_))
}

/// Whether a line, as shown, ends with a hyphen.
pub fn ends_hyphenated(texts: &[&str], line: &fmt::Line) -> bool {
    line.hyphen
        || fmt::line_text(texts, line).is_some_and(|t| {
            t.trim_end_matches('\u{ad}').ends_with(['-', '\u{2010}']) || t.ends_with('\u{ad}')
        })
}

/// The inter-word space of a line as a ratio to the natural space of its font and size, from
/// glyph positions: (sum of the gaps at spaces) / (number of spaces × the space's advance).
/// `None` for a line without spaces.
pub fn space_ratio(
    bundle: &fmt::Bundle<'_>,
    texts: &[&str],
    line: &fmt::Line,
    shaper: &mut ShapeContext<'_>,
    lang: Lang,
) -> Option<f32> {
    let text = fmt::line_text(texts, line)?;
    // (cluster, pen, advance, font, px) of every drawn glyph, in order.
    let mut glyphs: Vec<(usize, f32, f32, usize, u16)> = Vec::new();
    for run in &line.runs {
        let strike = bundle.strikes.get(usize::from(run.strike.0))?;
        let font = usize::from(strike.font);
        let scale = f32::from(strike.px) / shaper.upem.get(font).copied()?;
        let mut pen = i32::from(line.x) + i32::from(run.x);
        for g in &run.glyphs {
            pen += i32::from(g.dx);
            let gid = strike.glyphs.get(usize::from(g.entry))?.gid.0;
            glyphs.push((
                g.cluster as usize,
                pen as f32,
                shaper.advance(font, gid) * scale,
                font,
                strike.px,
            ));
        }
    }
    let mut gap_sum = 0.0f32;
    let mut natural = 0.0f32;
    let mut n = 0;
    for (at, _) in text.match_indices(' ') {
        let before = glyphs.iter().rposition(|g| g.0 < at)?;
        let after = glyphs.iter().position(|g| g.0 > at)?;
        let (_, pen0, adv0, font, px) = glyphs[before];
        let pen1 = glyphs[after].1;
        gap_sum += pen1 - (pen0 + adv0);
        let upem = shaper.upem[font];
        natural += shaper.shape(font, lang, " ").advance as f32 * f32::from(px) / upem;
        n += 1;
    }
    (n > 0 && natural > 0.0).then(|| gap_sum / natural)
}

/// The whole word around a hyphenated line end: the text from the last space of this line
/// to the first space of the next, and the break's char offset inside it.
fn broken_word(this: &str, next: &str) -> (String, usize) {
    let head = this.rsplit(' ').next().unwrap_or("");
    let tail = next.split([' ', '\n']).next().unwrap_or("");
    (format!("{head}{tail}"), head.chars().count())
}

/// Measures every layout of every edition of `bundle`.
pub fn measure(
    bundle: &fmt::Bundle<'_>,
    hyph: &Hyphenator,
    shaper: &mut ShapeContext<'_>,
) -> Vec<Stats> {
    let mut out = Vec::new();
    for d in &bundle.documents {
        for e in &d.editions {
            let texts: Vec<&str> = e.blocks.iter().map(|b| b.text).collect();
            let quotes = texts
                .iter()
                .chain(std::iter::once(&e.title))
                .map(|t| t.chars().filter(|&c| c == '"' || c == '\'').count())
                .sum();
            for l in &e.layouts {
                let mut st = Stats {
                    doc: d.id.to_string(),
                    lang: Some(e.lang),
                    size: Some(l.size),
                    straight_quotes: quotes,
                    ..Stats::default()
                };
                measure_layout(bundle, e, l, &texts, hyph, shaper, &mut st);
                out.push(st);
            }
        }
    }
    out
}

fn measure_layout(
    bundle: &fmt::Bundle<'_>,
    e: &fmt::Edition<'_>,
    l: &fmt::Layout,
    texts: &[&str],
    hyph: &Hyphenator,
    shaper: &mut ShapeContext<'_>,
    st: &mut Stats,
) {
    let lang = e.lang;
    // Every line with its page, in reading order.
    let all: Vec<(usize, &fmt::Line)> = l
        .pages
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| p.lines.iter().map(move |ln| (pi, ln)))
        .collect();
    let text_of = |ln: &fmt::Line| fmt::line_text(texts, ln).unwrap_or("");
    let label = |pi: usize, ln: &fmt::Line| {
        format!(
            "{} [{}] {:?} page {}: {:?}",
            st.doc,
            lang.tag(),
            l.size,
            pi + 1,
            text_of(ln)
        )
    };
    let mut run = 0usize;
    for (k, &(pi, ln)) in all.iter().enumerate() {
        let kind = e.blocks.get(usize::from(ln.block)).map(|b| b.kind);
        let prev = k.checked_sub(1).map(|i| all[i]);
        let next = all.get(k + 1).copied();
        let same_block =
            |o: Option<(usize, &fmt::Line)>| o.is_some_and(|(_, o)| o.block == ln.block);
        // Pagination faults.
        let first_on_page = prev.is_none_or(|(p, _)| p != pi);
        let last_on_page = next.is_none_or(|(p, _)| p != pi);
        if first_on_page && same_block(prev) && !same_block(next) {
            st.widows.push(label(pi, ln));
        }
        if last_on_page && same_block(next) && !same_block(prev) {
            st.orphans.push(label(pi, ln));
        }
        if last_on_page
            && next.is_some()
            && matches!(
                kind,
                Some(BlockKind::Heading(_) | BlockKind::Title | BlockKind::Byline)
            )
        {
            st.stranded_headings.push(label(pi, ln));
        }
        if !kind.is_some_and(is_body) {
            run = 0;
            continue;
        }
        st.lines += 1;
        let text = text_of(ln);
        let hyphenated = ends_hyphenated(texts, ln);
        if hyphenated {
            st.hyphenated += 1;
            run += 1;
            st.longest_run = st.longest_run.max(run);
            if !text.trim().contains(' ') {
                st.one_fragment.push(label(pi, ln));
            }
        } else {
            run = 0;
        }
        if ln.hyphen {
            let next_text = next
                .filter(|_| same_block(next))
                .map_or("", |(_, n)| text_of(n));
            let (word, at) = broken_word(text, next_text);
            let class = token_class(&word);
            if class == TokenClass::Address {
                st.url_hyphens.push(label(pi, ln));
            }
            // The run of letters the break is in.
            let chars: Vec<char> = word.chars().collect();
            let mut a = at;
            while a > 0 && chars[a - 1].is_alphabetic() {
                a -= 1;
            }
            let mut b = at;
            while b < chars.len() && chars[b].is_alphabetic() {
                b += 1;
            }
            let lower: Vec<char> = chars[a..b].iter().map(|&c| lower_char(lang, c)).collect();
            if let Some((ex, whole)) = exception_for(hyph.exceptions(lang), lang, &lower) {
                let p = at - a;
                let last = ex.points.last().copied().unwrap_or(0);
                let allowed =
                    ex.points.contains(&p) || (!whole && p > last && p + 1 >= ex.letters.len());
                if !allowed {
                    st.bad_name_breaks
                        .push(format!("{} (entry {})", label(pi, ln), ex.written));
                }
            }
        }
        // Inter-word space of justified lines: not the last line of a block, not before a
        // hard line break.
        let continues = same_block(next)
            && !texts
                .get(usize::from(ln.block))
                .and_then(|t| t.get(ln.end as usize..))
                .is_some_and(|rest| rest.starts_with('\n'));
        if continues {
            if let Some(r) = space_ratio(bundle, texts, ln, shaper, lang) {
                st.spaces.push(r);
            }
        }
    }
}
