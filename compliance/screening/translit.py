"""Transliteration of names to Latin, offline.

Chinese characters become toneless pinyin (pypinyin), Hangul becomes Revised Romanization
(korean-romanizer, which applies the sound-change rules between syllables), and every other
script (Cyrillic, Greek, Arabic, kana, ...) goes through anyascii. A name is cut into runs of one
script so a mixed name ("Huawei 华为") keeps each part in its own rules.

Chinese names carry no word breaks, and Latin spellings either join syllables ("Huawei") or not
("Hua Wei"), so a Han run yields several spellings: syllables joined in pairs (the common
two-character word), surname + joined given name for three characters, and all joined. Korean
three-syllable names also get surname + given name, with the surname's usual spelling too. The matcher scores every spelling and keeps the best.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from anyascii import anyascii
from korean_romanizer.romanizer import Romanizer
from pypinyin import Style, lazy_pinyin

HAN, HANGUL, OTHER = "han", "hangul", "other"


def char_script(ch: str) -> str:
    """The script class the transliterator uses for one character."""
    cp = ord(ch)
    if (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x2FA1F):
        return HAN
    if 0xAC00 <= cp <= 0xD7A3 or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return HANGUL
    return OTHER


def script_runs(text: str) -> list[tuple[str, str]]:
    """Cut ``text`` into (script, run) pieces of one script each."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        script = char_script(ch)
        if runs and runs[-1][0] == script:
            runs[-1] = (script, runs[-1][1] + ch)
        else:
            runs.append((script, ch))
    return runs


def has_non_latin(text: str) -> bool:
    """True when the name holds characters anyascii or the CJK rules would change."""
    return any(ord(ch) > 0x24F for ch in text)


@lru_cache(maxsize=65536)
def _pinyin(run: str) -> tuple[str, ...]:
    # Style.NORMAL drops tones; errors="ignore" drops what pypinyin cannot read
    return tuple(s for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore") if s.strip())


@lru_cache(maxsize=65536)
def _hangul(run: str) -> str:
    # Precomposed syllables only: compatibility jamo on their own go through anyascii
    romanised = Romanizer(unicodedata.normalize("NFC", run)).romanize()
    return anyascii(romanised)


def _han_spellings(syllables: tuple[str, ...]) -> list[str]:
    """The Latin spellings of one Han run (see the module docstring)."""
    if not syllables:
        return [""]
    # syllables one by one are left out on purpose: single syllables are so common that
    # pairing them token by token makes unrelated Chinese names look alike; "Hua Wei Ji Shu"
    # still meets 华为技术 through the joined form
    spellings = [" ".join("".join(syllables[i:i + 2]) for i in range(0, len(syllables), 2))]
    if len(syllables) == 3:
        spellings.append(syllables[0] + " " + syllables[1] + syllables[2])
    spellings.append("".join(syllables))
    # dict.fromkeys: drop duplicates, keep order (determinism)
    return list(dict.fromkeys(spellings))


def han_syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin syllables of the Han characters in ``text``."""
    return _pinyin("".join(ch for ch in text if char_script(ch) == HAN))


#: the usual spelling of common Korean surnames, which lists use rather than Revised
#: Romanization (KIM, not Gim); the first spelling is added as an extra spelling
KOREAN_SURNAMES = {
    "김": "kim", "이": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang",
    "조": "cho", "윤": "yoon", "장": "jang", "임": "lim", "한": "han", "오": "oh", "서": "seo",
    "신": "shin", "권": "kwon", "황": "hwang", "안": "ahn", "송": "song", "류": "ryu",
    "전": "jeon", "홍": "hong", "고": "ko", "문": "moon", "양": "yang", "손": "son",
    "배": "bae", "백": "baek", "허": "heo", "노": "roh", "남": "nam", "유": "yoo", "리": "ri",
}


def transliterate(text: str, *, max_spellings: int = 4) -> list[str]:
    """Latin spellings of ``text`` (one for alphabetic scripts, several for Chinese).

    Other scripts are left to anyascii; Latin text passes through unchanged apart from
    accents, which anyascii folds (é -> e, ß -> ss).
    """
    spellings = [""]
    for script, run in script_runs(text):
        if script == HAN:
            parts = _han_spellings(_pinyin(run))
            # a space before and after keeps the Han run's tokens apart from neighbours
            parts = [f" {p} " for p in parts]
        elif script == HANGUL:
            parts = [_hangul(run)]
            if len(run) == 3:
                # a three-syllable Korean name is mostly surname + given name ("Kim Jong-un")
                parts.append(f"{_hangul(run[0])} {_hangul(run[1:])}")
                if run[0] in KOREAN_SURNAMES:
                    parts.append(f"{KOREAN_SURNAMES[run[0]]} {_hangul(run[1:])}")
            parts = [f" {p} " for p in parts]
        else:
            parts = [anyascii(run)]
        spellings = [s + p for s in spellings for p in parts][:max_spellings]
    return list(dict.fromkeys(spellings))
