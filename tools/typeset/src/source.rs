//! Statement sources: TOML front matter between `+++` lines, then a Markdown body.

use crate::diag::Diagnostic;
use crate::punct::{self, QuoteFix};
use bitig_format::{BlockKind, Lang};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// Inline style of a span of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    Regular,
    Bold,
    Italic,
    /// Document titles (Noto Serif).
    Title,
}

/// A block of text with its inline styles and where each piece came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceBlock {
    pub kind: BlockKind,
    /// NFC text. A `\n` is a hard line break.
    pub text: String,
    /// Style spans covering `text`, in order, without gaps.
    pub styles: Vec<(Range<usize>, Style)>,
    /// `(text offset, file offset)` pairs: text from that offset on came from that file offset.
    pub origins: Vec<(usize, usize)>,
}

impl SourceBlock {
    /// File offset of text offset `at`.
    pub fn file_offset(&self, at: usize) -> usize {
        let i = self.origins.partition_point(|&(t, _)| t <= at);
        match i.checked_sub(1).map(|i| self.origins[i]) {
            Some((t, f)) => f + (at - t),
            None => 0,
        }
    }

    pub fn style_at(&self, at: usize) -> Style {
        self.styles
            .iter()
            .find(|(r, _)| r.contains(&at))
            .map_or(Style::Regular, |(_, s)| *s)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    lang: String,
    title: String,
    date: toml::value::Datetime,
    place: String,
    kind: String,
    #[serde(default)]
    source: Option<String>,
}

/// One parsed statement edition.
#[derive(Debug, Clone)]
pub struct Statement {
    pub path: PathBuf,
    /// The NFC file text (positions in diagnostics refer to it).
    pub text: String,
    pub id: String,
    pub lang: Lang,
    pub title: String,
    /// ISO 8601 date.
    pub date: String,
    pub place: String,
    pub kind: String,
    pub source: String,
    /// Byte range of the front matter inside `text`.
    pub front: Range<usize>,
    pub blocks: Vec<SourceBlock>,
    /// Straight quotes the build converted (file offsets), reported as lints.
    pub quote_fixes: Vec<QuoteFix>,
}

fn err(
    path: &Path,
    code: &'static str,
    msg: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, path, msg.into(), help.into())
}

/// Parses a statement file from raw bytes. Errors name the file, line and column.
pub fn parse_statement(path: &Path, bytes: &[u8]) -> Result<Statement, Vec<Diagnostic>> {
    let text = decode(path, bytes)?;
    let close = front_matter_end(path, &text)?;
    let front_start = 4;
    let front = front_start..front_start + close;
    let front_text = &text[front.clone()];
    let body_start = (front.end + 5).min(text.len());
    let fm: FrontMatter = match toml::from_str(front_text) {
        Ok(fm) => fm,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start) + front_start;
            return Err(vec![err(
                path,
                "front-matter",
                format!("front matter is not valid: {}", e.message()),
                "front matter needs id, lang, title, date (YYYY-MM-DD), place and kind; source is optional",
            )
            .at(&text, at)]);
        }
    };
    let key_offset = |key: &str| value_offset(front_text, key) + front_start;
    let (lang, date) = check_front_matter(path, &text, &fm, &key_offset)?;
    let mut blocks = parse_body(path, &text, body_start)?;
    let mut quote_fixes = Vec::new();
    for b in &mut blocks {
        quote_fixes.extend(convert_block(lang, b));
    }
    let title = fm.title.split_whitespace().collect::<Vec<_>>().join(" ");
    let (title, title_fixes) = punct::convert(lang, &title, &mut Vec::new());
    let title_at = key_offset("title");
    quote_fixes.extend(title_fixes.into_iter().map(|f| QuoteFix {
        // The title is a TOML string: point at its opening quote.
        at: title_at,
        ..f
    }));
    if blocks.is_empty() {
        return Err(vec![err(
            path,
            "empty-body",
            "the body is empty: there is no paragraph after the front matter",
            "add the statement text after the closing `+++` line, paragraphs separated by blank lines",
        )
        .at(&text, body_start)]);
    }
    Ok(Statement {
        path: path.to_path_buf(),
        id: fm.id,
        lang,
        title,
        date,
        place: fm.place,
        kind: fm.kind,
        source: fm.source.unwrap_or_default(),
        front,
        blocks,
        quote_fixes,
        text,
    })
}

/// The file as NFC text with LF line ends, its byte-order mark dropped; invalid UTF-8 is
/// refused with the byte offset of the first bad byte.
fn decode(path: &Path, bytes: &[u8]) -> Result<String, Vec<Diagnostic>> {
    let raw = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let good = e.valid_up_to();
            // Positions are computed on the valid prefix (the bad byte starts right after it).
            let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or("");
            let bad = bytes.get(good).copied().unwrap_or(0);
            return Err(vec![err(
                path,
                "invalid-utf8",
                format!("invalid UTF-8: byte 0x{bad:02X} at byte offset {good} does not start a valid character"),
                "save the file as UTF-8 (without a byte-order mark)",
            )
            .at(prefix, good)]);
        }
    };
    let text: String = raw.trim_start_matches('\u{feff}').nfc().collect();
    let text = text.replace("\r\n", "\n");
    Ok(text)
}

/// Where the front matter (after the opening `+++` line) ends.
fn front_matter_end(path: &Path, text: &str) -> Result<usize, Vec<Diagnostic>> {
    let Some(after_open) = text.strip_prefix("+++\n") else {
        return Err(vec![err(
            path,
            "missing-front-matter",
            "missing front matter: the file must start with a line `+++`",
            "start the file with `+++`, the keys id, lang, title, date, place and kind, and a closing `+++` line",
        )
        .at(text, 0)]);
    };
    let Some(close) = after_open
        .find("\n+++\n")
        .or_else(|| after_open.strip_suffix("\n+++").map(|s| s.len()))
    else {
        return Err(vec![err(
            path,
            "missing-front-matter",
            "front matter is not closed: no `+++` line after the opening one",
            "add a line `+++` after the TOML keys",
        )
        .at(text, 0)]);
    };
    Ok(close)
}

/// The offset in the front matter of `key`'s value, after `key =` (0 if the key is absent).
fn value_offset(front_text: &str, key: &str) -> usize {
    front_text
        .lines()
        .scan(0usize, |off, l| {
            let here = *off;
            *off += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| l.trim_start().starts_with(key))
        // Point at the value, after `key =`.
        .map_or(0, |(o, l)| {
            o + l.find('=').map_or(0, |e| {
                e + 1 + (l.len() - e - 1 - l[e + 1..].trim_start().len())
            })
        })
}

/// The front matter's values checked: a known language, a plain date, an id of ASCII
/// letters, digits and '-', and no empty title, place or kind.
fn check_front_matter(
    path: &Path,
    text: &str,
    fm: &FrontMatter,
    key_offset: &dyn Fn(&str) -> usize,
) -> Result<(Lang, String), Vec<Diagnostic>> {
    let Some(lang) = Lang::from_tag(&fm.lang) else {
        return Err(vec![err(
            path,
            "unknown-lang",
            format!("unknown lang \"{}\"", fm.lang),
            "lang must be one of kk, tr or en (Kazakh, Turkish, English)",
        )
        .at(text, key_offset("lang"))]);
    };
    let date = match (fm.date.date, fm.date.time) {
        (Some(d), None) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        _ => {
            return Err(vec![err(
                path,
                "bad-date",
                format!("date {} is not a plain date", fm.date),
                "write the date as YYYY-MM-DD without quotes",
            )
            .at(text, key_offset("date"))])
        }
    };
    if fm.id.is_empty() || !fm.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(vec![err(
            path,
            "bad-id",
            format!(
                "id \"{}\" must be non-empty ASCII letters, digits and '-'",
                fm.id
            ),
            "use an id such as jspg-8-2026, shared by all language editions",
        )
        .at(text, key_offset("id"))]);
    }
    for (key, value) in [
        ("title", &fm.title),
        ("place", &fm.place),
        ("kind", &fm.kind),
    ] {
        if value.trim().is_empty() {
            return Err(vec![err(
                path,
                "empty-field",
                format!("front matter key {key} is empty"),
                format!("give {key} a value"),
            )
            .at(text, key_offset(key))]);
        }
    }
    Ok((lang, date))
}

struct BlockBuilder {
    kind: BlockKind,
    text: String,
    styles: Vec<(Range<usize>, Style)>,
    origins: Vec<(usize, usize)>,
}

impl BlockBuilder {
    fn new(kind: BlockKind) -> BlockBuilder {
        BlockBuilder {
            kind,
            text: String::new(),
            styles: Vec::new(),
            origins: Vec::new(),
        }
    }

    fn push(&mut self, s: &str, style: Style, file_offset: usize) {
        if s.is_empty() {
            return;
        }
        let start = self.text.len();
        self.origins.push((start, file_offset));
        self.text.push_str(s);
        match self.styles.last_mut() {
            Some((r, st)) if *st == style && r.end == start => r.end = self.text.len(),
            _ => self.styles.push((start..self.text.len(), style)),
        }
    }

    /// Collapses runs of whitespace (not NBSP, not hard breaks) and trims the ends.
    fn finish(self) -> Option<SourceBlock> {
        let mut text = String::with_capacity(self.text.len());
        let mut map = Vec::with_capacity(self.text.len() + 1); // old offset for each new offset
        let mut prev_space = true;
        for (i, c) in self.text.char_indices() {
            let space = c == ' ' || c == '\t';
            if space && prev_space {
                continue;
            }
            if c == '\n' && text.ends_with(' ') {
                text.pop();
                map.pop();
            }
            let c = if space { ' ' } else { c };
            for _ in 0..c.len_utf8() {
                map.push(i);
            }
            text.push(c);
            prev_space = space || c == '\n';
        }
        while text.ends_with(' ') || text.ends_with('\n') {
            text.pop();
            map.pop();
        }
        if text.is_empty() {
            return None;
        }
        map.push(self.text.len());
        let old = |new: usize| map[new];
        let styles = self
            .styles
            .iter()
            .filter_map(|(r, s)| {
                let a = map.partition_point(|&o| o < r.start);
                let b = map.partition_point(|&o| o < r.end).min(text.len());
                (a < b).then_some((a..b, *s))
            })
            .collect();
        let origins = (0..text.len())
            .filter(|&n| text.is_char_boundary(n))
            .filter_map(|n| {
                let o = old(n);
                let k = self
                    .origins
                    .partition_point(|&(t, _)| t <= o)
                    .checked_sub(1)?;
                let (t, f) = self.origins[k];
                Some((n, f + (o - t)))
            })
            .collect();
        Some(SourceBlock {
            kind: self.kind,
            text,
            styles,
            origins,
        })
    }
}

fn parse_body(
    path: &Path,
    text: &str,
    body_start: usize,
) -> Result<Vec<SourceBlock>, Vec<Diagnostic>> {
    let body = &text[body_start..];
    let parser = Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH).into_offset_iter();
    let mut reader = BodyReader::default();
    let mut errors = Vec::new();
    for (event, range) in parser {
        let at = body_start + range.start;
        if let Some(what) = reader.event(event, at) {
            errors.push(
                err(
                    path,
                    "unsupported-markdown",
                    format!("{what} is not supported in statement text"),
                    "use paragraphs, headings, numbered lists, *emphasis* and **strong** only",
                )
                .at(text, at),
            );
        }
    }
    reader.flush();
    if errors.is_empty() {
        Ok(reader.blocks)
    } else {
        Err(errors)
    }
}

/// The body's blocks as its Markdown events come: the block being read, the emphasis and
/// the lists open around it.
#[derive(Default)]
struct BodyReader {
    blocks: Vec<SourceBlock>,
    current: Option<BlockBuilder>,
    bold: u32,
    italic: u32,
    /// The open lists, innermost last: the next item's number, or `None` for bullets.
    lists: Vec<Option<u64>>,
}

impl BodyReader {
    /// Reads one event at file offset `at`; returns what it is if statements do not allow it.
    fn event(&mut self, event: Event<'_>, at: usize) -> Option<&'static str> {
        match event {
            Event::Start(Tag::Paragraph) => {
                if self.current.is_none() {
                    self.current = Some(BlockBuilder::new(BlockKind::Paragraph));
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if self.lists.is_empty() {
                    self.flush();
                } else if let Some(b) = self.current.as_mut() {
                    b.push("\n", Style::Regular, at);
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush();
                self.current = Some(BlockBuilder::new(BlockKind::Heading(heading_number(level))));
                self.bold += 1;
            }
            Event::End(TagEnd::Heading(_)) => {
                self.bold = self.bold.saturating_sub(1);
                self.flush();
            }
            Event::Start(Tag::List(start)) => {
                self.flush();
                self.lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                self.flush();
                self.lists.pop();
            }
            Event::Start(Tag::Item) => self.start_item(at),
            Event::End(TagEnd::Item)
            | Event::Start(Tag::BlockQuote(_))
            | Event::End(TagEnd::BlockQuote(_))
            | Event::Rule => self.flush(),
            Event::Start(Tag::Emphasis) => self.italic += 1,
            Event::End(TagEnd::Emphasis) => self.italic = self.italic.saturating_sub(1),
            Event::Start(Tag::Strong) => self.bold += 1,
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => {}
            Event::Start(Tag::Strikethrough) | Event::End(TagEnd::Strikethrough) => {}
            Event::Text(t) | Event::Code(t) => {
                let style = self.style();
                let b = self
                    .current
                    .get_or_insert_with(|| BlockBuilder::new(BlockKind::Paragraph));
                // Entities and escapes make the event text differ from the source slice;
                // their origin is then the start of the event.
                b.push(&t, style, at);
            }
            Event::SoftBreak | Event::HardBreak => {
                let s = if matches!(event, Event::SoftBreak) {
                    " "
                } else {
                    "\n"
                };
                if let Some(b) = self.current.as_mut() {
                    b.push(s, Style::Regular, at);
                }
            }
            other => return unsupported(&other),
        }
        None
    }

    fn style(&self) -> Style {
        if self.bold > 0 {
            Style::Bold
        } else if self.italic > 0 {
            Style::Italic
        } else {
            Style::Regular
        }
    }

    /// Ends the block being read, if any.
    fn flush(&mut self) {
        if let Some(b) = self.current.take().and_then(BlockBuilder::finish) {
            self.blocks.push(b);
        }
    }

    /// A list item: its number (counting on) or bullet, then its text.
    fn start_item(&mut self, at: usize) {
        self.flush();
        let (kind, prefix) = match self.lists.last_mut() {
            Some(Some(n)) => {
                let k = *n;
                *n += 1;
                (
                    BlockKind::ListItem(u32::try_from(k).unwrap_or(u32::MAX)),
                    format!("{k}.\u{a0}"),
                )
            }
            _ => (BlockKind::ListItem(0), "•\u{a0}".to_string()),
        };
        let mut b = BlockBuilder::new(kind);
        b.push(&prefix, Style::Regular, at);
        self.current = Some(b);
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// What a Markdown event statements do not allow is, for the error; `None` for events that
/// are passed over.
fn unsupported(event: &Event<'_>) -> Option<&'static str> {
    match event {
        Event::Html(_) | Event::InlineHtml(_) => Some("HTML"),
        Event::Start(Tag::Image { .. }) => Some("an image"),
        Event::Start(Tag::Table(_)) => Some("a table"),
        Event::Start(Tag::CodeBlock(_)) => Some("a code block"),
        Event::FootnoteReference(_) | Event::Start(Tag::FootnoteDefinition(_)) => {
            Some("a footnote")
        }
        _ => None,
    }
}

/// Converts one block's straight quotes in place (punct::convert), keeping its style spans and source origins in step.
/// Returns the conversions with their file offsets.
fn convert_block(lang: Lang, block: &mut SourceBlock) -> Vec<QuoteFix> {
    let mut stack = Vec::new();
    let (text, fixes) = punct::convert(lang, &block.text, &mut stack);
    if fixes.is_empty() {
        return fixes;
    }
    // Old byte offset -> new byte offset (every old char boundary, and the end).
    let mut map = vec![0usize; block.text.len() + 1];
    let mut shift = 0isize;
    let mut fi = 0;
    for (i, c) in block.text.char_indices() {
        map[i] = (i as isize + shift) as usize;
        if fixes.get(fi).is_some_and(|f| f.at == i) {
            shift += fixes[fi].to.len_utf8() as isize - c.len_utf8() as isize;
            fi += 1;
        }
    }
    map[block.text.len()] = text.len();
    let file_fixes: Vec<QuoteFix> = fixes
        .iter()
        .map(|f| QuoteFix {
            at: block.file_offset(f.at),
            ..*f
        })
        .collect();
    let mut origins: Vec<(usize, usize)> =
        block.origins.iter().map(|&(t, f)| (map[t], f)).collect();
    for f in &fixes {
        // The converted mark and the text after it keep their own origins.
        let after = f.at + f.from.len_utf8();
        origins.push((map[f.at], block.file_offset(f.at)));
        if after < block.text.len() {
            origins.push((map[after], block.file_offset(after)));
        }
    }
    origins.sort_unstable();
    origins.dedup_by_key(|o| o.0);
    for (r, _) in &mut block.styles {
        *r = map[r.start]..map[r.end];
    }
    block.origins = origins;
    block.text = text;
    file_fixes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Statement, Vec<Diagnostic>> {
        parse_statement(Path::new("t.md"), s.as_bytes())
    }

    const FM: &str = "+++\nid = \"x\"\nlang = \"en\"\ntitle = \"T\"\ndate = 2026-02-02\nplace = \"P\"\nkind = \"news\"\n+++\n";

    #[test]
    fn paragraphs_lists_and_styles() {
        let s = parse(&format!(
            "{FM}One  *two*\nthree.\n\n1. First **bold**.\n2. Second.\n\nA  \nB\n"
        ))
        .expect("parses");
        let texts: Vec<&str> = s.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "One two three.",
                "1.\u{a0}First bold.",
                "2.\u{a0}Second.",
                "A\nB"
            ]
        );
        assert_eq!(s.blocks[1].kind, BlockKind::ListItem(1));
        assert_eq!(s.blocks[0].style_at(4), Style::Italic);
        assert_eq!(s.blocks[1].style_at(10), Style::Bold);
        // "three" in block 0 starts at text offset 8; in the file it is on line 10, column 1.
        let off = s.blocks[0].file_offset(8);
        assert_eq!(&s.text[off..off + 5], "three");
    }

    #[test]
    fn missing_front_matter_is_an_error_at_1_1() {
        let e = parse("Hello\n").expect_err("must fail");
        assert_eq!(e[0].code, "missing-front-matter");
        assert_eq!(e[0].pos, Some(crate::diag::Pos { line: 1, col: 1 }));
    }

    #[test]
    fn unknown_lang_points_at_the_lang_line() {
        let e = parse(&FM.replace("\"en\"", "\"de\"")).expect_err("must fail");
        assert_eq!(e[0].code, "unknown-lang");
        assert_eq!(e[0].pos.map(|p| p.line), Some(3));
    }

    #[test]
    fn empty_body_and_invalid_utf8() {
        assert_eq!(parse(FM).expect_err("empty")[0].code, "empty-body");
        let mut bytes = FM.as_bytes().to_vec();
        bytes.extend_from_slice(b"ok\n\xff\n");
        let e = parse_statement(Path::new("t.md"), &bytes).expect_err("bad utf8");
        assert_eq!(e[0].code, "invalid-utf8");
        assert_eq!(e[0].pos, Some(crate::diag::Pos { line: 10, col: 1 }));
    }
}
