//! The `bitig` binary as a content editor meets it: bad sources give a clear diagnostic
//! (file:line:col, what, what to do), exit code 1 and no output file; usage errors exit 2;
//! good sources build reproducibly with no overflow, even around a 120-character token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::path::Path;

const GOOD_FRONT: &str = "+++\nid = \"t\"\nlang = \"en\"\ntitle = \"Test\"\ndate = 2026-01-15\nplace = \"Astana\"\nkind = \"test-fixture\"\n+++\n";

/// Writes `files` into a fresh folder, runs `bitig ARGS --statements DIR --out OUT`, and
/// returns (exit code, stderr, whether OUT exists).
fn build_sources(name: &str, files: &[(&str, &[u8])], extra: &[&str]) -> (i32, String, bool) {
    let dir = scratch(name);
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    for (f, bytes) in files {
        std::fs::write(src.join(f), bytes).unwrap();
    }
    let out = dir.join("out.bundle");
    let mut args = vec![
        "build",
        "--profile",
        "pi-touch-800x480",
        "--statements",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = bitig(&args);
    // No stray temp files either.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n != "src" && n != "out.bundle" && n != "out.speech")
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    (o.status.code().unwrap_or(-1), text(&o.stderr), out.exists())
}

fn assert_content_error(name: &str, files: &[(&str, &[u8])], expect: &[&str]) {
    let (code, err, written) = build_sources(name, files, &[]);
    assert_eq!(code, 1, "{name}: exit code {code}, stderr:\n{err}");
    assert!(!written, "{name}: an output file was written");
    for e in expect {
        assert!(err.contains(e), "{name}: stderr lacks {e:?}:\n{err}");
    }
    // `bitig check` reports the same.
    let dir = scratch(name).join("src");
    std::fs::create_dir_all(&dir).unwrap();
    for (f, bytes) in files {
        std::fs::write(dir.join(f), bytes).unwrap();
    }
    let o = bitig(&["check", "--statements", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{name}: check exit code");
    assert!(
        text(&o.stderr).contains(expect[0]),
        "{name}: check output:\n{}",
        text(&o.stderr)
    );
}

#[test]
fn missing_front_matter() {
    assert_content_error(
        "no-front",
        &[("a.en.md", b"Just text.\n")],
        &["a.en.md:1:1", "front matter", "+++"],
    );
}

#[test]
fn unknown_lang() {
    let src = GOOD_FRONT.replace("lang = \"en\"", "lang = \"de\"") + "Body.\n";
    assert_content_error(
        "bad-lang",
        &[("a.de.md", src.as_bytes())],
        &["a.de.md:3:8", "unknown lang \"de\"", "kk, tr or en"],
    );
}

#[test]
fn duplicate_id_and_lang() {
    let src = format!("{GOOD_FRONT}Body.\n");
    assert_content_error(
        "dup",
        &[("a.en.md", src.as_bytes()), ("b.en.md", src.as_bytes())],
        &["b.en.md", "a.en.md", "t", "en"],
    );
}

#[test]
fn invalid_utf8() {
    let mut src = format!("{GOOD_FRONT}First paragraph.\n\nSecond ").into_bytes();
    src.extend_from_slice(&[0xC3, 0x28]);
    src.extend_from_slice(b" paragraph.\n");
    assert_content_error(
        "utf8",
        &[("a.en.md", &src)],
        &["a.en.md:11:8", "UTF-8", "byte"],
    );
}

#[test]
fn emoji_not_in_font() {
    let src = format!("{GOOD_FRONT}Hello \u{1F600} there.\n");
    assert_content_error(
        "emoji",
        &[("a.en.md", src.as_bytes())],
        &["a.en.md:9:7", "U+1F600", "GRINNING FACE"],
    );
}

#[test]
fn empty_body() {
    assert_content_error(
        "empty",
        &[("a.en.md", GOOD_FRONT.as_bytes())],
        &["a.en.md", "empty"],
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(bitig(&["build", "--frobnicate"]).status.code(), Some(2));
    assert_eq!(
        bitig(&["inspect", "/nonexistent.bundle"]).status.code(),
        Some(2)
    );
    assert_eq!(
        bitig(&["build", "--profile", "no-such-profile"])
            .status
            .code(),
        Some(2)
    );
    // A bundle that is not one: refused with its error code, no panic.
    let dir = scratch("notabundle");
    let f = dir.join("x.bundle");
    std::fs::write(&f, b"BITIGBND garbage").unwrap();
    let o = bitig(&["inspect", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "a bad bundle is bad content");
    assert!(
        text(&o.stderr).contains("not a valid bundle [E-SHORT]"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn lints_warn_and_fail_under_strict() {
    let src = format!("{GOOD_FRONT}The Tűrkiye spelling - with a spaced hyphen.\n");
    let (code, err, written) = build_sources("lint", &[("a.en.md", src.as_bytes())], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(written);
    assert!(err.contains("warning") && err.contains("ű"), "{err}");
    let (code, err, written) =
        build_sources("lint-strict", &[("a.en.md", src.as_bytes())], &["--strict"]);
    assert_eq!(code, 1, "{err}");
    assert!(!written);
}

/// Straight quotes are converted, each named with file:line:col; `--strict` refuses them.
#[test]
fn straight_quotes_are_converted_and_refused_under_strict() {
    let src = format!("{GOOD_FRONT}They called it the \"Middle Corridor\" and Türkiye's plan.\n");
    let (code, err, written) = build_sources("quotes", &[("a.en.md", src.as_bytes())], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(written);
    assert!(
        err.contains("straight quote \" converted to “") && err.contains("a.en.md:9:20"),
        "{err}"
    );
    assert!(err.contains("straight quote ' converted to ’"), "{err}");
    let (code, err, written) = build_sources(
        "quotes-strict",
        &[("a.en.md", src.as_bytes())],
        &["--strict"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[straight-quote]"), "{err}");
    assert!(!written);
}

/// A 120-character token with no break opportunity is split by emergency breaks, in all three
/// languages, and no line leaves the measure (build_bundle checks every line independently and
/// fails the build otherwise).
#[test]
fn unbreakable_120_char_token_fits() {
    let token_en: String = "Kazakhstan".repeat(12);
    let token_kk: String = "Қазақстан".repeat(14);
    let token_tr: String = "İstanbul".repeat(15);
    for (lang, tok) in [("en", &token_en), ("kk", &token_kk), ("tr", &token_tr)] {
        assert!(tok.chars().count() >= 120);
        let src = GOOD_FRONT.replace("lang = \"en\"", &format!("lang = \"{lang}\""))
            + &format!("Before {tok} after.\n");
        let name = format!("long-{lang}");
        let (code, err, written) =
            build_sources(&name, &[(&format!("a.{lang}.md"), src.as_bytes())], &[]);
        assert_eq!(code, 0, "{lang}: {err}");
        assert!(written);
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(&name)
            .join("out.bundle");
        let o = bitig(&["inspect", out.to_str().unwrap(), "--pages"]);
        let dump = text(&o.stdout);
        let lines: Vec<&str> = dump.lines().filter(|l| l.contains(&tok[..12])).collect();
        assert!(lines.len() >= 2, "{lang}: token not split:\n{dump}");
    }
}

#[test]
fn default_build_has_no_missing_glyphs_or_overflow_and_is_reproducible() {
    let dir = scratch("default-build");
    let mut outputs = Vec::new();
    let mut speech = Vec::new();
    for run in 0..2 {
        for profile in ["pi-touch-800x480", "pi-touch2-720x1280"] {
            let out = dir.join(format!("{profile}-{run}.bundle"));
            // The second run speaks everything afresh, into a cache of its own.
            let cache = dir.join(format!("speech-cache-{run}"));
            let mut cmd = bitig_command(&[
                "build",
                "--profile",
                profile,
                "--out",
                out.to_str().unwrap(),
            ]);
            if run == 1 {
                cmd.env("BITIG_SPEECH_CACHE", &cache);
            }
            let o = cmd.output().unwrap();
            assert!(o.status.success(), "{}", text(&o.stderr));
            let said = text(&o.stdout);
            assert!(said.contains("0 missing glyphs"), "{said}");
            let bytes = std::fs::read(&out).unwrap();
            let outside = ink_outside_text_box(&bytes, profile);
            assert!(
                outside.is_empty(),
                "{profile}: ink outside the text box:\n{}",
                outside.join("\n")
            );
            outputs.push(bytes);
            speech.push(std::fs::read(out.with_extension("speech")).unwrap());
        }
    }
    assert!(
        speech[0] == speech[2] && speech[1] == speech[3],
        "the speech parts differ between builds (the second synthesized afresh)"
    );
    assert!(
        outputs[0] == outputs[2],
        "800x480 bundles differ between builds"
    );
    assert!(
        outputs[1] == outputs[3],
        "720x1280 bundles differ between builds"
    );
    // Every seed statement is in, in both sizes.
    let o = bitig(&[
        "inspect",
        dir.join("pi-touch-800x480-0.bundle").to_str().unwrap(),
    ]);
    let s = text(&o.stdout);
    for id in [
        "jspg-8-2026 [kk]",
        "jspg-8-2026 [en]",
        "enhanced-strategic-partnership-2022 [en]",
        "hlscc-5-2025 [en]",
    ] {
        let line = s
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} missing:\n{s}"));
        assert!(line.contains("Normal") && line.contains("Large"), "{line}");
    }
}

/// How far ink may pass the text box's left and right edges: a glyph's side bearing (the
/// serif J of a title, an italic f) overhangs its advance box by up to this many pixels.
const INK_OVERHANG_PX: usize = 3;

/// Every page of `bundle` drawn with the kiosk's renderer (the proof pages), and every row
/// of pixels that has ink left of the profile's left margin or right of the measure (plus
/// [`INK_OVERHANG_PX`]). This does not share code with the build's own overflow check: it
/// looks at pixels, not at advances.
fn ink_outside_text_box(bytes: &[u8], profile: &str) -> Vec<String> {
    use bitig_format::{Bundle, TextSize};
    let b = Bundle::from_bundle_bytes(bytes).unwrap();
    let spec_text =
        std::fs::read_to_string(repo().join(format!("assets/profiles/{profile}.toml"))).unwrap();
    let spec: toml::Table = toml::from_str(&spec_text).unwrap();
    let margin = |k: &str| spec["margins"][k].as_integer().unwrap() as usize;
    let (left, right) = (margin("left"), margin("right"));
    let bg = b.profile.theme.background;
    let mut out = Vec::new();
    for d in &b.documents {
        for e in &d.editions {
            for l in &e.layouts {
                let w = usize::from(l.size.page_width(b.profile.page_width));
                // A half page's measure ends half a gutter (12 px) before the column edge.
                let hi = match l.size {
                    TextSize::Half => w - 12,
                    _ => w - right,
                };
                for pi in 0..l.pages.len() {
                    let rgb = bitig_typeset::proof::render_page(&b, l, pi);
                    for (y, row) in rgb.chunks(w * 3).enumerate() {
                        let ink = |x: usize| {
                            let p = &row[x * 3..x * 3 + 3];
                            (p[0], p[1], p[2]) != (bg.0, bg.1, bg.2)
                        };
                        let bad = (0..left.saturating_sub(INK_OVERHANG_PX))
                            .chain((hi + INK_OVERHANG_PX).min(w)..w)
                            .find(|&x| ink(x));
                        if let Some(x) = bad {
                            out.push(format!(
                                "{} [{}] {:?} page {} row {y}: ink at x={x} (text box {left}..{hi})",
                                d.id,
                                e.lang.tag(),
                                l.size,
                                pi + 1
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
    out
}

/// The kiosk embeds `firmware/kiosk/fallback.bundle` for its maintenance screen, and
/// `fallback.speech` to say it. Both must be what `bitig build --fallback` makes from today's
/// UI strings, fonts and voice; the speech part holds the maintenance and update messages in
/// the three languages and nothing else.
#[test]
fn kiosk_fallback_bundle_is_up_to_date() {
    let dir = scratch("fallback");
    let out = dir.join("fallback.bundle");
    let o = bitig(&[
        "build",
        "--fallback",
        "--profile",
        "pi-touch-800x480",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let fresh = std::fs::read(&out).unwrap();
    let committed = std::fs::read(repo().join("firmware/kiosk/fallback.bundle")).unwrap();
    let stale = "is stale; run: cargo run -p bitig -- build --fallback --profile pi-touch-800x480 --out firmware/kiosk/fallback.bundle";
    assert!(fresh == committed, "firmware/kiosk/fallback.bundle {stale}");
    let speech = std::fs::read(out.with_extension("speech")).unwrap();
    let committed = std::fs::read(repo().join("firmware/kiosk/fallback.speech")).unwrap();
    assert!(
        speech == committed,
        "firmware/kiosk/fallback.speech {stale}"
    );
    let part = bitig_format::speech::Speech::from_speech_bytes(&speech).unwrap();
    let b = bitig_format::Bundle::from_bundle_bytes(&fresh).unwrap();
    let hash = bitig_format::Header::from_bundle_bytes(&fresh)
        .unwrap()
        .hash;
    part.check_belongs(&hash, &b).unwrap();
    let mut said: Vec<String> = part
        .tracks
        .iter()
        .map(|t| match t.said {
            bitig_format::speech::Said::Ui { key, lang } => format!("{key} {lang:?}"),
            other => format!("{other:?}"),
        })
        .collect();
    said.sort();
    assert_eq!(
        said,
        [
            "maintenance.body En",
            "maintenance.body Kk",
            "maintenance.body Tr",
            "update.body En",
            "update.body Kk",
            "update.body Tr"
        ]
    );
}
