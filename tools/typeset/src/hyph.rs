//! Hyphenation: English and Turkish from the `hypher` crate, Kazakh from the public-domain
//! TeX patterns in `assets/hyphenation/hyph-kk.tex` (Liang's algorithm, implemented here).

use bitig_format::Lang;
use std::collections::HashMap;

/// Liang pattern hyphenator.
#[derive(Debug, Clone)]
pub struct Patterns {
    /// letters -> digit values between letters (len = letters + 1).
    map: HashMap<Vec<char>, Vec<u8>>,
    max_len: usize,
    left_min: usize,
    right_min: usize,
}

impl Patterns {
    /// Parses the `\patterns{...}` group of a TeX hyphenation file.
    pub fn from_tex(tex: &str, left_min: usize, right_min: usize) -> Result<Patterns, String> {
        let start = tex
            .find("\\patterns{")
            .ok_or("no \\patterns{ group")?
            + "\\patterns{".len();
        let end = tex[start..].find('}').ok_or("\\patterns{ is not closed")? + start;
        let mut map = HashMap::new();
        let mut max_len = 0;
        for line in tex[start..end].lines() {
            let line = line.split('%').next().unwrap_or("");
            for pat in line.split_whitespace() {
                let mut letters = Vec::new();
                let mut digits = vec![0u8];
                for c in pat.chars() {
                    if let Some(d) = c.to_digit(10) {
                        *digits.last_mut().ok_or("empty pattern")? = d as u8;
                    } else {
                        letters.push(c);
                        digits.push(0);
                    }
                }
                max_len = max_len.max(letters.len());
                map.insert(letters, digits);
            }
        }
        if map.is_empty() {
            return Err("the \\patterns{} group is empty".into());
        }
        Ok(Patterns {
            map,
            max_len,
            left_min,
            right_min,
        })
    }

    /// Char indices (1..len) before which `word` (lower case) may be hyphenated.
    pub fn points(&self, word: &[char]) -> Vec<usize> {
        let n = word.len();
        if n < self.left_min + self.right_min {
            return Vec::new();
        }
        let mut w = Vec::with_capacity(n + 2);
        w.push('.');
        w.extend_from_slice(word);
        w.push('.');
        let mut values = vec![0u8; w.len() + 1];
        for i in 0..w.len() {
            for len in 1..=self.max_len.min(w.len() - i) {
                if let Some(digits) = self.map.get(&w[i..i + len]) {
                    for (k, &d) in digits.iter().enumerate() {
                        values[i + k] = values[i + k].max(d);
                    }
                }
            }
        }
        // values[k] sits before w[k]; w[k] = word[k - 1].
        (self.left_min..=n - self.right_min)
            .filter(|&p| values[p + 1] % 2 == 1)
            .collect()
    }
}

/// Lower-cases one character by the language's rules, keeping a 1:1 character mapping.
pub fn lower_char(lang: Lang, c: char) -> char {
    match (lang, c) {
        (Lang::Tr, 'I') => 'ı',
        (Lang::Tr, 'İ') => 'i',
        _ => {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        }
    }
}

/// Upper-cases text by the language's rules (Turkish i -> İ, ı -> I), never the system locale.
pub fn to_upper(lang: Lang, s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = match (lang, c) {
                (Lang::Tr, 'i') => Some('İ'),
                (Lang::Tr, 'ı') => Some('I'),
                _ => None,
            };
            special
                .map(|u| vec![u])
                .unwrap_or_else(|| c.to_uppercase().collect())
        })
        .collect()
}

/// Hyphenates words of one language.
#[derive(Debug, Clone)]
pub struct Hyphenator {
    kk: Patterns,
}

impl Hyphenator {
    pub fn new(kk: Patterns) -> Hyphenator {
        Hyphenator { kk }
    }

    /// Byte offsets inside `word` where a hyphen may be inserted. `word` is a run of letters.
    pub fn points(&self, lang: Lang, word: &str) -> Vec<usize> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < 5 || !chars.iter().all(|c| c.is_alphabetic()) {
            return Vec::new();
        }
        let lower: Vec<char> = chars.iter().map(|&c| lower_char(lang, c)).collect();
        let char_points: Vec<usize> = match lang {
            Lang::Kk => self.kk.points(&lower),
            Lang::Tr | Lang::En => {
                let (hl, left, right) = match lang {
                    Lang::Tr => (hypher::Lang::Turkish, 2, 2),
                    _ => (hypher::Lang::English, 2, 3),
                };
                let s: String = lower.iter().collect();
                let mut pts = Vec::new();
                let mut at = 0;
                for syl in hypher::hyphenate(&s, hl) {
                    at += syl.chars().count();
                    pts.push(at);
                }
                pts.pop();
                pts.retain(|&p| p >= left && p + right <= chars.len());
                pts
            }
        };
        let byte_of: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
        char_points.into_iter().map(|p| byte_of[p]).collect()
    }

    /// The word with `-` at every hyphenation point (for tests and `bitig check`).
    pub fn show(&self, lang: Lang, word: &str) -> String {
        let mut out = String::new();
        let mut last = 0;
        for p in self.points(lang, word) {
            out.push_str(&word[last..p]);
            out.push('-');
            last = p;
        }
        out.push_str(&word[last..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liang_on_a_tiny_pattern_set() {
        let p = Patterns::from_tex("\\patterns{\na1b\n.ab4\n}", 1, 1).expect("parse");
        assert_eq!(p.points(&"abab".chars().collect::<Vec<_>>()), vec![3]);
    }

    #[test]
    fn turkish_case_mapping() {
        assert_eq!(to_upper(Lang::Tr, "istanbul ılık"), "İSTANBUL ILIK");
        assert_eq!(to_upper(Lang::En, "istanbul"), "ISTANBUL");
        assert_eq!(lower_char(Lang::Tr, 'I'), 'ı');
        assert_eq!(lower_char(Lang::Tr, 'İ'), 'i');
    }
}
