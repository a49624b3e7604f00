"""Synthetic sanctions list and labelled query set for bench/screening.py (seeded, repeatable).

25,000 entries in Latin, Chinese, Korean and Cyrillic script with over 60,000 aliases, and
labelled query/entry pairs: positives (legal forms, word order, typos, full-width, cross-script)
and near-miss negatives (same shape, a different distinctive word or person).
"""
from __future__ import annotations

import random

from anyascii import anyascii
from korean_romanizer.romanizer import Romanizer
from pypinyin import lazy_pinyin

from compliance.screening import Alias, ListEntry, ListSnapshot

SYL = ("ka ro vel mor tan ri zen dal vor lin sa ber gon tri nex ul mar ko des qua fin ar bel cor "
       "dra el fa gri hol ix jor kel lum nor pex rud sol tev urb vin wex yor zul bra cle dov fen "
       "gal hed ira jas lor mav ned oka pim rek sev tor ume vad").split()
GENERIC = ("Trading", "Technology", "Industrial", "Holdings", "Group", "International",
           "Logistics", "Shipping", "Energy", "Electronics", "Machinery", "Engineering",
           "Resources", "Development", "Import Export", "Marine", "Aviation", "Chemicals")
LEGAL = ("Co., Ltd.", "LLC", "GmbH", "B.V.", "A/S", "S.A.", "PLC", "Inc.", "ApS", "Limited")
FIRST = ("John Maria Ahmed Omar Carlos Elena Peter Anna Ali Hassan David Sofia Mikhail Lucas "
         "Jose Fatima Ibrahim Nadia Victor Laura Samuel Irina Karim Leila Hugo Olga").split()
HAN = ("华为中兴海天星光明德信达通新金龙宏泰安嘉恒盛鑫源博瑞辰远航宇腾飞凯东方南北西联合创智"
       "汇丰银祥和康富贵长江河山川林森志诚永利昌隆兴旺")
HAN_GENERIC = ("科技", "贸易", "电子", "实业", "物流", "能源", "化工", "机械", "航运", "进出口")
HAN_SURNAME = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
HAN_LEGAL = ("有限公司", "股份有限公司", "集团有限公司")
HANGUL = ("가나다라마바사아자차카타파하한국대우성현진영수민지호태준동서남북신세계일월금은"
          "해산강원상경인천광명미래")
KO_GENERIC = ("전자", "무역", "산업", "기술", "해운", "물산", "화학", "중공업")
KO_SURNAME = "김이박최정강조윤장임"
RU_FIRST = ("Иван Сергей Дмитрий Алексей Николай Андрей Михаил Владимир Юрий Олег Павел "
            "Татьяна Елена Ольга Наталья").split()
LAT2CYR = {"shch": "щ", "sh": "ш", "ch": "ч", "kh": "х", "zh": "ж", "ts": "ц", "yu": "ю",
           "ya": "я", "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з",
           "i": "и", "y": "ы", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
           "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф", "x": "кс", "q": "к", "w": "в",
           "c": "к", "j": "дж", "h": "х"}


def to_cyrillic(word: str) -> str:
    out, i = [], 0
    while i < len(word):
        for n in (4, 2, 1):
            part = word[i:i + n].lower()
            if part in LAT2CYR:
                out.append(LAT2CYR[part])
                i += n
                break
        else:
            i += 1
    text = "".join(out)
    return text[:1].upper() + text[1:]


class Corpus:
    """Builds the list and the labelled pairs from one seed."""

    def __init__(self, seed: int = 20240501) -> None:
        self.rng = random.Random(seed)
        self.used_words: set[str] = set()

    def word(self, fresh: bool = True) -> str:
        while True:
            w = "".join(self.rng.choice(SYL) for _ in range(self.rng.choice((2, 3, 3, 4))))
            if not fresh or w not in self.used_words:
                self.used_words.add(w)
                return w.capitalize()

    def han(self, n: int) -> str:
        return "".join(self.rng.choice(HAN) for _ in range(n))

    def hangul(self, n: int) -> str:
        return "".join(self.rng.choice(HANGUL) for _ in range(n))

    def latin_company(self) -> tuple[str, list[str]]:
        core = f"{self.word()} {self.rng.choice(GENERIC)}"
        name = f"{core} {self.rng.choice(LEGAL)}"
        aliases = [f"{self.word()} {self.rng.choice(GENERIC)}", core.upper()]
        return name, aliases

    def latin_person(self) -> tuple[str, list[str]]:
        first, last = self.rng.choice(FIRST), self.word()
        return f"{last.upper()}, {first}", [f"{first} {self.word()[:1]}. {last}"]

    def chinese_company(self) -> tuple[str, list[str]]:
        core = self.han(self.rng.choice((2, 2, 4))) + self.rng.choice(HAN_GENERIC)
        name = core + self.rng.choice(HAN_LEGAL)
        syl = lazy_pinyin(core)
        pairs = " ".join("".join(syl[i:i + 2]).capitalize() for i in range(0, len(syl), 2))
        return name, [f"{pairs} Co., Ltd.", core]

    def chinese_person(self) -> tuple[str, list[str]]:
        name = self.rng.choice(HAN_SURNAME) + self.han(self.rng.choice((1, 2, 2)))
        syl = lazy_pinyin(name)
        return name, [f"{syl[0].capitalize()} {''.join(syl[1:]).capitalize()}"]

    def korean_company(self) -> tuple[str, list[str]]:
        core = self.hangul(self.rng.choice((2, 3))) + self.rng.choice(KO_GENERIC)
        name = f"{core} 주식회사" if self.rng.random() < 0.5 else f"(주){core}"
        return name, [Romanizer(core).romanize().capitalize() + " Co., Ltd."]

    def korean_person(self) -> tuple[str, list[str]]:
        name = self.rng.choice(KO_SURNAME) + self.hangul(2)
        rom = Romanizer(name[0]).romanize().capitalize(), Romanizer(name[1:]).romanize().capitalize()
        # lists carry the romanisation in both orders (family name first, and last)
        return name, [f"{rom[0]} {rom[1]}", f"{rom[1]} {rom[0].upper()}"]

    def russian_company(self) -> tuple[str, list[str]]:
        core = to_cyrillic(self.word().lower())
        name = f"ООО «{core.upper()}»" if self.rng.random() < 0.5 else f"АО {core}"
        return name, [f"{anyascii(core)} LLC"]

    def russian_person(self) -> tuple[str, list[str]]:
        first = self.rng.choice(RU_FIRST)
        last = to_cyrillic(self.word().lower()) + self.rng.choice(("ов", "ев", "ин"))
        # the Cyrillic name in both orders, and its Latin transliteration
        return f"{last} {first}", [f"{first} {last}", f"{anyascii(first)} {anyascii(last)}"]

    def snapshot(self, n: int = 25_000, extra: tuple[ListEntry, ...] = ()) -> ListSnapshot:
        kinds = [(self.latin_company, "entity", 6), (self.latin_person, "individual", 4),
                 (self.chinese_company, "entity", 3), (self.chinese_person, "individual", 2),
                 (self.korean_company, "entity", 2), (self.korean_person, "individual", 1),
                 (self.russian_company, "entity", 2), (self.russian_person, "individual", 2)]
        makers = [(m, t) for m, t, w in kinds for _ in range(w)]
        entries = []
        for i in range(n - len(extra)):
            maker, kind = makers[i % len(makers)]
            name, aliases = maker()
            if self.rng.random() < 0.95:
                aliases.append(f"{self.word()} {self.rng.choice(GENERIC)}")  # a former name
            entries.append(ListEntry(
                f"B{i:05d}", "BENCH", kind, name, tuple(Alias(a, "aka") for a in aliases),
                countries=(self.rng.choice(("CN", "RU", "KP", "IR", "KR", "US", "DE")),),
                remarks=maker.__name__))
        return ListSnapshot("BENCH", "bench-v1", tuple(entries) + tuple(extra))
