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
        let start = tex.find("\\patterns{").ok_or("no \\patterns{ group")? + "\\patterns{".len();
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

const KK_VOWELS: &str = "аәеёиоөуұүыіэюя";

fn kk_vowel(c: char) -> bool {
    KK_VOWELS.contains(c)
}

/// Consonant clusters that may open a syllable in Kazakh loanwords (`ст`ан, `пр`езидент,
/// ре`спу`блика, `стр`атегия). Native syllables open with at most one consonant.
fn kk_loan_onset(cluster: &[char]) -> bool {
    match cluster {
        ['с', b] => "тпкхш".contains(*b),
        [a, b] => "бпвгдкфтх".contains(*a) && "рл".contains(*b),
        ['с', b, c] => "тпк".contains(*b) && "рл".contains(*c),
        _ => false,
    }
}

/// The Kazakh patterns (version 0.1, 2025) say themselves that their consonant-cluster list
/// is not exhaustive, and on clusters they miss they put a point on both sides of a
/// consonant: `Қазақ-с-тан`, `сыр-т-қы`, `орын-да-л-уын`. Every Kazakh syllable has a vowel,
/// so a vowelless piece is joined to a neighbour by dropping one of its two points:
/// - to the next piece when that piece starts with a vowel (`да-луын`, `ғай-ту`), or when
///   the piece and the next piece's first consonant form a loan onset (`Қазақ-стан`);
/// - otherwise to the previous piece, as a syllable coda (`сырт-қы`, `министр-лі`).
fn kk_syllable_repair(word: &[char], mut points: Vec<usize>) -> Vec<usize> {
    loop {
        let mut bounds = Vec::with_capacity(points.len() + 2);
        bounds.push(0);
        bounds.extend_from_slice(&points);
        bounds.push(word.len());
        let bad = bounds
            .windows(2)
            .position(|w| !word[w[0]..w[1]].iter().any(|&c| kk_vowel(c)));
        let Some(k) = bad else {
            return points;
        };
        // Piece k runs from bounds[k] to bounds[k + 1]; points[i] == bounds[i + 1].
        let piece = &word[bounds[k]..bounds[k + 1]];
        let next_first = word.get(bounds[k + 1]).copied();
        let has_next = k + 1 < bounds.len() - 1;
        let has_prev = k > 0;
        let join_next = has_next
            && next_first.is_some_and(|c| {
                let mut onset = piece.to_vec();
                onset.push(c);
                kk_vowel(c) || kk_loan_onset(&onset)
            });
        if join_next || !has_prev {
            // Drop the point after the piece.
            if has_next {
                points.remove(k);
            } else {
                return points;
            }
        } else {
            // Drop the point before the piece.
            points.remove(k - 1);
        }
    }
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
            Lang::Kk => kk_syllable_repair(&lower, self.kk.points(&lower)),
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
        let abab: Vec<char> = "abab".chars().collect();
        // a1b and b1a allow a break between every pair...
        let p = Patterns::from_tex("\\patterns{\na1b b1a\n}", 1, 1).expect("parse");
        assert_eq!(p.points(&abab), vec![1, 2, 3]);
        // ...and the even value of .ab4 inhibits the one after a word-initial "ab".
        let p = Patterns::from_tex("\\patterns{\na1b b1a\n.ab4 % comment\n}", 1, 1).expect("parse");
        assert_eq!(p.points(&abab), vec![1, 3]);
        // left_min/right_min 2 keep two letters on each side.
        let p = Patterns::from_tex("\\patterns{\na1b b1a\n}", 2, 2).expect("parse");
        assert_eq!(p.points(&abab), vec![2]);
    }

    #[test]
    fn turkish_case_mapping() {
        assert_eq!(to_upper(Lang::Tr, "istanbul ılık"), "İSTANBUL ILIK");
        assert_eq!(to_upper(Lang::En, "istanbul"), "ISTANBUL");
        assert_eq!(lower_char(Lang::Tr, 'I'), 'ı');
        assert_eq!(lower_char(Lang::Tr, 'İ'), 'i');
    }
}
