//! Sentences by UAX #29 (ICU4X's sentence segmenter): the units the voice speaks, the timing
//! index counts and the reader highlights.

use icu_segmenter::options::SentenceBreakInvariantOptions;
use icu_segmenter::SentenceSegmenter;
use std::ops::Range;

/// The sentences of `text` as byte ranges, without the spaces and line breaks between them;
/// empty ones (only spaces) left out.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let seg = SentenceSegmenter::new(SentenceBreakInvariantOptions::default());
    let breaks: Vec<usize> = seg.segment_str(text).collect();
    let mut out = Vec::new();
    for w in breaks.windows(2) {
        let (a, b) = (w[0], w[1]);
        let s = &text[a..b];
        let start = a + (s.len() - s.trim_start().len());
        let end = b - (s.len() - s.trim_end().len());
        if start < end {
            out.push(start..end);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_sentence_ends_and_not_after_abbreviations_before_lowercase() {
        let t = "The Sides met in Ankara. They agreed on No. 5 and more.  Then they left.";
        let s: Vec<&str> = sentences(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(
            s,
            [
                "The Sides met in Ankara.",
                "They agreed on No. 5 and more.",
                "Then they left."
            ]
        );
        let kk = "Тараптар кездесті. Олар келісті!";
        assert_eq!(sentences(kk).len(), 2);
        assert!(sentences("   ").is_empty());
    }
}
