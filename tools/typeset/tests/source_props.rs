//! Property test: every legal source builds, on every profile. Generated statements in kk, tr
//! and en carry what real texts can: words of 30 to 90 letters (Turkish and Kazakh
//! agglutinate), titles of up to 30 words, text with no spaces, long numbers and URLs, a
//! statement that is only a heading, hundreds of paragraphs, every letter of each alphabet.
//! Each is built for every profile in `assets/profiles` exactly as `bitig build` does
//! (`load_sources` then `build_bundle`, whose own check refuses any line that overflows its
//! measure). Each must build, or be refused by a content rule that names the file and line
//! and says what to do; a layout failure ("cannot set this") is a bug.
//!
//! CI runs a bounded number of cases (below); `PROPTEST_CASES=500 cargo test -p
//! bitig-typeset --test source_props` for a longer run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_typeset::diag::Error;
use bitig_typeset::{build_bundle, load_sources, Inputs};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

/// Each alphabet in full, lower and upper case.
const KK: &str =
    "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюяАӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ";
const TR: &str = "abcçdefgğhıijklmnoöprsştuüvyzâîûABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZÂÎÛ";
const EN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

#[derive(Debug, Clone, Copy)]
enum L {
    Kk,
    Tr,
    En,
}

impl L {
    fn tag(self) -> &'static str {
        match self {
            L::Kk => "kk",
            L::Tr => "tr",
            L::En => "en",
        }
    }
    fn letters(self) -> Vec<char> {
        match self {
            L::Kk => KK,
            L::Tr => TR,
            L::En => EN,
        }
        .chars()
        .collect()
    }
}

/// A word of `len` letters of the language, picked by `seed`.
fn word(l: L, len: usize, seed: u64) -> String {
    let letters = l.letters();
    // Lower case but for the first letter now and then, like running text.
    let lower = letters.len() / 2;
    (0..len)
        .map(|i| {
            let x = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add((i as u64).wrapping_mul(1442695040888963407))
                >> 33;
            let pool = if i == 0 && seed.is_multiple_of(5) {
                letters.len()
            } else {
                lower
            };
            letters[(x as usize) % pool]
        })
        .collect()
}

/// One piece of running text.
#[derive(Debug, Clone)]
enum Piece {
    Word(usize, u64),
    Long(usize, u64),
    Number(usize, u64),
    Url(usize, u64),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 => (1usize..12, any::<u64>()).prop_map(|(n, s)| Piece::Word(n, s)),
        2 => (30usize..90, any::<u64>()).prop_map(|(n, s)| Piece::Long(n, s)),
        1 => (10usize..60, any::<u64>()).prop_map(|(n, s)| Piece::Number(n, s)),
        1 => (20usize..80, any::<u64>()).prop_map(|(n, s)| Piece::Url(n, s)),
    ]
}

fn render(l: L, pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match *p {
            Piece::Word(n, s) | Piece::Long(n, s) => word(l, n, s),
            Piece::Number(n, s) => (0..n)
                .map(|i| char::from(b'0' + ((s >> (i % 60)) as u8 ^ i as u8) % 10))
                .collect(),
            Piece::Url(n, s) => {
                let w = word(L::En, n, s).to_lowercase();
                format!(
                    "https://www.{}.gov.kz/{}/{}",
                    &w[..n / 3],
                    &w[n / 3..2 * n / 3],
                    &w[2 * n / 3..]
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A block of the body.
#[derive(Debug, Clone)]
enum Block {
    Paragraph(Vec<Piece>),
    Heading(Vec<Piece>),
    Items(Vec<Vec<Piece>>),
    /// Text with no spaces at all.
    Solid(usize, u64),
    /// Every letter of the alphabet, in words of ten.
    Alphabet,
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        5 => prop::collection::vec(piece(), 1..60).prop_map(Block::Paragraph),
        2 => prop::collection::vec(piece(), 1..14).prop_map(Block::Heading),
        2 => prop::collection::vec(prop::collection::vec(piece(), 1..20), 1..5).prop_map(Block::Items),
        1 => (100usize..400, any::<u64>()).prop_map(|(n, s)| Block::Solid(n, s)),
        1 => Just(Block::Alphabet),
    ]
}

/// A statement: its language, title, place and body.
#[derive(Debug, Clone)]
struct Source {
    lang: L,
    title: Vec<Piece>,
    place: Vec<Piece>,
    body: Vec<Block>,
}

fn source() -> impl Strategy<Value = Source> {
    let lang = prop_oneof![Just(L::Kk), Just(L::Tr), Just(L::En)];
    let body = prop_oneof![
        // Most: a handful of blocks of every kind.
        6 => prop::collection::vec(block(), 1..8),
        // Only a heading.
        1 => prop::collection::vec(piece(), 1..10).prop_map(|h| vec![Block::Heading(h)]),
        // Hundreds of short paragraphs.
        1 => (200usize..320, any::<u64>()).prop_map(|(n, s)| {
            (0..n)
                .map(|i| Block::Paragraph(vec![Piece::Word(3 + i % 7, s ^ i as u64); 1 + i % 9]))
                .collect()
        }),
    ];
    (
        lang,
        prop::collection::vec(piece(), 1..30),
        prop::collection::vec(piece(), 1..5),
        body,
    )
        .prop_map(|(lang, title, place, body)| Source {
            lang,
            title,
            place,
            body,
        })
}

impl Source {
    fn text(&self) -> String {
        let l = self.lang;
        let mut body = String::new();
        for b in &self.body {
            let text = match b {
                Block::Paragraph(p) => render(l, p),
                Block::Heading(p) => format!("## {}", render(l, p)),
                Block::Items(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("{}. {}", i + 1, render(l, p)))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Block::Solid(n, s) => word(l, *n, *s),
                Block::Alphabet => l
                    .letters()
                    .chunks(10)
                    .map(|c| c.iter().collect::<String>())
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            body.push_str(&text);
            body.push_str("\n\n");
        }
        format!(
            "+++\nid = \"prop\"\nlang = \"{}\"\ntitle = \"{}\"\ndate = 2026-05-01\nplace = \"{}\"\nkind = \"test-fixture\"\n+++\n{body}",
            l.tag(),
            render(l, &self.title),
            render(l, &self.place),
        )
    }
}

/// Builds `src` for every profile: Ok, or the refusal (a content rule with file:line).
fn build_everywhere(src: &Source, dir: &Path) -> Result<(), String> {
    let file = dir.join(format!("prop.{}.md", src.lang.tag()));
    std::fs::write(&file, src.text()).unwrap();
    let inputs = Inputs {
        statements: vec![file.clone()],
        ..Inputs::new(&assets())
    };
    let sources = match load_sources(&inputs) {
        Ok(s) => s,
        Err(e) => return refusal(e),
    };
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(assets().join("profiles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    profiles.sort();
    for p in &profiles {
        if let Err(e) = build_bundle(&sources, p, &mut |_| {}) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            return refusal(e).map_err(|m| format!("{name}: {m}"));
        }
    }
    Ok(())
}

/// A refusal is acceptable when it is a content rule that names the line and says what to do.
/// Anything else (a layout that cannot be set, an overflow) fails the property.
fn refusal(e: Error) -> Result<(), String> {
    match &e {
        Error::Content { diagnostics, .. }
            if diagnostics
                .iter()
                .all(|d| d.pos.is_some() && !d.help.is_empty()) =>
        {
            Ok(())
        }
        _ => Err(format!("{e}: {e:?}")),
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_legal_source_builds_on_every_profile(src in source()) {
        let dir = std::env::temp_dir().join(format!("bitig-source-props-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let r = build_everywhere(&src, &dir);
        prop_assert!(r.is_ok(), "{}\nsource:\n{}", r.unwrap_err(), src.text());
    }
}

/// The case that started it (issue 26): a Turkish paragraph that opens with a 50-letter word
/// stopped the portrait build at its contents line.
#[test]
fn a_turkish_paragraph_opening_with_a_fifty_letter_word_builds() {
    let src = Source {
        lang: L::Tr,
        title: vec![Piece::Word(8, 1), Piece::Word(6, 2)],
        place: vec![Piece::Word(6, 3)],
        body: vec![Block::Paragraph(vec![
            Piece::Long(50, 7),
            Piece::Word(5, 8),
            Piece::Word(9, 9),
        ])],
    };
    let dir = std::env::temp_dir().join(format!("bitig-source-fifty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    build_everywhere(&src, &dir).unwrap();
}
