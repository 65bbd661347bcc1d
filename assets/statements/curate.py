#!/usr/bin/env python3
"""Provenance record: how assets/statements/*.md were cut from ../shared/seeds.

Run from the repository root with the shared folder beside it:
    python3 assets/statements/curate.py ../shared/seeds
It rewrites the statement files. Every change to the seed text is listed in README.md
(section "Corrections"), and each one is applied here by an explicit, asserted replacement,
so a seed that changes upstream makes this script fail instead of silently drifting.
"""
import pathlib
import sys

seeds = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/seeds")
out = pathlib.Path(__file__).resolve().parent


def seed(prefix):
    (path,) = seeds.glob(prefix + "_*.txt")
    return path.read_text(encoding="utf-8").split("\n")


def fix(text, old, new, count=1):
    assert text.count(old) == count, (old, text.count(old))
    return text.replace(old, new)


def write(name, front, paragraphs):
    lines = ["+++"]
    for k, v in front:
        lines.append(f'{k} = {v}' if k == "date" else f'{k} = "{v}"')
    lines.append("+++")
    body = "\n\n".join(p.strip() for p in paragraphs)
    (out / name).write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")


# --- jspg-8-2026, English: seeds 000 and 001 ---------------------------------------------
# Seed 001 lines 1-24 are the statement as the ministry published it. Seed 000 is a reprint of
# the same 24 paragraphs with web chrome (line 1: date + image credit), a news attribution
# appended to paragraph 1 (", Ministry of Foreign Affairs of the Republic of Kazakhstan
# reports", no full stop) and a hyphen for the dash in "Vision – 2040". Use 001, and check
# that 000 says the same apart from exactly those two differences.
s000 = seed("000")
assert s000[0].startswith(" date 2026-02-04 Images")
reprint = [l.strip() for l in s000[1:] if l.strip()]
s001 = seed("001")
paras = [l.strip() for l in s001[:24]]
assert all(paras) and len(reprint) == 24
assert reprint[0] == paras[0][:-1] + ", Ministry of Foreign Affairs of the Republic of Kazakhstan reports"
assert reprint[17] == paras[17].replace("Vision – 2040", "Vision - 2040")
assert all(a == b for i, (a, b) in enumerate(zip(reprint, paras)) if i not in (0, 17))
# Seed 001 from line 25 on is unrelated material; see README.md.
assert s001[24].startswith("Kazakhstan has undertaken a comprehensive programme")
write("jspg-8-2026.en.md", [
    ("id", "jspg-8-2026"), ("lang", "en"),
    ("title", "Joint Statement of the Foreign Ministers of Kazakhstan and Türkiye on the 8th Meeting of the Joint Strategic Planning Group"),
    ("date", "2026-02-02"), ("place", "Ankara"), ("kind", "joint-statement"),
], paras)

# --- jspg-8-2026, Kazakh: seed 004 (line 1 is the title) ---------------------------------
s004 = seed("004")
title_kk = s004[0].strip()
paras = [l for l in s004[1:] if l.strip()]
assert len(paras) == 24, len(paras)
paras[9] = fix(paras[9], '"Түркия стипендиялары"', "«Түркия стипендиялары»")
paras[10] = fix(paras[10], '"Маариф"', "«Маариф»")
paras[17] = fix(paras[17], '"Түркі әлемінің келешегі - 2040"', "«Түркі әлемінің келешегі – 2040»")
assert '"' not in "".join(paras)
write("jspg-8-2026.kk.md", [
    ("id", "jspg-8-2026"), ("lang", "kk"), ("title", title_kk),
    ("date", "2026-02-02"), ("place", "Анкара"), ("kind", "joint-statement"),
], paras)

# --- enhanced-strategic-partnership-2022, English: seed 002 ------------------------------
s002 = seed("002")
assert s002[13].startswith("Joint Statement of President")
title = fix(s002[13].strip(), "Tűrkiye", "Türkiye")
assert s002[15].strip() == "May 10, 2022"
body = []
items = []
for l in s002[17:]:
    t = l.strip().replace("\u00a0", " ")
    if not t:
        continue
    if t.startswith("Kassym-Jomart Tokayev ") or t.startswith("Go back"):
        break
    head, _, rest = t.partition(". ")
    if head.isdigit():
        assert int(head) == len(items) + 1, (head, len(items))
        items.append(" ".join(rest.split()))
    else:
        assert not items, t
        body.append(t)
assert len(items) == 50, len(items)
items[16] = fix(items[16], "Kazakhstan- Türkiye", "Kazakhstan-Türkiye")
# The signature block is three lines of two columns padded with NBSP; reflow it.
sig = [" ".join(l.replace("\u00a0", " ").split()) for l in s002 if "\u00a0" * 5 in l]
assert sig == [
    "Kassym-Jomart Tokayev Recep Tayyip Erdoğan",
    "President of the Republic President of the Republic",
    "of Kazakhstan of Türkiye",
], sig
numbered = "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1))
signatures = [
    "**Kassym-Jomart Tokayev**  \nPresident of the Republic of Kazakhstan",
    "**Recep Tayyip Erdoğan**  \nPresident of the Republic of Türkiye",
]
write("enhanced-strategic-partnership-2022.en.md", [
    ("id", "enhanced-strategic-partnership-2022"), ("lang", "en"), ("title", title),
    ("date", "2022-05-10"), ("place", "Ankara"), ("kind", "joint-statement"),
], body + [numbered] + signatures)

# --- hlscc-5-2025, English news: seed 003 -------------------------------------------------
s003 = seed("003")
assert s003[0].startswith(" date 2025-07-30 ")
headline = s003[0][len(" date 2025-07-30 "):].strip()
assert s003[2].strip() == "ANKARA"
paras = [l for l in s003[3:] if l.strip()]
write("hlscc-5-2025.en.md", [
    ("id", "hlscc-5-2025"), ("lang", "en"), ("title", headline),
    ("date", "2025-07-30"), ("place", "Ankara"), ("kind", "news"),
], paras)
print("curated", sorted(p.name for p in out.glob("*.md") if p.name != "README.md"))
