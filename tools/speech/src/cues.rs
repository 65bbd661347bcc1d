//! A first draft of a narrator's cue file (`bitig cues`): one cue per sentence, timed from
//! the recording itself. The voice speaks the same sentences, so its timing says roughly where
//! each sentence ends; scaled to the recording's length, each of those guesses is moved to the
//! nearest pause in the recording (a run of quiet at least [`MIN_PAUSE_MS`] long), in order, so
//! that every boundary between two sentences sits in a pause of the narrator's. An editor then
//! listens through the draft in a subtitle editor and mends what a pause inside a sentence
//! misled; `bitig build` checks the cues' texts as ever.

use crate::recording::Cue;
use crate::{Speaker, SpeechError};
use bitig_format::Lang;

/// Windows the loudness is measured over: 10 ms.
const WINDOW: usize = (crate::part::RATE / 100) as usize;
/// The shortest quiet that counts as a pause between sentences.
pub const MIN_PAUSE_MS: u64 = 120;
/// Quiet is below this share of the loud windows' level (the 95th percentile): −24 dB.
const QUIET_SHARE: f64 = 0.063;

/// A pause in the recording, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub start: u64,
    pub end: u64,
}

impl Pause {
    fn mid(&self) -> u64 {
        (self.start + self.end) / 2
    }
}

/// What the draft found: the cues, the recording's pauses, and how far (ms) the furthest
/// boundary moved from the voice's guess.
#[derive(Debug, Clone)]
pub struct Draft {
    pub cues: Vec<Cue>,
    pub pauses: usize,
    pub furthest_ms: u64,
}

/// The recording's speech (first and last loud window, in ms) and the pauses within it.
/// `pcm` is mono at the speech part's rate.
pub fn pauses(pcm: &[i16]) -> (Option<(u64, u64)>, Vec<Pause>) {
    let levels: Vec<f64> = pcm
        .chunks(WINDOW)
        .map(|w| (w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / w.len() as f64).sqrt())
        .collect();
    let mut sorted = levels.clone();
    sorted.sort_by(f64::total_cmp);
    let loud = sorted.get(sorted.len() * 95 / 100).copied().unwrap_or(0.0);
    let quiet = |l: f64| l <= loud * QUIET_SHARE;
    let ms = |w: usize| w as u64 * 10;
    let (Some(first), Some(last)) = (
        levels.iter().position(|&l| !quiet(l)),
        levels.iter().rposition(|&l| !quiet(l)),
    ) else {
        return (None, Vec::new());
    };
    let mut out = Vec::new();
    let mut run: Option<usize> = None;
    for (w, &l) in levels.iter().enumerate().take(last + 1).skip(first) {
        match (quiet(l), run) {
            (true, None) => run = Some(w),
            (false, Some(s)) => {
                if ms(w - s) >= MIN_PAUSE_MS {
                    out.push(Pause {
                        start: ms(s),
                        end: ms(w),
                    });
                }
                run = None;
            }
            _ => {}
        }
    }
    (Some((ms(first), ms(last + 1))), out)
}

/// Cues for `sentences` (their texts) in a recording whose speech spans `speech` (ms) with
/// `pauses` in it. `guess[i]` is where the voice puts the boundary after sentence `i`, as a
/// share of its reading (0 to 1); there is one fewer guess than sentences. Each boundary goes
/// to a pause, in order, as near its guess as can be (dynamic programming over the pauses);
/// with fewer pauses than boundaries, the guesses themselves are the boundaries.
pub fn draft(sentences: &[String], speech: (u64, u64), pauses: &[Pause], guess: &[f64]) -> Draft {
    let (from, to) = speech;
    let len = to.saturating_sub(from) as f64;
    let want: Vec<u64> = guess
        .iter()
        .map(|g| from + (g.clamp(0.0, 1.0) * len) as u64)
        .collect();
    let chosen = assign(&want, pauses, speech);
    let mut cues = Vec::with_capacity(sentences.len());
    let mut furthest = 0;
    let mut start = from;
    for (i, text) in sentences.iter().enumerate() {
        let (end, next) = match (i < want.len(), &chosen) {
            (false, _) => (to, to),
            (true, Some(c)) => {
                let p = pauses[c[i]];
                furthest = furthest.max(p.mid().abs_diff(want[i]));
                (p.start, p.end)
            }
            (true, None) => (want[i], want[i]),
        };
        cues.push(Cue {
            line: 0,
            start_ms: start,
            end_ms: end.max(start),
            text: text.split_whitespace().collect::<Vec<_>>().join(" "),
        });
        start = next.max(start);
    }
    Draft {
        cues,
        pauses: pauses.len(),
        furthest_ms: furthest,
    }
}

/// Pauses this long or longer are all alike; a shorter one (a comma's, a semicolon's) costs
/// up to half this in ms: a narrator pauses longer between sentences than inside them.
const LONG_PAUSE_MS: u64 = 1000;

/// For each wanted time (ascending, within `from..to`), a distinct pause, in order. What is
/// weighed is each sentence's length, not where it falls: the distance between two chosen
/// pauses against the distance between their wanted times (so an early slip does not push
/// every later boundary off), and a short pause costs more than a long one. `None` if there
/// are too few pauses.
fn assign(want: &[u64], pauses: &[Pause], (from, to): (u64, u64)) -> Option<Vec<usize>> {
    let (n, g) = (want.len(), pauses.len());
    if n == 0 {
        return Some(Vec::new());
    }
    if g < n {
        return None;
    }
    let short = |j: usize| {
        let len = pauses[j].end - pauses[j].start;
        LONG_PAUSE_MS.saturating_sub(len) / 2
    };
    let length = |a: u64, b: u64, wa: u64, wb: u64| b.saturating_sub(a).abs_diff(wb - wa);
    // best[k][j]: the least cost of boundaries 0..=k with boundary k at pause j.
    let mut best = vec![u64::MAX; n * g];
    let mut back = vec![0usize; n * g];
    for j in 0..g {
        best[j] = length(from, pauses[j].mid(), from, want[0]) + short(j);
    }
    for k in 1..n {
        for j in k..g {
            for i in k - 1..j {
                let before = best[(k - 1) * g + i];
                if before == u64::MAX {
                    continue;
                }
                let c = before
                    + length(pauses[i].mid(), pauses[j].mid(), want[k - 1], want[k])
                    + short(j);
                if c < best[k * g + j] {
                    best[k * g + j] = c;
                    back[k * g + j] = i;
                }
            }
        }
    }
    let last_len = |j: usize| length(pauses[j].mid(), to, want[n - 1], to.max(want[n - 1]));
    let last = (n - 1..g)
        .filter(|&j| best[(n - 1) * g + j] != u64::MAX)
        .min_by_key(|&j| best[(n - 1) * g + j] + last_len(j))?;
    let mut out = vec![0; n];
    out[n - 1] = last;
    for k in (1..n).rev() {
        out[k - 1] = back[k * g + out[k]];
    }
    Some(out)
}

/// The cues as a WebVTT file.
pub fn vtt(cues: &[Cue]) -> String {
    let mut s =
        String::from("WEBVTT - a draft by `bitig cues`: listen through it and mend the times\n");
    for (i, c) in cues.iter().enumerate() {
        s.push_str(&format!(
            "\n{}\n{} --> {}\n{}\n",
            i + 1,
            crate::recording::clock(c.start_ms),
            crate::recording::clock(c.end_ms),
            c.text
        ));
    }
    s
}

/// The sentences of `blocks` (each text with the pause after it), as the voice reads them at
/// the normal speed, and where it puts each boundary between two sentences, as a share of
/// its reading from the first sentence's start to the last one's end.
pub fn guesses(
    speaker: &Speaker,
    lang: Lang,
    blocks: &[(String, u32)],
) -> Result<(Vec<String>, Vec<f64>), SpeechError> {
    let mut texts = Vec::new();
    let mut spans: Vec<(u64, u64)> = Vec::new();
    let mut base = 0u64;
    for (text, pause) in blocks {
        let s = speaker.speak(text, lang, crate::WPM[1], *pause)?;
        for sent in &s.sentences {
            texts.push(text[sent.text.clone()].to_string());
            spans.push((
                base + u64::from(sent.samples.start),
                base + u64::from(sent.samples.end),
            ));
        }
        base += s.pcm.len() as u64;
    }
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
        return Ok((texts, Vec::new()));
    };
    let (from, len) = (first.0, last.1.saturating_sub(first.0).max(1) as f64);
    let guess = spans
        .windows(2)
        .map(|w| ((w[0].1 + w[1].0) / 2 - from) as f64 / len)
        .collect();
    Ok((texts, guess))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(start: u64, end: u64) -> Pause {
        Pause { start, end }
    }

    #[test]
    fn each_boundary_takes_the_nearest_pause_in_order() {
        let pauses = [p(900, 1100), p(1500, 1700), p(2900, 3100), p(3300, 3400)];
        let span = (0, 4000);
        assert_eq!(assign(&[1000, 3000], &pauses, span), Some(vec![0, 2]));
        // Two guesses nearest the same pause: the order keeps them apart.
        assert_eq!(assign(&[1000, 1050], &pauses, span), Some(vec![0, 1]));
        assert_eq!(assign(&[1000, 2000, 3000], &pauses[..2], span), None);
        // A long pause (340 ms, 90 ms from the guess) beats a short one (20 ms, 50 ms from it).
        let pauses = [p(940, 960), p(920, 1260)];
        assert_eq!(assign(&[1000], &pauses, span), Some(vec![1]));
    }

    #[test]
    fn quiet_between_tones_is_a_pause_and_a_short_dip_is_not() {
        let tone = |ms: usize| (0..ms * 16).map(|k| if k % 32 < 16 { 5000 } else { -5000 });
        let mut pcm: Vec<i16> = vec![0; 16 * 300];
        pcm.extend(tone(800));
        pcm.extend(std::iter::repeat_n(3, 16 * 60)); // 60 ms: a dip inside a sentence
        pcm.extend(tone(500));
        pcm.extend(std::iter::repeat_n(-4, 16 * 400));
        pcm.extend(tone(700));
        pcm.extend(std::iter::repeat_n(0, 16 * 200));
        let (speech, pauses) = super::pauses(&pcm);
        assert_eq!(speech, Some((300, 2760)));
        assert_eq!(pauses, vec![p(1660, 2060)]);
        let texts = vec!["One.".to_string(), "Two  words.".to_string()];
        let d = draft(&texts, speech.unwrap(), &pauses, &[0.6]);
        assert_eq!(
            d.cues
                .iter()
                .map(|c| (c.start_ms, c.end_ms))
                .collect::<Vec<_>>(),
            vec![(300, 1660), (2060, 2760)]
        );
        assert_eq!(d.cues[1].text, "Two words.");
    }
}
