"""The generic list CSV, for lists with no standard file format.

Used for the domestic unreliable entity list, the export control control list and the internal
watch list. UTF-8 (a BOM is fine), comma-separated, standard CSV quoting, one header row.
Columns, in any order (only ``id`` and ``name`` are required; unknown columns are an error so a
misspelt header does not silently drop data); multi-valued cells separate values with ``|``:

===================== ==========================================================================
id                    the entry's id on its list (unique)
name                  the primary name, in any script
aliases               other names, ``|``-separated
entity_type           ``individual``, ``entity`` (default), ``vessel`` or ``aircraft``
country               ISO alpha-2 codes or English country names, ``|``-separated
date                  dates of birth / incorporation: ``1965``, ``1965-07-12``, ``1960 to 1962``,
                      ``circa 1965``, ``|``-separated
identifiers           ``type:number`` or ``type:number:country``, ``|``-separated
programs              the list's programmes or reasons, ``|``-separated
remarks               free text
original_script_name  the name in its original script when ``name`` is a transliteration
===================== ==========================================================================
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .countries import country_code
from .dates import parse_date
from .load_common import decode, file_set_version, split_multi
from .model import ENTITY_TYPES, Alias, Identifier, ListEntry, ListFormatError, ListSnapshot

COLUMNS = ("id", "name", "aliases", "entity_type", "country", "date", "identifiers", "programs",
           "remarks", "original_script_name")


def _entry(row: dict[str, str], list_name: str, file: str, where: str) -> ListEntry:
    def fail(msg: str) -> ListFormatError:
        return ListFormatError(msg, file=file, location=where)

    entry_id, name = row["id"].strip(), " ".join(row["name"].split())
    if not entry_id or not name:
        raise fail("id and name are required")
    kind = row.get("entity_type", "").strip().casefold() or "entity"
    if kind not in ENTITY_TYPES:
        raise fail(f"unknown entity_type {kind!r}")
    dates = []
    for text in split_multi(row.get("date", "")):
        if (date := parse_date(text)) is None:
            raise fail(f"unreadable date {text!r}")
        dates.append(date)
    identifiers = []
    for text in split_multi(row.get("identifiers", "")):
        parts = [p.strip() for p in text.split(":")]
        if len(parts) not in (2, 3) or not parts[1]:
            raise fail(f"identifier {text!r} is not type:number[:country]")
        identifiers.append(Identifier(parts[0], parts[1], country_code(parts[2]) if len(parts) == 3 else None))
    return ListEntry(
        entry_id=entry_id, list_name=list_name, entity_type=kind, primary_name=name,
        aliases=tuple(Alias(a) for a in split_multi(row.get("aliases", ""))),
        countries=tuple(c for c in map(country_code, split_multi(row.get("country", ""))) if c),
        dates_of_birth=tuple(dates), identifiers=tuple(identifiers),
        programs=split_multi(row.get("programs", "")), remarks=row.get("remarks", "").strip(),
        original_script_name=row.get("original_script_name", "").strip() or None)


def parse_generic_csv(data: bytes, *, list_name: str, file: str = "list.csv") -> ListSnapshot:
    """Parse a generic list CSV; any bad row fails the whole load (ListFormatError)."""
    reader = csv.reader(io.StringIO(decode(data, file), newline=""), strict=True)
    entries: list[ListEntry] = []
    seen: set[str] = set()
    try:
        header = [h.strip().casefold() for h in next(reader, [])]
        unknown = [h for h in header if h not in COLUMNS]
        if not header or unknown or "id" not in header or "name" not in header:
            raise ListFormatError(
                f"header must name id and name and only {', '.join(COLUMNS)}; got {header}",
                file=file, location="line 1")
        for row in reader:
            where = f"line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ListFormatError(f"expected {len(header)} fields, found {len(row)}",
                                      file=file, location=where)
            entry = _entry(dict(zip(header, row)), list_name, file, where)
            if entry.entry_id in seen:
                raise ListFormatError(f"duplicate id {entry.entry_id}", file=file, location=where)
            seen.add(entry.entry_id)
            entries.append(entry)
    except csv.Error as exc:
        raise ListFormatError(str(exc), file=file, location=f"line {reader.line_num}") from None
    return ListSnapshot(list_name, file_set_version([(file, data)]), tuple(entries), (file,))


def load_generic_csv(path: str | Path, *, list_name: str) -> ListSnapshot:
    """Read and parse a generic list CSV file."""
    p = Path(path)
    return parse_generic_csv(p.read_bytes(), list_name=list_name, file=p.name)
