"""Text segmentation for search, done once in Python so both databases index the same tokens.

Chinese (and other CJK) runs become overlapping character bigrams; a run of a single character
stays as that character. Latin text becomes lowercased words with accents stripped. The output
is the tokens separated by single spaces: SQLite's FTS5 ``unicode61`` tokenizer and PostgreSQL's
``simple`` configuration both split it back into exactly these tokens.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
# a run of CJK characters, or a run of other letters and digits (``[^\W_]`` is alphanumeric)
_RUNS = re.compile(f"([{_CJK}]+)|((?:(?![{_CJK}])[^\\W_])+)")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Token:
    text: str
    #: a lone CJK character: in a query it matches as a prefix (the first half of a bigram)
    single_cjk: bool = False


def tokens(text: str | None) -> list[Token]:
    """Split ``text`` into search tokens (see the module docstring)."""
    if not text:
        return []
    out: list[Token] = []
    for cjk, word in _RUNS.findall(unicodedata.normalize("NFKC", text)):
        if cjk:
            if len(cjk) == 1:
                out.append(Token(cjk, single_cjk=True))
            else:
                out.extend(Token(cjk[i:i + 2]) for i in range(len(cjk) - 1))
        else:
            word = word.lower() if word.isascii() else _strip_accents(word).lower()
            if word.isalnum():
                out.append(Token(word))
    return out


def search_text(*parts: str | None) -> str:
    """The indexed form of a listing's texts: every token, space separated, in order."""
    return " ".join(t.text for part in parts for t in tokens(part))
