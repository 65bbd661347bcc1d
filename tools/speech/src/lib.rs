//! Bitig's voice, made on the host (DESIGN.md principle 6): what is said for a text, and
//! espeak-ng's speech for it with a timing index from sentences to samples.
//!
//! - [`sentences`]: UAX #29 sentences, as byte ranges of the shown text (the highlight's).
//! - [`voice_text`]: the shown text as the voice should read it: the display's conversions
//!   undone (typographic quotes, soft hyphens, no-break spaces), the language's
//!   [`lexicon::Lexicon`] applied, Turkish ordinals in words ([`numbers`]).
//! - [`Speaker`]: espeak-ng ([`espeak`], its command line), one call per sentence, leading
//!   and trailing silence trimmed and fixed pauses put back, so each sentence's sample range
//!   is exact; every sentence cached by the hash of what is said under `target/`.
//! - [`part`]: the speech part of a bundle, Opus-encoded with its timing index.
//! - [`Speaker::spelled`]: the words espeak-ng would spell out letter by letter.
//! - [`recording`]: a narrator's reading (FLAC, Ogg or WAV with WebVTT cues) in place of the
//!   voice for an edition, its cues checked against the sentences.

pub mod cues;
pub mod espeak;
pub mod lexicon;
pub mod numbers;
pub mod part;
pub mod recording;
pub mod sentences;
pub mod stretch;

use bitig_format::Lang;
use lexicon::Lexicon;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use sentences::sentences;

/// The voice's speed in words a minute: slow, normal, fast (espeak-ng's own default is 175).
pub const WPM: [u32; 3] = [130, 160, 200];
/// The normal speed.
pub const NORMAL_WPM: u32 = WPM[1];
/// The pause between two sentences of a block.
pub const SENTENCE_PAUSE_MS: u32 = 250;
/// The pause after a paragraph.
pub const PARAGRAPH_PAUSE_MS: u32 = 500;
/// The longer pause after a heading, a title or a list item, so the structure is heard.
pub const HEADING_PAUSE_MS: u32 = 800;
/// Samples quieter than this at the ends of a sentence's synthesis are its silence.
const SILENCE: i16 = 96;
/// Kept of that silence at each end, so no sound is cut in its attack or decay.
const EDGE_MS: u32 = 15;

/// The shown text as the voice reads it (see the crate's documentation).
pub fn voice_text(shown: &str, lang: Lang, lexicon: &Lexicon) -> String {
    let plain: String = shown
        .chars()
        .filter_map(|c| match c {
            // Soft hyphens and invisible breaks: the display's, not the word's.
            '\u{AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' => None,
            // Typographic quotes are not read.
            '«' | '»' | '„' | '“' | '”' | '"' | '‘' => Some(' '),
            // The apostrophe (Turkish suffixes: JSPG’nin).
            '’' => Some('\''),
            '\n' | '\u{A0}' | '\u{202F}' | '\u{2007}' => Some(' '),
            c => Some(c),
        })
        .collect();
    let squeezed = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let said = lexicon.apply(&squeezed);
    match lang {
        Lang::Tr => numbers::turkish_ordinals(&said),
        _ => said,
    }
}

/// The espeak-ng voice of a language.
pub fn voice(lang: Lang) -> &'static str {
    lang.tag()
}

/// One sentence of a spoken text: its bytes in the shown text, its samples in the speech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub text: Range<usize>,
    pub samples: Range<u32>,
}

/// A text spoken: mono 16-bit samples at `rate`, and the timing index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spoken {
    pub rate: u32,
    pub pcm: Vec<i16>,
    pub sentences: Vec<Sentence>,
}

/// What went wrong while speaking.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error(transparent)]
    Lexicon(#[from] lexicon::LexiconError),
    #[error(transparent)]
    Espeak(#[from] espeak::EspeakError),
}

/// The voice with its lexicons and its cache.
#[derive(Debug)]
pub struct Speaker {
    lexicons: [Lexicon; 3],
    pub(crate) cache: Option<PathBuf>,
    /// espeak-ng's version: part of every cache key.
    pub(crate) engine: String,
    /// Sentences synthesized, and taken from the cache, since start.
    pub synthesized: std::cell::Cell<u64>,
    pub cached: std::cell::Cell<u64>,
}

impl Speaker {
    /// Lexicons from `speech_dir` (`assets/speech`: kk.toml, tr.toml, en.toml); sentences
    /// cached in `cache` if given.
    pub fn new(speech_dir: &Path, cache: Option<PathBuf>) -> Result<Speaker, SpeechError> {
        let lex = |l: Lang| Lexicon::load(&speech_dir.join(format!("{}.toml", l.tag())));
        Ok(Speaker {
            lexicons: [lex(Lang::Kk)?, lex(Lang::Tr)?, lex(Lang::En)?],
            cache,
            engine: espeak::version()?,
            synthesized: Default::default(),
            cached: Default::default(),
        })
    }

    pub fn lexicon(&self, lang: Lang) -> &Lexicon {
        &self.lexicons[lang as usize]
    }

    /// Speaks `shown` (a block's text as the reader shows it) in `lang` at `wpm`, with
    /// `pause_ms` of silence after it.
    pub fn speak(
        &self,
        shown: &str,
        lang: Lang,
        wpm: u32,
        pause_ms: u32,
    ) -> Result<Spoken, SpeechError> {
        let rate = espeak::RATE;
        let ms = |m: u32| (u64::from(rate) * u64::from(m) / 1000) as usize;
        let mut pcm: Vec<i16> = Vec::new();
        let mut out = Vec::new();
        for r in sentences(shown) {
            let said = voice_text(&shown[r.clone()], lang, self.lexicon(lang));
            let s = self.sentence(lang, wpm, &said)?;
            if !out.is_empty() {
                pcm.resize(pcm.len() + ms(SENTENCE_PAUSE_MS), 0);
            }
            let start = pcm.len() as u32;
            pcm.extend_from_slice(&s);
            out.push(Sentence {
                text: r,
                samples: start..pcm.len() as u32,
            });
        }
        pcm.resize(pcm.len() + ms(pause_ms), 0);
        Ok(Spoken {
            rate,
            pcm,
            sentences: out,
        })
    }

    /// One sentence's speech, its silence trimmed: from the cache, or synthesized and cached.
    fn sentence(&self, lang: Lang, wpm: u32, said: &str) -> Result<Vec<i16>, SpeechError> {
        let key = {
            let mut h = blake3::Hasher::new();
            for part in [
                "bitig-speech 1",
                &self.engine,
                voice(lang),
                &wpm.to_string(),
                said,
            ] {
                h.update(part.as_bytes());
                h.update(b"\0");
            }
            bitig_format::hex::to_hex(&h.finalize().as_bytes()[..16])
        };
        let file = self.cache.as_ref().map(|d| d.join(format!("{key}.pcm")));
        if let Some(bytes) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
            if bytes.len() % 2 == 0 {
                self.cached.set(self.cached.get() + 1);
                return Ok(bytes
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect());
            }
        }
        let raw = espeak::synth(voice(lang), wpm, said)?;
        let trimmed = trim(&raw, espeak::RATE);
        self.synthesized.set(self.synthesized.get() + 1);
        if let Some(f) = &file {
            let bytes: Vec<u8> = trimmed.iter().flat_map(|s| s.to_le_bytes()).collect();
            if let Some(dir) = f.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // A cache that cannot be written only costs time.
            let _ = bitig_io::durable::write(f, &bytes);
        }
        Ok(trimmed)
    }

    /// The words of `text` (as the voice reads it) that espeak-ng would spell out letter by
    /// letter: their phonemes are those of their letters said one by one.
    pub fn spelled(&self, lang: Lang, text: &str) -> Result<Vec<String>, SpeechError> {
        let said = voice_text(text, lang, self.lexicon(lang));
        let mut words: Vec<&str> = said
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2 && w.chars().any(char::is_alphabetic))
            .collect();
        words.sort_unstable();
        words.dedup();
        let norm = |p: String| {
            p.chars()
                .filter(|c| !"',_: ".contains(*c))
                .collect::<String>()
        };
        let mut out = Vec::new();
        for w in words {
            let letters: String = w.chars().map(|c| format!("{c} ")).collect();
            let whole = norm(espeak::phonemes(voice(lang), w)?);
            let one_by_one = norm(espeak::phonemes(voice(lang), letters.trim())?);
            if whole == one_by_one {
                out.push(w.to_string());
            }
        }
        Ok(out)
    }
}

/// `pcm` without its leading and trailing silence, but for [`EDGE_MS`] at each end.
fn trim(pcm: &[i16], rate: u32) -> Vec<i16> {
    let loud = |s: &i16| s.unsigned_abs() > SILENCE.unsigned_abs();
    let (Some(a), Some(b)) = (pcm.iter().position(loud), pcm.iter().rposition(loud)) else {
        return Vec::new();
    };
    let edge = (rate * EDGE_MS / 1000) as usize;
    pcm[a.saturating_sub(edge)..(b + 1 + edge).min(pcm.len())].to_vec()
}

pub use bitig_io::wav::wav_bytes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_voice_reads_what_is_shown_without_the_displays_marks() {
        let l = Lexicon::default();
        assert_eq!(
            voice_text("«Түркі»\u{AD}лер „сөз“ бар", Lang::Kk, &l),
            "Түркі лер сөз бар"
        );
        assert_eq!(
            voice_text("JSPG’nin 8. toplantısı", Lang::Tr, &l),
            "JSPG'nin sekizinci toplantısı"
        );
        assert_eq!(
            voice_text("the “8th”\nmeeting", Lang::En, &l),
            "the 8th meeting"
        );
    }

    #[test]
    fn trimming_keeps_a_short_edge() {
        let mut pcm = vec![0i16; 1000];
        pcm.extend([500, -800, 300]);
        pcm.extend(vec![3i16; 1000]);
        let t = trim(&pcm, 22_050);
        let edge = (22_050 * EDGE_MS / 1000) as usize;
        assert_eq!(t.len(), 3 + 2 * edge);
        assert!(trim(&[0, 1, -2], 22_050).is_empty());
    }
}
