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

/// Hyphenation rules of one language. TeX's `\lefthyphenmin`, `\righthyphenmin` and
/// `\uchyph`, plus a minimum word length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangRules {
    /// Fewest letters before the first hyphen (`\lefthyphenmin`).
    pub left_min: usize,
    /// Fewest letters after the last hyphen (`\righthyphenmin`).
    pub right_min: usize,
    /// Hyphenate capitalised words that are not in the exception list (`\uchyph=1`).
    pub capitalised: bool,
}

/// Words shorter than this many letters are never hyphenated: splitting a four-letter word
/// two and two saves almost nothing on the line and reads badly.
pub const MIN_WORD_CHARS: usize = 5;

impl LangRules {
    /// The default rules of `lang` (`assets/hyphenation/rules.toml` holds the ones in use):
    /// - English 2/3 (the American convention of TeX's `hyphen.tex`). Capitalised words are
    ///   names or sentence starts; patterns trained on common words break names wrongly
    ///   ("Kaza-khstan"), so only the exception list breaks them (`\uchyph=0`).
    /// - Turkish 2/2 (TDK: a syllable may be as short as two letters at either end).
    ///   Capitalised words are names, written with an apostrophe before the suffix; they are
    ///   broken only where the exception list says (`\uchyph=0`).
    /// - Kazakh 2/2 (the pattern file's own hyphenmins). Capitalised words *are* hyphenated:
    ///   Kazakh syllables follow the same rules in names as in common words (one vowel per
    ///   syllable, one consonant before the next vowel), names take suffixes without an
    ///   apostrophe (Қазақстан-ның, Астана-да), so a name plus suffix is often the longest word
    ///   of a line, and the 2013 orthographic rules for carrying words over exclude only
    ///   abbreviations and initials, which are all capitals and never hyphenated here.
    pub const fn of(lang: Lang) -> LangRules {
        match lang {
            Lang::En => LangRules {
                left_min: 2,
                right_min: 3,
                capitalised: false,
            },
            Lang::Tr => LangRules {
                left_min: 2,
                right_min: 2,
                capitalised: false,
            },
            Lang::Kk => LangRules {
                left_min: 2,
                right_min: 2,
                capitalised: true,
            },
        }
    }
}

/// One entry of an exception list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The entry as written, with its hyphens (`Ka-zakh-stan`).
    pub written: String,
    /// Line of the entry in its file (1-based).
    pub line: usize,
    /// Lower-case letters without hyphens.
    pub letters: Vec<char>,
    /// Char indices before which a hyphen may go.
    pub points: Vec<usize>,
}

/// A per-language exception list in TeX's `\hyphenation{...}` syntax: words with their
/// allowed breaks marked by `-`, matched regardless of case. `%` starts a comment.
#[derive(Debug, Clone, Default)]
pub struct Exceptions {
    pub entries: Vec<Exception>,
    index: HashMap<Vec<char>, usize>,
}

impl Exceptions {
    /// Parses a `\hyphenation{...}` group. Errors name the line and column.
    pub fn from_tex(lang: Lang, tex: &str) -> Result<Exceptions, String> {
        let open = "\\hyphenation{";
        let start = tex.find(open).ok_or("no \\hyphenation{ group")? + open.len();
        let mut out = Exceptions::default();
        let mut closed = false;
        let mut offset = 0;
        for (ln, raw) in tex.split_inclusive('\n').enumerate() {
            let line_start = offset;
            offset += raw.len();
            if offset <= start {
                continue;
            }
            let code = raw.split('%').next().unwrap_or("");
            let from = start.saturating_sub(line_start);
            let mut rest = &code[from.min(code.len())..];
            if let Some(end) = rest.find('}') {
                rest = &rest[..end];
                closed = true;
            }
            let mut col_base = from;
            for word in rest.split(' ') {
                let col = col_base + 1;
                col_base += word.len() + 1;
                let word = word.trim();
                if word.is_empty() {
                    continue;
                }
                let at = |m: &str| format!("{}:{}: {m}", ln + 1, col);
                let mut letters = Vec::new();
                let mut points = Vec::new();
                for c in word.chars() {
                    if c == '-' {
                        if letters.is_empty() || points.last() == Some(&letters.len()) {
                            return Err(at(&format!(
                                "\"{word}\": a hyphen must stand between two letters"
                            )));
                        }
                        points.push(letters.len());
                    } else if c.is_alphabetic() || c == '\u{2019}' || c == '\'' {
                        letters.push(lower_char(lang, c));
                    } else {
                        return Err(at(&format!(
                            "\"{word}\": U+{:04X} is neither a letter nor a hyphen",
                            c as u32
                        )));
                    }
                }
                if points.last() == Some(&letters.len()) {
                    return Err(at(&format!(
                        "\"{word}\": a hyphen must stand between two letters"
                    )));
                }
                if let Some(&i) = out.index.get(&letters) {
                    if out.entries[i].points != points {
                        return Err(at(&format!(
                            "\"{word}\" contradicts \"{}\" on line {}",
                            out.entries[i].written, out.entries[i].line
                        )));
                    }
                    continue;
                }
                out.index.insert(letters.clone(), out.entries.len());
                out.entries.push(Exception {
                    written: word.to_string(),
                    line: ln + 1,
                    letters,
                    points,
                });
            }
            if closed {
                break;
            }
        }
        if !closed {
            return Err("the \\hyphenation{ group is not closed".into());
        }
        Ok(out)
    }

    /// The entry for `lower` (lower-case letters), exactly.
    pub fn get(&self, lower: &[char]) -> Option<&Exception> {
        self.index.get(lower).map(|&i| &self.entries[i])
    }

    /// The longest entry that `lower` starts with (a stem plus suffixes), at least
    /// [`MIN_WORD_CHARS`] letters long.
    pub fn stem_of(&self, lower: &[char]) -> Option<&Exception> {
        (MIN_WORD_CHARS..=lower.len())
            .rev()
            .find_map(|n| self.get(&lower[..n]))
    }
}

/// Where an exception entry's breaks apply to `lower`: the exact entry, or (for Kazakh,
/// whose suffixes join names without an apostrophe) the longest entry the word starts with.
/// Returns the entry and whether it matched the whole word.
pub fn exception_for<'e>(
    exceptions: &'e Exceptions,
    lang: Lang,
    lower: &[char],
) -> Option<(&'e Exception, bool)> {
    if let Some(e) = exceptions.get(lower) {
        return Some((e, true));
    }
    if lang == Lang::Kk {
        return exceptions.stem_of(lower).map(|e| (e, false));
    }
    None
}

/// Hyphenates words of one language.
#[derive(Debug, Clone)]
pub struct Hyphenator {
    kk: Patterns,
    /// Exception lists, indexed like [`Lang::ALL`].
    exceptions: [Exceptions; 3],
    /// Rules per language, indexed like [`Lang::ALL`].
    rules: [LangRules; 3],
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    kk: LangRules,
    tr: LangRules,
    en: LangRules,
}

/// The pattern file's letters that it treats as vowels ("allow hyphen after a vowel if there
/// is a single consonant before the next vowel"): и and э are missing, so the patterns find
/// no syllable boundary next to them (ми-нистр, эко-номика), and у counts as a vowel even
/// where it is a glide after a vowel (сау-да). [`kk_syllable_repair`] adds and drops points
/// for exactly these letters.
pub const KK_PATTERN_VOWELS: &str = "аоұыуюяеәіүөё";

/// Kazakh vowel letters. я, ю and ё are a glide and a vowel in one letter, one syllable
/// nucleus; и (ій/ый) and у (ұу/үу/ыу/іу) are a vowel with a glide, except right after a
/// vowel, where they are the glide alone ([`kk_nucleus`]).
const KK_VOWELS: &str = "аәеёиоөуұүыіэюя";

fn kk_vowel(c: char) -> bool {
    KK_VOWELS.contains(c)
}

/// Whether `word[i]` is the nucleus of a syllable: a vowel letter, but not у or и right
/// after a vowel (ауыл, сауда, тау: у is [w]; Ясауи: у is [w], и is the nucleus), nor a
/// word-initial у before a vowel (уақыт).
pub fn kk_nucleus(word: &[char], i: usize) -> bool {
    let c = word[i];
    if !kk_vowel(c) {
        return false;
    }
    if c == 'у' || c == 'и' {
        if i > 0 && kk_nucleus(word, i - 1) {
            return false;
        }
        if c == 'у' && i == 0 && word.get(1).is_some_and(|&n| kk_vowel(n)) {
            return false;
        }
    }
    true
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
/// consonant: `Қазақ-с-тан`, `сыр-т-қы`, `орын-да-л-уын`. Every Kazakh syllable has a
/// nucleus ([`kk_nucleus`]), so a piece without one is joined to a neighbour by dropping
/// one of its two points:
/// - to the next piece when that piece starts with a nucleus (`да-луын`, `ғай-ту`), or when
///   the piece and the next piece's first consonant form a loan onset (`Қазақ-стан`);
/// - otherwise to the previous piece, as a syllable coda (`сырт-қы`, `министр-лі`).
///
/// Then the boundaries next to и and э, which the patterns do not know as vowels
/// ([`KK_PATTERN_VOWELS`]), are added by the syllable rule: no consonant between two nuclei
/// breaks between them (ти-іс), one consonant opens the next syllable (ми-нистр), of two
/// the second does (бип-лан), of three or more the last one does, unless the word opens
/// with the cluster.
fn kk_syllable_repair(word: &[char], mut points: Vec<usize>) -> Vec<usize> {
    let nucleus: Vec<bool> = (0..word.len()).map(|i| kk_nucleus(word, i)).collect();
    loop {
        let mut bounds = Vec::with_capacity(points.len() + 2);
        bounds.push(0);
        bounds.extend_from_slice(&points);
        bounds.push(word.len());
        let bad = bounds
            .windows(2)
            .position(|w| !(w[0]..w[1]).any(|i| nucleus[i]));
        let Some(k) = bad else {
            break;
        };
        // Piece k runs from bounds[k] to bounds[k + 1]; points[i] == bounds[i + 1].
        let piece = &word[bounds[k]..bounds[k + 1]];
        let next_first = bounds[k + 1];
        let has_next = k + 1 < bounds.len() - 1;
        let has_prev = k > 0;
        let join_next = has_next
            && word.get(next_first).is_some_and(|&c| {
                let mut onset = piece.to_vec();
                onset.push(c);
                nucleus[next_first] || kk_loan_onset(&onset)
            });
        if join_next || !has_prev {
            // Drop the point after the piece.
            if has_next {
                points.remove(k);
            } else {
                break;
            }
        } else {
            // Drop the point before the piece.
            points.remove(k - 1);
        }
    }
    // Boundaries next to и and э.
    let nuclei: Vec<usize> = (0..word.len()).filter(|&i| nucleus[i]).collect();
    for pair in nuclei.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if !matches!(word[a], 'и' | 'э') && !matches!(word[b], 'и' | 'э') {
            continue;
        }
        if points.iter().any(|&p| p > a && p <= b) {
            continue;
        }
        let consonants = b - a - 1;
        let at = match consonants {
            0 => b,
            1 => a + 1,
            _ => b - 1,
        };
        points.push(at);
    }
    points.sort_unstable();
    points.dedup();
    points
}

impl Hyphenator {
    /// A hyphenator with the Kazakh patterns and no exception lists.
    pub fn new(kk: Patterns) -> Hyphenator {
        Hyphenator {
            kk,
            exceptions: Default::default(),
            rules: Lang::ALL.map(LangRules::of),
        }
    }

    /// Loads `hyph-kk.tex` and `exceptions-{en,tr,kk}.tex` from the hyphenation folder.
    /// Errors come as `(file, message)`, the message starting with `line:col:` where known.
    pub fn load(dir: &std::path::Path) -> Result<Hyphenator, (std::path::PathBuf, String)> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .map_err(|e| (path.clone(), e.to_string()))
                .map(|t| (path, t))
        };
        let (path, tex) = read("hyph-kk.tex")?;
        let kk = Patterns::from_tex(&tex, 2, 2).map_err(|m| (path, m))?;
        let mut h = Hyphenator::new(kk);
        let (path, text) = read("rules.toml")?;
        let rules: RulesFile = toml::from_str(&text).map_err(|e| {
            let pos = crate::diag::pos_of(&text, e.span().map_or(0, |s| s.start));
            (path, format!("{}:{}: {}", pos.line, pos.col, e.message()))
        })?;
        h.rules = [rules.kk, rules.tr, rules.en];
        for lang in Lang::ALL {
            let (path, tex) = read(&format!("exceptions-{}.tex", lang.tag()))?;
            h.exceptions[lang as usize] =
                Exceptions::from_tex(lang, &tex).map_err(|m| (path, m))?;
        }
        Ok(h)
    }

    /// The hyphenation rules of `lang`.
    pub fn rules(&self, lang: Lang) -> LangRules {
        self.rules[lang as usize]
    }

    /// Replaces the hyphenation rules of `lang` (for parameter studies).
    pub fn set_rules(&mut self, lang: Lang, rules: LangRules) {
        self.rules[lang as usize] = rules;
    }

    /// The exception list of `lang`.
    pub fn exceptions(&self, lang: Lang) -> &Exceptions {
        &self.exceptions[lang as usize]
    }

    /// Byte offsets inside `word` where a hyphen may be inserted. `word` is a run of letters
    /// (the caller keeps URLs, numbers and words with a hyphen away from here).
    pub fn points(&self, lang: Lang, word: &str) -> Vec<usize> {
        let chars: Vec<char> = word.chars().collect();
        let rules = self.rules(lang);
        let n = chars.len();
        if n < MIN_WORD_CHARS.max(rules.left_min + rules.right_min)
            || !chars.iter().all(|c| c.is_alphabetic())
        {
            return Vec::new();
        }
        // All capitals: an abbreviation (ЕҚЫҰ, JSPG) or a shouted title; never hyphenated.
        if chars.iter().all(|c| !c.is_lowercase()) {
            return Vec::new();
        }
        let lower: Vec<char> = chars.iter().map(|&c| lower_char(lang, c)).collect();
        let capitalised = chars[0].is_uppercase();
        let exception = exception_for(self.exceptions(lang), lang, &lower);
        let char_points: Vec<usize> = match exception {
            Some((e, true)) => e.points.clone(),
            Some((e, false)) => {
                // A listed stem plus suffixes: the stem's points, then the patterns' points
                // past the stem's last one.
                let last = e.points.last().copied().unwrap_or(0);
                let mut pts = e.points.clone();
                pts.extend(
                    self.pattern_points(lang, &lower)
                        .into_iter()
                        .filter(|&p| p > last && p + 1 >= e.letters.len()),
                );
                pts
            }
            None if capitalised && !rules.capitalised => Vec::new(),
            None => self.pattern_points(lang, &lower),
        };
        let byte_of: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
        char_points
            .into_iter()
            .filter(|&p| p >= rules.left_min && p + rules.right_min <= n)
            .map(|p| byte_of[p])
            .collect()
    }

    fn pattern_points(&self, lang: Lang, lower: &[char]) -> Vec<usize> {
        match lang {
            Lang::Kk => kk_syllable_repair(lower, self.kk.points(lower)),
            Lang::Tr | Lang::En => {
                let hl = match lang {
                    Lang::Tr => hypher::Lang::Turkish,
                    _ => hypher::Lang::English,
                };
                let s: String = lower.iter().collect();
                let mut pts = Vec::new();
                let mut at = 0;
                for syl in hypher::hyphenate(&s, hl) {
                    at += syl.chars().count();
                    pts.push(at);
                }
                pts.pop();
                pts
            }
        }
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
