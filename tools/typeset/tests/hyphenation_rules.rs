//! The hyphenation and line-breaking rules of docs/typography.md, each on a paragraph that
//! makes it matter: names by their exception lists, capitalised words, soft hyphens, word
//! joiners, URLs, e-mail addresses, numbers, compounds, minimum fragments and balanced titles.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_format::Lang;
use bitig_typeset::hyph::Hyphenator;
use bitig_typeset::linebreak::{set_paragraph, ParaInput, SetLine};
use bitig_typeset::shape::{Fonts, ShapeContext};
use bitig_typeset::source::Style;
use std::path::Path;
use std::sync::OnceLock;

fn assets() -> &'static Path {
    static P: OnceLock<std::path::PathBuf> = OnceLock::new();
    P.get_or_init(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"))
}

fn fonts() -> &'static Fonts {
    static F: OnceLock<Fonts> = OnceLock::new();
    F.get_or_init(|| Fonts::load(&assets().join("fonts")).unwrap())
}

fn hyph() -> &'static Hyphenator {
    static H: OnceLock<Hyphenator> = OnceLock::new();
    H.get_or_init(|| Hyphenator::load(&assets().join("hyphenation")).unwrap())
}

fn set(text: &str, lang: Lang, measure: f32, justify: bool, balance: bool) -> Vec<SetLine> {
    let styles = [(0..text.len(), Style::Regular)];
    let input = ParaInput {
        text,
        styles: &styles,
        lang,
        px: 21.0,
        measure,
        indent: 0.0,
        justify,
        hyphenate: true,
        balance,
        params: Default::default(),
    };
    let mut shaper = ShapeContext::new(fonts());
    set_paragraph(&mut shaper, hyph(), &input)
}

fn shown(text: &str, lines: &[SetLine]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            format!(
                "{}{}",
                &text[l.start..l.end],
                if l.hyphen { "-" } else { "" }
            )
        })
        .collect()
}

#[test]
fn names_break_only_at_their_exception_points() {
    let h = hyph();
    assert_eq!(h.show(Lang::En, "Kazakhstan"), "Ka-zakh-stan");
    assert_eq!(h.show(Lang::En, "KAZAKHSTAN"), "KAZAKHSTAN", "all capitals");
    assert_eq!(h.show(Lang::En, "Tokayev"), "To-ka-yev");
    assert_eq!(h.show(Lang::En, "Erdoğan"), "Er-do-ğan");
    assert_eq!(h.show(Lang::Tr, "Kazakistan"), "Ka-za-kis-tan");
    assert_eq!(h.show(Lang::Kk, "Қазақстан"), "Қа-зақ-стан");
    // A Kazakh name with suffixes: the stem's points, then the patterns'.
    assert_eq!(h.show(Lang::Kk, "Қазақстанның"), "Қа-зақ-стан-ның");
    // Matched regardless of case.
    assert_eq!(h.show(Lang::En, "kazakhstan"), "ka-zakh-stan");
}

#[test]
fn capitalised_words_follow_the_language_policy() {
    let h = hyph();
    // English and Turkish: \uchyph=0, unless listed.
    assert_eq!(h.show(Lang::En, "Organization"), "Organization");
    assert_ne!(h.show(Lang::En, "organization"), "organization");
    assert_eq!(h.show(Lang::Tr, "Cumhuriyet"), "Cumhuriyet");
    assert_ne!(h.show(Lang::Tr, "cumhuriyet"), "cumhuriyet");
    // Kazakh: capitalised words are hyphenated by the patterns.
    assert_eq!(h.show(Lang::Kk, "Тараптар"), "Та-рап-тар");
}

#[test]
fn minimum_fragments_per_language() {
    let h = hyph();
    for (lang, word, left, right) in [
        (Lang::En, "responsibilities", 2, 3),
        (Lang::Tr, "değerlendirilmesi", 2, 2),
        (Lang::Kk, "ынтымақтастықтың", 2, 2),
    ] {
        let shownw = h.show(lang, word);
        let pieces: Vec<&str> = shownw.split('-').collect();
        assert!(pieces.len() > 2, "{shownw}");
        assert!(pieces[0].chars().count() >= left, "{shownw}");
        assert!(pieces.last().unwrap().chars().count() >= right, "{shownw}");
    }
    // Words under five letters are never hyphenated.
    assert_eq!(h.show(Lang::Kk, "ауыл"), "ауыл");
}

#[test]
fn no_hyphen_in_urls_addresses_or_numbers() {
    let text = "The full text is at https://www.mfa.gov.kz/en/press/statements/joint-strategic-planning-group-2026 and questions go to press.service@mfa.example.kz or to the number 77172720000 before 2026.";
    for measure in [140.0, 180.0, 230.0, 300.0] {
        let lines = set(text, Lang::En, measure, true, false);
        let out = shown(text, &lines);
        for (i, l) in lines.iter().enumerate() {
            let line = &text[l.start..l.end];
            let tail = line.rsplit(' ').next().unwrap_or("");
            let in_token = |s: &str| {
                s.contains("://")
                    || s.contains("www.")
                    || s.contains('@')
                    || s.chars().any(|c| c.is_ascii_digit())
            };
            if l.hyphen {
                assert!(
                    !in_token(tail),
                    "hyphen inserted into {tail:?} at {measure}: {out:?}"
                );
            }
            // A URL line end: after '/' or before '.', never after the hyphen of the path.
            if tail.contains("://") || tail.contains("www.") {
                let next = lines.get(i + 1).map_or("", |n| &text[n.start..n.end]);
                let ok = tail.ends_with('/')
                    || next.starts_with('.')
                    || next.is_empty()
                    || text[l.end..].starts_with(' ');
                assert!(ok, "URL broken at {tail:?} | {next:?}: {out:?}");
            }
        }
    }
}

#[test]
fn soft_hyphens_and_word_joiners() {
    // U+00AD is the only place such a word breaks, and shows a hyphen there.
    let text = "aaaa bbbb super\u{ad}cali\u{ad}fragilistic expi\u{ad}alidocious words";
    let lines = set(text, Lang::En, 150.0, false, false);
    let out = shown(text, &lines);
    for l in &lines {
        let body = &text[l.start..l.end];
        if l.hyphen {
            assert!(
                body.ends_with('\u{ad}'),
                "hyphen not at a soft hyphen: {out:?}"
            );
        }
    }
    assert!(
        lines.iter().any(|l| l.hyphen),
        "no soft hyphen taken: {out:?}"
    );
    // U+2060 forbids the break after the hyphen of "well-known".
    let text = "aaaaaaa bbbbbbb cc well-\u{2060}known dddddd";
    for measure in [100.0, 130.0, 160.0, 190.0] {
        let lines = set(text, Lang::En, measure, false, false);
        for l in &lines {
            assert!(
                !text[l.start..l.end].ends_with('-'),
                "broke after well-: {:?}",
                shown(text, &lines)
            );
        }
    }
}

#[test]
fn compounds_break_only_at_their_hyphen() {
    let text = "the Kazakhstan-Türkiye relations and Kassym-Jomart Tokayev and the intergovernmental-commission";
    for measure in [120.0, 160.0, 200.0, 240.0] {
        let lines = set(text, Lang::En, measure, true, false);
        for l in &lines {
            let tail = text[l.start..l.end].rsplit(' ').next().unwrap_or("");
            assert!(
                !(l.hyphen && tail.contains('-')),
                "a second hyphen in {tail:?}: {:?}",
                shown(text, &lines)
            );
            assert!(
                !(l.hyphen && (tail.starts_with("Kassym") || tail.starts_with("Jomart"))),
                "{:?}",
                shown(text, &lines)
            );
        }
    }
}

#[test]
fn one_fragment_lines_only_when_nothing_else_fits() {
    // Item 4 of the 2022 statement in side-by-side columns ("the con- / sis- / tent work"
    // before), and a run of long Kazakh words on a narrow measure, where the emergency pass
    // would otherwise set "ынтымақтастық-" alone on a line.
    let cases = [
        (
            "4. The Parties commended the consistent work of both countries in the field of strengthening the contractual and legal basis of bilateral relations.",
            Lang::En,
            [300.0, 320.0, 348.0, 380.0],
        ),
        (
            "ынтымақтастықтың жауапкершілігі мемлекетаралық тереңдетуге",
            Lang::Kk,
            [210.0, 220.0, 230.0, 240.0],
        ),
    ];
    for (text, lang, measures) in cases {
        for measure in measures {
            let lines = set(text, lang, measure, true, false);
            for l in &lines {
                let body = text[l.start..l.end].trim();
                assert!(
                    !l.hyphen || body.contains(' '),
                    "one-fragment line {body:?} at {measure}: {:?}",
                    shown(text, &lines)
                );
            }
        }
    }
}

#[test]
fn titles_are_balanced() {
    let text = "Erdoğan, Tokayev chair strategic council as ties deepen";
    let lines = set(text, Lang::En, 500.0, false, true);
    assert_eq!(lines.len(), 2, "{:?}", shown(text, &lines));
    let (a, b) = (lines[0].width, lines[1].width);
    assert!(
        a.min(b) >= 0.6 * a.max(b),
        "unbalanced {a} / {b}: {:?}",
        shown(text, &lines)
    );
    // Without balancing the last line holds one word: the test above is not vacuous.
    let ragged = set(text, Lang::En, 500.0, false, false);
    assert!(
        ragged.last().unwrap().pieces.len() <= 2,
        "{:?}",
        shown(text, &ragged)
    );
}
