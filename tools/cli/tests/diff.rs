//! `bitig diff`: two bundles that differ by one word. The pages it reports are exactly those
//! whose text `bitig inspect --pages` shows differently (the pages that reflowed), it writes
//! one side-by-side PNG per changed page, and its exit status is diff's: 0, 1, 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const PROFILE: &str = "tests/fixtures/profiles/tiny-320x240.toml";

/// Page text per `(doc, lang, size, page)` from `bitig inspect --pages`.
fn pages(bundle: &Path) -> BTreeMap<(String, String, String, usize), String> {
    let o = bitig(&["inspect", "--pages", bundle.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut out = BTreeMap::new();
    let mut key = None;
    for line in text(&o.stdout).lines() {
        // `--- fixture-kk [kk] Normal page 1/2`
        if let Some(h) = line.strip_prefix("--- ") {
            let w: Vec<&str> = h.split_whitespace().collect();
            let page = w[4].split('/').next().unwrap().parse().unwrap();
            key = Some((
                w[0].to_string(),
                w[1].trim_matches(['[', ']']).to_string(),
                w[2].to_lowercase(),
                page,
            ));
            out.insert(key.clone().unwrap(), String::new());
        } else if let Some(k) = &key {
            let t = out.get_mut(k).unwrap();
            t.push_str(line);
            t.push('\n');
        }
    }
    out
}

/// The pages `bitig diff` reports: `fixture-tr [tr] normal: pages 1–2 changed (…)`.
fn reported(stdout: &str) -> BTreeSet<(String, String, String, usize)> {
    let mut out = BTreeSet::new();
    for line in stdout.lines() {
        let Some((head, rest)) = line.split_once(": page") else {
            continue;
        };
        let w: Vec<&str> = head.split_whitespace().collect();
        let list = rest
            .trim_start_matches('s')
            .split(" changed")
            .next()
            .unwrap();
        for part in list.split(", ") {
            let (a, b) = part
                .trim()
                .split_once('–')
                .unwrap_or((part.trim(), part.trim()));
            for p in a.parse::<usize>().unwrap()..=b.parse::<usize>().unwrap() {
                out.insert((
                    w[0].to_string(),
                    w[1].trim_matches(['[', ']']).to_string(),
                    w[2].to_string(),
                    p,
                ));
            }
        }
    }
    out
}

#[test]
fn one_word_shows_exactly_the_pages_that_reflowed() {
    let d = scratch("diff-one-word");
    let (old_src, new_src) = (d.join("old"), d.join("new"));
    for dir in [&old_src, &new_src] {
        copy_fixture_sources(dir);
    }
    // One word, longer: the paragraph and the pages after it reflow.
    let tr = new_src.join("sample-tr.tr.md");
    let t = std::fs::read_to_string(&tr).unwrap();
    assert!(t.contains("Fiyatlar, fikirler"));
    std::fs::write(
        &tr,
        t.replacen("Fiyatlar, fikirler", "Fiyatlarımızdan, fikirler", 1),
    )
    .unwrap();
    let (old, new) = (d.join("old.bundle"), d.join("new.bundle"));
    build_no_speech(&old_src, PROFILE, &old);
    build_no_speech(&new_src, PROFILE, &new);

    let (po, pn) = (pages(&old), pages(&new));
    let reflowed: BTreeSet<_> = po
        .keys()
        .chain(pn.keys())
        .filter(|k| po.get(*k) != pn.get(*k))
        .cloned()
        .collect();
    assert!(!reflowed.is_empty());
    assert!(reflowed.iter().all(|k| k.1 == "tr"), "{reflowed:?}");

    let out = d.join("pictures");
    let o = bitig(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}{}", text(&o.stderr));
    assert_eq!(reported(&said), reflowed, "{said}");
    // The block's word diff names the word.
    assert!(
        said.contains("[-Fiyatlar,-] {+Fiyatlarımızdan,+}"),
        "{said}"
    );
    // One picture per changed page, old beside new: wider than two pages.
    let mut pngs: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), reflowed.len(), "{pngs:?}");
    let png = std::fs::read(&pngs[0]).unwrap();
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert!(width > 2 * 160, "{width}");

    // Equal bundles: 0. Not a bundle: 2, naming the file.
    let o = bitig(&["diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("no changes"));
    let junk = d.join("junk.bundle");
    std::fs::write(&junk, b"not a bundle").unwrap();
    let o = bitig(&["diff", old.to_str().unwrap(), junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("junk.bundle"),
        "{}",
        text(&o.stderr)
    );
}
