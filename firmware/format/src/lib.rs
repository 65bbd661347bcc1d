//! Bitig bundle format: the contract between the host bundler and the kiosk.
//!
//! A bundle is one file: a fixed 48-byte [`Header`] followed by a postcard-encoded [`Bundle`]
//! body. The header is checked (magic, format version, body length, BLAKE3 hash of the body)
//! before a single byte of the body is decoded. Decoding is zero-copy: atlas pixels and all
//! strings borrow from the loaded bytes. After decoding, [`Bundle::validate`] checks every index
//! and rectangle so that a renderer can trust the data without further bounds checks.
//!
//! Decoding never panics, whatever the input: see `fuzz/` and the bit-flip tests.
//! The exact byte layout is documented in `docs/bundle-format.md`.
#![no_std]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

pub mod hex;
pub mod pin;
pub mod signature;
pub mod speech;
pub mod stats;
mod validate;

/// First eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"BITIGBND";
/// The body schema version this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the fixed header in bytes.
pub const HEADER_LEN: usize = 48;

/// The fixed-size header in front of the body. All integers are little-endian.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | magic `BITIGBND` |
/// | 8 | 2 | format version |
/// | 10 | 2 | flags (must be 0 in version 1) |
/// | 12 | 4 | body length in bytes |
/// | 16 | 32 | BLAKE3 hash of the body |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format_version: u16,
    pub flags: u16,
    pub body_len: u32,
    pub hash: [u8; 32],
}

/// `body` under a header of this format version with its length and BLAKE3 hash: an unsigned
/// bundle file. `None` if the body is 4 GiB or larger.
pub fn seal(body: &[u8]) -> Option<Vec<u8>> {
    seal_as(body, &MAGIC, FORMAT_VERSION)
}

/// [`seal`] under another magic and version (the speech part's).
fn seal_as(body: &[u8], magic: &[u8; 8], format_version: u16) -> Option<Vec<u8>> {
    let header = Header {
        format_version,
        flags: 0,
        body_len: u32::try_from(body.len()).ok()?,
        hash: *blake3::hash(body).as_bytes(),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    let mut head = header.to_header_bytes();
    head[0..8].copy_from_slice(magic);
    out.extend_from_slice(&head);
    out.extend_from_slice(body);
    Some(out)
}

impl Header {
    /// Parses and checks the header against `bytes` (the whole bundle file).
    pub fn from_bundle_bytes(bytes: &[u8]) -> Result<Header, FormatError> {
        Header::from_bytes_as(bytes, &MAGIC, FORMAT_VERSION)
    }

    /// [`Header::from_bundle_bytes`] for a file with another magic and version.
    fn from_bytes_as(bytes: &[u8], magic: &[u8; 8], version: u16) -> Result<Header, FormatError> {
        if bytes.len() < HEADER_LEN {
            return Err(FormatError::TooShort { len: bytes.len() });
        }
        if bytes[0..8] != *magic {
            return Err(FormatError::BadMagic);
        }
        let format_version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if format_version != version {
            return Err(FormatError::UnsupportedVersion {
                found: format_version,
                supported: version,
            });
        }
        let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
        if flags != 0 {
            return Err(FormatError::UnknownFlags { flags });
        }
        let body_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        let actual = bytes.len() - HEADER_LEN;
        if body_len as usize != actual {
            return Err(FormatError::LengthMismatch {
                declared: body_len,
                actual,
            });
        }
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&bytes[16..48]);
        if *blake3::hash(&bytes[HEADER_LEN..]).as_bytes() != hash {
            return Err(FormatError::HashMismatch);
        }
        Ok(Header {
            format_version,
            flags,
            body_len,
            hash,
        })
    }

    /// The 48 header bytes.
    pub fn to_header_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..8].copy_from_slice(&MAGIC);
        out[8..10].copy_from_slice(&self.format_version.to_le_bytes());
        out[10..12].copy_from_slice(&self.flags.to_le_bytes());
        out[12..16].copy_from_slice(&self.body_len.to_le_bytes());
        out[16..48].copy_from_slice(&self.hash);
        out
    }
}

/// Why a bundle was refused. Every variant is a clean refusal; none is a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// Fewer bytes than the fixed header.
    TooShort { len: usize },
    /// The first eight bytes are not `BITIGBND`: not a Bitig bundle.
    BadMagic,
    /// Written by a newer (or older) bundler than this kiosk understands.
    UnsupportedVersion { found: u16, supported: u16 },
    /// Reserved header flags are set.
    UnknownFlags { flags: u16 },
    /// The header's body length disagrees with the file: truncated or padded.
    LengthMismatch { declared: u32, actual: usize },
    /// The body does not match the header's BLAKE3 hash: corrupted or tampered.
    HashMismatch,
    /// The body is not a valid postcard encoding of the schema.
    Decode(postcard::Error),
    /// Bytes left over after the body was decoded.
    TrailingBytes { count: usize },
    /// The body decoded but an index, range or rectangle is out of bounds.
    Invalid(Invalid),
}

/// Where validation found an inconsistency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid {
    /// Which field was wrong, e.g. `"run.strike"`.
    pub what: &'static str,
    /// The offending value.
    pub value: i64,
    /// The bound it broke (exclusive upper bound, or expected value).
    pub limit: i64,
}

impl FormatError {
    /// A short stable code for the maintenance screen and logs (`E-HASH`, `E-TRUNC`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            FormatError::TooShort { .. } => "E-SHORT",
            FormatError::BadMagic => "E-MAGIC",
            FormatError::UnsupportedVersion { .. } => "E-VERSION",
            FormatError::UnknownFlags { .. } => "E-FLAGS",
            FormatError::LengthMismatch { .. } => "E-LENGTH",
            FormatError::HashMismatch => "E-HASH",
            FormatError::Decode(_) => "E-DECODE",
            FormatError::TrailingBytes { .. } => "E-TRAILING",
            FormatError::Invalid(_) => "E-INVALID",
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::TooShort { len } => write!(
                f,
                "file is {len} bytes, shorter than the {HEADER_LEN}-byte bundle header; it is truncated or not a bundle"
            ),
            FormatError::BadMagic => {
                write!(f, "file does not start with BITIGBND; it is not a Bitig bundle")
            }
            FormatError::UnsupportedVersion { found, supported } => write!(
                f,
                "bundle format version {found} is not supported (this build reads version {supported}); rebuild the bundle with a matching bitig"
            ),
            FormatError::UnknownFlags { flags } => {
                write!(f, "header flags {flags:#06x} are not defined in this version")
            }
            FormatError::LengthMismatch { declared, actual } => write!(
                f,
                "header declares a {declared}-byte body but {actual} bytes follow; the file is truncated or padded, copy it again"
            ),
            FormatError::HashMismatch => write!(
                f,
                "body does not match its BLAKE3 hash; the file is corrupted or was modified, copy it again"
            ),
            FormatError::Decode(e) => write!(f, "body does not decode: {e}"),
            FormatError::TrailingBytes { count } => {
                write!(f, "{count} unexpected bytes after the body")
            }
            FormatError::Invalid(i) => write!(
                f,
                "inconsistent bundle: {} = {} is out of range (limit {})",
                i.what, i.value, i.limit
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FormatError {}

/// Languages the kiosk offers, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Lang {
    Kk,
    Tr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Tr, Lang::En];

    /// BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Tr => "tr",
            Lang::En => "en",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag {
            "kk" => Some(Lang::Kk),
            "tr" => Some(Lang::Tr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The pre-laid-out text sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TextSize {
    Normal,
    Large,
    /// Normal type in a column half the page wide, for the side-by-side (parallel) view of
    /// two editions on landscape panels. Its pages are `page_width / 2` wide.
    Half,
}

impl TextSize {
    /// Width of this layout's pages for a profile `page_width` wide.
    pub fn page_width(self, page_width: u16) -> u16 {
        match self {
            TextSize::Half => page_width / 2,
            _ => page_width,
        }
    }
}

/// Which theme colour a run is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ColorRole {
    Text,
    Muted,
    Accent,
    Title,
}

/// Newtype index into [`Bundle::strikes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StrikeId(pub u8);

/// Newtype index into [`Bundle::atlases`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AtlasId(pub u8);

/// A glyph id in the source font (as reported by HarfBuzz / rustybuzz).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GlyphId(pub u16);

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The decoded bundle. Strings and pixels borrow from the bundle bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle<'a> {
    #[serde(borrow)]
    pub meta: Meta<'a>,
    #[serde(borrow)]
    pub profile: Profile<'a>,
    #[serde(borrow)]
    pub atlases: Vec<Atlas<'a>>,
    pub strikes: Vec<Strike>,
    #[serde(borrow)]
    pub ui: Vec<UiText<'a>>,
    /// Glyphs for text only known on the device (page counters, version, hashes, uptime).
    pub ascii: AsciiStrip,
    #[serde(borrow)]
    pub documents: Vec<Document<'a>>,
}

/// Printable ASCII, U+0020 to U+007E, at the UI size in Noto Sans, each character shaped on
/// its own (no kerning). Entry `i` is the character `0x20 + i`. The device composes short
/// dynamic strings from it by adding advances; it still never shapes or opens a font.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsciiStrip {
    pub strike: StrikeId,
    /// Glyph entry in the strike per character, [`AsciiStrip::BLANK`] for a blank (space).
    pub entries: Vec<u16>,
    /// Advance per character in 1/64 px.
    pub advances: Vec<u16>,
}

impl AsciiStrip {
    /// Number of characters: U+0020 to U+007E.
    pub const LEN: usize = 95;
    /// Entry of a character with no ink.
    pub const BLANK: u16 = u16::MAX;

    /// Entry and advance (1/64 px) of `c`; characters outside the strip map to `?`.
    pub fn glyph(&self, c: char) -> (u16, u16) {
        let i = match c {
            ' '..='~' => c as usize - 0x20,
            _ => usize::from(b'?' - 0x20),
        };
        (
            self.entries.get(i).copied().unwrap_or(Self::BLANK),
            self.advances.get(i).copied().unwrap_or(0),
        )
    }
}

/// Identity of the bundle, for the operator menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta<'a> {
    /// Stable id derived from the inputs (hex), shown to operators.
    pub bundle_id: &'a str,
    /// `bitig <version>` that wrote the bundle.
    pub generator: &'a str,
    /// Newest statement date in the bundle (ISO 8601). Bundles carry no wall-clock timestamp,
    /// so that the same inputs give the same bytes.
    pub content_date: &'a str,
}

/// The panel size a profile's name ends with (`pi-touch-800x480` -> 800 x 480), if it names
/// one between 64 and 8192 pixels a side.
pub fn profile_size(name: &str) -> Option<(u32, u32)> {
    let dims = name.rsplit('-').next()?;
    let (w, h) = dims.split_once('x')?;
    let (w, h) = (w.parse().ok()?, h.parse().ok()?);
    ((64..=8192).contains(&w) && (64..=8192).contains(&h)).then_some((w, h))
}

/// The display profile the pages were laid out for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile<'a> {
    pub name: &'a str,
    /// Panel size in pixels, after rotation (the size the UI lays out in).
    pub width: u16,
    pub height: u16,
    /// Panel rotation in degrees (0, 90, 180, 270).
    pub rotation: u16,
    /// Size of the page image the kiosk shows in the reader.
    pub page_width: u16,
    pub page_height: u16,
    /// Width of a library card's text block.
    pub card_width: u16,
    pub theme: Theme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    pub background: Rgb,
    pub surface: Rgb,
    pub text: Rgb,
    pub muted: Rgb,
    pub accent: Rgb,
    pub title: Rgb,
}

impl Theme {
    pub fn color(&self, role: ColorRole) -> Rgb {
        match role {
            ColorRole::Text => self.text,
            ColorRole::Muted => self.muted,
            ColorRole::Accent => self.accent,
            ColorRole::Title => self.title,
        }
    }
}

/// One A8 coverage atlas: `alpha[y * width + x]`, 0 = transparent, 255 = full ink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Atlas<'a> {
    pub width: u16,
    pub height: u16,
    pub alpha: &'a [u8],
}

/// One font at one pixel size, with the glyphs of it that the bundle uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strike {
    /// Index into the bundler's font list (0 Noto Sans, 1 Noto Sans Bold, 2 Noto Sans Italic,
    /// 3 Noto Serif); informational.
    pub font: u8,
    /// Pixels per em.
    pub px: u16,
    /// Baseline to line top, in pixels.
    pub ascent: i16,
    /// Baseline to line bottom, in pixels (negative).
    pub descent: i16,
    pub glyphs: Vec<AtlasGlyph>,
}

/// Where a glyph's bitmap is and how it sits on the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasGlyph {
    pub gid: GlyphId,
    pub atlas: AtlasId,
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
    /// Pen position to the bitmap's left edge.
    pub left: i16,
    /// Baseline to the bitmap's top edge (positive = above the baseline).
    pub top: i16,
}

/// A positioned glyph inside a [`Run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Glyph {
    /// Index into the run's strike's `glyphs`.
    pub entry: u16,
    /// Pen x relative to the previous glyph's pen x (to the run's x for the first glyph).
    pub dx: i16,
    /// Vertical offset from the baseline (positive = up).
    pub dy: i16,
    /// Byte offset of the glyph's cluster in the line's text.
    pub cluster: u16,
}

/// Glyphs of one strike and colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub strike: StrikeId,
    pub color: ColorRole,
    /// Pen x of the first glyph, relative to the line's x.
    pub x: i16,
    pub glyphs: Vec<Glyph>,
}

/// One set line. Its text is `texts[block][start..end]` (plus `-` if `hyphen`), where `texts`
/// are the blocks of the edition (or the UI string) it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub block: u16,
    pub start: u32,
    pub end: u32,
    /// The line ends in an inserted hyphen.
    pub hyphen: bool,
    /// Left edge, relative to the page (or text block).
    pub x: i16,
    /// Baseline, relative to the page (or text block) top.
    pub y: i16,
    pub runs: Vec<Run>,
}

/// A laid-out block of lines outside the reader: a UI label or a library card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBlock {
    pub width: u16,
    pub height: u16,
    pub lines: Vec<Line>,
}

/// A UI string, shaped for the UI size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiText<'a> {
    /// Key such as `attract.touch` (see `assets/ui/*.toml`).
    pub key: &'a str,
    pub lang: Lang,
    pub text: &'a str,
    pub block: TextBlock,
}

/// One statement with all its language editions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    /// ISO 8601 date.
    pub date: &'a str,
    #[serde(borrow)]
    pub editions: Vec<Edition<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockKind {
    Title,
    Byline,
    Paragraph,
    Heading(u8),
    /// An item of an ordered list, with its number.
    ListItem(u32),
}

impl BlockKind {
    /// Body blocks are the ones editions align on (everything except title and byline).
    pub fn is_body(self) -> bool {
        !matches!(self, BlockKind::Title | BlockKind::Byline)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block<'a> {
    pub kind: BlockKind,
    /// NFC text of the block (list number included).
    pub text: &'a str,
}

/// One language edition of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub place: &'a str,
    pub source: &'a str,
    /// Title, byline, then body blocks in source order.
    #[serde(borrow)]
    pub blocks: Vec<Block<'a>>,
    /// The library card: title and byline at the UI size, `profile.card_width` wide.
    pub card: TextBlock,
    /// The contents list, in reading order: every heading and numbered item, or, in an
    /// edition with neither, every paragraph. Each entry's page in a layout is
    /// `layout.block_pages[entry.block]`.
    #[serde(borrow)]
    pub contents: Vec<ContentsEntry<'a>>,
    /// One layout per text size.
    pub layouts: Vec<Layout>,
}

/// One line of an edition's contents list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentsEntry<'a> {
    /// The block it opens (an index into the edition's blocks).
    pub block: u16,
    /// What the label says: the heading, or the item's number and first words
    /// ("17. The Parties agreed…"), cut at a word with an ellipsis to fit one line.
    pub text: &'a str,
    /// `text` on one line at the UI size, at most `profile.card_width` wide (its lines refer
    /// to `text` as block 0).
    pub label: TextBlock,
}

impl Edition<'_> {
    /// Index of the first body block; body block `n` is `blocks[body_start() + n]`.
    pub fn body_start(&self) -> usize {
        self.blocks
            .iter()
            .position(|b| b.kind.is_body())
            .unwrap_or(self.blocks.len())
    }

    pub fn layout(&self, size: TextSize) -> Option<&Layout> {
        self.layouts.iter().find(|l| l.size == size)
    }
}

/// The pages of one edition at one text size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub size: TextSize,
    pub pages: Vec<Page>,
    /// `block_pages[b]` is the page on which block `b` starts.
    pub block_pages: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The first block with a line on this page (the anchor for language and size switches).
    pub first_block: u16,
    pub lines: Vec<Line>,
}

impl<'a> Bundle<'a> {
    /// Checks the header, decodes the body zero-copy and validates it.
    pub fn from_bundle_bytes(bytes: &'a [u8]) -> Result<Bundle<'a>, FormatError> {
        Header::from_bundle_bytes(bytes)?;
        let body = &bytes[HEADER_LEN..];
        let (bundle, rest): (Bundle<'a>, &[u8]) =
            postcard::take_from_bytes(body).map_err(FormatError::Decode)?;
        if !rest.is_empty() {
            return Err(FormatError::TrailingBytes { count: rest.len() });
        }
        bundle.validate().map_err(FormatError::Invalid)?;
        Ok(bundle)
    }

    /// Encodes header and body. Only the host needs this.
    #[cfg(feature = "encode")]
    pub fn to_bundle_bytes(&self) -> Result<Vec<u8>, postcard::Error> {
        let body = postcard::to_allocvec(self)?;
        seal(&body).ok_or(postcard::Error::SerializeBufferFull)
    }

    pub fn document(&self, id: &str) -> Option<&Document<'a>> {
        self.documents.iter().find(|d| d.id == id)
    }

    /// The UI string `key` in `lang`.
    pub fn ui_text(&self, key: &str, lang: Lang) -> Option<&UiText<'a>> {
        self.ui.iter().find(|u| u.key == key && u.lang == lang)
    }
}

impl<'a> Document<'a> {
    pub fn edition(&self, lang: Lang) -> Option<&Edition<'a>> {
        self.editions.iter().find(|e| e.lang == lang)
    }
}

/// The text a line shows, without its inserted hyphen. `texts` are the block texts the line
/// refers to. Returns `None` only for an unvalidated, inconsistent line.
pub fn line_text<'t>(texts: &[&'t str], line: &Line) -> Option<&'t str> {
    texts
        .get(usize::from(line.block))?
        .get(line.start as usize..line.end as usize)
}
