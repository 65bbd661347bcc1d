#!/usr/bin/env python3
"""Makes the hyphenation word lists en.txt, tr.txt and kk.txt (committed; run again only to
regenerate them). Each list says where its words and its breaks come from.

- en: every 5th lower-case entry of ushyphex.tex, the US English hyphenation exceptions of
  the TeX Users Group (TUGboat's hyphenation exception log, "You may freely use, modify
  and/or distribute this file"), from Debian's texlive-base 2022.20230122-3. Words and
  breaks are TUGboat's (Merriam-Webster divisions).
- tr: every Nth plain lower-case word of 6 to 14 letters of the Turkish hunspell dictionary
  (Debian hunspell-tr 1:7.5.0-1, LibreOffice dictionaries, MPL-2.0). Breaks by TDK's
  syllable rule (Yazım Kılavuzu, "Hece yapısı"): every syllable has one vowel and the
  consonant before a vowel opens the syllable.
- kk: every Nth plain lower-case word of 6 to 14 letters of the Kazakh hunspell dictionary
  (Debian hunspell-kk 1.1-3, GPL-2+ or LGPL-2.1+ or MPL-1.1+). Breaks by the Kazakh
  syllable rules (Қазақ тілінің емле ережелері, 2013): one nucleus per syllable (у and и
  after a vowel, and a word-initial у before a vowel, are glides); one consonant opens the
  next syllable; two are split; of three or more the last one opens the next syllable,
  unless the last two are a loan onset (ст, сп, ск, тр, пр, кр, бр, гр, др).

Usage: make-lists.py (needs texlive-base; hunspell-tr and hunspell-kk unpacked with
`apt-get download hunspell-tr hunspell-kk && dpkg -x <deb> /tmp/hs`).
"""
import re
import sys

HS = sys.argv[1] if len(sys.argv) > 1 else "/tmp/hs/usr/share/hunspell"
N = 330


def write(name, header, words):
    with open(name, "w", encoding="utf-8") as f:
        for h in header.strip().splitlines():
            f.write("# " + h + "\n")
        for w in words:
            f.write(w + "\n")


def sample(words, n):
    step = max(1, len(words) // n)
    return words[::step][:n]


# English
tex = open("/usr/share/texlive/texmf-dist/tex/generic/hyphenex/ushyphex.tex", encoding="utf-8").read()
body = tex[tex.index("\\hyphenation{") + 13:]
body = body[: body.index("}")]
en = [w for w in body.split() if not w.startswith("%") and w.islower() and re.fullmatch(r"[a-z-]+", w)]
write("en.txt", """English: words and breaks from ushyphex.tex (TeX Users Group, TUGboat hyphenation
exception log, Merriam-Webster divisions), Debian texlive-base 2022.20230122-3; every 5th
lower-case entry. Made by make-lists.py.""", en[::5])


def tr_syllables(w):
    v = "aeıioöuüâîû"
    nuc = [i for i, c in enumerate(w) if c in v]
    pts = []
    for a, b in zip(nuc, nuc[1:]):
        pts.append(b if b - a - 1 == 0 else b - 1)
    return pts


def kk_syllables(w):
    vow = "аәеёиоөуұүыіэюя"

    def nucleus(i):
        c = w[i]
        if c not in vow:
            return False
        if c in "уи":
            if i > 0 and nucleus(i - 1):
                return False
            if c == "у" and i == 0 and len(w) > 1 and w[1] in vow:
                return False
        return True

    nuc = [i for i in range(len(w)) if nucleus(i)]
    onsets = {"ст", "сп", "ск", "тр", "пр", "кр", "бр", "гр", "др"}
    pts = []
    for a, b in zip(nuc, nuc[1:]):
        k = b - a - 1
        if k == 0:
            pts.append(b)
        elif k <= 2:
            pts.append(b - 1)
        else:
            pts.append(b - 2 if w[b - 2:b] in onsets else b - 1)
    return pts


def show(w, pts):
    out, last = [], 0
    for p in pts:
        out.append(w[last:p])
        last = p
    out.append(w[last:])
    return "-".join(out)


def dic(path, alphabet):
    words = []
    for line in open(path, encoding="utf-8"):
        w = line.strip().lstrip("\ufeff").split("/")[0]
        if 6 <= len(w) <= 14 and all(c in alphabet for c in w):
            words.append(w)
    return sorted(set(words))


tr = dic(HS + "/tr_TR.dic", "abcçdefgğhıijklmnoöprsştuüvyzâîû")
write("tr.txt", """Turkish: words from the hunspell-tr dictionary (Debian hunspell-tr 1:7.5.0-1,
LibreOffice dictionaries, MPL-2.0), a sample of plain lower-case words of 6-14 letters.
Breaks by TDK's syllable rule (Yazım Kılavuzu, "Hece yapısı"): one vowel per syllable, the
consonant before a vowel opens the syllable. Made by make-lists.py.""",
      [show(w, tr_syllables(w)) for w in sample(tr, N)])

kk = dic(HS + "/kk_KZ.dic", "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя")
write("kk.txt", """Kazakh: words from the hunspell-kk dictionary (Debian hunspell-kk 1.1-3, GPL-2+ or
LGPL-2.1+ or MPL-1.1+), a sample of plain lower-case words of 6-14 letters. Breaks by
the Kazakh syllable rules (Қазақ тілінің емле ережелері, 2013): one nucleus per syllable
(у, и after a vowel and a word-initial у before a vowel are glides), one consonant opens the
next syllable, two are split, of three or more the last one opens the next syllable unless
the last two are a loan onset (ст, сп, ск, тр, пр, кр, бр, гр, др). Made by make-lists.py.""",
      [show(w, kk_syllables(w)) for w in sample(kk, N)])
