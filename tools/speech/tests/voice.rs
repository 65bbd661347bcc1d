//! espeak-ng's voice through the library, on real sentences of the statements in each
//! language: the timing index against the samples (speech inside every sentence's range,
//! silence in every pause between them), the same bytes on every run and from the cache, and
//! the words espeak-ng would spell out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitig_format::Lang;
use bitig_speech::{Speaker, SENTENCE_PAUSE_MS};
use std::path::Path;

fn speech_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/speech")
}

/// The loudness (mean absolute sample) of `pcm[r]`.
fn level(pcm: &[i16], r: std::ops::Range<usize>) -> f64 {
    let s = &pcm[r];
    s.iter().map(|x| f64::from(x.unsigned_abs())).sum::<f64>() / s.len().max(1) as f64
}

#[test]
fn the_timing_index_matches_the_speech_in_each_language() {
    let speaker = Speaker::new(&speech_dir(), None).unwrap();
    for (lang, text) in [
        (
            Lang::En,
            "The Sides met in Ankara on 2 February 2026. They reviewed No. 5 of the plan. Both welcomed the 8th meeting.",
        ),
        (
            Lang::Kk,
            "Тараптар Анкарада кездесті. Олар 2026 жылғы жоспарды талқылады. Кездесу сәтті өтті.",
        ),
        (
            Lang::Tr,
            "Taraflar Ankara'da bir araya geldi. JSPG'nin 8. toplantısı yapıldı. Görüşme olumlu geçti.",
        ),
    ] {
        let s = speaker.speak(text, lang, bitig_speech::NORMAL_WPM, 500).unwrap();
        assert_eq!(s.sentences.len(), 3, "{lang:?}");
        let pause = (s.rate * SENTENCE_PAUSE_MS / 1000) as usize;
        let mut report = Vec::new();
        for (i, sent) in s.sentences.iter().enumerate() {
            let (a, b) = (sent.samples.start as usize, sent.samples.end as usize);
            // Each sentence is speech: well above silence, and at least 0.5 s long.
            let loud = level(&s.pcm, a..b);
            assert!(loud > 400.0, "{lang:?} sentence {i} is too quiet: {loud:.0}");
            assert!(b - a > s.rate as usize / 2, "{lang:?} sentence {i} is {} samples", b - a);
            // Before it (after the one before), the pause is silence.
            if i > 0 {
                let gap = s.sentences[i - 1].samples.end as usize..a;
                assert_eq!(gap.len(), pause, "{lang:?}: the pause before sentence {i}");
                let quiet = level(&s.pcm, gap.clone());
                assert!(quiet < 1.0, "{lang:?}: the pause before sentence {i} is not silent: {quiet}");
            }
            report.push(format!("{:.2}-{:.2} s {:?}", a as f64 / f64::from(s.rate), b as f64 / f64::from(s.rate), &text[sent.text.clone()]));
        }
        println!("{lang:?}: {}", report.join("; "));
    }
}

#[test]
fn the_same_text_gives_the_same_samples_and_the_cache_gives_them_back() {
    let cache = std::env::temp_dir().join(format!("bitig-speech-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let text = "Kazakhstan and Türkiye signed the plan. It enters into force at once.";
    let a = Speaker::new(&speech_dir(), Some(cache.clone())).unwrap();
    let first = a.speak(text, Lang::En, 160, 500).unwrap();
    assert_eq!((a.synthesized.get(), a.cached.get()), (2, 0));
    let b = Speaker::new(&speech_dir(), Some(cache.clone())).unwrap();
    let second = b.speak(text, Lang::En, 160, 500).unwrap();
    assert_eq!(
        (b.synthesized.get(), b.cached.get()),
        (0, 2),
        "both sentences from the cache"
    );
    assert!(first == second, "the cache gives back what was synthesized");
    let c = Speaker::new(&speech_dir(), None).unwrap();
    let again = c.speak(text, Lang::En, 160, 500).unwrap();
    assert!(
        again == first,
        "synthesis is deterministic: {:?} against {:?} samples",
        again.sentences,
        first.sentences
    );
    // A change to one sentence synthesizes that sentence only.
    let changed = "Kazakhstan and Türkiye signed the plan. It enters into force next year.";
    let d = Speaker::new(&speech_dir(), Some(cache.clone())).unwrap();
    d.speak(changed, Lang::En, 160, 500).unwrap();
    assert_eq!((d.synthesized.get(), d.cached.get()), (1, 1));
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn initialisms_espeak_spells_are_listed() {
    let speaker = Speaker::new(&speech_dir(), None).unwrap();
    let spelled = speaker
        .spelled(Lang::En, "The UN and the OIC met in Ankara with TIKA.")
        .unwrap();
    assert!(spelled.contains(&"UN".to_string()), "{spelled:?}");
    assert!(spelled.contains(&"OIC".to_string()), "{spelled:?}");
    assert!(!spelled.contains(&"Ankara".to_string()), "{spelled:?}");
    assert!(
        !spelled.contains(&"TIKA".to_string()),
        "read as a word: {spelled:?}"
    );
}

/// The lexicons in assets/speech load, every entry with a source.
#[test]
fn the_lexicons_load() {
    let speaker = Speaker::new(&speech_dir(), None).unwrap();
    for lang in Lang::ALL {
        let l = speaker.lexicon(lang);
        assert!(!l.entries.is_empty(), "{lang:?}: {}", l.path.display());
        assert!(l.entries.iter().all(|e| !e.source.trim().is_empty()));
    }
    // The Kazakh initialisms are said by their names, case endings kept.
    let said = bitig_speech::voice_text("ТМҰ-ның құрылтай", Lang::Kk, speaker.lexicon(Lang::Kk));
    assert_eq!(said, "Түркі мемлекеттері ұйымы-ның құрылтай");
}

/// The median pitch period (samples) of the voiced 30 ms frames of `pcm`: each frame's
/// autocorrelation peak between 2.5 and 12.5 ms, where the peak is at least half the
/// frame's energy.
fn median_period(pcm: &[i16], rate: u32) -> f64 {
    let n = (rate * 30 / 1000) as usize;
    let (lo, hi) = ((rate / 400) as usize, (rate / 80) as usize);
    let mut periods: Vec<usize> = pcm
        .chunks_exact(n)
        .filter_map(|f| {
            let x: Vec<f64> = f.iter().map(|&s| f64::from(s)).collect();
            let energy: f64 = x.iter().map(|v| v * v).sum();
            if energy < 1e9 {
                return None;
            }
            let corr = |lag: usize| (0..n - lag).map(|i| x[i] * x[i + lag]).sum::<f64>();
            let (lag, peak) = (lo..hi)
                .map(|l| (l, corr(l)))
                .max_by(|a, b| a.1.total_cmp(&b.1))?;
            (peak > 0.5 * energy).then_some(lag)
        })
        .collect();
    assert!(periods.len() > 20, "only {} voiced frames", periods.len());
    periods.sort();
    periods[periods.len() / 2] as f64
}

/// A narrator's recording reaches the slow and fast speeds by WSOLA at build time
/// (`bitig_speech::stretch`): on the voice's own speech (English, 160 words a minute) the
/// stretch to 130 and to 200 keeps the median pitch period within 3% (resampling would move
/// it by the factor, 23% and 20%), as espeak-ng's own synthesis at those speeds does, and
/// scales the length by the factor.
#[test]
fn a_stretched_reading_keeps_the_voices_pitch() {
    let speaker = Speaker::new(&speech_dir(), None).unwrap();
    let text = "The Sides reviewed the progress of the joint projects in trade, energy and transport, and agreed to meet again in Astana next year.";
    let normal = speaker
        .speak(text, Lang::En, bitig_speech::NORMAL_WPM, 0)
        .unwrap();
    let p0 = median_period(&normal.pcm, normal.rate);
    for wpm in [130, 200] {
        let factor = f64::from(bitig_speech::NORMAL_WPM) / f64::from(wpm);
        let stretched = bitig_speech::stretch::stretch(&normal.pcm, normal.rate, factor);
        assert_eq!(
            stretched.len(),
            (normal.pcm.len() as f64 * factor).round() as usize
        );
        let p = median_period(&stretched, normal.rate);
        let synthesized = speaker.speak(text, Lang::En, wpm, 0).unwrap();
        let ps = median_period(&synthesized.pcm, synthesized.rate);
        println!(
            "{wpm} wpm: period {p0} samples at 160, {p} stretched, {ps} synthesized; length {} stretched, {} synthesized",
            stretched.len(),
            synthesized.pcm.len()
        );
        assert!(
            (p / p0 - 1.0).abs() < 0.03,
            "{wpm} wpm: the stretch moved the pitch period from {p0} to {p} samples"
        );
    }
}
