"""The catalogue CSV (pure): parsing, code rules and the search terms used for suggestions.

UTF-8 (BOM allowed), comma-separated, standard quoting. Leading lines starting with ``#`` are
metadata, ``# version: 2025-subset`` and ``# source: ...`` (both optional; the loader's options
win). Then one header row; columns in any order, unknown ones refused:

================ ==========================================================================
code             required; export: six digits then ``J`` (prohibited) or ``X`` (restricted),
                 e.g. ``086501X``; import: four to eight digits then ``J``/``X``
control_level    required; ``prohibited`` or ``restricted`` (must agree with the letter)
title_zh         required; the entry's title in Chinese
title_en         required; an English title
industry         the catalogue's industry heading
scope            the control points / technical parameters
keywords         ``|``-separated words (zh or en) that suggest the entry
ipc              ``|``-separated IPC class prefixes (``G06F``, ``G06N 3``, ``C12N 15/10``)
revision         which revision added or last changed the entry (``2020``, ``2023``, ``2025``)
================ ==========================================================================
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass

from .errors import CatalogueFormatError

COLUMNS = ("code", "control_level", "title_zh", "title_en", "industry", "scope", "keywords",
           "ipc", "revision")
REQUIRED = ("code", "control_level", "title_zh", "title_en")
CODE_PATTERNS = {"export": re.compile(r"^\d{6}[JX]$"), "import": re.compile(r"^\d{4,8}[JX]$")}
LETTER_LEVEL = {"J": "prohibited", "X": "restricted"}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("and the for with from into that this are its use using based of in on to by "
                  "or an a as at technology technologies technique techniques method methods "
                  "system systems".split())


def search_terms(text: str) -> set[str]:
    """Chinese character bigrams (a lone character stays itself) and English words (3+
    letters, lower case, trailing plural s dropped, common words left out)."""
    terms: set[str] = set()
    for run in _CJK.findall(text):
        if len(run) == 1:
            terms.add(run)
        terms.update(run[i:i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(text.casefold()):
        if len(word) < 3 or word in _STOP:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        terms.add(word)
    return terms


def normalise_ipc(code: str) -> str:
    """``G06N 3/08`` -> ``G06N3/08``: spaces dropped, capitals."""
    return re.sub(r"\s+", "", code).upper()


@dataclass(frozen=True)
class CatalogueRow:
    code: str
    control_level: str
    title_zh: str
    title_en: str
    industry: str = ""
    scope: str = ""
    keywords: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()
    revision: str = ""

    def terms(self) -> set[str]:
        return search_terms(" ".join((self.title_zh, self.title_en, self.scope,
                                      " ".join(self.keywords))))


@dataclass(frozen=True)
class CatalogueFile:
    direction: str
    version: str
    source_note: str
    sha256: str
    rows: tuple[CatalogueRow, ...]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in cell.split("|") if p.strip()))


def parse_catalogue_csv(data: bytes, direction: str, *, file: str = "catalogue.csv") -> CatalogueFile:
    """Parse a catalogue CSV; any bad row fails the whole file, naming the line."""
    if direction not in CODE_PATTERNS:
        raise CatalogueFormatError(f"direction is export or import, not {direction!r}",
                                   field="direction")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueFormatError(f"{file}: not UTF-8 (byte {exc.start})", file=file) from None
    lines = text.splitlines(keepends=True)
    meta: dict[str, str] = {}
    skip = 0
    for line in lines:
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        if value.strip():
            meta[key.strip().casefold()] = value.strip()
        skip += 1
    reader = csv.reader(io.StringIO("".join(lines[skip:]), newline=""), strict=True)
    rows: list[CatalogueRow] = []
    seen: set[str] = set()

    def fail(msg: str) -> CatalogueFormatError:
        return CatalogueFormatError(f"{file}: line {reader.line_num + skip}: {msg}", file=file,
                                    location=f"line {reader.line_num + skip}")

    try:
        header = [h.strip().casefold() for h in next(reader, [])]
        if not header or set(header) - set(COLUMNS) or set(REQUIRED) - set(header):
            raise fail(f"header must name {', '.join(REQUIRED)} and only {', '.join(COLUMNS)}")
        for raw in reader:
            if not any(c.strip() for c in raw):
                continue
            if len(raw) != len(header):
                raise fail(f"expected {len(header)} fields, found {len(raw)}")
            cell = {k: " ".join(v.split()) for k, v in zip(header, raw)}
            code = cell["code"].upper()
            if not CODE_PATTERNS[direction].match(code):
                raise fail(f"code {code!r} does not follow the {direction} catalogue's pattern")
            level = cell["control_level"].casefold()
            if LETTER_LEVEL[code[-1]] != level:
                raise fail(f"code {code} ends in {code[-1]} but control_level is {level!r}")
            if not cell["title_zh"] or not cell["title_en"]:
                raise fail("title_zh and title_en are required")
            if code in seen:
                raise fail(f"duplicate code {code}")
            seen.add(code)
            rows.append(CatalogueRow(
                code=code, control_level=level, title_zh=cell["title_zh"], title_en=cell["title_en"],
                industry=cell.get("industry", ""), scope=cell.get("scope", ""),
                keywords=_split(cell.get("keywords", "")),
                ipc=tuple(normalise_ipc(c) for c in _split(cell.get("ipc", ""))),
                revision=cell.get("revision", "")))
    except csv.Error as exc:
        raise fail(str(exc)) from None
    if not rows:
        raise CatalogueFormatError(f"{file}: no entries", file=file)
    digest = hashlib.sha256(data).hexdigest()
    return CatalogueFile(direction, meta.get("version", f"sha256:{digest[:12]}"),
                         meta.get("source", f"loaded from {file}"), digest, tuple(rows))
