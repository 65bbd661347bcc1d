//! Build-time checks on sources: glyph coverage (errors) and typographic lints (warnings,
//! errors with `--strict`).

use crate::diag::Diagnostic;
use crate::shape::{font_index, Fonts, ShapeContext};
use crate::source::{Statement, Style};
use bitig_format::Lang;
use std::collections::BTreeMap;
use unicode_script::{Script, UnicodeScript};

fn char_name(c: char) -> String {
    unicode_names2::name(c).map_or_else(|| "an unnamed code point".to_string(), |n| n.to_string())
}

/// Every character must have a glyph in the font its style uses.
pub fn coverage(st: &Statement, shaper: &ShapeContext<'_>, fonts: &Fonts) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut check = |c: char, font: usize, file_offset: usize| {
        if c == '\n' || shaper.has_glyph(font, c) {
            return;
        }
        out.push(
            Diagnostic::error(
                "missing-glyph",
                &st.path,
                format!(
                    "U+{:04X} {} ({c}) has no glyph in {}",
                    c as u32,
                    char_name(c),
                    fonts.names[font]
                ),
                "remove the character or replace it with text the pinned fonts cover (see assets/fonts/README.md)".into(),
            )
            .at(&st.text, file_offset),
        );
    };
    // Front matter strings are drawn too (title in the serif, place in the sans).
    let front = &st.text[st.front.clone()];
    for (key, font) in [("title", font_index(Style::Title)), ("place", 0)] {
        if let Some(line_off) = front
            .lines()
            .scan(0usize, |o, l| {
                let here = *o;
                *o += l.len() + 1;
                Some((here, l))
            })
            .find(|(_, l)| l.trim_start().starts_with(key))
            .map(|(o, _)| o)
        {
            let line = front[line_off..].lines().next().unwrap_or("");
            for (i, c) in line.char_indices() {
                check(c, font, st.front.start + line_off + i);
            }
        }
    }
    for b in &st.blocks {
        for (i, c) in b.text.char_indices() {
            check(c, font_index(b.style_at(i)), b.file_offset(i));
        }
    }
    out
}

fn letter_script(c: char) -> Option<Script> {
    if !c.is_alphabetic() {
        return None;
    }
    match c.script() {
        Script::Common | Script::Inherited | Script::Unknown => None,
        s => Some(s),
    }
}

/// Typographic lints for one edition.
pub fn lints(st: &Statement) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let warn = |code, msg: String, help: &str, at: usize| {
        Diagnostic::warning(code, &st.path, msg, help.into()).at(&st.text, at)
    };
    for f in &st.quote_fixes {
        let what = if f.to == '’' && f.from == '\'' {
            "an apostrophe"
        } else {
            "a quotation mark"
        };
        out.push(warn(
            "straight-quote",
            format!("straight quote {} converted to {} ({what})", f.from, f.to),
            "type the typographic character in the source (the build converts it; --strict refuses it)",
            f.at,
        ));
    }
    for b in &st.blocks {
        let text = &b.text;
        // Words: maximal runs of letters (and combining marks).
        let mut start = None;
        let mut ends = Vec::new();
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            let letter = c.is_alphabetic();
            match (letter, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    ends.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        for (s, e) in ends {
            let word = &text[s..e];
            let mut scripts: Vec<Script> = word.chars().filter_map(letter_script).collect();
            scripts.sort_by_key(|s| s.full_name());
            scripts.dedup();
            if scripts.len() > 1 {
                let names: Vec<&str> = scripts.iter().map(|s| s.full_name()).collect();
                // Point at the first letter of the minority script.
                let first_script = word.chars().find_map(letter_script);
                let odd = word
                    .char_indices()
                    .find(|(_, c)| letter_script(*c).is_some_and(|sc| Some(sc) != first_script))
                    .map_or(0, |(i, _)| i);
                out.push(warn(
                    "mixed-script",
                    format!("word \"{word}\" mixes {} letters", names.join(" and ")),
                    "retype the word in one script (a Latin lookalike such as a, e, o, c, p, x or i inside a Cyrillic word is the usual cause)",
                    b.file_offset(s + odd),
                ));
            }
            if matches!(st.lang, Lang::Tr | Lang::En) {
                if let Some(i) = word.find(['ű', 'Ű']) {
                    out.push(warn(
                        "u-double-acute",
                        format!("word \"{word}\" has ű (U+0171), which is Hungarian, not Turkish or English"),
                        "replace ű with ü (U+00FC)",
                        b.file_offset(s + i),
                    ));
                }
            }
        }
        for (i, _) in text.match_indices(" - ") {
            out.push(warn(
                "hyphen-as-dash",
                "a spaced hyphen is used as a dash".into(),
                "use an en dash with spaces ( – ) or an em dash (—)",
                b.file_offset(i + 1),
            ));
        }
    }
    out
}

/// Editions of one id must have the same number of body blocks, so that a language switch
/// lands on the aligned paragraph.
pub fn alignment(statements: &[Statement]) -> Vec<Diagnostic> {
    let mut by_id: BTreeMap<&str, Vec<&Statement>> = BTreeMap::new();
    for s in statements {
        by_id.entry(s.id.as_str()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (id, eds) in by_id {
        let Some(first) = eds.first() else { continue };
        for e in &eds[1..] {
            if e.blocks.len() != first.blocks.len() {
                out.push(Diagnostic::warning(
                    "paragraph-count",
                    &e.path,
                    format!(
                        "edition {} of \"{id}\" has {} paragraphs but edition {} ({}) has {}; language switching will not land on aligned paragraphs",
                        e.lang.tag(),
                        e.blocks.len(),
                        first.lang.tag(),
                        first.path.display(),
                        first.blocks.len()
                    ),
                    "split or merge paragraphs so the editions correspond one to one".into(),
                ));
            }
        }
    }
    out
}
