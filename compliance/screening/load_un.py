"""UN Security Council consolidated list (XML) into a snapshot.

Root ``CONSOLIDATED_LIST`` > ``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``. Parsed with
defusedxml: DTDs, entity expansion and external references are refused, nothing is fetched.
An element missing what it must have (DATAID, a name) fails the whole load, naming the element.
"""
from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .countries import country_code
from .dates import parse_date
from .load_common import clean, file_set_version
from .model import Alias, DateOfBirth, Identifier, ListEntry, ListFormatError, ListSnapshot

FILE = "consolidated.xml"


def _text(node: Element, tag: str) -> str:
    child = node.find(tag)
    return clean(child.text if child is not None else None, null="")


def _dates(node: Element, where: str) -> list[DateOfBirth]:
    out = []
    for dob in node.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        kind = _text(dob, "TYPE_OF_DATE").upper() or "EXACT"
        approx = kind.startswith("APPROX")
        if kind == "BETWEEN":
            lo, hi = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
            if not (lo.isdigit() and hi.isdigit()):
                raise ListFormatError("BETWEEN date needs FROM_YEAR and TO_YEAR", file=FILE,
                                      location=where)
            out.append(DateOfBirth(min(int(lo), int(hi)), max(int(lo), int(hi)),
                                   text=f"{lo}-{hi}"))
            continue
        raw = _text(dob, "DATE")[:10] or _text(dob, "YEAR")
        if not raw:
            continue  # UN leaves empty date blocks for unknown dates
        date = parse_date(raw, approximate=approx)
        if date is None:
            raise ListFormatError(f"unreadable date {raw!r}", file=FILE, location=where)
        out.append(date)
    return out


def _entry(node: Element, kind: str, index: int, list_name: str) -> ListEntry:
    dataid = _text(node, "DATAID")
    where = f"{kind} #{index}" + (f" (DATAID {dataid})" if dataid else "")
    if not dataid:
        raise ListFormatError("missing DATAID", file=FILE, location=where)
    tags = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    name = " ".join(p for p in (_text(node, t) for t in tags) if p)
    if not name:
        raise ListFormatError("no name", file=FILE, location=where)
    aliases = []
    for alias in node.findall(f"{kind}_ALIAS"):
        alias_name = _text(alias, "ALIAS_NAME")
        if alias_name:
            aliases.append(Alias(alias_name, (_text(alias, "QUALITY") or "aka").casefold()))
    countries = [_text(v, ".") for v in node.findall("NATIONALITY/VALUE")]
    countries += [_text(a, "COUNTRY") for a in node.findall(f"{kind}_ADDRESS")]
    identifiers = [
        Identifier(_text(d, "TYPE_OF_DOCUMENT") or "document", _text(d, "NUMBER"),
                   country_code(_text(d, "ISSUING_COUNTRY")))
        for d in node.findall(f"{kind}_DOCUMENT") if _text(d, "NUMBER")
    ]
    list_type = _text(node, "UN_LIST_TYPE")
    return ListEntry(
        entry_id=_text(node, "REFERENCE_NUMBER") or dataid, list_name=list_name,
        entity_type="individual" if kind == "INDIVIDUAL" else "entity", primary_name=name,
        aliases=tuple(dict.fromkeys(aliases)),
        countries=tuple(dict.fromkeys(c for c in map(country_code, countries) if c)),
        dates_of_birth=tuple(_dates(node, where)), identifiers=tuple(identifiers),
        programs=(list_type,) if list_type else (), remarks=_text(node, "COMMENTS1"),
        original_script_name=_text(node, "NAME_ORIGINAL_SCRIPT") or None)


def parse_un_consolidated(data: bytes, *, list_name: str = "UN-SC") -> ListSnapshot:
    """Parse the consolidated list XML; malformed XML or entries raise ListFormatError."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise ListFormatError(str(exc).split(":")[0], file=FILE,
                              location=f"line {line}, column {col}") from None
    except DefusedXmlException as exc:
        raise ListFormatError(f"refused: {exc}", file=FILE, location="document") from None
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(f"root is {root.tag}, not CONSOLIDATED_LIST", file=FILE,
                              location="root element")
    entries = []
    for kind, path in (("INDIVIDUAL", "INDIVIDUALS/INDIVIDUAL"), ("ENTITY", "ENTITIES/ENTITY")):
        for i, node in enumerate(root.findall(path), 1):
            entries.append(_entry(node, kind, i, list_name))
    ids = [e.entry_id for e in entries]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ListFormatError(f"duplicate entry {dup}", file=FILE, location="document")
    return ListSnapshot(list_name, file_set_version([(FILE, data)]), tuple(entries), (FILE,))


def load_un_consolidated(path: str | Path, *, list_name: str = "UN-SC") -> ListSnapshot:
    """Read and parse a consolidated list XML file."""
    return parse_un_consolidated(Path(path).read_bytes(), list_name=list_name)
