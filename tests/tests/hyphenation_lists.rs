//! Hyphenation against word lists of at least 300 words per language, each with its
//! expected breaks and a source (tests/data/hyphenation/*.txt say which; make-lists.py made
//! them). Prints precision, recall and F1 per language, counted over the points the
//! language's minimum fragment lengths allow, and holds each language to the figures
//! measured when the lists were made (docs/typography.md), so a regression fails.
#![allow(clippy::unwrap_used)]

use bitig_format::Lang;
use bitig_typeset::hyph::Hyphenator;

fn hyphenator() -> Hyphenator {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/hyphenation");
    Hyphenator::load(std::path::Path::new(dir)).unwrap()
}

/// (true positives, false positives, false negatives, words, wrong examples)
fn score(h: &Hyphenator, lang: Lang) -> (usize, usize, usize, usize, Vec<String>) {
    let path = format!(
        "{}/data/hyphenation/{}.txt",
        env!("CARGO_MANIFEST_DIR"),
        lang.tag()
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let rules = h.rules(lang);
    let (mut tp, mut fp, mut fne, mut n) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let want_word = line.trim();
        let word: String = want_word.replace('-', "");
        let len = word.chars().count();
        let mut want = Vec::new();
        let mut k = 0;
        for c in want_word.chars() {
            if c == '-' {
                want.push(k);
            } else {
                k += 1;
            }
        }
        want.retain(|&p| p >= rules.left_min && p + rules.right_min <= len);
        let byte_to_char = |b: usize| word[..b].chars().count();
        let got: Vec<usize> = h
            .points(lang, &word)
            .into_iter()
            .map(byte_to_char)
            .collect();
        n += 1;
        let t = got.iter().filter(|p| want.contains(p)).count();
        tp += t;
        fp += got.len() - t;
        fne += want.len() - t;
        if got.len() != t && wrong.len() < 8 {
            wrong.push(format!("{} (expected {want_word})", h.show(lang, &word)));
        }
    }
    (tp, fp, fne, n, wrong)
}

fn check(lang: Lang, min_precision: f64, min_recall: f64) {
    let h = hyphenator();
    let (tp, fp, fne, n, wrong) = score(&h, lang);
    let p = tp as f64 / (tp + fp).max(1) as f64;
    let r = tp as f64 / (tp + fne).max(1) as f64;
    let f1 = 2.0 * p * r / (p + r).max(f64::MIN_POSITIVE);
    println!(
        "{}: {n} words, precision {:.3}, recall {:.3}, F1 {:.3} (tp {tp}, fp {fp}, fn {fne})",
        lang.tag(),
        p,
        r,
        f1
    );
    for w in &wrong {
        println!("  wrong point: {w}");
    }
    assert!(n >= 300, "{}: only {n} words", lang.tag());
    assert!(
        p >= min_precision && r >= min_recall,
        "{}: precision {p:.3} (floor {min_precision}), recall {r:.3} (floor {min_recall})",
        lang.tag()
    );
}

/// The English list is TUGboat's exception log: words that TeX's own patterns (which hypher
/// uses) break wrongly. Its precision and recall are low by construction; the floors keep
/// them from getting worse.
#[test]
fn english_word_list() {
    check(Lang::En, 0.84, 0.62);
}

#[test]
fn turkish_word_list() {
    check(Lang::Tr, 0.99, 0.99);
}

#[test]
fn kazakh_word_list() {
    check(Lang::Kk, 0.99, 0.98);
}
