"""OFAC SDN delimited files (sdn.csv, alt.csv, add.csv, sdn_comments.csv) into a snapshot.

No header rows; quoted text; CR LF records; ``-0-`` is null. sdn.csv: ent_num, SDN_Name,
SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks.
alt.csv: ent_num, alt_num, alt_type, alt_name, alt_remarks. add.csv: ent_num, add_num, Address,
City/State/Province/Postal Code, Country, Add_remarks. sdn_comments.csv: ent_num, remarks.
Dates of birth, nationalities and document numbers live in the remarks ("DOB 12 Jul 1965;
nationality Iran; Passport A123 (Iran)") and are read from there.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .countries import country_code
from .dates import parse_date
from .load_common import clean, decode, file_set_version
from .model import Alias, DateOfBirth, Identifier, ListEntry, ListFormatError, ListSnapshot

_WIDTHS = {"sdn.csv": 12, "alt.csv": 5, "add.csv": 6, "sdn_comments.csv": 2}
_TYPES = {"": "entity", "individual": "individual", "vessel": "vessel", "aircraft": "aircraft"}
_ID_WORDS = re.compile(
    r"passport|\bid\b|identification|number|\bno\b|registration|code|imo|swift|bic|cedula|"
    r"license|licence|d-u-n-s|ruc|nit|curp", re.I)
_ID = re.compile(r"^(?P<type>.+?)\s+(?P<num>[A-Za-z0-9][A-Za-z0-9/\-.]*\d[A-Za-z0-9/\-]*)"
                 r"(?:\s*\((?P<country>[^)]*)\))?\.?$")


def _rows(text: str, file: str):
    """(line number, cleaned fields) of each record; a bad record raises naming its line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width = _WIDTHS[file]
    try:
        for row in reader:
            if not row or row == ["\x1a"] or all(not f.strip() for f in row):
                continue  # blank lines and the DOS end-of-file marker OFAC appends
            if len(row) != width:
                raise ListFormatError(
                    f"expected {width} fields, found {len(row)}", file=file,
                    location=f"line {reader.line_num}")
            if not row[0].strip().isdigit():
                raise ListFormatError(f"ent_num {row[0]!r} is not a number", file=file,
                                      location=f"line {reader.line_num}")
            yield reader.line_num, [clean(f) for f in row]
    except csv.Error as exc:
        raise ListFormatError(str(exc), file=file, location=f"line {reader.line_num}") from None


def _read_remarks(remarks: str):
    """Dates, countries and identifiers found in OFAC remarks."""
    dates: list[DateOfBirth] = []
    countries: list[str] = []
    ids: list[Identifier] = []
    for part in remarks.split(";"):
        part = re.sub(r"^alt\.\s*", "", part.strip().rstrip("."))
        low = part.casefold()
        if low.startswith("dob ") or low.startswith("organization established date "):
            if date := parse_date(part.split(" ", 1)[1].removeprefix("Established Date ")):
                dates.append(date)
        elif low.startswith(("nationality ", "citizen ")):
            if code := country_code(part.split(" ", 1)[1]):
                countries.append(code)
        elif (m := _ID.match(part)) and _ID_WORDS.search(m["type"]):
            ids.append(Identifier(m["type"], m["num"], country_code(m["country"])))
    return dates, countries, ids


def parse_ofac_sdn(sdn: bytes, alt: bytes | None = None, add: bytes | None = None,
                   comments: bytes | None = None, *, list_name: str = "OFAC-SDN") -> ListSnapshot:
    """Parse the SDN file set; any malformed record fails the whole load (ListFormatError)."""
    files = [("sdn.csv", sdn)] + [
        (n, d) for n, d in (("alt.csv", alt), ("add.csv", add), ("sdn_comments.csv", comments))
        if d is not None]
    texts = {name: decode(data, name) for name, data in files}
    base: dict[str, dict] = {}
    for line, f in _rows(texts["sdn.csv"], "sdn.csv"):
        if f[0] in base:
            raise ListFormatError(f"duplicate ent_num {f[0]}", file="sdn.csv", location=f"line {line}")
        if not f[1]:
            raise ListFormatError("empty SDN_Name", file="sdn.csv", location=f"line {line}")
        if f[2].casefold() not in _TYPES:
            raise ListFormatError(f"unknown SDN_Type {f[2]!r}", file="sdn.csv", location=f"line {line}")
        base[f[0]] = {"name": f[1], "type": _TYPES[f[2].casefold()], "programs": f[3],
                      "remarks": f[11], "flag": f[9], "aliases": [], "countries": []}

    def owner(file: str, line: int, ent_num: str) -> dict:
        if ent_num not in base:
            raise ListFormatError(f"ent_num {ent_num} not in sdn.csv", file=file, location=f"line {line}")
        return base[ent_num]

    for line, f in _rows(texts.get("alt.csv", ""), "alt.csv"):
        if not f[3]:
            raise ListFormatError("empty alt_name", file="alt.csv", location=f"line {line}")
        owner("alt.csv", line, f[0])["aliases"].append(Alias(f[3], (f[2] or "aka").casefold()))
    for line, f in _rows(texts.get("add.csv", ""), "add.csv"):
        if code := country_code(f[4]):
            owner("add.csv", line, f[0])["countries"].append(code)
    for line, f in _rows(texts.get("sdn_comments.csv", ""), "sdn_comments.csv"):
        rec = owner("sdn_comments.csv", line, f[0])
        rec["remarks"] = f"{rec['remarks']} {f[1]}".strip()

    entries = []
    for ent_num, rec in base.items():
        dates, nationalities, ids = _read_remarks(rec["remarks"])
        countries = nationalities + rec["countries"] + ([country_code(rec["flag"])] if rec["flag"] else [])
        programs = tuple(p.strip("[] ") for p in rec["programs"].split("] [") if p.strip("[] "))
        entries.append(ListEntry(
            entry_id=ent_num, list_name=list_name, entity_type=rec["type"],
            primary_name=rec["name"], aliases=tuple(dict.fromkeys(rec["aliases"])),
            countries=tuple(dict.fromkeys(c for c in countries if c)),
            dates_of_birth=tuple(dates), identifiers=tuple(ids), programs=programs,
            remarks=rec["remarks"]))
    return ListSnapshot(list_name, file_set_version(files), tuple(entries), tuple(n for n, _ in files))


def load_ofac_sdn_dir(directory: str | Path, *, list_name: str = "OFAC-SDN") -> ListSnapshot:
    """Load sdn.csv (required) and alt.csv, add.csv, sdn_comments.csv (when present)."""
    folder = Path(directory)
    read = {n: (folder / n).read_bytes() if (folder / n).exists() else None for n in _WIDTHS}
    if read["sdn.csv"] is None:
        raise ListFormatError("file missing", file="sdn.csv", location=str(folder))
    return parse_ofac_sdn(read["sdn.csv"], read["alt.csv"], read["add.csv"],
                          read["sdn_comments.csv"], list_name=list_name)
