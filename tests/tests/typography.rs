//! Print quality of the default bundles, measured from the finished bundles the way a
//! proofreader counts (bitig_typeset::typography): no one-fragment line, no run of more than
//! two hyphenated lines, no widow, no orphan, no heading last on a page, no name broken
//! outside its exception points, no hyphen inside a URL, no straight quote, and inter-word
//! spaces whose 95th percentile is at most 1.5 times the font's space. And the
//! yardstick: on every layout, no more hyphenated lines than LuaTeX sets on the same
//! paragraphs (needs texlive-luatex; under CI=true a missing TeX fails the test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_format::Bundle;
use bitig_tests::root;
use bitig_typeset::shape::ShapeContext;
use bitig_typeset::typography::{measure, Stats};
use bitig_typeset::{build_bundle, load_sources, Inputs, ProfileSpec};

const PROFILES: [&str; 2] = ["pi-touch-800x480", "pi-touch2-720x1280"];

fn default_stats() -> Vec<(String, Vec<Stats>)> {
    let inputs = Inputs::new(&root().join("assets"));
    let sources = load_sources(&inputs).unwrap();
    PROFILES
        .iter()
        .map(|p| {
            let path = root().join(format!("assets/profiles/{p}.toml"));
            let bytes = build_bundle(&sources, &path, &mut |_| {}).unwrap();
            let b = Bundle::from_bundle_bytes(&bytes).unwrap();
            let mut shaper = ShapeContext::new(&sources.fonts);
            (p.to_string(), measure(&b, &sources.hyph, &mut shaper))
        })
        .collect()
}

#[test]
fn default_bundles_have_no_typographic_faults() {
    let mut faults = Vec::new();
    let mut hyphenated = 0;
    for (profile, stats) in default_stats() {
        assert!(!stats.is_empty(), "{profile}: nothing measured");
        for s in &stats {
            let at = format!("{profile} {} [{:?}] {:?}", s.doc, s.lang, s.size);
            println!(
                "{at}: {} lines, {:.1}% hyphenated, run {}, space p95 {:.2}",
                s.lines,
                100.0 * s.hyphen_share(),
                s.longest_run,
                s.space_p95()
            );
            hyphenated += s.hyphenated;
            faults.extend(s.listed_faults());
            if s.longest_run > 2 {
                faults.push(format!("{at}: {} hyphenated lines in a row", s.longest_run));
            }
            // Inter-word space: the 95th percentile at most 1.5 times the font's space.
            if s.space_p95() > 1.5 {
                faults.push(format!("{at}: inter-word space p95 {:.2}", s.space_p95()));
            }
            if s.straight_quotes > 0 {
                faults.push(format!("{at}: {} straight quotes", s.straight_quotes));
            }
        }
    }
    // The counts are real: the bundles do hyphenate.
    assert!(hyphenated > 500, "only {hyphenated} hyphenated lines");
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn hyphen_share_at_or_below_tex_on_every_layout() {
    if !bitig_typeset::texref::available() {
        bitig_io::ci::skip(
            "hyphen share against TeX",
            "luatex with luaotfload is missing (scripts/setup-debian.sh installs texlive-luatex)",
        );
        return;
    }
    let inputs = Inputs::new(&root().join("assets"));
    let sources = load_sources(&inputs).unwrap();
    let mut over = Vec::new();
    let mut rows = 0;
    for (profile, ours) in default_stats() {
        let path = root().join(format!("assets/profiles/{profile}.toml"));
        let (spec, _) = ProfileSpec::load(&path).unwrap();
        let work = root().join(format!("target/test-scratch/tex/{profile}"));
        let tex = bitig_typeset::texref::tex_stats(&sources, &spec, &inputs.assets, &work).unwrap();
        println!("{profile}\n{}", bitig_typeset::texref::table(&ours, &tex));
        for t in &tex {
            let b = ours
                .iter()
                .find(|b| b.doc == t.doc && b.lang == t.lang && b.size == t.size)
                .unwrap();
            rows += 1;
            // Same paragraphs on both sides: ragged right takes a few more lines than TeX's
            // justified setting, never many more.
            assert!(
                b.lines.abs_diff(t.lines) * 8 <= t.lines,
                "{profile} {} {:?}: {} lines here, {} in TeX",
                t.doc,
                t.size,
                b.lines,
                t.lines
            );
            if b.hyphen_share() > t.hyphen_share() {
                over.push(format!(
                    "{profile} {} [{:?}] {:?}: {:.1}% hyphenated, TeX {:.1}%",
                    t.doc,
                    t.lang,
                    t.size,
                    100.0 * b.hyphen_share(),
                    100.0 * t.hyphen_share()
                ));
            }
        }
    }
    assert!(rows >= 16, "only {rows} layouts compared");
    assert!(over.is_empty(), "{}", over.join("\n"));
}
