//! `bitig inspect --glyphs` against HarfBuzz's own `hb-shape` (Debian libharfbuzz-bin), for
//! every line of the Turkish and Kazakh fixtures, both profiles, both text sizes.
//!
//! For each glyph run the test takes the run's text from the line, shapes it with hb-shape
//! using the same font file, language, script and features, drops blank glyphs (the bundle
//! stores no spaces) and requires the same glyph ids at the same clusters. Inside a word the
//! advance must match HarfBuzz's to within the 1 px of pen rounding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitig_format::Lang;
use bitig_typeset::shape::{Fonts, ShapeContext, FONT_FILES};
use common::*;
use std::collections::BTreeMap;
use std::process::Command;

#[derive(Debug)]
struct RunDump {
    where_: String,
    lang: Lang,
    font: usize,
    px: f32,
    /// Byte offset of the run's text in the line.
    start: usize,
    text: String,
    glyphs: Vec<(u16, usize, i32)>,
}

fn parse_dump(dump: &str) -> Vec<RunDump> {
    let mut runs: Vec<RunDump> = Vec::new();
    let mut lang = None;
    let mut page = String::new();
    let mut line_text = String::new();
    let mut line_runs: Vec<RunDump> = Vec::new();
    let flush = |line_text: &str, line_runs: &mut Vec<RunDump>, out: &mut Vec<RunDump>| {
        let n = line_runs.len();
        for i in 0..n {
            let end = if i + 1 < n {
                line_runs[i + 1].start
            } else {
                line_text.len()
            };
            let r = &mut line_runs[i];
            r.text = line_text[r.start..end].to_string();
        }
        out.append(line_runs);
    };
    for l in dump.lines() {
        if let Some(rest) = l.strip_prefix("--- ") {
            flush(&line_text, &mut line_runs, &mut runs);
            page = rest.to_string();
            let tag = rest
                .split('[')
                .nth(1)
                .and_then(|s| s.split(']').next())
                .unwrap();
            lang = Some(Lang::from_tag(tag).unwrap());
        } else if let Some(run) = l.strip_prefix("   f") {
            let (head, glyphs) = run.split_once(' ').unwrap();
            let (font, px) = head.split_once('@').unwrap();
            let glyphs: Vec<(u16, usize, i32)> = glyphs
                .split('|')
                .map(|g| {
                    let (gid, rest) = g.trim_start_matches('g').split_once('=').unwrap();
                    let (cl, adv) = rest.split_once('+').unwrap();
                    (
                        gid.parse().unwrap(),
                        cl.parse().unwrap(),
                        adv.parse().unwrap(),
                    )
                })
                .collect();
            line_runs.push(RunDump {
                where_: format!("{page} / {line_text}"),
                lang: lang.unwrap(),
                font: font.parse().unwrap(),
                px: px.parse().unwrap(),
                start: glyphs[0].1,
                text: String::new(),
                glyphs,
            });
        } else if l.starts_with('l') && lang.is_some() {
            flush(&line_text, &mut line_runs, &mut runs);
            // "l3 b2 text…"
            line_text = l.splitn(3, ' ').nth(2).unwrap_or("").to_string();
        }
    }
    flush(&line_text, &mut line_runs, &mut runs);
    runs
}

/// hb-shape one text per line; returns (gid, cluster, x advance in font units) per glyph.
fn hb_shape(
    font_file: &str,
    lang: Lang,
    features: &str,
    texts: &[&str],
) -> Vec<Vec<(u16, usize, i32)>> {
    let dir = scratch(&format!("hb-{}-{}", lang.tag(), font_file));
    let input = dir.join("lines.txt");
    std::fs::write(&input, texts.join("\n") + "\n").unwrap();
    let script = if lang == Lang::Kk { "cyrl" } else { "latn" };
    let out = Command::new("hb-shape")
        .arg("--output-format=json")
        .arg("--no-glyph-names")
        .arg("--utf8-clusters")
        .arg(format!("--language={}", lang.tag()))
        .arg(format!("--script={script}"))
        .arg(format!("--features={features}"))
        .arg(format!("--text-file={}", input.display()))
        .arg(repo().join("assets/fonts").join(font_file))
        .output()
        .expect("hb-shape not found: run scripts/setup-debian.sh (package libharfbuzz-bin)");
    assert!(
        out.status.success(),
        "hb-shape failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
        .lines()
        .map(|l| {
            l.trim_matches(|c| c == '[' || c == ']')
                .split("},{")
                .filter(|g| !g.is_empty())
                .map(|g| {
                    let field = |name: &str| -> i64 {
                        let at = g.find(&format!("\"{name}\":")).unwrap() + name.len() + 3;
                        let v: String = g[at..]
                            .chars()
                            .take_while(|c| *c == '-' || c.is_ascii_digit())
                            .collect();
                        v.parse().unwrap()
                    };
                    (field("g") as u16, field("cl") as usize, field("ax") as i32)
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_fixture_line_matches_hb_shape() {
    let fonts = Fonts::load(&repo().join("assets/fonts")).unwrap();
    let ctx = ShapeContext::new(&fonts);
    let dir = scratch("shaping");
    let mut checked_glyphs = 0usize;
    let mut langs_seen = BTreeMap::new();
    for profile in ["pi-touch-800x480", "pi-touch2-720x1280"] {
        let bundle = dir.join(format!("{profile}.bundle"));
        build_fixtures(profile, &bundle);
        let o = bitig(&["inspect", bundle.to_str().unwrap(), "--glyphs"]);
        assert!(o.status.success());
        let runs = parse_dump(&text(&o.stdout));
        // Group by (lang, font) so that hb-shape runs once per group.
        let mut groups: BTreeMap<(u8, usize), Vec<&RunDump>> = BTreeMap::new();
        for r in &runs {
            groups.entry((r.lang as u8, r.font)).or_default().push(r);
        }
        for ((_, font), group) in groups {
            let lang = group[0].lang;
            *langs_seen.entry(lang.tag()).or_insert(0) += group.len();
            let texts: Vec<&str> = group.iter().map(|r| r.text.as_str()).collect();
            let file = FONT_FILES[font];
            let upem = f32::from(
                rustybuzz::Face::from_slice(
                    &std::fs::read(repo().join("assets/fonts").join(file)).unwrap(),
                    0,
                )
                .unwrap()
                .units_per_em() as u16,
            );
            let hb = hb_shape(file, lang, &ctx.features_hb(font, lang), &texts);
            assert_eq!(
                hb.len(),
                group.len(),
                "hb-shape returned a different number of lines"
            );
            for (r, hb) in group.iter().zip(hb) {
                let inked: Vec<(u16, usize, i32)> = hb
                    .iter()
                    .filter(|(_, cl, _)| !r.text[*cl..].starts_with(char::is_whitespace))
                    .map(|&(g, cl, ax)| (g, cl + r.start, ax))
                    .collect();
                let ours: Vec<(u16, usize)> = r.glyphs.iter().map(|&(g, cl, _)| (g, cl)).collect();
                let theirs: Vec<(u16, usize)> = inked.iter().map(|&(g, cl, _)| (g, cl)).collect();
                assert_eq!(
                    ours, theirs,
                    "glyphs differ from hb-shape in {:?} of {}",
                    r.text, r.where_
                );
                // Advances: compare where the next glyph follows directly (no space between).
                for (i, pair) in hb.windows(2).enumerate() {
                    let next_is_ink = !r.text[pair[1].1..].starts_with(char::is_whitespace);
                    let this_is_ink = !r.text[pair[0].1..].starts_with(char::is_whitespace);
                    if !(this_is_ink && next_is_ink) {
                        continue;
                    }
                    let k = inked
                        .iter()
                        .position(|g| g.1 == pair[0].1 + r.start && g.0 == pair[0].0);
                    let Some(k) = k else { continue };
                    if k + 1 >= r.glyphs.len() || inked[k + 1].1 != pair[1].1 + r.start {
                        continue;
                    }
                    let want = pair[0].2 as f32 * r.px / upem;
                    let got = r.glyphs[k].2 as f32;
                    assert!(
                        (got - want).abs() <= 1.0,
                        "advance of glyph {i} in {:?} is {got} px, HarfBuzz says {want:.2} px ({})",
                        r.text,
                        r.where_
                    );
                }
                checked_glyphs += ours.len();
            }
        }
    }
    // Both scripts were really exercised, with substantial text.
    assert!(
        langs_seen.get("tr").copied().unwrap_or(0) > 50,
        "{langs_seen:?}"
    );
    assert!(
        langs_seen.get("kk").copied().unwrap_or(0) > 50,
        "{langs_seen:?}"
    );
    assert!(
        checked_glyphs > 5000,
        "only {checked_glyphs} glyphs checked"
    );
}
