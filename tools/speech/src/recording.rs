//! A narrator's reading in place of the voice. Beside a statement source `X.kk.md`, an editor
//! puts the recording (`X.kk.flac`, `X.kk.ogg` or `X.kk.wav`) and its WebVTT file
//! (`X.kk.vtt`) with one cue per sentence, in the order the statement reads: title, byline,
//! then every block. `bitig build` then speaks that edition with the recording, with the cues
//! as the timing index; the slow and fast speeds are the recording stretched with its pitch
//! kept ([`crate::stretch`]), their timing index scaled with it.
//!
//! The cues are checked against the sentences the reader highlights (UAX #29, the same as
//! the voice's): each cue's text must be its sentence's, compared [`normalised`] (case,
//! punctuation, typographic quotes and soft hyphens do not count). A cue that does not match,
//! a cue out of order, a cue past the recording's end or a count that differs is refused with
//! the VTT file's line.

use crate::part::{resample, RATE};
use crate::sentences;
use std::path::{Path, PathBuf};

/// What is wrong with a recording: its file, the line (VTT) if there is one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RecordingError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

fn fail<T>(path: &Path, line: Option<usize>, message: String) -> Result<T, RecordingError> {
    Err(RecordingError {
        path: path.to_path_buf(),
        line,
        message,
    })
}

/// One cue: its line in the VTT file, its time (ms) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub line: usize,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// A recording, decoded to mono at the speech part's [`RATE`], with its cues.
#[derive(Debug, Clone)]
pub struct Recording {
    pub audio: PathBuf,
    pub vtt: PathBuf,
    pub pcm: Vec<i16>,
    pub cues: Vec<Cue>,
}

/// The audio files a recording may be, in the order they are looked for.
pub const AUDIO: [&str; 3] = ["flac", "ogg", "wav"];

impl Recording {
    /// The recording beside `source` (`X.kk.md`): `None` if there is neither audio nor VTT;
    /// an error if there is one without the other, or either is bad.
    pub fn beside(source: &Path) -> Result<Option<Recording>, RecordingError> {
        let vtt = source.with_extension("vtt");
        let audio = AUDIO
            .iter()
            .map(|e| source.with_extension(e))
            .find(|p| p.is_file());
        match (audio, vtt.is_file()) {
            (None, false) => Ok(None),
            (None, true) => fail(
                &vtt,
                None,
                format!(
                    "a cue file without its recording: put {} (or .ogg, .wav) beside it, or remove it",
                    source.with_extension("flac").display()
                ),
            ),
            (Some(a), false) => fail(
                &a,
                None,
                format!(
                    "a recording without its cues: write {} with one cue per sentence (title, byline, then every sentence of the text), or remove the recording",
                    vtt.display()
                ),
            ),
            (Some(audio), true) => {
                let text = std::fs::read_to_string(&vtt)
                    .or_else(|e| fail(&vtt, None, format!("cannot be read as UTF-8 text: {e}")))?;
                let cues = parse_vtt(&vtt, &text)?;
                let pcm = load_audio(&audio)?;
                let rec = Recording {
                    audio,
                    vtt,
                    pcm,
                    cues,
                };
                rec.check_times()?;
                Ok(Some(rec))
            }
        }
    }

    /// Every cue inside the recording, in order, none overlapping the next.
    fn check_times(&self) -> Result<(), RecordingError> {
        let len_ms = self.pcm.len() as u64 * 1000 / u64::from(RATE);
        let mut last_end = 0;
        for (i, c) in self.cues.iter().enumerate() {
            if c.start_ms < last_end {
                return fail(
                    &self.vtt,
                    Some(c.line),
                    format!(
                        "cue {} starts at {} before the cue before it ends ({}): cues follow one another",
                        i + 1,
                        clock(c.start_ms),
                        clock(last_end)
                    ),
                );
            }
            if c.end_ms > len_ms {
                return fail(
                    &self.vtt,
                    Some(c.line),
                    format!(
                        "cue {} ends at {}, after the end of {} ({})",
                        i + 1,
                        clock(c.end_ms),
                        self.audio.display(),
                        clock(len_ms)
                    ),
                );
            }
            last_end = c.end_ms;
        }
        Ok(())
    }

    /// The recording cut into `blocks` (their shown texts): for each block, the samples from
    /// its first sentence's cue to its last's, and each sentence's samples in that cut.
    /// Refuses cues that do not follow the blocks' sentences.
    pub fn align(&self, blocks: &[&str]) -> Result<Vec<crate::Spoken>, RecordingError> {
        let total: usize = blocks.iter().map(|b| sentences(b).len()).sum();
        let at = |ms: u64| ((ms * u64::from(RATE) / 1000) as usize).min(self.pcm.len());
        let mut cues = self.cues.iter().enumerate();
        let mut out = Vec::with_capacity(blocks.len());
        for (b, text) in blocks.iter().enumerate() {
            let ranges = sentences(text);
            let mut timed = Vec::with_capacity(ranges.len());
            for r in ranges {
                let Some((n, cue)) = cues.next() else {
                    return fail(
                        &self.vtt,
                        None,
                        format!(
                            "{} cues for {total} sentences: the cues end before block {b}'s sentence \"{}\"; add a cue for every sentence",
                            self.cues.len(),
                            &text[r]
                        ),
                    );
                };
                if normalised(&cue.text) != normalised(&text[r.clone()]) {
                    return fail(
                        &self.vtt,
                        Some(cue.line),
                        format!(
                            "cue {} reads \"{}\", but sentence {} of the statement is \"{}\"; the cues follow the text sentence by sentence: mend the cue's text, or split or join cues where the sentences are",
                            n + 1,
                            cue.text,
                            n + 1,
                            &text[r]
                        ),
                    );
                }
                timed.push((r, cue));
            }
            let (Some(first), Some(last)) = (timed.first(), timed.last()) else {
                // A block without a sentence (only spaces) says nothing.
                out.push(crate::Spoken {
                    rate: RATE,
                    pcm: Vec::new(),
                    sentences: Vec::new(),
                });
                continue;
            };
            let (from, to) = (at(first.1.start_ms), at(last.1.end_ms));
            let sentences = timed
                .iter()
                .map(|(r, c)| crate::Sentence {
                    text: r.clone(),
                    samples: (at(c.start_ms) - from) as u32..(at(c.end_ms) - from) as u32,
                })
                .collect();
            out.push(crate::Spoken {
                rate: RATE,
                pcm: self.pcm[from..to].to_vec(),
                sentences,
            });
        }
        if let Some((n, extra)) = cues.next() {
            return fail(
                &self.vtt,
                Some(extra.line),
                format!(
                    "{} cues for {total} sentences: cue {} (\"{}\") has no sentence left in the statement; remove it or mend the text",
                    self.cues.len(),
                    n + 1,
                    extra.text
                ),
            );
        }
        Ok(out)
    }
}

/// `ms` as a WebVTT time.
pub fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// A text as the cues and the sentences are compared: lowercase letters and digits, one
/// space between words; quotes, punctuation, soft hyphens and line breaks do not count.
pub fn normalised(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !(c.is_alphanumeric() || c == '\u{AD}'))
        .filter(|w| !w.is_empty())
    {
        let w: String = word.chars().filter(|&c| c != '\u{AD}').collect();
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(w.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A WebVTT time: `hh:mm:ss.ttt` or `mm:ss.ttt`.
fn parse_time(t: &str) -> Option<u64> {
    let (hms, ms) = t.split_once('.')?;
    if ms.len() != 3 || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = hms.split(':').collect();
    let num = |s: &str| {
        (s.len() >= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let (h, m, s) = match parts.as_slice() {
        [m, s] => (0, num(m)?, num(s)?),
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        _ => return None,
    };
    if m >= 60 || s >= 60 {
        return None;
    }
    Some(((h * 60 + m) * 60 + s) * 1000 + ms.parse::<u64>().ok()?)
}

/// The cues of a WebVTT file (<https://www.w3.org/TR/webvtt1/>): the header, then blocks
/// separated by blank lines; a cue is an optional identifier line, a timing line
/// (`00:01.000 --> 00:04.250`, settings after it ignored) and its text. NOTE, STYLE and
/// REGION blocks are skipped; tags in the text (`<v Narrator>`) are removed.
pub fn parse_vtt(path: &Path, text: &str) -> Result<Vec<Cue>, RecordingError> {
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    if !lines
        .first()
        .is_some_and(|l| *l == "WEBVTT" || l.starts_with("WEBVTT ") || l.starts_with("WEBVTT\t"))
    {
        return fail(
            path,
            Some(1),
            "a WebVTT file starts with the line `WEBVTT`".to_string(),
        );
    }
    let mut cues = Vec::new();
    let mut i = 1;
    while i < lines.len() {
        // Skip to the next block.
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if i >= lines.len() {
            break;
        }
        let start = i;
        while i < lines.len() && !lines[i].trim().is_empty() {
            i += 1;
        }
        let block = &lines[start..i];
        let first = block[0];
        if first.starts_with("NOTE") || first == "STYLE" || first == "REGION" {
            continue;
        }
        let (timing_at, timing) = match block.iter().position(|l| l.contains("-->")) {
            Some(k) if k <= 1 => (start + k, block[k]),
            _ => {
                return fail(
                    path,
                    Some(start + 1),
                    format!(
                        "expected a cue's timing line such as `00:01.000 --> 00:04.250`, found {first:?}"
                    ),
                )
            }
        };
        let (a, rest) = timing.split_once("-->").unwrap_or((timing, ""));
        let b = rest.split_whitespace().next().unwrap_or("");
        let (Some(start_ms), Some(end_ms)) = (parse_time(a.trim()), parse_time(b)) else {
            return fail(
                path,
                Some(timing_at + 1),
                format!(
                    "`{timing}` is not a cue timing: write `mm:ss.ttt --> mm:ss.ttt` or `hh:mm:ss.ttt --> hh:mm:ss.ttt`"
                ),
            );
        };
        if end_ms <= start_ms {
            return fail(
                path,
                Some(timing_at + 1),
                format!(
                    "the cue ends ({}) before it starts ({})",
                    clock(end_ms),
                    clock(start_ms)
                ),
            );
        }
        let payload: Vec<&str> = block[timing_at - start + 1..].to_vec();
        let mut text = String::new();
        for l in payload {
            if !text.is_empty() {
                text.push(' ');
            }
            // Tags such as <v Narrator> or <i> are not part of what is said.
            let mut in_tag = false;
            for c in l.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' if in_tag => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
        }
        let text = text
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&nbsp;", " ");
        if text.trim().is_empty() {
            return fail(path, Some(timing_at + 1), "a cue without text".to_string());
        }
        cues.push(Cue {
            line: timing_at + 1,
            start_ms,
            end_ms,
            text: text.trim().to_string(),
        });
    }
    if cues.is_empty() {
        return fail(path, None, "no cues".to_string());
    }
    Ok(cues)
}

/// The recording at `path` (FLAC, Ogg Vorbis or WAV) as mono samples at the speech part's
/// [`RATE`].
pub fn load_audio(path: &Path) -> Result<Vec<i16>, RecordingError> {
    let (rate, pcm) = decode(path)?;
    resample(&pcm, rate, RATE).or_else(|e| fail(path, None, format!("cannot be resampled: {e}")))
}

/// The recording as mono 16-bit samples, and its rate.
fn decode(path: &Path) -> Result<(u32, Vec<i16>), RecordingError> {
    let bytes =
        std::fs::read(path).or_else(|e| fail(path, None, format!("cannot be read: {e}")))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let (rate, channels, samples): (u32, usize, Vec<i32>) = match ext {
        "wav" => {
            let l = bitig_io::wav::layout(&bytes).or_else(|e| fail(path, None, e))?;
            let s = bytes[l.data_at..]
                .chunks_exact(2)
                .map(|b| i32::from(i16::from_le_bytes([b[0], b[1]])))
                .collect();
            (l.rate, usize::from(l.channels), s)
        }
        "ogg" => {
            let bad = |e: &dyn std::fmt::Display| RecordingError {
                path: path.to_path_buf(),
                line: None,
                message: format!("not an Ogg Vorbis file lewton can decode: {e}"),
            };
            let mut r = lewton::inside_ogg::OggStreamReader::new(std::io::Cursor::new(&bytes))
                .map_err(|e| bad(&e))?;
            let rate = r.ident_hdr.audio_sample_rate;
            let channels = usize::from(r.ident_hdr.audio_channels);
            let mut s = Vec::new();
            while let Some(p) = r.read_dec_packet_itl().map_err(|e| bad(&e))? {
                s.extend(p.into_iter().map(i32::from));
            }
            (rate, channels, s)
        }
        "flac" => {
            let mut r = claxon::FlacReader::new(std::io::Cursor::new(&bytes)).or_else(|e| {
                fail(
                    path,
                    None,
                    format!("not a FLAC file claxon can decode: {e}"),
                )
            })?;
            let info = r.streaminfo();
            let shift = info.bits_per_sample.saturating_sub(16);
            let up = 16u32.saturating_sub(info.bits_per_sample);
            let mut s = Vec::new();
            for x in r.samples() {
                let x =
                    x.or_else(|e| fail(path, None, format!("a FLAC frame does not decode: {e}")))?;
                s.push((x >> shift) << up);
            }
            (info.sample_rate, info.channels as usize, s)
        }
        other => {
            return fail(
                path,
                None,
                format!("`.{other}` is not a recording format: use FLAC, Ogg Vorbis or WAV"),
            )
        }
    };
    if rate == 0 || channels == 0 {
        return fail(
            path,
            None,
            "it says it has no channels or no rate".to_string(),
        );
    }
    let mono = samples
        .chunks_exact(channels)
        .map(|f| (f.iter().sum::<i32>() / channels as i32).clamp(-32768, 32767) as i16)
        .collect();
    Ok((rate, mono))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("x.kk.vtt")
    }

    #[test]
    fn cues_are_read_with_their_lines_and_tags_removed() {
        let vtt = "WEBVTT\n\nNOTE made by hand\n\n1\n00:00.500 --> 00:02.000 align:start\n<v Narrator>First one.</v>\n\n00:01:02.250 --> 00:01:04.000\nSecond\nline.\n";
        let cues = parse_vtt(&p(), vtt).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!(
            (cues[0].line, cues[0].start_ms, cues[0].end_ms),
            (6, 500, 2000)
        );
        assert_eq!(cues[0].text, "First one.");
        assert_eq!((cues[1].line, cues[1].start_ms), (9, 62_250));
        assert_eq!(cues[1].text, "Second line.");
    }

    #[test]
    fn bad_cue_files_are_refused_with_their_line() {
        let e = parse_vtt(&p(), "WEBVTT\n\n00:01.000 -> 00:02.000\nHi.\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = parse_vtt(&p(), "WEBVTT\n\n00:01.000 --> 00:61.000\nHi.\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(
            e.to_string()
                .starts_with("x.kk.vtt:3: `00:01.000 --> 00:61.000`"),
            "{e}"
        );
        let e = parse_vtt(&p(), "WEBVTT\n\n00:02.000 --> 00:01.000\nHi.\n").unwrap_err();
        assert!(e.message.contains("before it starts"), "{e}");
        assert_eq!(parse_vtt(&p(), "hello\n").unwrap_err().line, Some(1));
    }

    #[test]
    fn sentences_and_cues_compare_without_case_quotes_or_soft_hyphens() {
        assert_eq!(
            normalised("«Түрк\u{AD}ілер», „сөз“ бар!"),
            normalised("түркілер сөз бар")
        );
        assert_ne!(normalised("the 8th meeting"), normalised("the 9th meeting"));
    }

    /// A recording of two blocks: tones for sentences, silence between them.
    fn recording(cue_texts: &[&str]) -> Recording {
        let rate = RATE as usize;
        let mut pcm = vec![0i16; rate / 2];
        let mut cues = Vec::new();
        for (i, t) in cue_texts.iter().enumerate() {
            let start = pcm.len();
            let len = rate * (i + 1) / 2;
            pcm.extend((0..len).map(|k| if k % 20 < 10 { 8000 } else { -8000 }));
            cues.push(Cue {
                line: 3 + 3 * i,
                start_ms: (start * 1000 / rate) as u64,
                end_ms: (pcm.len() * 1000 / rate) as u64,
                text: t.to_string(),
            });
            pcm.extend(std::iter::repeat_n(0, rate / 4));
        }
        Recording {
            audio: PathBuf::from("x.kk.wav"),
            vtt: p(),
            pcm,
            cues,
        }
    }

    #[test]
    fn blocks_get_their_cut_of_the_recording_and_each_sentence_its_cue() {
        let blocks = ["The title.", "One sentence. Another one!"];
        let rec = recording(&["the title", "One sentence.", "Another “one”!"]);
        let spoken = rec.align(&blocks).unwrap();
        assert_eq!(spoken.len(), 2);
        let ms = |s: u32| u64::from(s) * 1000 / u64::from(RATE);
        // The title: its cue, 0.5 s.
        assert_eq!(spoken[0].pcm.len(), RATE as usize / 2);
        // The second block runs from its first cue's start to its last cue's end.
        let b = &spoken[1];
        let (c1, c2) = (&rec.cues[1], &rec.cues[2]);
        assert_eq!(ms(b.pcm.len() as u32), c2.end_ms - c1.start_ms);
        assert_eq!(b.sentences[1].text, 14..26);
        assert_eq!(ms(b.sentences[1].samples.start), c2.start_ms - c1.start_ms);
        // A cue that says something else is refused at its line.
        let rec = recording(&["the title", "One sentence.", "Another two!"]);
        let e = rec.align(&blocks).unwrap_err();
        assert_eq!(e.line, Some(9), "{e}");
        assert!(e.message.contains("cue 3 reads \"Another two!\""), "{e}");
        // Too few and too many cues.
        let e = recording(&["the title", "One sentence."])
            .align(&blocks)
            .unwrap_err();
        assert!(e.message.starts_with("2 cues for 3 sentences"), "{e}");
        let e = recording(&["the title", "One sentence.", "Another one!", "More."])
            .align(&blocks)
            .unwrap_err();
        assert_eq!(e.line, Some(12), "{e}");
    }

    #[test]
    fn a_cue_past_the_end_of_the_recording_is_refused() {
        let mut rec = recording(&["the title"]);
        rec.cues[0].end_ms = 60_000;
        let e = rec.check_times().unwrap_err();
        assert!(e.message.contains("after the end of x.kk.wav"), "{e}");
    }
}
