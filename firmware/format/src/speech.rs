//! The speech part: the voice of one text bundle, made on the host (DESIGN.md principle 6).
//!
//! A speech part is a file of its own beside its bundle (`slot-a.bundle` and `slot-a.speech`),
//! with the same 48-byte header as a bundle but the magic `BITIGSPK`, the same BLAKE3 hash of
//! its body, and the same optional signature trailer. Its body names the text bundle it speaks
//! ([`Speech::bundle_hash`], the bundle header's hash), so a part that does not belong to the
//! bundle on the kiosk is refused ([`Speech::check_belongs`]): a visitor never hears one text
//! while reading another.
//!
//! Each [`Track`] is one block of one edition, or one UI string in one language, at one of
//! the visitor's three [`SPEEDS`] (slow, normal, fast; each synthesized, or a narrator's
//! recording stretched with its pitch kept, so the pitch is the voice's own at every
//! speed): Opus packets
//! (mono, [`Speech::rate`] samples a second, [`Speech::frame`] samples each) and its timing
//! index, one [`Sentence`] per UAX #29 sentence: its bytes in the block's text (the highlight)
//! and its samples in the track. Decoding never panics; after [`Speech::from_speech_bytes`]
//! every packet length and every sample range is in bounds.

use crate::{FormatError, Header, Invalid, Lang, HEADER_LEN};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// First eight bytes of every speech part.
pub const SPEECH_MAGIC: [u8; 8] = *b"BITIGSPK";
/// The speech part's body schema version.
pub const SPEECH_VERSION: u16 = 3;
/// The voice's speeds: 0 slow, 1 normal, 2 fast. Every text is spoken at each.
pub const SPEEDS: u8 = 3;
/// The speed every visitor starts with.
pub const NORMAL_SPEED: u8 = 1;
/// Sample rates Opus decodes to.
pub const OPUS_RATES: [u32; 5] = [8_000, 12_000, 16_000, 24_000, 48_000];

/// The decoded speech part. Packets borrow from the file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speech<'a> {
    /// The header hash of the text bundle this part speaks.
    pub bundle_hash: [u8; 32],
    /// Samples a second of the encoded speech and of every sample range.
    pub rate: u32,
    /// Samples per Opus packet.
    pub frame: u16,
    /// Samples a decoder gives before each track's first (the encoder's look-ahead): a
    /// player drops them.
    pub pre_skip: u16,
    #[serde(borrow)]
    pub tracks: Vec<Track<'a>>,
}

/// What a track says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Said<'a> {
    /// Block `block` of the edition in `lang` of document `doc` (indices into the bundle).
    Block { doc: u16, lang: Lang, block: u16 },
    /// The UI string `key` in `lang`.
    Ui { key: &'a str, lang: Lang },
    /// The number `n` alone in `lang`: the kiosk says "page 3 of 12" as the UI strings
    /// `voice.page` and `voice.of` between two numbers, so one track per number serves every
    /// counter (the spoken text is `n`'s decimal digits).
    Number { n: u16, lang: Lang },
}

/// One sentence of a track: bytes `start..end` of the spoken text, samples `from..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub start: u32,
    pub end: u32,
    pub from: u32,
    pub to: u32,
}

/// One spoken text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track<'a> {
    #[serde(borrow)]
    pub said: Said<'a>,
    /// The speed it is spoken at, below [`SPEEDS`].
    pub speed: u8,
    /// Samples in the track (after the pre-skip), its closing pause included.
    pub samples: u32,
    pub sentences: Vec<Sentence>,
    /// The Opus packets: each a little-endian `u16` length, then that many bytes.
    pub packets: &'a [u8],
}

impl<'a> Track<'a> {
    /// The packets in order.
    pub fn packets(&self) -> Packets<'a> {
        Packets { rest: self.packets }
    }
}

/// The packets of a track (see [`Track::packets`]).
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Packets<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_le_bytes(*len));
        let (p, rest) = rest.split_at_checked(len)?;
        self.rest = rest;
        Some(p)
    }
}

impl<'a> Speech<'a> {
    /// Checks the header, decodes the body zero-copy and validates it. `bytes` is the file
    /// without its signature trailer.
    pub fn from_speech_bytes(bytes: &'a [u8]) -> Result<Speech<'a>, FormatError> {
        Header::from_bytes_as(bytes, &SPEECH_MAGIC, SPEECH_VERSION)?;
        let (speech, rest): (Speech<'a>, &[u8]) =
            postcard::take_from_bytes(&bytes[HEADER_LEN..]).map_err(FormatError::Decode)?;
        if !rest.is_empty() {
            return Err(FormatError::TrailingBytes { count: rest.len() });
        }
        speech.validate().map_err(FormatError::Invalid)?;
        Ok(speech)
    }

    /// Encodes header and body. Only the host needs this.
    #[cfg(feature = "encode")]
    pub fn to_speech_bytes(&self) -> Result<Vec<u8>, postcard::Error> {
        let body = postcard::to_allocvec(self)?;
        crate::seal_as(&body, &SPEECH_MAGIC, SPEECH_VERSION)
            .ok_or(postcard::Error::SerializeBufferFull)
    }

    /// Every packet length, sample range and rate in bounds.
    pub fn validate(&self) -> Result<(), Invalid> {
        let bad = |what, value: i64, limit: i64| Err(Invalid { what, value, limit });
        if !OPUS_RATES.contains(&self.rate) {
            return bad("speech.rate", i64::from(self.rate), 48_001);
        }
        // Opus frames are 2.5, 5, 10, 20, 40 or 60 ms.
        let frame = u32::from(self.frame);
        let durations = [400, 200, 100, 50, 25]
            .into_iter()
            .any(|d| frame * d == self.rate);
        if !durations && frame * 50 != self.rate * 3 {
            return bad("speech.frame", i64::from(self.frame), i64::from(self.rate));
        }
        for t in &self.tracks {
            if t.speed >= SPEEDS {
                return bad("track.speed", i64::from(t.speed), i64::from(SPEEDS));
            }
            let mut n = 0u64;
            let mut used = 0usize;
            for p in t.packets() {
                n += 1;
                used += 2 + p.len();
            }
            if used != t.packets.len() {
                return bad("track.packets", used as i64, t.packets.len() as i64);
            }
            let decoded = n * u64::from(self.frame);
            let needed = u64::from(t.samples) + u64::from(self.pre_skip);
            if decoded < needed {
                return bad("track.samples", needed as i64, decoded as i64 + 1);
            }
            let mut last = 0u32;
            for s in &t.sentences {
                if s.start > s.end {
                    return bad("sentence.start", i64::from(s.start), i64::from(s.end) + 1);
                }
                if s.from < last || s.from > s.to {
                    return bad("sentence.from", i64::from(s.from), i64::from(s.to) + 1);
                }
                if s.to > t.samples {
                    return bad("sentence.to", i64::from(s.to), i64::from(t.samples) + 1);
                }
                last = s.to;
            }
        }
        Ok(())
    }

    /// Refuses a part made for another text bundle (`bundle_hash` is the loaded bundle's
    /// header hash), or one whose sentences fall outside the texts they highlight.
    pub fn check_belongs(
        &self,
        bundle_hash: &[u8; 32],
        bundle: &crate::Bundle<'_>,
    ) -> Result<(), SpeechMismatch> {
        if self.bundle_hash != *bundle_hash {
            return Err(SpeechMismatch::OtherBundle);
        }
        for (i, t) in self.tracks.iter().enumerate() {
            let mut digits = [0u8; 5];
            let text = match t.said {
                Said::Block { doc, lang, block } => bundle
                    .documents
                    .get(usize::from(doc))
                    .and_then(|d| d.edition(lang))
                    .and_then(|e| e.blocks.get(usize::from(block)))
                    .map(|b| b.text),
                Said::Ui { key, lang } => bundle.ui_text(key, lang).map(|u| u.text),
                Said::Number { n, .. } => Some(decimal(n, &mut digits)),
            };
            let Some(text) = text else {
                return Err(SpeechMismatch::NoText { track: i });
            };
            let fits = t
                .sentences
                .iter()
                .all(|s| text.get(s.start as usize..s.end as usize).is_some());
            if !fits {
                return Err(SpeechMismatch::NoText { track: i });
            }
        }
        Ok(())
    }

    /// The track that says `said` at the normal speed.
    pub fn track(&self, said: &Said<'_>) -> Option<&Track<'a>> {
        self.track_at(said, NORMAL_SPEED)
    }

    /// The track that says `said` at `speed`, or at another speed when the part lacks that
    /// one.
    pub fn track_at(&self, said: &Said<'_>, speed: u8) -> Option<&Track<'a>> {
        self.index_at(said, speed).and_then(|i| self.tracks.get(i))
    }

    /// The index of [`Speech::track_at`]'s track.
    pub fn index_at(&self, said: &Said<'_>, speed: u8) -> Option<usize> {
        let mut any = None;
        for (i, t) in self.tracks.iter().enumerate() {
            if t.said == *said {
                if t.speed == speed {
                    return Some(i);
                }
                any = any.or(Some(i));
            }
        }
        any
    }
}

/// `n` in decimal digits, written into `buf`.
pub fn decimal(n: u16, buf: &mut [u8; 5]) -> &str {
    let mut at = buf.len();
    let mut n = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    core::str::from_utf8(&buf[at..]).unwrap_or("0")
}

/// Why a speech part does not go with the bundle it was loaded beside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechMismatch {
    /// The part names another bundle's hash.
    OtherBundle,
    /// Track `track` speaks a block or UI string the bundle lacks, or highlights text
    /// outside it.
    NoText { track: usize },
}

impl SpeechMismatch {
    pub fn code(&self) -> &'static str {
        "E-SPEECH"
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SpeechMismatch {}

impl core::fmt::Display for SpeechMismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SpeechMismatch::OtherBundle => write!(
                f,
                "the speech part was made for another bundle; copy the .speech file that `bitig build` wrote beside this bundle"
            ),
            SpeechMismatch::NoText { track } => write!(
                f,
                "speech track {track} speaks a text this bundle does not have; rebuild both with `bitig build`"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn part(packets: &[u8]) -> Speech<'_> {
        Speech {
            bundle_hash: [7; 32],
            rate: 16_000,
            frame: 320,
            pre_skip: 104,
            tracks: vec![Track {
                said: Said::Ui {
                    key: "attract.touch",
                    lang: Lang::Tr,
                },
                speed: NORMAL_SPEED,
                samples: 500,
                sentences: vec![Sentence {
                    start: 0,
                    end: 4,
                    from: 10,
                    to: 400,
                }],
                packets,
            }],
        }
    }

    #[test]
    fn a_part_round_trips_and_its_bytes_are_pinned() {
        // Two packets of 3 and 1 bytes: 640 samples cover 500 + the pre-skip of 104.
        let packets = [3, 0, 1, 2, 3, 1, 0, 9];
        let s = part(&packets);
        let bytes = s.to_speech_bytes().unwrap();
        assert_eq!(&bytes[0..8], b"BITIGSPK");
        assert_eq!(Speech::from_speech_bytes(&bytes).unwrap(), s);
        let body = &bytes[HEADER_LEN..];
        assert_eq!(&body[..32], &[7; 32]);
        // rate 16000 (varint), frame 320, pre_skip 104, one track, Said::Ui = 1, key, lang
        // (Tr = 1), speed 1.
        assert_eq!(
            &body[32..55],
            &[
                0x80, 0x7d, 0xc0, 0x02, 0x68, 1, 1, 13, b'a', b't', b't', b'r', b'a', b'c', b't',
                b'.', b't', b'o', b'u', b'c', b'h', 1, 1
            ]
        );
        let ps: Vec<&[u8]> = s.tracks[0].packets().collect();
        assert_eq!(ps, vec![&[1u8, 2, 3][..], &[9][..]]);
    }

    #[test]
    fn numbers_are_said_by_their_digits() {
        let mut buf = [0; 5];
        assert_eq!(decimal(0, &mut buf), "0");
        assert_eq!(decimal(12, &mut buf), "12");
        assert_eq!(decimal(u16::MAX, &mut buf), "65535");
    }

    #[test]
    fn a_bundle_is_not_a_speech_part_and_bad_parts_are_refused() {
        let bytes = crate::seal(&[0; 4]).unwrap();
        assert_eq!(
            Speech::from_speech_bytes(&bytes).unwrap_err(),
            FormatError::BadMagic
        );
        // One packet is too few for 500 samples.
        let short = [3, 0, 1, 2, 3];
        let bytes = part(&short).to_speech_bytes().unwrap();
        let e = Speech::from_speech_bytes(&bytes).unwrap_err();
        assert!(
            matches!(e, FormatError::Invalid(i) if i.what == "track.samples"),
            "{e:?}"
        );
        // A packet that runs past the end.
        let cut = [3, 0, 1, 2, 3, 5, 0, 9];
        let bytes = part(&cut).to_speech_bytes().unwrap();
        let e = Speech::from_speech_bytes(&bytes).unwrap_err();
        assert!(
            matches!(e, FormatError::Invalid(i) if i.what == "track.packets"),
            "{e:?}"
        );
        // A fourth speed.
        let packets = [3, 0, 1, 2, 3, 1, 0, 9];
        let mut s = part(&packets);
        s.tracks[0].speed = SPEEDS;
        let bytes = s.to_speech_bytes().unwrap();
        let e = Speech::from_speech_bytes(&bytes).unwrap_err();
        assert!(
            matches!(e, FormatError::Invalid(i) if i.what == "track.speed"),
            "{e:?}"
        );
        // A sentence past the track's end.
        let mut s = part(&packets);
        s.tracks[0].sentences[0].to = 501;
        let bytes = s.to_speech_bytes().unwrap();
        let e = Speech::from_speech_bytes(&bytes).unwrap_err();
        assert!(
            matches!(e, FormatError::Invalid(i) if i.what == "sentence.to"),
            "{e:?}"
        );
    }

    #[test]
    fn a_missing_speed_falls_back_to_another() {
        let packets = [3, 0, 1, 2, 3, 1, 0, 9];
        let mut s = part(&packets);
        let said = s.tracks[0].said;
        let mut fast = s.tracks[0].clone();
        fast.speed = 2;
        fast.samples = 400;
        s.tracks.push(fast);
        assert_eq!(s.track_at(&said, 2).map(|t| t.samples), Some(400));
        assert_eq!(s.track(&said).map(|t| t.samples), Some(500));
        assert_eq!(s.track_at(&said, 0).map(|t| t.samples), Some(500));
    }

    #[test]
    fn decoding_any_prefix_or_flipped_byte_never_panics() {
        let packets = [3, 0, 1, 2, 3, 1, 0, 9];
        let bytes = part(&packets).to_speech_bytes().unwrap();
        for n in 0..bytes.len() {
            let _ = Speech::from_speech_bytes(&bytes[..n]);
        }
        for i in HEADER_LEN..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x55;
            // Re-seal so the decoder, not the hash, meets the flipped byte.
            let b = crate::seal_as(&b[HEADER_LEN..], &SPEECH_MAGIC, SPEECH_VERSION).unwrap();
            let _ = Speech::from_speech_bytes(&b);
        }
    }
}
