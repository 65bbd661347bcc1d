//! Typographic punctuation, a build step after Markdown parsing: straight quotes become the
//! language's quotation marks and apostrophes become ’. Every change is reported, so the
//! editor sees it as a lint (and `--strict` makes it an error).
//!
//! - English and Turkish: “outer ‘inner’ outer”, and ‘single’ quotes as written.
//! - Kazakh: «outer „inner“ outer».
//! - An apostrophe (a `'` between letters, or before a digit as in ’90s) is ’ everywhere.
//! - Nothing changes inside a URL or an e-mail address.

use bitig_format::Lang;

/// One conversion: byte offset of the straight quote in the input, what it was, what it
/// became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteFix {
    pub at: usize,
    pub from: char,
    pub to: char,
}

/// Quotation marks of a language at a nesting depth: (open, close).
pub fn marks(lang: Lang, depth: usize) -> (char, char) {
    match (lang, depth) {
        (Lang::Kk, 0) => ('«', '»'),
        (Lang::Kk, _) => ('„', '“'),
        (_, 0) => ('“', '”'),
        (_, _) => ('‘', '’'),
    }
}

fn opens_after(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(c) => c.is_whitespace() || "([{«„“‘—–-/\u{a0}".contains(c),
    }
}

/// Whether the token that ends `out` (text since the last space) is an address.
fn in_address(out: &str) -> bool {
    let token = out.rsplit(char::is_whitespace).next().unwrap_or("");
    let lower = token.to_lowercase();
    lower.contains("://") || lower.starts_with("www.") || token.contains('@')
}

/// Converts the straight quotes of `text`. The nesting carries over through `stack` (one
/// per block), so a quotation that spans styled pieces is still paired.
pub fn convert(lang: Lang, text: &str, stack: &mut Vec<char>) -> (String, Vec<QuoteFix>) {
    let mut out = String::with_capacity(text.len() + 8);
    let mut fixes = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if (c != '"' && c != '\'') || in_address(&out) {
            out.push(c);
            continue;
        }
        let prev = out.chars().next_back();
        let next = chars.get(k + 1).map(|&(_, n)| n);
        let opening = opens_after(prev) && next.is_some_and(|n| !n.is_whitespace());
        let to = if c == '"' {
            if opening {
                let (o, _) = marks(lang, stack.len());
                stack.push('"');
                o
            } else {
                // Close the innermost open double quote (and any single quote left open in
                // it).
                while stack.last() == Some(&'\'') {
                    stack.pop();
                }
                stack.pop();
                marks(lang, stack.len()).1
            }
        } else if opening && !next.is_some_and(|n| n.is_numeric()) {
            stack.push('\'');
            if lang == Lang::Kk {
                marks(lang, 1).0
            } else {
                '‘'
            }
        } else if prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphabetic)
            || next.is_some_and(char::is_numeric)
            || stack.last() != Some(&'\'')
        {
            // Between letters (Türkiye’nin, don’t), before a year (’90s), or with no single
            // quote open: an apostrophe.
            '’'
        } else {
            stack.pop();
            if lang == Lang::Kk {
                marks(lang, 1).1
            } else {
                '’'
            }
        };
        out.push(to);
        fixes.push(QuoteFix { at, from: c, to });
    }
    (out, fixes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(lang: Lang, s: &str) -> String {
        convert(lang, s, &mut Vec::new()).0
    }

    #[test]
    fn quotes_per_language() {
        assert_eq!(
            conv(Lang::En, r#"He said "the 'Middle Corridor' is open"."#),
            "He said “the ‘Middle Corridor’ is open”."
        );
        assert_eq!(
            conv(Lang::Kk, r#"ол "Орта "дәліз" ашық" деді"#),
            "ол «Орта „дәліз“ ашық» деді"
        );
        assert_eq!(
            conv(Lang::Tr, r#""Türkiye'nin" sesi"#),
            "“Türkiye’nin” sesi"
        );
        assert_eq!(conv(Lang::En, "Kazakhstan's '90s"), "Kazakhstan’s ’90s");
    }

    #[test]
    fn addresses_are_left_alone() {
        let s = r#"see https://example.org/a"b'c and "x""#;
        assert_eq!(conv(Lang::En, s), "see https://example.org/a\"b'c and “x”");
    }
}
