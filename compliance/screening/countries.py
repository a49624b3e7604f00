"""Country names and codes to ISO 3166-1 alpha-2, so list data and queries compare.

Lists write countries as English names ("Russia", "Korea, North", "Democratic People's Republic
of Korea"); queries usually carry ISO codes. Babel's English territory names cover most; the
small table below adds the list publishers' own spellings. Unknown text is kept as folded text.
"""
from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

#: publisher spellings Babel does not use (OFAC, UN, EU lists)
EXTRA_NAMES: dict[str, str] = {
    "korea, north": "KP", "north korea": "KP", "democratic people's republic of korea": "KP",
    "dprk": "KP", "korea, south": "KR", "south korea": "KR", "republic of korea": "KR",
    "korea": "KR", "burma": "MM", "myanmar": "MM", "iran (islamic republic of)": "IR",
    "russian federation": "RU", "syrian arab republic": "SY", "hong kong": "HK",
    "macau": "MO", "macao": "MO", "taiwan": "TW", "china": "CN", "people's republic of china": "CN",
    "united states": "US", "united states of america": "US", "usa": "US", "uk": "GB",
    "united kingdom": "GB", "united kingdom of great britain and northern ireland": "GB",
    "turkey": "TR", "türkiye": "TR", "czech republic": "CZ", "viet nam": "VN",
    "lao people's democratic republic": "LA", "venezuela (bolivarian republic of)": "VE",
    "bolivia (plurinational state of)": "BO", "congo, democratic republic of the": "CD",
    "democratic republic of the congo": "CD", "palestinian": "PS", "the netherlands": "NL",
}

_PAREN = re.compile(r"\s*\(.*?\)\s*")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in Locale.parse("en").territories.items():
        if len(code) == 2 and code.isalpha():
            folded = name.casefold()
            table[folded] = code
            table.setdefault(_PAREN.sub(" ", folded).strip(), code)
    table.update(EXTRA_NAMES)
    return table


def country_code(value: str | None) -> str | None:
    """ISO alpha-2 code for a code or name; folded text when unknown; None for empty."""
    if value is None:
        return None
    text = " ".join(value.split())
    if not text or text == "-0-":
        return None
    if len(text) == 2 and text.isalpha():
        return text.upper()
    folded = text.casefold()
    return _names().get(folded) or _names().get(_PAREN.sub(" ", folded).strip()) or folded
