//! Numbers espeak-ng does not read right by itself. It reads cardinals, years and dates in all
//! three languages, English ordinals (`8th`) and Kazakh ones (`8-ші`); a Turkish ordinal is
//! written `8.` and espeak-ng reads it as the cardinal (`sekiz`), so it is spelled out here
//! (`sekizinci`).

const ONES: [&str; 10] = [
    "", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz",
];
const TENS: [&str; 10] = [
    "", "on", "yirmi", "otuz", "kırk", "elli", "altmış", "yetmiş", "seksen", "doksan",
];

/// A Turkish cardinal in words (0 to 999 999).
pub fn turkish_cardinal(n: u32) -> String {
    if n == 0 {
        return "sıfır".into();
    }
    let mut words: Vec<&str> = Vec::new();
    let (thousands, rest) = (n / 1000, n % 1000);
    if thousands > 0 {
        if thousands > 1 {
            words.extend(turkish_below_1000(thousands));
        }
        words.push("bin");
    }
    words.extend(turkish_below_1000(rest));
    words.join(" ")
}

fn turkish_below_1000(n: u32) -> Vec<&'static str> {
    let mut w = Vec::new();
    let (h, t, o) = (
        (n / 100) as usize,
        (n / 10 % 10) as usize,
        (n % 10) as usize,
    );
    if h > 0 {
        if h > 1 {
            w.push(ONES[h]);
        }
        w.push("yüz");
    }
    if t > 0 {
        w.push(TENS[t]);
    }
    if o > 0 {
        w.push(ONES[o]);
    }
    w
}

/// A Turkish ordinal in words: the cardinal with -(ı)ncı by vowel harmony (`sekizinci`,
/// `otuz dördüncü`; dört softens to dörd-).
pub fn turkish_ordinal(n: u32) -> String {
    let mut c = turkish_cardinal(n);
    // dört softens before a vowel: dördüncü.
    if c.ends_with("dört") {
        c.truncate(c.len() - 1);
        c.push('d');
    }
    let last_vowel = c
        .chars()
        .rev()
        .find(|ch| "aıoueiöü".contains(*ch))
        .unwrap_or('i');
    let ends_in_vowel = c.chars().last().is_some_and(|ch| "aıoueiöü".contains(ch));
    let v = match last_vowel {
        'a' | 'ı' => 'ı',
        'o' | 'u' => 'u',
        'e' | 'i' => 'i',
        _ => 'ü',
    };
    if !ends_in_vowel {
        c.push(v);
    }
    c.push('n');
    c.push('c');
    c.push(v);
    c
}

/// Turkish text with its ordinals (`8.` before a word that starts in lower case, or at the
/// end of a date's day such as `8. madde`) in words.
pub fn turkish_ordinals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        if chars[i].is_ascii_digit() && starts_word {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            let digits: String = chars[i..j].iter().collect();
            let next_lower = chars.get(j + 2).is_some_and(|c| c.is_lowercase());
            let is_ordinal =
                chars.get(j) == Some(&'.') && chars.get(j + 1) == Some(&' ') && next_lower;
            match digits.parse::<u32>() {
                Ok(n) if is_ordinal && n < 1_000_000 => {
                    out.push_str(&turkish_ordinal(n));
                    i = j + 1;
                    continue;
                }
                _ => {
                    out.push_str(&digits);
                    i = j;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_ordinals_follow_vowel_harmony() {
        for (n, w) in [
            (1, "birinci"),
            (2, "ikinci"),
            (3, "üçüncü"),
            (4, "dördüncü"),
            (6, "altıncı"),
            (8, "sekizinci"),
            (9, "dokuzuncu"),
            (10, "onuncu"),
            (20, "yirminci"),
            (34, "otuz dördüncü"),
            (40, "kırkıncı"),
            (100, "yüzüncü"),
            (1000, "bininci"),
            (2026, "iki bin yirmi altıncı"),
        ] {
            assert_eq!(turkish_ordinal(n), w, "{n}");
        }
        assert_eq!(
            turkish_ordinals("JSPG'nin 8. toplantısı 2 Şubat 2026 tarihinde. Madde 5. Sonra"),
            "JSPG'nin sekizinci toplantısı 2 Şubat 2026 tarihinde. Madde 5. Sonra"
        );
    }
}
