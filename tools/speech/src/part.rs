//! The speech part of a bundle (`bitig_format::speech`): every block of every edition, and
//! every UI string in every UI language, spoken at each of the visitor's three speeds
//! ([`crate::WPM`]; espeak-ng keeps the voice's pitch at each), resampled from espeak-ng's
//! 22,050 Hz to 16,000 Hz (rubato) and encoded with Opus at 12 kbit/s (libopus), the codec
//! docs/performance.md chose by measurement.
//!
//! Tracks depend only on the text, so one [`PartBuilder`] encodes each text once and reuses it
//! for every profile's bundle; only [`Speech::bundle_hash`] differs.

use crate::{Speaker, SpeechError, WPM};
use bitig_format::speech::{Said, Sentence, Speech, Track, NORMAL_SPEED, SPEEDS};
use bitig_format::{BlockKind, Bundle, Lang};
use rubato::Resampler;
use std::collections::HashMap;

/// The speech part's sample rate: Opus's wide band, all the voice needs.
pub const RATE: u32 = 16_000;
/// 20 ms Opus packets.
pub const FRAME: u16 = 320;
/// Opus bit rate (docs/performance.md: 5.53 MB an hour of speech).
pub const BITRATE: i32 = 12_000;
/// The pause after a UI string.
pub const UI_PAUSE_MS: u32 = 300;
/// The pause after a piece the kiosk strings together: a number, `voice.page`, `voice.of`
/// ("page 3 of 12").
pub const PIECE_PAUSE_MS: u32 = 120;
/// The UI strings said as pieces between numbers.
pub const PIECES: [&str; 7] = [
    "voice.page",
    "voice.return",
    "voice.of",
    "voice.minute",
    "voice.minutes",
    "voice.second",
    "voice.seconds",
];

/// The pause after the UI string `key`.
pub fn ui_pause(key: &str) -> u32 {
    if PIECES.contains(&key) {
        PIECE_PAUSE_MS
    } else {
        UI_PAUSE_MS
    }
}

/// Numbers every part says, whatever its page counts: the PIN pad says its wait in minutes
/// and seconds, each at most 60.
pub const NUMBERS_AT_LEAST: usize = 60;

/// The numbers a kiosk may say with `bundle`: 1 to its longest layout's page count (at least
/// [`NUMBERS_AT_LEAST`]).
pub fn numbers(bundle: &Bundle<'_>) -> std::ops::RangeInclusive<u16> {
    let most = bundle
        .documents
        .iter()
        .flat_map(|d| &d.editions)
        .flat_map(|e| &e.layouts)
        .map(|l| l.pages.len())
        .max()
        .unwrap_or(0)
        .max(NUMBERS_AT_LEAST);
    1..=u16::try_from(most).unwrap_or(u16::MAX)
}

/// The UI strings the fallback bundle's part says: the maintenance screen's message, and the
/// update's (a stick can bring content to a kiosk that has none).
pub const FALLBACK_SAID: [&str; 2] = ["maintenance.body", "update.body"];

/// The speeds in the order a part holds them: the normal first, so a reader that knows one
/// speed only finds it first.
const SPEED_ORDER: [u8; SPEEDS as usize] = [NORMAL_SPEED, 0, 2];

/// What went wrong while making the speech part.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error(transparent)]
    Speech(#[from] SpeechError),
    #[error("the Opus encoder failed: {0}")]
    Opus(#[from] opus::Error),
    #[error("the resampler failed: {0}")]
    Resample(String),
    #[error("the speech part does not encode: {0}")]
    Encode(#[from] postcard::Error),
    #[error(transparent)]
    Recording(#[from] crate::recording::RecordingError),
}

/// The pause after a block of this kind.
pub fn pause_after(kind: BlockKind) -> u32 {
    match kind {
        BlockKind::Title | BlockKind::Heading(_) | BlockKind::ListItem(_) => {
            crate::HEADING_PAUSE_MS
        }
        BlockKind::Byline | BlockKind::Paragraph => crate::PARAGRAPH_PAUSE_MS,
    }
}

/// One encoded text: its samples, timing index and packets.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Encoded {
    samples: u32,
    sentences: Vec<Sentence>,
    packets: Vec<u8>,
}

/// What a track's encoding depends on: the text, its language, the pause after it and the
/// speed in words a minute.
type Key = (String, Lang, u32, u32);

/// Makes speech parts, encoding each distinct text once.
#[derive(Debug)]
pub struct PartBuilder<'s> {
    speaker: &'s Speaker,
    done: HashMap<Key, Encoded>,
    pre_skip: u16,
    /// Narrators' readings by statement id and language: those editions are spoken by them.
    recordings: HashMap<(String, Lang), crate::recording::Recording>,
    /// Their tracks, once aligned, stretched to each speed and encoded (every profile's part
    /// shares them): per block, one per speed in [`SPEED_ORDER`].
    recorded: HashMap<(String, Lang), Vec<[Encoded; SPEEDS as usize]>>,
    /// Seconds of speech in the last part made (for the build's report).
    pub seconds: f64,
}

impl<'s> PartBuilder<'s> {
    pub fn new(speaker: &'s Speaker) -> Result<PartBuilder<'s>, PartError> {
        let pre_skip = encoder()?.get_lookahead()?;
        Ok(PartBuilder {
            speaker,
            done: HashMap::new(),
            pre_skip: u16::try_from(pre_skip).unwrap_or(0),
            recordings: HashMap::new(),
            recorded: HashMap::new(),
            seconds: 0.0,
        })
    }

    /// Speaks the editions these recordings are of (by statement id and language) with them
    /// in place of the voice (`recording`).
    pub fn set_recordings(
        &mut self,
        recordings: HashMap<(String, Lang), crate::recording::Recording>,
    ) {
        self.recordings = recordings;
        self.recorded.clear();
    }

    /// The tracks of an edition read by a narrator, per block one at each speed (the
    /// recording stretched with its pitch kept, [`crate::stretch`]), each with the pause after
    /// its kind; aligned and encoded once.
    fn recorded_edition(
        &mut self,
        id: &str,
        ed: &bitig_format::Edition<'_>,
    ) -> Result<Option<&Vec<[Encoded; SPEEDS as usize]>>, PartError> {
        let key = (id.to_string(), ed.lang);
        let Some(rec) = self.recordings.get(&key) else {
            return Ok(None);
        };
        if !self.recorded.contains_key(&key) {
            let texts: Vec<&str> = ed.blocks.iter().map(|b| b.text).collect();
            let mut tracks = Vec::with_capacity(texts.len());
            for (spoken, block) in rec.align(&texts)?.into_iter().zip(&ed.blocks) {
                let pause = u64::from(spoken.rate) * u64::from(pause_after(block.kind)) / 1000;
                let [a, b, c] = SPEED_ORDER.map(|speed| {
                    let mut at = at_speed(&spoken, speed);
                    at.pcm.resize(at.pcm.len() + pause as usize, 0);
                    encode(&at, self.pre_skip)
                });
                tracks.push([a?, b?, c?]);
            }
            self.recorded.insert(key.clone(), tracks);
        }
        Ok(self.recorded.get(&key))
    }

    /// The speech part of `bundle`, whose header hash is `bundle_hash`.
    pub fn part(
        &mut self,
        bundle: &Bundle<'_>,
        bundle_hash: [u8; 32],
    ) -> Result<Vec<u8>, PartError> {
        self.part_of(bundle, bundle_hash, None)
    }

    /// The speech part of the kiosk's built-in fallback bundle: the messages of its
    /// maintenance screen ([`FALLBACK_SAID`]) in every UI language, at the normal speed only
    /// (the kiosk embeds it, so it is kept small).
    pub fn fallback_part(
        &mut self,
        bundle: &Bundle<'_>,
        bundle_hash: [u8; 32],
    ) -> Result<Vec<u8>, PartError> {
        self.part_of(bundle, bundle_hash, Some(&FALLBACK_SAID))
    }

    /// The speech part of `bundle`: everything, or `only` these UI strings.
    fn part_of(
        &mut self,
        bundle: &Bundle<'_>,
        bundle_hash: [u8; 32],
        only: Option<&[&str]>,
    ) -> Result<Vec<u8>, PartError> {
        // Each UI language's numbers, for the page counter.
        let mut langs: Vec<Lang> = bundle.ui.iter().map(|u| u.lang).collect();
        langs.sort();
        langs.dedup();
        let digits: Vec<(u16, Lang, String)> = match only {
            Some(_) => Vec::new(),
            None => langs
                .iter()
                .flat_map(|&lang| numbers(bundle).map(move |n| (n, lang, n.to_string())))
                .collect(),
        };
        let mut said: Vec<(Said<'_>, &str, Lang, u32)> = Vec::new();
        // Editions a narrator read: their blocks' tracks, at every speed.
        let mut recorded: Vec<(Said<'_>, u8, Encoded)> = Vec::new();
        // Every other text at every speed, the normal first.
        for (d, doc) in bundle.documents.iter().enumerate() {
            for ed in &doc.editions {
                if let Some(tracks) = self.recorded_edition(doc.id, ed)? {
                    for (b, speeds) in tracks.iter().enumerate() {
                        let at = Said::Block {
                            doc: d as u16,
                            lang: ed.lang,
                            block: b as u16,
                        };
                        for (speed, e) in SPEED_ORDER.iter().zip(speeds) {
                            recorded.push((at, *speed, e.clone()));
                        }
                    }
                    continue;
                }
                for (b, block) in ed.blocks.iter().enumerate() {
                    let at = Said::Block {
                        doc: d as u16,
                        lang: ed.lang,
                        block: b as u16,
                    };
                    said.push((at, block.text, ed.lang, pause_after(block.kind)));
                }
            }
        }
        for u in bundle
            .ui
            .iter()
            .filter(|u| only.is_none_or(|keys| keys.contains(&u.key)))
        {
            let at = Said::Ui {
                key: u.key,
                lang: u.lang,
            };
            said.push((at, u.text, u.lang, ui_pause(u.key)));
        }
        for (n, lang, text) in &digits {
            let at = Said::Number { n: *n, lang: *lang };
            said.push((at, text, *lang, PIECE_PAUSE_MS));
        }
        // Each distinct text once: from memory, from the disk cache, or spoken here and
        // encoded on every core.
        let speeds: &[u8] = if only.is_some() {
            &[NORMAL_SPEED]
        } else {
            &SPEED_ORDER
        };
        let keyed: Vec<(Said<'_>, u8, Key)> = said
            .iter()
            .flat_map(|(at, text, lang, pause)| {
                speeds.iter().map(|&speed| {
                    let wpm = WPM[usize::from(speed)];
                    (*at, speed, (text.to_string(), *lang, *pause, wpm))
                })
            })
            .collect();
        let mut todo: Vec<(Key, std::path::PathBuf, crate::Spoken)> = Vec::new();
        for (_, _, key) in &keyed {
            if self.done.contains_key(key) || todo.iter().any(|t| t.0 == *key) {
                continue;
            }
            let file = self.cache_file(key);
            let cached = file
                .as_ref()
                .and_then(|f| std::fs::read(f).ok())
                .and_then(|b| postcard::from_bytes::<Encoded>(&b).ok());
            if let Some(e) = cached {
                self.done.insert(key.clone(), e);
                continue;
            }
            let spoken = self.speaker.speak(&key.0, key.1, key.3, key.2)?;
            todo.push((key.clone(), file.unwrap_or_default(), spoken));
        }
        let pre_skip = self.pre_skip;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = std::sync::atomic::AtomicUsize::new(0);
        let encoded: Vec<Result<Encoded, PartError>> = std::thread::scope(|sc| {
            let jobs: Vec<_> = (0..threads.min(todo.len()))
                .map(|_| {
                    sc.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(t) = todo.get(i) else {
                                return mine;
                            };
                            mine.push((i, encode(&t.2, pre_skip)));
                        }
                    })
                })
                .collect();
            let mut all: Vec<_> = jobs
                .into_iter()
                .flat_map(|j| j.join().unwrap_or_default())
                .collect();
            all.sort_by_key(|(i, _)| *i);
            all.into_iter().map(|(_, e)| e).collect()
        });
        all_encoded(encoded.len(), todo.len())?;
        for ((key, file, _), e) in todo.into_iter().zip(encoded) {
            let e = e?;
            if !file.as_os_str().is_empty() {
                if let Ok(bytes) = postcard::to_allocvec(&e) {
                    // A cache that cannot be written only costs time.
                    let _ = bitig_io::durable::write(&file, &bytes);
                }
            }
            self.done.insert(key, e);
        }
        self.seconds = 0.0;
        for (_, speed, key) in &keyed {
            if *speed == NORMAL_SPEED {
                self.seconds += f64::from(self.done[key].samples) / f64::from(RATE);
            }
        }
        for (_, speed, e) in &recorded {
            if *speed == NORMAL_SPEED {
                self.seconds += f64::from(e.samples) / f64::from(RATE);
            }
        }
        let part = Speech {
            bundle_hash,
            rate: RATE,
            frame: FRAME,
            pre_skip: self.pre_skip,
            tracks: keyed
                .iter()
                .map(|(at, speed, key)| {
                    let e = &self.done[key];
                    Track {
                        said: *at,
                        speed: *speed,
                        samples: e.samples,
                        sentences: e.sentences.clone(),
                        packets: &e.packets,
                    }
                })
                .chain(recorded.iter().map(|(at, speed, e)| Track {
                    said: *at,
                    speed: *speed,
                    samples: e.samples,
                    sentences: e.sentences.clone(),
                    packets: &e.packets,
                }))
                .collect(),
        };
        Ok(part.to_speech_bytes()?)
    }

    /// Where the encoding of `key` is cached: by the hash of what is said, the voice and the
    /// encoder.
    fn cache_file(&self, key: &Key) -> Option<std::path::PathBuf> {
        let dir = self.speaker.cache.as_ref()?;
        let mut h = blake3::Hasher::new();
        for part in [
            "bitig-part 1",
            &self.speaker.engine,
            opus::version(),
            &format!("{RATE} {FRAME} {BITRATE} {} {}", key.3, key.2),
            key.1.tag(),
            &key.0,
        ] {
            h.update(part.as_bytes());
            h.update(b"\0");
        }
        let name = bitig_format::hex::to_hex(&h.finalize().as_bytes()[..16]);
        Some(dir.join(format!("{name}.part")))
    }
}

/// Every text spoken got its encoding (a thread that panicked would lose some).
fn all_encoded(got: usize, want: usize) -> Result<(), PartError> {
    if got == want {
        Ok(())
    } else {
        Err(PartError::Resample(format!(
            "{got} of {want} texts encoded; an encoder thread stopped"
        )))
    }
}

/// A spoken text resampled to [`RATE`] and encoded.
fn encode(spoken: &crate::Spoken, pre_skip: u16) -> Result<Encoded, PartError> {
    let pcm = resample(&spoken.pcm, spoken.rate, RATE)?;
    let at = |s: u32| {
        let v = u64::from(s) * u64::from(RATE) / u64::from(spoken.rate);
        (v as u32).min(pcm.len() as u32)
    };
    let sentences = spoken
        .sentences
        .iter()
        .map(|s| Sentence {
            start: s.text.start as u32,
            end: s.text.end as u32,
            from: at(s.samples.start),
            to: at(s.samples.end),
        })
        .collect();
    let mut enc = encoder()?;
    let frame = usize::from(FRAME);
    // The encoder's look-ahead is flushed with silence after the track.
    let total = (pcm.len() + usize::from(pre_skip)).div_ceil(frame) * frame;
    let mut input = pcm.clone();
    input.resize(total, 0);
    let mut packets = Vec::new();
    let mut buf = [0u8; 1500];
    for chunk in input.chunks_exact(frame) {
        let n = enc.encode(chunk, &mut buf)?;
        packets.extend_from_slice(&(n as u16).to_le_bytes());
        packets.extend_from_slice(&buf[..n]);
    }
    Ok(Encoded {
        samples: pcm.len() as u32,
        sentences,
        packets,
    })
}

/// A narrator's reading at `speed`: stretched by the ratio of the normal speed's words a
/// minute to that speed's, its pitch kept, and its timing index scaled with it.
fn at_speed(spoken: &crate::Spoken, speed: u8) -> crate::Spoken {
    let factor = f64::from(crate::NORMAL_WPM) / f64::from(WPM[usize::from(speed)]);
    let scale = |s: u32| (f64::from(s) * factor).round() as u32;
    let pcm = crate::stretch::stretch(&spoken.pcm, spoken.rate, factor);
    let len = pcm.len() as u32;
    crate::Spoken {
        rate: spoken.rate,
        sentences: spoken
            .sentences
            .iter()
            .map(|s| crate::Sentence {
                text: s.text.clone(),
                samples: scale(s.samples.start).min(len)..scale(s.samples.end).min(len),
            })
            .collect(),
        pcm,
    }
}

fn encoder() -> Result<opus::Encoder, opus::Error> {
    let mut e = opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip)?;
    e.set_bitrate(opus::Bitrate::Bits(BITRATE))?;
    Ok(e)
}

/// `pcm` at `from` samples a second, at `to`: its length scaled, its start kept in place (the
/// resampler's delay removed).
pub fn resample(pcm: &[i16], from: u32, to: u32) -> Result<Vec<i16>, PartError> {
    let want = (pcm.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    if from == to || pcm.is_empty() {
        return Ok(pcm.to_vec());
    }
    let err = |e: &dyn std::fmt::Display| PartError::Resample(e.to_string());
    let mut r = rubato::FftFixedInOut::<f32>::new(from as usize, to as usize, 1024, 1)
        .map_err(|e| err(&e))?;
    let delay = r.output_delay();
    let mut out: Vec<f32> = Vec::with_capacity(want + delay + 2048);
    let input: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let mut at = 0;
    while out.len() < want + delay {
        let n = r.input_frames_next();
        let mut chunk = vec![0.0f32; n];
        if at < input.len() {
            let take = n.min(input.len() - at);
            chunk[..take].copy_from_slice(&input[at..at + take]);
        }
        at += n;
        let got = r.process(&[chunk], None).map_err(|e| err(&e))?;
        out.extend_from_slice(&got[0]);
    }
    Ok(out[delay..delay + want]
        .iter()
        .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_the_time_of_a_click() {
        // A click at 1 s of 22,050 Hz stays at 1 s of 16,000 Hz.
        let mut pcm = vec![0i16; 44_100];
        for s in &mut pcm[22_050..22_060] {
            *s = 20_000;
        }
        let out = resample(&pcm, 22_050, 16_000).unwrap();
        assert_eq!(out.len(), 32_000);
        let peak = out
            .iter()
            .enumerate()
            .max_by_key(|(_, s)| s.unsigned_abs())
            .unwrap()
            .0;
        assert!((16_000..16_010).contains(&peak), "peak at {peak}");
    }
}
