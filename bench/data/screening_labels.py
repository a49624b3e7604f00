"""Labelled query/entry pairs for bench/screening.py.

Each positive comes with its own target entry (added to the list) that carries no alias in the
query's script, so cross-script pairs test the transliteration and not an alias lookup.
Negatives are near misses: same shape, a distinctive word or person not on the list.
"""
from __future__ import annotations

import unicodedata

from anyascii import anyascii
from korean_romanizer.romanizer import Romanizer
from pypinyin import lazy_pinyin

from compliance.screening import ListEntry

from screening_corpus import (FIRST, GENERIC, HAN_GENERIC, HAN_LEGAL, KO_GENERIC, KO_SURNAME,
                              LEGAL, RU_FIRST, Corpus, to_cyrillic)

CONVENTIONAL = {"김": "Kim", "이": "Lee", "박": "Park", "최": "Choi", "정": "Jung", "강": "Kang",
                "조": "Cho", "윤": "Yoon", "장": "Jang", "임": "Lim"}


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in text)


def typo(c: Corpus, word: str) -> str:
    i = c.rng.randrange(1, len(word) - 1)
    kind = c.rng.choice(("sub", "del", "swap"))
    if kind == "sub":
        return word[:i] + c.rng.choice("aeioukrstn".replace(word[i].lower(), "")) + word[i + 1:]
    if kind == "del":
        return word[:i] + word[i + 1:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def pinyin_pairs(text: str, sep: str = "") -> str:
    syl = lazy_pinyin(text)
    return " ".join(sep.join(s.capitalize() for s in syl[i:i + 2]) for i in range(0, len(syl), 2))


def positives(c: Corpus, per_kind: int = 30):
    """(category, query, target entry) for every positive kind."""
    out = []
    n = 0

    def entry(name: str, kind: str = "entity") -> ListEntry:
        nonlocal n
        n += 1
        return ListEntry(f"L{n:04d}", "BENCH", kind, name)

    for _ in range(per_kind):
        core = f"{c.word()} {c.rng.choice(GENERIC)}"
        out.append(("legal_form", f"{core} {c.rng.choice(LEGAL)}", entry(f"{core} {c.rng.choice(LEGAL)}")))
        word, gen = c.word(), c.rng.choice(GENERIC)
        out.append(("typo", f"{typo(c, word)} {gen}", entry(f"{word} {gen} {c.rng.choice(LEGAL)}")))
        core = f"{c.word()} {c.rng.choice(GENERIC)}"
        out.append(("fullwidth", fullwidth(core.upper()), entry(f"{core} {c.rng.choice(LEGAL)}")))
        first, last = c.rng.choice(FIRST), c.word()
        out.append(("word_order", f"{first} {last}", entry(f"{last.upper()}, {first}", "individual")))
        core = c.han(c.rng.choice((2, 4))) + c.rng.choice(HAN_GENERIC)
        out.append(("zh_chars_vs_pinyin", f"{pinyin_pairs(core)} Co., Ltd.",
                    entry(core + c.rng.choice(HAN_LEGAL))))
        person = c.rng.choice("王李张刘陈杨赵黄周吴") + c.han(2)
        out.append(("zh_person_separated", " ".join(s.capitalize() for s in lazy_pinyin(person)),
                    entry(person, "individual")))
        core = c.han(2) + c.rng.choice(HAN_GENERIC)
        out.append(("pinyin_vs_chars", core + "有限公司", entry(f"{pinyin_pairs(core)} Co., Ltd.")))
        core = c.hangul(c.rng.choice((2, 3))) + c.rng.choice(KO_GENERIC)
        out.append(("hangul_vs_rr", Romanizer(core).romanize().capitalize() + " Co., Ltd.",
                    entry(f"{core} 주식회사")))
        person = c.rng.choice(KO_SURNAME) + c.hangul(2)
        given = [Romanizer(s).romanize() for s in person[1:]]
        out.append(("hangul_person_conventional",
                    f"{CONVENTIONAL[person[0]]} {given[0].capitalize()}-{given[1]}",
                    entry(person, "individual")))
        word = c.word().lower()
        out.append(("cyrillic_vs_latin", f"{word.capitalize()} LLC",
                    entry(f"ООО «{to_cyrillic(word).upper()}»")))
        first = c.rng.choice(RU_FIRST)
        last = to_cyrillic(c.word().lower()) + "ов"
        out.append(("latin_vs_cyrillic", f"{last} {first}",
                    entry(f"{anyascii(first)} {anyascii(last)}", "individual")))
    return out


def negatives(c: Corpus, per_kind: int = 30):
    """(category, query, None) near misses: nothing on the list is this party."""
    out = []
    for _ in range(per_kind):
        out.append(("neg_latin_company", f"{c.word()} {c.rng.choice(GENERIC)} {c.rng.choice(LEGAL)}", None))
        out.append(("neg_person", f"{c.rng.choice(FIRST)} {c.word()}", None))
        out.append(("neg_chinese", c.han(2) + "新创" + c.rng.choice(HAN_GENERIC) + "有限公司", None))
        out.append(("neg_korean", c.hangul(3) + "새" + c.rng.choice(KO_GENERIC) + " 주식회사", None))
        out.append(("neg_cyrillic", f"ООО «{to_cyrillic(c.word().lower()).upper()}»", None))
        stem = c.word()
        out.append(("neg_shared_prefix", f"{stem[:4]}{c.word().lower()} {c.rng.choice(GENERIC)}", None))
    return out


def labelled(c: Corpus):
    """All labelled pairs, and the target entries to add to the list."""
    pos = positives(c)
    neg = negatives(c)
    return pos + neg, tuple(e for _, _, e in pos)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)
