"""Text segmentation for search, done once in Python so both databases index the same tokens.

Chinese (and other CJK) runs become overlapping character bigrams; a run of a single character
stays as that character. Latin text becomes lowercased words with accents stripped. The output
is the tokens separated by single spaces: SQLite's FTS5 ``unicode61`` tokenizer and PostgreSQL's
``simple`` configuration both split it back into exactly these tokens.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x3134F or 0x3040 <= cp <= 0x30FF or 0xAC00 <= cp <= 0xD7AF)


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
    text = unicodedata.normalize("NFKC", text)
    out: list[Token] = []
    latin: list[str] = []
    cjk: list[str] = []

    def flush_latin() -> None:
        if latin:
            out.append(Token(_strip_accents("".join(latin)).lower()))
            latin.clear()

    def flush_cjk() -> None:
        if len(cjk) == 1:
            out.append(Token(cjk[0], single_cjk=True))
        else:
            out.extend(Token(cjk[i] + cjk[i + 1]) for i in range(len(cjk) - 1))
        cjk.clear()

    for ch in text:
        if _is_cjk(ch):
            flush_latin()
            cjk.append(ch)
        elif ch.isalnum():
            flush_cjk()
            latin.append(ch)
        else:
            flush_latin()
            flush_cjk()
    flush_latin()
    flush_cjk()
    # accents stripped may leave non-alphanumerics behind (rare): keep only clean tokens
    return [t for t in out if t.text and all(c.isalnum() for c in t.text)]


def search_text(*parts: str | None) -> str:
    """The indexed form of a listing's texts: every token, space separated, in order."""
    return " ".join(t.text for part in parts for t in tokens(part))
