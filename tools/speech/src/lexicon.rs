//! Pronunciation lexicons, one per language (`assets/speech/<lang>.toml`): a written form and
//! what the voice says for it, each with where that reading comes from.
//!
//! ```toml
//! [[entry]]
//! written = "No."                  # as in the text, matched as a whole word
//! spoken = "number"                # said instead, in the language's spelling
//! source = "Oxford English Dictionary: No., abbreviation of numero"
//! ```
//!
//! A written form ending in a letter also matches with a suffix after an apostrophe or a
//! hyphen (Turkish `JSPG'nin`, Kazakh `ТМҰ-ның`): the suffix is kept.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub written: String,
    pub spoken: String,
    pub source: String,
    /// Where it is written (`file:line`).
    pub at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    entry: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    written: toml::Spanned<String>,
    spoken: String,
    source: String,
}

/// A lexicon that cannot be used: where and why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LexiconError(pub String);

/// The entries of one language.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

impl Lexicon {
    /// Reads `path`. A missing file is an empty lexicon; a bad one is an error with
    /// file:line saying what to fix.
    pub fn load(path: &Path) -> Result<Lexicon, LexiconError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Lexicon {
                    path: path.into(),
                    entries: Vec::new(),
                })
            }
            Err(e) => {
                return Err(LexiconError(format!(
                    "{}: cannot read: {e}",
                    path.display()
                )))
            }
        };
        let file: File = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(&text, s.start));
            LexiconError(format!(
                "{}:{line}: {}; each [[entry]] has written, spoken and source",
                path.display(),
                e.message().trim()
            ))
        })?;
        let mut entries: Vec<Entry> = Vec::new();
        for r in file.entry {
            let at = format!(
                "{}:{}",
                path.display(),
                line_of(&text, r.written.span().start)
            );
            let written = r.written.into_inner();
            if written.trim().is_empty() || written.contains(char::is_whitespace) {
                return Err(LexiconError(format!(
                    "{at}: written = {written:?} must be one word as the text writes it"
                )));
            }
            if r.source.trim().is_empty() {
                return Err(LexiconError(format!(
                    "{at}: {written}: say where the reading comes from (source = \"...\")"
                )));
            }
            if let Some(first) = entries.iter().find(|e| e.written == written) {
                return Err(LexiconError(format!(
                    "{at}: {written} is already in the lexicon at {}",
                    first.at
                )));
            }
            entries.push(Entry {
                written,
                spoken: r.spoken,
                source: r.source,
                at,
            });
        }
        Ok(Lexicon {
            path: path.into(),
            entries,
        })
    }

    /// `text` with every word the lexicon has replaced by what is said for it.
    pub fn apply(&self, text: &str) -> String {
        if self.entries.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&self.word(word));
        }
        out
    }

    /// One space-separated word: leading punctuation, the word (with a suffix after ' or -),
    /// trailing punctuation.
    fn word(&self, w: &str) -> String {
        let lead = w.len() - w.trim_start_matches(|c: char| !c.is_alphanumeric()).len();
        let (pre, rest) = w.split_at(lead);
        for e in &self.entries {
            if let Some(after) = rest.strip_prefix(e.written.as_str()) {
                let whole = after.is_empty()
                    || after.starts_with(|c: char| {
                        !c.is_alphanumeric() && c != '\'' && c != '’' && c != '-'
                    })
                    || (e.written.ends_with(|c: char| c.is_alphanumeric())
                        && (after.starts_with(['\'', '’', '-'])));
                if whole {
                    return format!("{pre}{}{after}", e.spoken);
                }
            }
        }
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(text: &str) -> Result<Lexicon, LexiconError> {
        let dir =
            std::env::temp_dir().join(format!("bitig-lex-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("en.toml");
        std::fs::write(&p, text).unwrap();
        let l = Lexicon::load(&p);
        let _ = std::fs::remove_dir_all(&dir);
        l
    }

    #[test]
    fn replaces_whole_words_and_keeps_suffixes() {
        let l = lex(
            "[[entry]]\nwritten = \"No.\"\nspoken = \"number\"\nsource = \"s\"\n\
                     [[entry]]\nwritten = \"JSPG\"\nspoken = \"Jay Ess Pee Gee\"\nsource = \"s\"\n",
        )
        .unwrap();
        assert_eq!(
            l.apply("on No. 5, (JSPG) and JSPG's"),
            "on number 5, (Jay Ess Pee Gee) and Jay Ess Pee Gee's"
        );
        assert_eq!(l.apply("Nos. JSPGX"), "Nos. JSPGX");
    }

    #[test]
    fn a_bad_lexicon_names_the_line() {
        let e = lex("[[entry]]\nwritten = \"A\"\nspoken = \"a\"\nsource = \"s\"\n[[entry]]\nwritten = \"A\"\nspoken = \"b\"\nsource = \"s\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("en.toml:6:") && e.contains("already"), "{e}");
        let e = lex("[[entry]]\nwritten = \"A\"\nspoken = \"a\"\nsource = \"\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("en.toml:2:") && e.contains("source"), "{e}");
        let e = lex("[[entry]]\nwritten = \"A\"\nspoken = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("en.toml:"), "{e}");
    }
}
