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
