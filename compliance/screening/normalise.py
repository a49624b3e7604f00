"""Name normalisation: the forms of a name the index and the scorer compare.

Steps, in order: Unicode NFKC (full-width letters and digits become ASCII, ㈜ becomes (주));
legal forms in CJK scripts are cut from the ends of the raw name (they carry no spaces); every
Latin spelling from ``translit.transliterate`` is case-folded, dots and apostrophes are dropped
("S.A." -> "sa", "O'Neil" -> "oneil"), other punctuation splits tokens, and legal-form token runs
are stripped from both ends (``legal_forms.LEGAL_FORMS``). Each spelling becomes a ``NameForm``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .legal_forms import LEGAL_FORMS
from .translit import han_syllables, has_non_latin, transliterate

_DROP = re.compile(r"[.'\u2019\u02bc`]")
_SPLIT = re.compile(r"[^a-z0-9]+")
_CJK_TRIM = " \t\u3000()（）.,-"


@dataclass(frozen=True, slots=True)
class NameForm:
    """One Latin spelling of a name: tokens, the tokens joined, a phonetic skeleton (blocking)
    and the joined form with transliteration letter choices folded (``spelling_fold``)."""

    text: str  # tokens joined by single spaces
    tokens: tuple[str, ...]
    joined: str  # tokens joined with no space ("hua wei" and "huawei" agree here)
    skeleton: str  # consonant skeleton (see ``skeleton``)
    folded: str  # spelling_fold(joined), computed once here rather than per compared pair


def fold(text: str) -> str:
    """NFKC then case folding: the comparison form of any raw string."""
    return unicodedata.normalize("NFKC", text).casefold()


def _latin_tokens(spelling: str) -> tuple[str, ...]:
    text = _DROP.sub("", spelling.casefold())
    return tuple(t for t in _SPLIT.split(text) if t)


@lru_cache(maxsize=1)
def _legal_tables() -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """(token runs of every legal form, raw CJK legal forms longest first)."""
    runs: set[tuple[str, ...]] = set()
    cjk: set[str] = set()
    for form in LEGAL_FORMS:
        folded = fold(form)
        if has_non_latin(folded):
            # "(주)" is cut whole; its bare "주" is not (a common syllable on its own)
            cjk.add(folded)
        spellings = transliterate(folded) + [" ".join(han_syllables(folded))]
        for spelling in spellings:
            tokens = _latin_tokens(spelling)
            if tokens:
                runs.add(tokens)
    by_length = sorted(runs, key=lambda r: (-len(r), r))
    return tuple(by_length), tuple(sorted(cjk, key=lambda f: (-len(f), f)))


def _strip_cjk_legal(raw: str) -> str:
    forms = _legal_tables()[1]
    changed = True
    while changed:
        changed = False
        core = raw.strip(_CJK_TRIM)
        for form in forms:
            if len(core) > len(form) and core.endswith(form):
                raw, changed = core[: -len(form)], True
                break
            if len(core) > len(form) and core.startswith(form):
                raw, changed = core[len(form):], True
                break
    return raw


def strip_legal_tokens(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Remove legal-form token runs from both ends, keeping at least one token."""
    runs = _legal_tables()[0]
    changed = True
    while changed:
        changed = False
        for run in runs:
            n = len(run)
            if len(tokens) > n and tokens[-n:] == run:
                tokens, changed = tokens[:-n], True
                break
            if len(tokens) > n and tokens[:n] == run:
                tokens, changed = tokens[n:], True
                break
    return tokens


_SKELETON_MAP = str.maketrans({
    "c": "k", "g": "k", "q": "k", "b": "p", "d": "t", "z": "s", "x": "s",
    "v": "f", "w": "f", "l": "r", "a": "", "e": "", "i": "", "o": "", "u": "", "y": "", "h": "",
})


def skeleton(joined: str) -> str:
    """A rough consonant skeleton that survives romanisation differences.

    Vowels, h and y are dropped, w joins v and f, x is ks, voiced/unvoiced pairs and l/r merge, and repeats collapse,
    so "samsung"/"samseong" and "kimjongun"/"gimjeongeun" share a key. Used for blocking and as
    one (down-weighted) measure, never alone.
    """
    text = joined.replace("dzh", "j").replace("sch", "s").replace("sh", "s").replace("zh", "j").replace("ch", "j")
    text = text.replace("ph", "f").replace("ck", "k").replace("x", "ks").translate(_SKELETON_MAP)
    out: list[str] = []
    for ch in text:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


_FOLD_PAIRS = (("dzh", "j"), ("zh", "j"), ("kh", "h"), ("ph", "f"), ("ck", "k"), ("x", "ks"),
               ("c", "k"), ("q", "k"), ("w", "v"), ("y", "i"))


def spelling_fold(joined: str) -> str:
    """Fold spellings that transliteration systems disagree on (x/ks, c/k, w/v, zh/j, y/i),
    keeping vowels: the ``spelling`` measure and token similarity compare these."""
    for old, new in _FOLD_PAIRS:
        joined = joined.replace(old, new)
    return joined


def _form(tokens: tuple[str, ...]) -> NameForm:
    joined = "".join(tokens)
    return NameForm(" ".join(tokens), tokens, joined, skeleton(joined), spelling_fold(joined))


@lru_cache(maxsize=131072)
def name_forms(name: str, strip_legal: bool | None = None) -> tuple[NameForm, ...]:
    """Every normalised spelling of ``name``.

    ``strip_legal``: True strips legal forms (organisations), False keeps them (individuals),
    None gives both (the party's type is unknown). Empty names give no forms.
    """
    folded = fold(name)
    raws = []
    if strip_legal is not False:
        raws.append((_strip_cjk_legal(folded), True))
    if strip_legal is not True:
        raws.append((folded, False))
    forms: dict[tuple[str, ...], NameForm] = {}
    for raw, strip in raws:
        spellings = transliterate(raw)
        # "Jong-un" is also "Jongun": given names are hyphenated, joined or split
        spellings += [s.replace("-", "") for s in spellings if "-" in s]
        for spelling in spellings:
            tokens = _latin_tokens(spelling)
            if strip:
                tokens = strip_legal_tokens(tokens)
            if tokens and tokens not in forms:
                forms[tokens] = _form(tokens)
    return tuple(forms.values())
