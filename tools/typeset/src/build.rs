//! The whole pipeline: load and check sources, lay out every edition for a profile, build
//! atlases and encode the bundle.

use crate::atlas::{build_atlases, OwnedAtlas};
use crate::checks;
use crate::compose::{paginate, text_block, BlockStyle, Composer, Flow, StrikeTable};
use crate::diag::{Diagnostic, Error, Severity};
use crate::hyph::{to_upper, Hyphenator};
use crate::shape::{Fonts, ShapeContext};
use crate::source::{parse_statement, SourceBlock, Statement, Style};
use bitig_format as fmt;
use bitig_format::{BlockKind, ColorRole, Lang, Line, TextSize};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use unicode_segmentation::UnicodeSegmentation;

/// Where the inputs are.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The `assets/` folder (fonts, profiles, ui, hyphenation).
    pub assets: PathBuf,
    /// Statement folders or files (default `assets/statements`). Empty: a bundle of UI
    /// strings only (the kiosk's fallback).
    pub statements: Vec<PathBuf>,
    /// Lints become errors.
    pub strict: bool,
}

impl Inputs {
    pub fn new(assets: &Path) -> Inputs {
        Inputs {
            assets: assets.to_path_buf(),
            statements: vec![assets.join("statements")],
            strict: false,
        }
    }

    pub fn profile_paths(&self) -> Result<Vec<PathBuf>, Error> {
        let dir = self.assets.join("profiles");
        let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        out.sort();
        Ok(out)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    pub name: String,
    pub width: u16,
    pub height: u16,
    pub rotation: u16,
    pub page_width: u16,
    pub page_height: u16,
    pub card_width: u16,
    /// Also lay out every edition in half-width columns for the side-by-side view.
    #[serde(default)]
    pub parallel: bool,
    pub margins: Margins,
    pub sizes: Sizes,
    pub ui: UiSizes,
    pub theme: ThemeSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Margins {
    pub top: u16,
    pub bottom: u16,
    pub left: u16,
    pub right: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sizes {
    pub normal: SizeSpec,
    pub large: SizeSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeSpec {
    pub body_px: f32,
    pub title_px: f32,
    pub line_height: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSizes {
    pub px: f32,
    pub title_px: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeSpec {
    pub background: String,
    pub surface: String,
    pub text: String,
    pub muted: String,
    pub accent: String,
    pub title: String,
}

fn parse_color(path: &Path, s: &str) -> Result<fmt::Rgb, Error> {
    let hex = s.strip_prefix('#').filter(|h| h.len() == 6);
    let v = hex.and_then(|h| u32::from_str_radix(h, 16).ok());
    match v {
        Some(v) => Ok(fmt::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)),
        None => Err(Error::asset(path, format!("colour \"{s}\" is not #RRGGBB"))),
    }
}

impl ProfileSpec {
    pub fn load(path: &Path) -> Result<(ProfileSpec, Vec<u8>), Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text =
            String::from_utf8(bytes.clone()).map_err(|e| Error::asset(path, e.to_string()))?;
        let spec: ProfileSpec = toml::from_str(&text).map_err(|e| {
            let pos = crate::diag::pos_of(&text, e.span().map_or(0, |s| s.start));
            Error::asset(path, format!("{}:{}: {}", pos.line, pos.col, e.message()))
        })?;
        if spec.page_width > spec.width || spec.page_height > spec.height {
            return Err(Error::asset(path, "the page is larger than the panel"));
        }
        if u32::from(spec.margins.left) + u32::from(spec.margins.right) + 100
            > u32::from(spec.page_width)
        {
            return Err(Error::asset(
                path,
                "margins leave less than 100 px for text",
            ));
        }
        Ok((spec, bytes))
    }

    fn theme(&self, path: &Path) -> Result<fmt::Theme, Error> {
        let t = &self.theme;
        Ok(fmt::Theme {
            background: parse_color(path, &t.background)?,
            surface: parse_color(path, &t.surface)?,
            text: parse_color(path, &t.text)?,
            muted: parse_color(path, &t.muted)?,
            accent: parse_color(path, &t.accent)?,
            title: parse_color(path, &t.title)?,
        })
    }
}

/// UI strings of one language.
#[derive(Debug, Clone)]
pub struct UiLang {
    pub lang: Lang,
    pub path: PathBuf,
    pub text: String,
    /// key -> (value, is_title)
    pub strings: BTreeMap<String, (String, bool)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UiFile {
    title: BTreeMap<String, String>,
    text: BTreeMap<String, String>,
}

impl UiLang {
    fn get(&self, key: &str) -> Option<&str> {
        self.strings.get(key).map(|(v, _)| v.as_str())
    }

    /// Formats an ISO date with this language's `date.format` and month names.
    pub fn format_date(&self, iso: &str) -> String {
        let mut parts = iso.split('-');
        let (y, m, d) = (parts.next(), parts.next(), parts.next());
        let (Some(y), Some(m), Some(d)) = (y, m, d) else {
            return iso.to_string();
        };
        let mi: u32 = m.parse().unwrap_or(0);
        let di: u32 = d.parse().unwrap_or(0);
        let month = self.get(&format!("month.{mi}")).unwrap_or(m);
        self.get("date.format")
            .unwrap_or("{year}-{month}-{day}")
            .replace("{year}", y)
            .replace("{month}", month)
            .replace("{day}", &di.to_string())
    }
}

/// Everything loaded and checked, ready to lay out for any profile.
#[derive(Debug)]
pub struct Sources {
    pub statements: Vec<Statement>,
    pub ui: Vec<UiLang>,
    pub fonts: Fonts,
    pub hyph: Hyphenator,
    /// Warnings (lints) that did not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// Hash of every input byte, for the bundle id.
    pub input_hash: blake3::Hasher,
    /// Hash of the fonts and hyphenation patterns (and the typesetter's version): what every
    /// edition's layout depends on besides its own source ([`EditionCache`]).
    pub assets_hash: blake3::Hash,
    /// The paragraph builder's cost model ([`crate::linebreak::Params::BITIG`]).
    pub params: crate::linebreak::Params,
}

fn statement_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            for e in std::fs::read_dir(p).map_err(|e| Error::io(p, e))? {
                let path = e.map_err(|e| Error::io(p, e))?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.ends_with(".md") && name != "README.md" {
                    out.push(path);
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// Loads fonts, UI strings, hyphenation patterns and statements, and runs every check.
/// Content errors (and lints under `strict`) come back as [`Error::Content`].
pub fn load_sources(inputs: &Inputs) -> Result<Sources, Error> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    let fonts_dir = inputs.assets.join("fonts");
    let fonts = Fonts::load(&fonts_dir)?;
    for d in &fonts.data {
        hasher.update(d);
    }
    let hyph_dir = inputs.assets.join("hyphenation");
    let hyph = Hyphenator::load(&hyph_dir).map_err(|(path, m)| Error::asset(&path, m))?;
    for name in [
        "hyph-kk.tex",
        "rules.toml",
        "exceptions-kk.tex",
        "exceptions-tr.tex",
        "exceptions-en.tex",
    ] {
        let path = hyph_dir.join(name);
        hasher.update(&std::fs::read(&path).map_err(|e| Error::io(&path, e))?);
    }
    let assets_hash = hasher.clone().finalize();
    let mut diags = Vec::new();
    let shaper = ShapeContext::new(&fonts);
    let mut ui = Vec::new();
    for lang in Lang::ALL {
        ui.push(load_ui(
            inputs,
            lang,
            (&shaper, &fonts),
            &mut hasher,
            &mut diags,
        )?);
    }
    ui_keys_match(&ui, &mut diags);
    let mut statements = load_statements(inputs, (&shaper, &fonts), &mut hasher, &mut diags)?;
    diags.extend(checks::alignment(&statements));
    if statements.is_empty() && diags.is_empty() && !inputs.statements.is_empty() {
        diags.push(Diagnostic::error(
            "no-statements",
            inputs
                .statements
                .first()
                .map_or(Path::new("."), |p| p.as_path()),
            "no statement files (*.md) found".into(),
            "add statements or pass the right folder".into(),
        ));
    }
    drop(shaper);
    let warnings = errors_or_warnings(inputs, diags)?;
    // Newest first, as the library lists them.
    statements.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then(a.id.cmp(&b.id))
            .then(a.lang.cmp(&b.lang))
    });
    Ok(Sources {
        statements,
        ui,
        fonts,
        hyph,
        warnings,
        input_hash: hasher,
        assets_hash,
        params: crate::linebreak::Params::BITIG,
    })
}

/// One language's UI strings (`assets/ui/LANG.toml`), each checked for glyphs in its font.
fn load_ui(
    inputs: &Inputs,
    lang: Lang,
    (shaper, fonts): (&ShapeContext<'_>, &Fonts),
    hasher: &mut blake3::Hasher,
    diags: &mut Vec<Diagnostic>,
) -> Result<UiLang, Error> {
    let path = inputs
        .assets
        .join("ui")
        .join(format!("{}.toml", lang.tag()));
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    hasher.update(text.as_bytes());
    let file: UiFile = toml::from_str(&text).map_err(|e| {
        let pos = crate::diag::pos_of(&text, e.span().map_or(0, |s| s.start));
        Error::asset(&path, format!("{}:{}: {}", pos.line, pos.col, e.message()))
    })?;
    let mut strings = BTreeMap::new();
    for (k, v) in file.title {
        strings.insert(k, (v, true));
    }
    for (k, v) in file.text {
        strings.insert(k, (v, false));
    }
    for (k, (v, title)) in &strings {
        let font = if *title { 3 } else { 0 };
        if let Some(c) = v.chars().find(|&c| !shaper.has_glyph(font, c)) {
            let at = text.find(k.as_str()).unwrap_or(0);
            diags.push(
                Diagnostic::error(
                    "missing-glyph",
                    &path,
                    format!(
                        "UI string {k}: U+{:04X} ({c}) has no glyph in {}",
                        c as u32, fonts.names[font]
                    ),
                    "replace the character".into(),
                )
                .at(&text, at),
            );
        }
    }
    Ok(UiLang {
        lang,
        path,
        text,
        strings,
    })
}

/// Every UI language has the same keys as the first.
fn ui_keys_match(ui: &[UiLang], diags: &mut Vec<Diagnostic>) {
    for u in &ui[1..] {
        for k in ui[0].strings.keys() {
            if !u.strings.contains_key(k) {
                diags.push(Diagnostic::error(
                    "ui-missing-key",
                    &u.path,
                    format!(
                        "UI key \"{k}\" is missing (it is in {})",
                        ui[0].path.display()
                    ),
                    "add the key with its translation".into(),
                ));
            }
        }
        for k in u.strings.keys() {
            if !ui[0].strings.contains_key(k) {
                diags.push(Diagnostic::error(
                    "ui-missing-key",
                    &ui[0].path,
                    format!("UI key \"{k}\" is missing (it is in {})", u.path.display()),
                    "add the key with its translation".into(),
                ));
            }
        }
    }
}

/// The statement files, parsed and checked; an edition (id and language) defined twice is
/// refused.
fn load_statements(
    inputs: &Inputs,
    (shaper, fonts): (&ShapeContext<'_>, &Fonts),
    hasher: &mut blake3::Hasher,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Statement>, Error> {
    let mut statements: Vec<Statement> = Vec::new();
    for path in statement_files(&inputs.statements)? {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        hasher.update(&bytes);
        match parse_statement(&path, &bytes) {
            Ok(st) => {
                if let Some(other) = statements
                    .iter()
                    .find(|o| o.id == st.id && o.lang == st.lang)
                {
                    diags.push(Diagnostic::error(
                        "duplicate-edition",
                        &path,
                        format!(
                            "duplicate edition: id \"{}\" lang \"{}\" is also defined in {}",
                            st.id,
                            st.lang.tag(),
                            other.path.display()
                        ),
                        "remove one of the files or give it another id or lang".into(),
                    ));
                    continue;
                }
                diags.extend(checks::coverage(&st, shaper, fonts));
                diags.extend(checks::lints(&st));
                statements.push(st);
            }
            Err(errs) => diags.extend(errs),
        }
    }
    Ok(statements)
}

/// The warnings, or (with `--strict`, warnings count) the error that lists every diagnostic.
fn errors_or_warnings(
    inputs: &Inputs,
    mut diags: Vec<Diagnostic>,
) -> Result<Vec<Diagnostic>, Error> {
    if inputs.strict {
        for d in &mut diags {
            d.severity = Severity::Error;
        }
    }
    let (errors, warnings): (Vec<_>, Vec<_>) = diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        let count = errors.len();
        let mut all = errors;
        all.extend(warnings);
        return Err(Error::Content {
            count,
            diagnostics: all,
        });
    }
    Ok(warnings)
}

/// Owned block: kind and text.
#[derive(Clone)]
struct OwnedBlock {
    kind: BlockKind,
    text: String,
    styles: Vec<(std::ops::Range<usize>, Style)>,
}

#[derive(Clone)]
struct OwnedEdition {
    lang: Lang,
    title: String,
    place: String,
    source: String,
    blocks: Vec<OwnedBlock>,
    card: fmt::TextBlock,
    /// The contents list: (block, label text, label).
    contents: Vec<(u16, String, fmt::TextBlock)>,
    layouts: Vec<fmt::Layout>,
}

struct OwnedDoc {
    id: String,
    kind: String,
    date: String,
    editions: Vec<OwnedEdition>,
}

fn whole(text: &str, style: Style) -> Vec<(std::ops::Range<usize>, Style)> {
    vec![(0..text.len(), style)]
}

fn owned_blocks(st: &Statement, ui: &UiLang) -> Vec<OwnedBlock> {
    let kind_label = ui
        .get(&format!("kind.{}", st.kind))
        .map_or_else(|| st.kind.clone(), str::to_string);
    let byline = format!(
        "{} · {} · {}",
        to_upper(st.lang, &kind_label),
        ui.format_date(&st.date),
        st.place
    );
    let mut blocks = vec![
        OwnedBlock {
            kind: BlockKind::Title,
            styles: whole(&st.title, Style::Title),
            text: st.title.clone(),
        },
        OwnedBlock {
            kind: BlockKind::Byline,
            styles: whole(&byline, Style::Regular),
            text: byline,
        },
    ];
    blocks.extend(st.blocks.iter().map(|b: &SourceBlock| OwnedBlock {
        kind: b.kind,
        text: b.text.clone(),
        styles: b.styles.clone(),
    }));
    blocks
}

/// The blocks of `st`'s edition as its bundle holds them and the voice reads them: the
/// title, the byline (in `ui`, the UI strings of the statement's language), then the text.
pub fn edition_blocks(st: &Statement, ui: &UiLang) -> Vec<(BlockKind, String)> {
    owned_blocks(st, ui)
        .into_iter()
        .map(|b| (b.kind, b.text))
        .collect()
}

/// Progress callback: called with a short description of each step.
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// Lays out all sources for one profile and returns the encoded bundle bytes. The steps:
/// [`layout_ui`] (UI labels), [`ascii_strip`] (text the kiosk composes itself),
/// [`layout_edition`] for every statement (pages per text size, library card), then atlases
/// and [`encode`].
pub fn build_bundle(
    sources: &Sources,
    profile_path: &Path,
    progress: Progress<'_>,
) -> Result<Vec<u8>, Error> {
    build_bundle_cached(
        sources,
        profile_path,
        progress,
        &mut EditionCache::default(),
    )
}

/// [`build_bundle`], typesetting only the editions `cache` does not hold already (`bitig
/// watch` keeps one cache per profile across rebuilds). The bytes are the same as a build
/// with an empty cache: each edition is laid out against a strike table of its own, which
/// is then merged into the bundle's in edition order, as a build from scratch would fill it.
pub fn build_bundle_cached(
    sources: &Sources,
    profile_path: &Path,
    progress: Progress<'_>,
    cache: &mut EditionCache,
) -> Result<Vec<u8>, Error> {
    let (spec, profile_bytes) = ProfileSpec::load(profile_path)?;
    let theme = spec.theme(profile_path)?;
    let mut shaper = ShapeContext::new(&sources.fonts);
    let mut strikes = StrikeTable::default();
    let mut comp = composer(&mut shaper, sources, &mut strikes);

    let ui_owned = layout_ui(&mut comp, &spec, &sources.ui)?;
    let ascii = ascii_strip(&mut comp, &spec)?;
    progress("ui strings");

    let mut docs: Vec<OwnedDoc> = Vec::new();
    let mut kept = HashMap::new();
    (cache.typeset, cache.reused) = (0, 0);
    for st in &sources.statements {
        let ui = sources
            .ui
            .iter()
            .find(|u| u.lang == st.lang)
            .ok_or_else(|| Error::asset(&sources.ui[0].path, "missing UI language"))?;
        let key = edition_key(sources, &profile_bytes, st, ui);
        let cached = match cache.editions.remove(&key) {
            Some(c) => {
                cache.reused += 1;
                c
            }
            None => {
                cache.typeset += 1;
                let mut own = StrikeTable::default();
                let mut comp = composer(&mut shaper, sources, &mut own);
                let edition = layout_edition(&mut comp, &spec, st, ui)?;
                CachedEdition {
                    edition,
                    strikes: own,
                }
            }
        };
        let mut ed = cached.edition.clone();
        let map = strikes
            .merge(&cached.strikes)
            .map_err(|m| layout_err(&st.path, 0)(m))?;
        remap_edition(&mut ed, &map);
        kept.insert(key, cached);
        match docs.iter_mut().find(|d| d.id == st.id) {
            Some(d) => d.editions.push(ed),
            None => docs.push(OwnedDoc {
                id: st.id.clone(),
                kind: st.kind.clone(),
                date: st.date.clone(),
                editions: vec![ed],
            }),
        }
        progress(&format!("{} [{}]", st.id, st.lang.tag()));
    }
    // Only what this build used stays: the cache holds one version of each edition.
    cache.editions = kept;
    for d in &mut docs {
        d.editions.sort_by_key(|e| e.lang);
    }

    let (atlases, strike_list) = build_atlases(&sources.fonts, &shaper, &strikes)
        .map_err(|m| Error::Encode(format!("atlas: {m}")))?;
    progress("atlases");

    let mut hasher = sources.input_hash.clone();
    hasher.update(&profile_bytes);
    let bundle_id = hasher.finalize().to_hex()[..16].to_string();
    let content_date = sources
        .statements
        .iter()
        .map(|s| s.date.as_str())
        .max()
        .unwrap_or("")
        .to_string();
    let generator = format!("bitig {}", env!("CARGO_PKG_VERSION"));
    encode(
        &spec,
        &shaper,
        theme,
        &bundle_id,
        &generator,
        &content_date,
        &atlases,
        strike_list,
        &ui_owned,
        ascii,
        &docs,
    )
}

/// A composer over `sources`' hyphenation patterns and line-breaking parameters.
fn composer<'a, 'f>(
    shaper: &'a mut ShapeContext<'f>,
    sources: &'a Sources,
    strikes: &'a mut StrikeTable,
) -> Composer<'a, 'f> {
    Composer {
        shaper,
        hyph: &sources.hyph,
        strikes,
        params: sources.params,
    }
}

/// Editions laid out for one profile, kept between builds by everything their layout depends
/// on: the fonts and hyphenation patterns, the profile, the statement's file and text, and
/// its language's UI strings. See [`build_bundle_cached`].
#[derive(Default)]
pub struct EditionCache {
    editions: HashMap<blake3::Hash, CachedEdition>,
    /// Editions the last build typeset.
    pub typeset: usize,
    /// Editions the last build took from the cache.
    pub reused: usize,
}

impl std::fmt::Debug for EditionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditionCache")
            .field("editions", &self.editions.len())
            .field("typeset", &self.typeset)
            .field("reused", &self.reused)
            .finish()
    }
}

/// An edition as laid out, with the strike table its runs index.
struct CachedEdition {
    edition: OwnedEdition,
    strikes: StrikeTable,
}

fn edition_key(sources: &Sources, profile: &[u8], st: &Statement, ui: &UiLang) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    for part in [
        sources.assets_hash.as_bytes(),
        profile,
        st.path.as_os_str().as_encoded_bytes(),
        st.text.as_bytes(),
        ui.text.as_bytes(),
        format!("{:?}", sources.params).as_bytes(),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize()
}

/// Points every run of `ed` at the bundle's strikes: `map[s]` is the bundle's strike for the
/// edition's own strike `s`, and the bundle's entry for each of its entries.
fn remap_edition(ed: &mut OwnedEdition, map: &[(fmt::StrikeId, Vec<u16>)]) {
    let lines = ed
        .layouts
        .iter_mut()
        .flat_map(|l| l.pages.iter_mut())
        .flat_map(|p| p.lines.iter_mut())
        .chain(ed.card.lines.iter_mut())
        .chain(ed.contents.iter_mut().flat_map(|c| c.2.lines.iter_mut()));
    for line in lines {
        for run in &mut line.runs {
            let (strike, entries) = &map[usize::from(run.strike.0)];
            run.strike = *strike;
            for g in &mut run.glyphs {
                g.entry = entries[usize::from(g.entry)];
            }
        }
    }
}

/// A layout error in `file`, block `block`.
fn layout_err(file: &Path, block: usize) -> impl Fn(String) -> Error {
    let file = file.display().to_string();
    move |message: String| Error::Layout {
        file: file.clone(),
        block,
        message,
    }
}

/// A ragged block style (no justification, no hyphenation).
fn ragged(px: f32, line_height: f32, color: ColorRole, balance: bool) -> BlockStyle {
    BlockStyle {
        px,
        line_height,
        color,
        justify: false,
        hyphenate: false,
        balance,
    }
}

/// UI strings: every key of every language as a ragged text block.
fn layout_ui(
    comp: &mut Composer<'_, '_>,
    spec: &ProfileSpec,
    ui: &[UiLang],
) -> Result<Vec<(String, Lang, String, fmt::TextBlock)>, Error> {
    let ui_measure = f32::from(spec.width) - 2.0 * f32::from(spec.margins.left);
    let pad = ink_pad(spec);
    let mut out = Vec::new();
    for u in ui {
        for (key, (value, is_title)) in &u.strings {
            // An empty string (one half of a label around a number, such as
            // `reader.return.before`) has nothing to shape; the kiosk draws nothing for it.
            if key.starts_with("month.") || key == "date.format" || value.is_empty() {
                continue;
            }
            let (style, px, color) = if *is_title {
                (Style::Title, spec.ui.title_px, ColorRole::Title)
            } else {
                (Style::Regular, spec.ui.px, ColorRole::Text)
            };
            let bs = ragged(px, 1.3, color, false);
            let (lines, vm, w) = comp
                .compose(
                    0,
                    value,
                    &whole(value, style),
                    u.lang,
                    bs,
                    ui_measure,
                    0.0,
                    pad,
                )
                .map_err(layout_err(&u.path, 0))?;
            let h = vm.line_height * lines.len() as i32;
            out.push((
                key.clone(),
                u.lang,
                value.clone(),
                text_block(lines, h, w, pad),
            ));
        }
    }
    Ok(out)
}

/// Room for ink that overhangs the advance box (j, у, italics) at any UI size.
fn ink_pad(spec: &ProfileSpec) -> i32 {
    (spec.ui.title_px / 5.0).ceil() as i32
}

/// Printable ASCII, each character shaped alone, for text composed on the device.
fn ascii_strip(comp: &mut Composer<'_, '_>, spec: &ProfileSpec) -> Result<fmt::AsciiStrip, Error> {
    let px = spec.ui.px.round() as u16;
    let strike = comp.strikes.strike(0, px).map_err(Error::Encode)?;
    let scale = spec.ui.px / comp.shaper.upem[0];
    let mut entries = Vec::with_capacity(fmt::AsciiStrip::LEN);
    let mut advances = Vec::with_capacity(fmt::AsciiStrip::LEN);
    for c in ' '..='~' {
        let shaped = comp.shaper.shape(0, Lang::En, c.encode_utf8(&mut [0; 4]));
        let g = shaped.glyphs.first().map_or(0, |g| g.gid);
        entries.push(if shaped.glyphs.len() != 1 || comp.shaper.is_blank(0, g) {
            fmt::AsciiStrip::BLANK
        } else {
            comp.strikes.entry(strike, g).map_err(Error::Encode)?
        });
        advances.push((shaped.advance as f32 * scale * 64.0).round() as u16);
    }
    Ok(fmt::AsciiStrip {
        strike,
        entries,
        advances,
    })
}

/// The text sizes a profile lays editions out in, with their type specs.
fn text_sizes(spec: &ProfileSpec) -> Vec<(TextSize, SizeSpec)> {
    let mut sizes = vec![
        (TextSize::Normal, spec.sizes.normal.clone()),
        (TextSize::Large, spec.sizes.large.clone()),
    ];
    if spec.parallel {
        // Half columns: normal body type, a title that fits a column.
        sizes.push((
            TextSize::Half,
            SizeSpec {
                title_px: (spec.sizes.normal.body_px * 1.2).round(),
                ..spec.sizes.normal.clone()
            },
        ));
    }
    sizes
}

/// How a block of `kind` is set at size `ss`: its style, the space above it and whether it
/// stays with the next block. `index` is the block's position (the first body block, right
/// after the byline, gets a full line of space).
fn block_style(kind: BlockKind, index: usize, ss: &SizeSpec) -> (BlockStyle, i32, bool) {
    let lh = ss.line_height;
    let body_lh = (ss.body_px * lh).round() as i32;
    let body = BlockStyle {
        px: ss.body_px,
        line_height: lh,
        color: ColorRole::Text,
        justify: true,
        hyphenate: true,
        balance: false,
    };
    let (bs, space_before, keep) = match kind {
        BlockKind::Title => (ragged(ss.title_px, 1.25, ColorRole::Title, true), 0, true),
        BlockKind::Byline => (
            ragged((ss.body_px * 0.8).round(), 1.5, ColorRole::Muted, false),
            body_lh / 4,
            true,
        ),
        BlockKind::Heading(_) => (
            ragged((ss.body_px * 1.1).round(), lh, ColorRole::Title, true),
            body_lh * 3 / 4,
            true,
        ),
        BlockKind::ListItem(_) => (body, body_lh / 4, false),
        BlockKind::Paragraph => (body, body_lh / 2, false),
    };
    let space_before = if index == 2 { body_lh } else { space_before };
    (bs, space_before, keep)
}

/// Hanging indent of a list item: the width of its "12.\u{a0}" prefix.
fn list_indent(
    comp: &mut Composer<'_, '_>,
    b: &OwnedBlock,
    lang: Lang,
    bs: BlockStyle,
    measure: f32,
) -> Result<f32, String> {
    let (BlockKind::ListItem(_), Some(i)) = (b.kind, b.text.find('\u{a0}')) else {
        return Ok(0.0);
    };
    let prefix = &b.text[..i + '\u{a0}'.len_utf8()];
    let flat = BlockStyle {
        justify: false,
        hyphenate: false,
        balance: false,
        ..bs
    };
    let (_, _, w) = comp.compose(
        0,
        prefix,
        &whole(prefix, Style::Regular),
        lang,
        flat,
        measure,
        0.0,
        0,
    )?;
    Ok(w + comp.shaper.shape(0, lang, "\u{a0}").advance as f32 * bs.px / comp.shaper.upem[0])
}

/// A body paragraph as the layout sets it, for the TeX yardstick (`crate::texref`).
#[derive(Debug, Clone)]
pub struct BodyPara {
    pub doc: String,
    pub lang: Lang,
    pub size: TextSize,
    pub text: String,
    pub px: f32,
    pub measure: f32,
    pub indent: f32,
}

/// Every body paragraph (paragraphs and list items) of every edition at every text size of
/// `spec`, with the size, measure and hanging indent the layout gives it.
pub fn body_paragraphs(sources: &Sources, spec: &ProfileSpec) -> Result<Vec<BodyPara>, Error> {
    let mut shaper = ShapeContext::new(&sources.fonts);
    let mut strikes = StrikeTable::default();
    let mut comp = composer(&mut shaper, sources, &mut strikes);
    let mut out = Vec::new();
    for st in &sources.statements {
        let Some(ui) = sources.ui.iter().find(|u| u.lang == st.lang) else {
            continue;
        };
        let blocks = owned_blocks(st, ui);
        for (size, ss) in text_sizes(spec) {
            let measure = measure_of(spec, size);
            for (bi, b) in blocks.iter().enumerate() {
                if !matches!(b.kind, BlockKind::Paragraph | BlockKind::ListItem(_)) {
                    continue;
                }
                let (bs, _, _) = block_style(b.kind, bi, &ss);
                let indent = list_indent(&mut comp, b, st.lang, bs, measure)
                    .map_err(layout_err(&st.path, bi))?;
                out.push(BodyPara {
                    doc: st.id.clone(),
                    lang: st.lang,
                    size,
                    text: b.text.clone(),
                    px: bs.px,
                    measure,
                    indent,
                });
            }
        }
    }
    Ok(out)
}

/// In the half-width columns of the side-by-side view, a long title may be set this much
/// smaller than the body text (in the full-width layouts it stops at the body size), so that
/// it still shares its first page with the byline and the first lines of the text.
pub const HALF_TITLE_MIN: f32 = 0.8;

/// One edition: its blocks set and paginated at every text size, and its library card.
fn layout_edition(
    comp: &mut Composer<'_, '_>,
    spec: &ProfileSpec,
    st: &Statement,
    ui: &UiLang,
) -> Result<OwnedEdition, Error> {
    let blocks = owned_blocks(st, ui);
    let left = i32::from(spec.margins.left);
    let mut layouts = Vec::new();
    let usable =
        i32::from(spec.page_height) - i32::from(spec.margins.top) - i32::from(spec.margins.bottom);
    for (size, mut ss) in text_sizes(spec) {
        let measure = measure_of(spec, size);
        // A title so long that it would stand alone on the first page is set smaller, in
        // steps of 2 px down to the body size (HALF_TITLE_MIN of it in half columns), until
        // it fits with its byline and the first two lines of the text.
        let flows = loop {
            let flows = edition_flows(comp, st, &blocks, &ss, measure, left)?;
            let head: i32 = flows
                .iter()
                .take_while(|f| f.keep_with_next)
                .map(|f| f.space_before + f.line_height * f.lines.len() as i32)
                .sum::<i32>()
                + flows
                    .iter()
                    .find(|f| !f.keep_with_next)
                    .map_or(0, |f| f.space_before + 2 * f.line_height);
            let smaller = ss.title_px - 2.0;
            let floor = if size == TextSize::Half {
                ss.body_px * HALF_TITLE_MIN
            } else {
                ss.body_px
            };
            if head <= usable || smaller < floor {
                break flows;
            }
            ss.title_px = smaller;
        };
        let (pages, block_pages) = paginate(
            &flows,
            blocks.len(),
            i32::from(spec.page_height),
            i32::from(spec.margins.top),
            i32::from(spec.margins.bottom),
        );
        layouts.push(fmt::Layout {
            size,
            pages,
            block_pages,
        });
    }
    let card = library_card(comp, spec, st, &blocks)?;
    let contents = contents_list(comp, spec, st, &blocks)?;
    Ok(OwnedEdition {
        lang: st.lang,
        title: st.title.clone(),
        place: st.place.clone(),
        source: st.source.clone(),
        blocks,
        card,
        contents,
        layouts,
    })
}

/// The most words a contents label keeps of a numbered item or paragraph (its number
/// included) before the ellipsis; fewer if they do not fit on the line.
pub const CONTENTS_MAX_WORDS: usize = 8;

/// The edition's contents list: every heading and numbered item (and the opening paragraph,
/// if the text starts with one, so that the preamble can be found too), or, with neither,
/// every paragraph; each label one line at the UI size, cut at a word with an ellipsis to
/// fit the card measure.
fn contents_list(
    comp: &mut Composer<'_, '_>,
    spec: &ProfileSpec,
    st: &Statement,
    blocks: &[OwnedBlock],
) -> Result<Vec<(u16, String, fmt::TextBlock)>, Error> {
    let structured = |k: BlockKind| matches!(k, BlockKind::Heading(_) | BlockKind::ListItem(_));
    let any_structure = blocks.iter().any(|b| structured(b.kind));
    let opening = blocks.iter().position(|b| b.kind.is_body());
    let pad = ink_pad(spec);
    let measure = f32::from(spec.card_width) - 2.0 * pad as f32;
    let mut out = Vec::new();
    for (bi, b) in blocks.iter().enumerate() {
        let wanted = if any_structure {
            structured(b.kind) || (Some(bi) == opening && b.kind == BlockKind::Paragraph)
        } else {
            b.kind == BlockKind::Paragraph
        };
        if !wanted {
            continue;
        }
        let heading = matches!(b.kind, BlockKind::Heading(_));
        let (style, color) = if heading {
            (Style::Bold, ColorRole::Title)
        } else {
            (Style::Regular, ColorRole::Text)
        };
        let bs = ragged(spec.ui.px, 1.3, color, false);
        // A hard line break in the source is a space here.
        let flat: String = b.text.replace('\n', " ");
        let words: Vec<&str> = flat.split_whitespace().collect();
        let keep = if heading {
            words.len()
        } else {
            words.len().min(CONTENTS_MAX_WORDS)
        };
        let err = layout_err(&st.path, bi);
        let mut one_line = |text: String| -> Result<Option<(String, fmt::TextBlock)>, Error> {
            let (lines, vm, w) = comp
                .compose(
                    0,
                    &text,
                    &whole(&text, style),
                    st.lang,
                    bs,
                    measure,
                    0.0,
                    pad,
                )
                .map_err(&err)?;
            Ok((lines.len() == 1).then(|| {
                let h = vm.line_height;
                (text, text_block(lines, h, w, pad))
            }))
        };
        let mut fitted = None;
        for n in (1..=keep).rev() {
            let mut text = words[..n].join(" ");
            if n < words.len() {
                // Cut at a word: no dangling comma or colon before the ellipsis.
                while text.ends_with([',', ';', ':', '.', '—', '–']) && n > 1 {
                    text.pop();
                }
                text.push('…');
            }
            fitted = one_line(text)?;
            if fitted.is_some() {
                break;
            }
        }
        if fitted.is_none() {
            // A first word wider than the line (a long Turkish or Kazakh compound, a number,
            // a URL): cut inside it, at a character, with the ellipsis. The longest cut that
            // fits; one character always does.
            let first = words.first().copied().unwrap_or("");
            let cuts: Vec<usize> = first
                .grapheme_indices(true)
                .map(|(i, _)| i)
                .skip(1)
                .collect();
            let (mut lo, mut hi) = (0usize, cuts.len());
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                let text = format!("{}…", &first[..cuts[mid - 1]]);
                match one_line(text)? {
                    Some(f) => {
                        fitted = Some(f);
                        lo = mid;
                    }
                    None => hi = mid - 1,
                }
            }
            // `fitted` is the cut at `lo`: it changes only when the search moves `lo` up.
        }
        let Some((text, label)) = fitted else {
            return Err(err(format!(
                "not even its first letter fits on a contents line {measure} px wide; widen the profile's card_width"
            )));
        };
        let block = u16::try_from(bi).map_err(|_| err("too many blocks".into()))?;
        out.push((block, text, label));
    }
    Ok(out)
}

/// Every block of an edition set at one text size, ready for pagination.
fn edition_flows(
    comp: &mut Composer<'_, '_>,
    st: &Statement,
    blocks: &[OwnedBlock],
    ss: &SizeSpec,
    measure: f32,
    left: i32,
) -> Result<Vec<Flow>, Error> {
    let mut flows = Vec::new();
    for (bi, b) in blocks.iter().enumerate() {
        let (bs, space_before, keep) = block_style(b.kind, bi, ss);
        let indent =
            list_indent(comp, b, st.lang, bs, measure).map_err(layout_err(&st.path, bi))?;
        let bidx =
            u16::try_from(bi).map_err(|_| layout_err(&st.path, bi)("too many blocks".into()))?;
        let (lines, vm, _) = comp
            .compose(bidx, &b.text, &b.styles, st.lang, bs, measure, indent, left)
            .map_err(layout_err(&st.path, bi))?;
        flows.push(Flow {
            block: bidx,
            lines,
            line_height: vm.line_height,
            space_before,
            keep_with_next: keep,
        });
    }
    Ok(flows)
}

/// Library card: the title (balanced), then the byline, in the UI size.
fn library_card(
    comp: &mut Composer<'_, '_>,
    spec: &ProfileSpec,
    st: &Statement,
    blocks: &[OwnedBlock],
) -> Result<fmt::TextBlock, Error> {
    let pad = ink_pad(spec);
    let card_measure = f32::from(spec.card_width) - 2.0 * pad as f32;
    let title_bs = ragged((spec.ui.px * 1.15).round(), 1.3, ColorRole::Title, true);
    let (mut lines, vm, w1) = comp
        .compose(
            0,
            &blocks[0].text,
            &blocks[0].styles,
            st.lang,
            title_bs,
            card_measure,
            0.0,
            pad,
        )
        .map_err(layout_err(&st.path, 0))?;
    let by_bs = ragged((spec.ui.px * 0.85).round(), 1.4, ColorRole::Muted, false);
    let (by_lines, vm2, w2) = comp
        .compose(
            1,
            &blocks[1].text,
            &blocks[1].styles,
            st.lang,
            by_bs,
            card_measure,
            0.0,
            pad,
        )
        .map_err(layout_err(&st.path, 1))?;
    let title_h = vm.line_height * lines.len() as i32 + 4;
    // Room for two byline lines at least, and for every line a long place name takes.
    let by_count = by_lines.len().max(2) as i32;
    lines.extend(by_lines.into_iter().map(|mut l: Line| {
        l.y += title_h as i16;
        l
    }));
    let h = title_h + vm2.line_height * by_count;
    Ok(text_block(lines, h, w1.max(w2).max(card_measure), pad))
}

#[allow(clippy::too_many_arguments)]
fn encode(
    spec: &ProfileSpec,
    shaper: &ShapeContext<'_>,
    theme: fmt::Theme,
    bundle_id: &str,
    generator: &str,
    content_date: &str,
    atlases: &[OwnedAtlas],
    strikes: Vec<fmt::Strike>,
    ui: &[(String, Lang, String, fmt::TextBlock)],
    ascii: fmt::AsciiStrip,
    docs: &[OwnedDoc],
) -> Result<Vec<u8>, Error> {
    let bundle = fmt::Bundle {
        meta: fmt::Meta {
            bundle_id,
            generator,
            content_date,
        },
        profile: fmt::Profile {
            name: &spec.name,
            width: spec.width,
            height: spec.height,
            rotation: spec.rotation,
            page_width: spec.page_width,
            page_height: spec.page_height,
            card_width: spec.card_width,
            theme,
        },
        atlases: atlases
            .iter()
            .map(|a| fmt::Atlas {
                width: a.width,
                height: a.height,
                alpha: &a.alpha,
            })
            .collect(),
        strikes,
        ui: ui
            .iter()
            .map(|(k, l, t, b)| fmt::UiText {
                key: k,
                lang: *l,
                text: t,
                block: b.clone(),
            })
            .collect(),
        ascii,
        documents: docs
            .iter()
            .map(|d| fmt::Document {
                id: &d.id,
                kind: &d.kind,
                date: &d.date,
                editions: d
                    .editions
                    .iter()
                    .map(|e| fmt::Edition {
                        lang: e.lang,
                        title: &e.title,
                        place: &e.place,
                        source: &e.source,
                        blocks: e
                            .blocks
                            .iter()
                            .map(|b| fmt::Block {
                                kind: b.kind,
                                text: &b.text,
                            })
                            .collect(),
                        card: e.card.clone(),
                        contents: e
                            .contents
                            .iter()
                            .map(|(block, text, label)| fmt::ContentsEntry {
                                block: *block,
                                text,
                                label: label.clone(),
                            })
                            .collect(),
                        layouts: e.layouts.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let over = overflowing_lines(&bundle, spec, shaper);
    if let Some(first) = over.first() {
        return Err(Error::Encode(format!(
            "{} line(s) overflow the measure of {}, first: {first}; this is a bitig bug",
            over.len(),
            spec.name
        )));
    }
    if let Err(inv) = bundle.validate() {
        return Err(Error::Encode(format!(
            "the laid-out bundle does not validate ({}); this is a bitig bug",
            fmt::FormatError::Invalid(inv)
        )));
    }
    bundle
        .to_bundle_bytes()
        .map_err(|e| Error::Encode(e.to_string()))
}

/// Gap between the two columns of the side-by-side view, in pixels.
pub const GUTTER_PX: u16 = 24;

/// Right edge of the text measure of a layout size, in page pixels: a full page has the
/// profile's right margin, a half page (side-by-side view) half the gutter.
pub fn measure_right(spec: &ProfileSpec, size: TextSize) -> f32 {
    match size {
        TextSize::Half => f32::from(size.page_width(spec.page_width)) - f32::from(GUTTER_PX / 2),
        _ => f32::from(spec.page_width) - f32::from(spec.margins.right),
    }
}

/// Width of the text measure of a layout size, in pixels.
pub fn measure_of(spec: &ProfileSpec, size: TextSize) -> f32 {
    measure_right(spec, size) - f32::from(spec.margins.left)
}

/// Every page line that leaves the measure (the page minus its left and right margins), as
/// `doc [lang] size page N line M: text`. A line's extent is its advance box: from the first
/// pen position to the last glyph's pen position plus its advance (pens are rounded to whole
/// pixels, so the right edge may pass by under half a pixel). Ink may overhang that box by a
/// side bearing (a serif `J`, an italic `f`); that is how type is set, and the profile's
/// margins leave room for it. The line breaker guarantees no overflow; this is the independent
/// check on the finished bundle.
pub fn overflowing_lines(
    bundle: &fmt::Bundle<'_>,
    spec: &ProfileSpec,
    shaper: &ShapeContext<'_>,
) -> Vec<String> {
    let lo = f32::from(spec.margins.left);
    let mut out = Vec::new();
    for d in &bundle.documents {
        for e in &d.editions {
            let texts: Vec<&str> = e.blocks.iter().map(|b| b.text).collect();
            for l in &e.layouts {
                let hi = measure_right(spec, l.size);
                for (pi, page) in l.pages.iter().enumerate() {
                    for (li, line) in page.lines.iter().enumerate() {
                        let Some((min, max)) = advance_extent(bundle, line, shaper) else {
                            continue;
                        };
                        if min < lo || max > hi + 0.5 {
                            out.push(format!(
                                "{} [{}] {:?} page {} line {} (extent {min:.1}..{max:.1}, measure {lo}..{hi}): {}",
                                d.id,
                                e.lang.tag(),
                                l.size,
                                pi + 1,
                                li + 1,
                                fmt::line_text(&texts, line).unwrap_or("")
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

/// First pen position and last advance edge of a line, in page pixels (`None` if it has no
/// glyphs).
pub fn advance_extent(
    bundle: &fmt::Bundle<'_>,
    line: &fmt::Line,
    shaper: &ShapeContext<'_>,
) -> Option<(f32, f32)> {
    let mut extent: Option<(f32, f32)> = None;
    for run in &line.runs {
        let strike = bundle.strikes.get(usize::from(run.strike.0))?;
        let font = usize::from(strike.font);
        let scale = f32::from(strike.px) / shaper.upem.get(font).copied().unwrap_or(1000.0);
        let mut pen = i32::from(line.x) + i32::from(run.x);
        for g in &run.glyphs {
            pen += i32::from(g.dx);
            let gid = strike.glyphs.get(usize::from(g.entry))?.gid.0;
            let right = pen as f32 + shaper.advance(font, gid) * scale;
            let left = pen as f32;
            extent = Some(extent.map_or((left, right), |(a, b)| (a.min(left), b.max(right))));
        }
    }
    extent
}
