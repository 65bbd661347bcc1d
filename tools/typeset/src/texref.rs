//! The yardstick: LuaTeX's paragraph builder on the same paragraphs, font file, pixel size,
//! measure and hanging indent as the bundle's layout, with plain TeX's parameters (the values
//! of [`crate::linebreak::params`]). A `post_linebreak_filter` reports every line TeX set;
//! the counts come back as [`Stats`] so that both sides print in one table.
//!
//! TeX hyphenates with its own means: English with Knuth and Liang's `hyphen.tex` (found with
//! `kpsewhich`), Kazakh with `assets/hyphenation/hyph-kk.tex` as a Lua language object, both
//! with Bitig's exception lists and hyphenmins, and plain TeX's `\uchyph=1`. Emphasis is set
//! in the regular face on the TeX side.

use crate::build::{body_paragraphs, BodyPara, ProfileSpec, Sources};
use crate::linebreak::{params, Params};
use crate::typography::Stats;
use bitig_format::{Lang, TextSize};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Whether `luatex` (with luaotfload) can be run here.
pub fn available() -> bool {
    Command::new("luatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("kpsewhich")
            .arg("luaotfload.sty")
            .output()
            .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

fn kpsewhich(name: &str) -> Result<String, String> {
    let o = Command::new("kpsewhich")
        .arg(name)
        .output()
        .map_err(|e| format!("kpsewhich: {e} (install texlive-luatex)"))?;
    let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
    if p.is_empty() {
        return Err(format!(
            "kpsewhich finds no {name} (install texlive-luatex and texlive-latex-base)"
        ));
    }
    Ok(p)
}

/// The contents of the first `\name{...}` group of a TeX hyphenation file, comments removed.
fn tex_group(tex: &str, name: &str) -> String {
    let open = format!("\\{name}{{");
    let Some(start) = tex.find(&open).map(|i| i + open.len()) else {
        return String::new();
    };
    let mut out = String::new();
    for line in tex[start..].lines() {
        let code = line.split('%').next().unwrap_or("");
        if let Some(end) = code.find('}') {
            out.push_str(&code[..end]);
            break;
        }
        out.push_str(code);
        out.push(' ');
    }
    out
}

fn lua_str(s: &str) -> String {
    format!("[==[{s}]==]")
}

/// Runs LuaTeX on every body paragraph of `sources` laid out for `spec`, and measures what it
/// set, per edition and text size (Turkish editions are skipped: TeX Live's Turkish patterns
/// are not in texlive-luatex, and no Turkish statement ships).
pub fn tex_stats(
    sources: &Sources,
    spec: &ProfileSpec,
    assets: &Path,
    work: &Path,
) -> Result<Vec<Stats>, String> {
    let paras: Vec<BodyPara> = body_paragraphs(sources, spec)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|p| p.lang != Lang::Tr)
        .collect();
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let font = assets.join("fonts/NotoSans-Regular.ttf");
    let font = std::fs::canonicalize(&font).map_err(|e| format!("{}: {e}", font.display()))?;
    let en_tex = std::fs::read_to_string(kpsewhich("hyphen.tex")?).map_err(|e| e.to_string())?;
    let kk_tex = std::fs::read_to_string(assets.join("hyphenation/hyph-kk.tex"))
        .map_err(|e| e.to_string())?;
    let lua = lua_input(sources, &paras, &en_tex, &kk_tex);
    std::fs::write(work.join("bitig-tex.lua"), &lua).map_err(|e| e.to_string())?;
    let tex = tex_input(&paras, &font);
    std::fs::write(work.join("bitig-tex.tex"), &tex).map_err(|e| e.to_string())?;
    run_luatex(work)?;
    let lines = std::fs::read_to_string(work.join("bitig-lines.txt"))
        .map_err(|e| format!("{}: {e}", work.join("bitig-lines.txt").display()))?;
    parse_log(&lines, &paras)
}

/// The Lua side: the letters' lowercase codes, the en and kk languages with their patterns
/// and exceptions, every paragraph with its measure, and the driver that sets them.
fn lua_input(sources: &Sources, paras: &[BodyPara], en_tex: &str, kk_tex: &str) -> String {
    let exceptions = |lang: Lang| -> String {
        sources
            .hyph
            .exceptions(lang)
            .entries
            .iter()
            .filter(|e| e.letters.iter().all(|c| c.is_alphabetic()))
            .map(|e| e.written.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut letters = BTreeSet::new();
    for p in paras {
        for c in p.text.chars().filter(|c| c.is_alphabetic()) {
            letters.insert(c);
        }
    }
    let mut lua = String::new();
    let _ = writeln!(lua, "bitig = {{}}");
    let _ = writeln!(lua, "bitig.lc = {{");
    for c in &letters {
        let l = c.to_lowercase().next().unwrap_or(*c);
        let _ = writeln!(lua, "  {{{}, {}}},", *c as u32, l as u32);
    }
    let _ = writeln!(lua, "}}");
    let _ = writeln!(
        lua,
        "bitig.en = lang.new(); bitig.en:patterns({}); bitig.en:hyphenation({} .. ' ' .. {})",
        lua_str(&tex_group(en_tex, "patterns")),
        lua_str(&tex_group(en_tex, "hyphenation")),
        lua_str(&exceptions(Lang::En))
    );
    let _ = writeln!(
        lua,
        "bitig.kk = lang.new(); bitig.kk:patterns({}); bitig.kk:hyphenation({})",
        lua_str(&tex_group(kk_tex, "patterns")),
        lua_str(&exceptions(Lang::Kk))
    );
    let _ = writeln!(lua, "bitig.paras = {{");
    for p in paras {
        let r = sources.hyph.rules(p.lang);
        let _ = writeln!(
            lua,
            "  {{lang = '{}', px = {}, emergency = {}, measure = {}, indent = {}, left = {}, right = {}, text = {}}},",
            p.lang.tag(),
            p.px,
            params::EMERGENCY_STRETCH_EM * p.px,
            p.measure,
            p.indent,
            r.left_min,
            r.right_min,
            lua_str(&p.text)
        );
    }
    let _ = writeln!(lua, "}}");
    lua.push_str(LUA_DRIVER);
    lua
}

/// The TeX side: our font at each size, Bitig's line-breaking parameters, then the Lua.
fn tex_input(paras: &[BodyPara], font: &Path) -> String {
    let mut tex = String::new();
    tex.push_str("\\input ltluatex\n\\input luaotfload.sty\n");
    for px in paras.iter().map(|p| p.px as u32).collect::<BTreeSet<_>>() {
        for (name, feat) in [("en", "+kern;+liga"), ("kk", "+kern;+liga")] {
            let _ = writeln!(
                tex,
                "\\expandafter\\font\\csname bitig{name}{px}\\endcsname={{[{}]:mode=node;{feat}}} at {px}bp",
                font.display()
            );
        }
    }
    let _ = writeln!(
        tex,
        "\\pretolerance={} \\tolerance={} \\linepenalty={} \\hyphenpenalty={} \\exhyphenpenalty={} \\doublehyphendemerits={} \\finalhyphendemerits={} \\adjdemerits={}",
        params::PRETOLERANCE,
        params::TOLERANCE,
        params::LINE_PENALTY,
        params::HYPHEN_PENALTY,
        params::EX_HYPHEN_PENALTY,
        params::DOUBLE_HYPHEN_DEMERITS,
        params::FINAL_HYPHEN_DEMERITS,
        params::ADJ_DEMERITS
    );
    tex.push_str("\\parindent=0pt \\parskip=0pt \\uchyph=1 \\hbadness=10000 \\vbadness=10000 \\hfuzz=\\maxdimen\n");
    tex.push_str("\\directlua{dofile('bitig-tex.lua')}\n\\bye\n");
    tex
}

/// Runs LuaTeX in `work`; a failure comes with the end of its log.
fn run_luatex(work: &Path) -> Result<(), String> {
    let out = Command::new("luatex")
        .args([
            "--interaction=nonstopmode",
            "--halt-on-error",
            "bitig-tex.tex",
        ])
        .current_dir(work)
        .output()
        .map_err(|e| format!("luatex: {e} (install texlive-luatex)"))?;
    let log = std::fs::read_to_string(work.join("bitig-tex.log")).unwrap_or_default();
    let _ = std::fs::remove_file(work.join("bitig-lines.txt.old"));
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        return Err(format!(
            "luatex failed ({}); the end of {}:\n{}",
            out.status,
            work.join("bitig-tex.log").display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(())
}

/// Reads the `BITIG p l hyph gaps ratio` lines the driver writes: paragraph, line, whether it
/// ends with a hyphen, its inter-word glue count, and its space ratio (`-` for a last line).
fn parse_log(log: &str, paras: &[BodyPara]) -> Result<Vec<Stats>, String> {
    let mut stats: Vec<Stats> = Vec::new();
    let key = |p: &BodyPara| (p.doc.clone(), p.lang, p.size);
    let mut run = 0usize;
    let mut last_para = usize::MAX;
    let mut seen = 0usize;
    for line in log.lines() {
        let Some(rest) = line.strip_prefix("BITIG ") else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let [p, _l, hy, gaps, ratio] = f.as_slice() else {
            return Err(format!("bad TeX report line {line:?}"));
        };
        let p: usize = p
            .parse()
            .map_err(|_| format!("bad paragraph in {line:?}"))?;
        let para = paras
            .get(p - 1)
            .ok_or_else(|| format!("paragraph {p} out of range"))?;
        seen = seen.max(p);
        let k = key(para);
        let idx = match stats.iter().position(|s| {
            (
                s.doc.clone(),
                s.lang.unwrap_or(Lang::En),
                s.size.unwrap_or(TextSize::Normal),
            ) == k
        }) {
            Some(i) => i,
            None => {
                stats.push(Stats {
                    doc: para.doc.clone(),
                    lang: Some(para.lang),
                    size: Some(para.size),
                    ..Stats::default()
                });
                stats.len() - 1
            }
        };
        let s = &mut stats[idx];
        if p != last_para {
            run = 0;
            last_para = p;
        }
        s.lines += 1;
        if *hy == "1" {
            s.hyphenated += 1;
            run += 1;
            s.longest_run = s.longest_run.max(run);
            if *gaps == "0" {
                s.one_fragment.push(format!("paragraph {p}"));
            }
        } else {
            run = 0;
        }
        if let Ok(r) = ratio.parse::<f32>() {
            s.spaces.push(r);
        }
    }
    if seen != paras.len() {
        return Err(format!("TeX reported {seen} of {} paragraphs", paras.len()));
    }
    Ok(stats)
}

/// Sets every paragraph in `bitig.paras` and reports each line.
const LUA_DRIVER: &str = r#"
for _, p in ipairs(bitig.lc) do tex.setlccode(p[1], p[2]) end
local GLYPH, GLUE, DISC, KERN, PENALTY = node.id("glyph"), node.id("glue"), node.id("disc"), node.id("kern"), node.id("penalty")
bitig.current = 0
local report = io.open("bitig-lines.txt", "w")
luatexbase.add_to_callback("post_linebreak_filter", function(head)
  local lines = {}
  for n in node.traverse_id(node.id("hlist"), head) do lines[#lines + 1] = n end
  for i, n in ipairs(lines) do
    local last, gaps, space_w, space_st, space_sh = nil, 0, 0, 0, 0
    for g in node.traverse(n.head) do
      if g.id == GLYPH or g.id == DISC then last = g
      elseif g.id == GLUE and (g.subtype == 0 or g.subtype == 13 or g.subtype == 14) and g.stretch_order == 0 then
        gaps = gaps + 1; space_w = space_w + g.width; space_st = space_st + g.stretch; space_sh = space_sh + g.shrink
      end
    end
    local hyph = 0
    if last and last.id == DISC then hyph = 1 end
    if last and last.id == GLYPH and (last.char == 45 or last.char == 0x2010) then hyph = 1 end
    local ratio = "-"
    if i < #lines and gaps > 0 and n.glue_order == 0 then
      local w = space_w
      if n.glue_sign == 1 then w = w + n.glue_set * space_st elseif n.glue_sign == 2 then w = w - n.glue_set * space_sh end
      ratio = string.format("%.4f", w / space_w)
    end
    report:write(string.format("BITIG %d %d %d %d %s\n", bitig.current, i, hyph, gaps, ratio))
  end
  return head
end, "bitig")
for i, p in ipairs(bitig.paras) do
  tex.sprint("\\par\\begingroup\\directlua{bitig.current = " .. i .. "}")
  tex.sprint("\\csname bitig" .. p.lang .. math.floor(p.px) .. "\\endcsname")
  if p.lang == "kk" then tex.sprint("\\language=" .. bitig.kk:id() .. " ") else tex.sprint("\\language=" .. bitig.en:id() .. " ") end
  tex.sprint(string.format("\\lefthyphenmin=%d \\righthyphenmin=%d \\hsize=%.4fbp \\emergencystretch=%.4fbp ", p.left, p.right, p.measure, p.emergency))
  if p.indent > 0 then tex.sprint(string.format("\\hangindent=%.4fbp \\hangafter=1 ", p.indent)) end
  local first = true
  for piece in (p.text .. "\n"):gmatch("(.-)\n") do
    if not first then tex.sprint("\\hfil\\break ") end
    tex.sprint(-2, piece)
    first = false
  end
  tex.sprint("\\par\\endgroup")
end
tex.sprint("\\directlua{bitig.close()}")
bitig.close = function() report:close() end
"#;

/// Bitig's and TeX's counts side by side, one row per edition and layout found on both
/// sides: lines, hyphenated share, longest hyphen run, one-fragment lines, and inter-word
/// space (95th percentile, lines over 1.5×).
pub fn table(ours: &[Stats], tex: &[Stats]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "| edition | layout | lines B/T | hyphenated B | hyphenated T | run B/T | one-frag B/T | space p95 B/T | >1.5× B/T |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for t in tex {
        let Some(b) = ours
            .iter()
            .find(|b| b.doc == t.doc && b.lang == t.lang && b.size == t.size)
        else {
            continue;
        };
        let _ = writeln!(
            o,
            "| {} [{}] | {:?} | {}/{} | {:.1}% | {:.1}% | {}/{} | {}/{} | {:.2}/{:.2} | {}/{} |",
            t.doc,
            t.lang.map_or("?", |l| l.tag()),
            t.size.unwrap_or(TextSize::Normal),
            b.lines,
            t.lines,
            100.0 * b.hyphen_share(),
            100.0 * t.hyphen_share(),
            b.longest_run,
            t.longest_run,
            b.one_fragment.len(),
            t.one_fragment.len(),
            b.space_p95(),
            t.space_p95(),
            b.loose_lines(),
            t.loose_lines()
        );
    }
    o
}

/// A setting of the trade-off study: a name and how it changes the sources' parameters.
pub type Setting = (&'static str, fn(&mut Sources));

/// The settings of the trade-off table in docs/typography.md. The first is Bitig's default
/// ([`Params::BITIG`]); the others change the sources' parameters from it.
pub const SETTINGS: [Setting; 4] = [
    ("K ragged right, 4em rag (Bitig)", |_| {}),
    ("A plain TeX, justified", |s| s.params = Params::PLAIN_TEX),
    ("D justified, no emergency stretch", |s| {
        s.params = Params::PLAIN_TEX;
        s.params.emergency_stretch_em = 0.0;
    }),
    ("J justified at 28em and wider, else K", |s| {
        s.params.ragged_below_em = 28.0
    }),
];

/// Hyphen share and looseness (95th percentile of the inter-word space, lines over 1.5×)
/// of each setting on each layout, with TeX's in the last column.
pub fn tradeoff_table(rows: &[(String, Vec<Stats>)], tex: &[Stats]) -> String {
    let mut o = String::new();
    let _ = write!(o, "| edition | layout |");
    for (name, _) in rows {
        let _ = write!(o, " {name}: hyph / p95 / >1.5 |");
    }
    let _ = writeln!(o, " TeX: hyph / p95 / >1.5 |");
    let _ = writeln!(o, "|---|---|{}---|", "---|".repeat(rows.len()));
    for t in tex {
        let _ = write!(
            o,
            "| {} [{}] | {:?} |",
            t.doc,
            t.lang.map_or("?", |l| l.tag()),
            t.size.unwrap_or(TextSize::Normal)
        );
        for (_, stats) in rows {
            match stats
                .iter()
                .find(|b| b.doc == t.doc && b.lang == t.lang && b.size == t.size)
            {
                Some(b) => {
                    let _ = write!(
                        o,
                        " {:.1}% / {:.2} / {} |",
                        100.0 * b.hyphen_share(),
                        b.space_p95(),
                        b.loose_lines()
                    );
                }
                None => o.push_str(" – |"),
            }
        }
        let _ = writeln!(
            o,
            " {:.1}% / {:.2} / {} |",
            100.0 * t.hyphen_share(),
            t.space_p95(),
            t.loose_lines()
        );
    }
    o
}
