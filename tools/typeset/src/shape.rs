//! Fonts and shaping (rustybuzz), with a cache of shaped strings in font units.

use crate::diag::Error;
use crate::source::Style;
use bitig_format::Lang;
use rustybuzz::ttf_parser::Tag;
use rustybuzz::{Face, Feature, UnicodeBuffer};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::str::FromStr;

/// The pinned font files, in [`Style`] order.
pub const FONT_FILES: [&str; 4] = [
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSans-Italic.ttf",
    "NotoSerif-Regular.ttf",
];

pub fn font_index(style: Style) -> usize {
    match style {
        Style::Regular => 0,
        Style::Bold => 1,
        Style::Italic => 2,
        Style::Title => 3,
    }
}

/// Font bytes and their rasterizers. Shaping faces borrow from here (see [`ShapeContext`]).
pub struct Fonts {
    pub data: Vec<Vec<u8>>,
    pub names: Vec<String>,
    pub raster: Vec<fontdue::Font>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("names", &self.names).finish()
    }
}

impl Fonts {
    pub fn load(dir: &Path) -> Result<Fonts, Error> {
        let mut data = Vec::new();
        let mut raster = Vec::new();
        let mut names = Vec::new();
        for file in FONT_FILES {
            let path = dir.join(file);
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            Face::from_slice(&bytes, 0)
                .ok_or_else(|| Error::asset(&path, "not a font that rustybuzz can read"))?;
            let font =
                fontdue::Font::from_bytes(bytes.as_slice(), fontdue::FontSettings::default())
                    .map_err(|e| Error::asset(&path, format!("fontdue cannot read it: {e}")))?;
            names.push(file.trim_end_matches(".ttf").replace('-', " "));
            raster.push(font);
            data.push(bytes);
        }
        Ok(Fonts {
            data,
            names,
            raster,
        })
    }
}

/// One shaped glyph in font units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SGlyph {
    pub gid: u16,
    /// Byte offset of the cluster in the shaped string.
    pub cluster: u32,
    pub advance: i32,
    pub x_offset: i32,
    pub y_offset: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shaped {
    pub glyphs: Vec<SGlyph>,
    pub advance: i32,
}

/// Faces and the shaping cache for one build.
pub struct ShapeContext<'f> {
    faces: Vec<Face<'f>>,
    pub upem: Vec<f32>,
    turkish_locl: Vec<bool>,
    cache: HashMap<(usize, Lang, String), Rc<Shaped>>,
}

impl std::fmt::Debug for ShapeContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShapeContext")
            .field("cached", &self.cache.len())
            .finish()
    }
}

/// True if the face's GSUB has a Turkish language system under `latn` (so `locl` can protect
/// the dotted i inside ligatures).
fn has_turkish_langsys(face: &Face<'_>) -> bool {
    let Some(gsub) = face.tables().gsub else {
        return false;
    };
    gsub.scripts
        .into_iter()
        .filter(|s| s.tag == Tag::from_bytes(b"latn"))
        .any(|s| {
            s.languages
                .into_iter()
                .any(|l| l.tag == Tag::from_bytes(b"TRK "))
        })
}

impl<'f> ShapeContext<'f> {
    pub fn new(fonts: &'f Fonts) -> ShapeContext<'f> {
        let faces: Vec<Face<'f>> = fonts
            .data
            .iter()
            .filter_map(|d| Face::from_slice(d, 0))
            .collect();
        let upem = faces
            .iter()
            .map(|f| f32::from(f.units_per_em() as u16))
            .collect();
        let turkish_locl = faces.iter().map(has_turkish_langsys).collect();
        ShapeContext {
            faces,
            upem,
            turkish_locl,
            cache: HashMap::new(),
        }
    }

    pub fn has_glyph(&self, font: usize, c: char) -> bool {
        self.faces[font].glyph_index(c).is_some()
    }

    /// True if the glyph has no outline (spaces): such glyphs are not stored in lines.
    pub fn is_blank(&self, font: usize, gid: u16) -> bool {
        self.faces[font]
            .glyph_bounding_box(rustybuzz::ttf_parser::GlyphId(gid))
            .is_none()
    }

    /// Horizontal advance of a glyph in font units (0 for an unknown glyph).
    pub fn advance(&self, font: usize, gid: u16) -> f32 {
        self.faces
            .get(font)
            .and_then(|f| f.glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(gid)))
            .map_or(0.0, f32::from)
    }

    /// Font ascender and descender in font units.
    pub fn metrics(&self, font: usize) -> (i16, i16) {
        let f = &self.faces[font];
        (f.ascender(), f.descender())
    }

    /// The OpenType features used for `lang` with `font`. Turkish gets no `liga` unless the
    /// font has Turkish `locl` rules, so `fi` never hides the dot of an i.
    pub fn features(&self, font: usize, lang: Lang) -> Vec<Feature> {
        let mut f = vec![Feature::new(Tag::from_bytes(b"kern"), 1, ..)];
        if lang == Lang::Tr && !self.turkish_locl[font] {
            f.push(Feature::new(Tag::from_bytes(b"liga"), 0, ..));
        }
        f
    }

    /// The same features in `hb-shape --features` syntax (for reference checks).
    pub fn features_hb(&self, font: usize, lang: Lang) -> String {
        if lang == Lang::Tr && !self.turkish_locl[font] {
            "kern,-liga".into()
        } else {
            "kern".into()
        }
    }

    /// Shapes `text` (no line breaks) in `font` for `lang`, left to right.
    pub fn shape(&mut self, font: usize, lang: Lang, text: &str) -> Rc<Shaped> {
        let key = (font, lang, text.to_string());
        if let Some(s) = self.cache.get(&key) {
            return Rc::clone(s);
        }
        let mut buf = UnicodeBuffer::new();
        buf.push_str(text);
        if let Ok(l) = rustybuzz::Language::from_str(lang.tag()) {
            buf.set_language(l);
        }
        buf.guess_segment_properties();
        buf.set_direction(rustybuzz::Direction::LeftToRight);
        let features = self.features(font, lang);
        let out = rustybuzz::shape(&self.faces[font], &features, buf);
        let glyphs: Vec<SGlyph> = out
            .glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(i, p)| SGlyph {
                gid: i.glyph_id as u16,
                cluster: i.cluster,
                advance: p.x_advance,
                x_offset: p.x_offset,
                y_offset: p.y_offset,
            })
            .collect();
        let advance = glyphs.iter().map(|g| g.advance).sum();
        let shaped = Rc::new(Shaped { glyphs, advance });
        self.cache.insert(key, Rc::clone(&shaped));
        shaped
    }
}
