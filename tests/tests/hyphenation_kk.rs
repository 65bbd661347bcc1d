//! Kazakh hyphenation (patterns from assets/hyphenation/hyph-kk.tex plus the syllable repair
//! in bitig_typeset::hyph).
//!
//! The expected forms below were reviewed by hand against Kazakh syllable structure: every
//! syllable has one vowel; native syllables open with at most one consonant and close with
//! at most two; loanwords may open with ст, пр, бл, стр. A point the patterns do not find is
//! acceptable (the line breaker has fewer choices); a wrong point is not. Words whose patterns
//! missed points next to и and э (президен-ті, тарихи) get them from the syllable repair
//! (hyph::kk_syllable_repair), reviewed here; a pattern update that moves points shows up
//! here for review.
#![allow(clippy::unwrap_used)]

use bitig_format::Lang;
use bitig_typeset::hyph::{Hyphenator, Patterns};

fn hyphenator() -> Hyphenator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../assets/hyphenation/hyph-kk.tex"
    );
    let tex = std::fs::read_to_string(path).unwrap();
    Hyphenator::new(Patterns::from_tex(&tex, 2, 2).unwrap())
}

const REVIEWED: &[&str] = &[
    // From the 8th JSPG statement (jspg-8-2026.kk).
    "ын-ты-мақ-тас-тық",
    "ын-ты-мақ-тас-тық-ты",
    "мем-ле-ке-та-ра-лық",
    "ке-лі-сім-дер-дің",
    "жа-уап-кер-ші-лі-гі",
    "мә-лім-де-ме",
    "бағ-дар-ла-ма-сы-ның",
    "ден-сау-лық",
    "қа-лып-тас-қан",
    "іс-тер",
    "жос-пар-лау",
    "то-бы-ның",
    "оты-ры-сы",
    "қа-ты-нас-тар",
    "ха-лы-қа-ра-лық",
    "кө-лік",
    "ба-уыр-лас",
    "мүм-кін-дік-тер",
    "сау-да",
    "ай-на-лы-мы",
    "қа-ла-сын-да-ғы",
    "құ-ры-лы-сы",
    "ал-ғыс",
    "біл-дір-ді",
    "Ор-тақ",
    "түр-кі",
    "жыл-ғы",
    "ақ-пан",
    "ел-дер",
    "ара-сын-да-ғы",
    "әріп-тес-тік",
    "бі-лім",
    // Clusters the patterns over-split; repaired to one vowel per syllable.
    "Қа-зақ-стан",
    "сырт-қы",
    "ми-нистр-лі-гі-не",
    "орын-да-луын",
    "ны-ғай-ту-да-ғы",
    "ша-руа-шы-лы-ғы",
    "рес-пу-бли-ка-сы",
    // Loanwords.
    "Түр-кия",
    "стра-те-ги-я-лық",
    "ин-вес-ти-ци-я-лар",
    "эко-но-ми-ка-лық",
    "энер-ге-ти-ка",
    "ло-гис-ти-ка",
    "уни-вер-си-тет",
    "мә-де-ни-ет",
    "пре-зи-ден-ті",
    "ту-ризм",
    // и is a vowel the pattern file does not know (hyph::KK_PATTERN_VOWELS); the repair
    // adds its syllable boundaries.
    "та-ри-хи",
    // Too short, or no point allowed within two letters of either end.
    "ауыл",
    "әрі",
    "ол",
];

#[test]
fn reviewed_kazakh_word_list() {
    let h = hyphenator();
    let mut wrong = Vec::new();
    for want in REVIEWED {
        let word = want.replace('-', "");
        let got = h.show(Lang::Kk, &word);
        if got != *want {
            wrong.push(format!("{word}: got {got}, reviewed {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Over every Kazakh word of the real statement and the fixture: no piece without a vowel,
/// at least two letters on each side, and the letters are unchanged.
#[test]
fn every_kazakh_corpus_word_has_vowelled_pieces() {
    let h = hyphenator();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut words = 0;
    let mut hyphenated = 0;
    for file in [
        "assets/statements/jspg-8-2026.kk.md",
        "tests/fixtures/sample-kk.kk.md",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        for word in text.split(|c: char| !c.is_alphabetic()).filter(|w| {
            w.chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(' ')))
        }) {
            words += 1;
            let shown = h.show(Lang::Kk, word);
            assert_eq!(shown.replace('-', ""), word);
            let pieces: Vec<&str> = shown.split('-').collect();
            if pieces.len() == 1 {
                continue; // unhyphenated (short words, acronyms such as БСЖТ)
            }
            for (i, p) in pieces.iter().enumerate() {
                let lower = p.to_lowercase();
                assert!(
                    lower.chars().any(|c| "аәеёиоөуұүыіэюя".contains(c)),
                    "{shown}: piece {p:?} has no vowel"
                );
                if i == 0 || i + 1 == pieces.len() {
                    assert!(
                        p.chars().count() >= 2,
                        "{shown}: fewer than two letters at an end"
                    );
                }
            }
            hyphenated += 1;
        }
    }
    assert!(
        words > 500 && hyphenated > 300,
        "only {hyphenated} of {words} words hyphenated"
    );
}
