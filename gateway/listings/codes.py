"""Reference codes a listing is validated against: technology fields, ISO 3166 countries, IPC.

Technology fields (``TECHNOLOGY_FIELDS``) are the exchange's own short list, matching the
strategic emerging industries it reports on; ``other`` catches the rest:

==========================  ==========================================
``ai``                      artificial intelligence, machine learning
``ict``                     telecoms, networks, software, computing
``semiconductors``          chips, design tools, fabrication
``biotech``                 biotechnology, genomics
``pharma``                  medicines, drug delivery
``medical_devices``         devices, diagnostics, imaging
``new_energy``              solar, wind, storage, hydrogen, nuclear
``new_materials``           advanced materials, chemistry of materials
``advanced_manufacturing``  robotics, machine tools, additive manufacturing
``agriculture``             crops, livestock, food technology
``environment``             water, air, waste, carbon capture
``aerospace``               aviation, space
``transport``               vehicles, rail, shipping, batteries for vehicles
``other``                   anything not above
==========================  ==========================================
"""
from __future__ import annotations

import re

from gateway.listings.errors import InvalidListing

TECHNOLOGY_FIELDS = (
    "ai", "ict", "semiconductors", "biotech", "pharma", "medical_devices", "new_energy",
    "new_materials", "advanced_manufacturing", "agriculture", "environment", "aerospace",
    "transport", "other",
)

# ISO 3166-1 alpha-2, officially assigned codes (249). Babel's territory list is not used: it
# mixes in CLDR-only codes (EU, EZ, UN, XK, QO, ZZ, ...).
ISO_3166_ALPHA2 = frozenset(["AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"])


def check_country(code: object, field: str = "territory") -> str:
    """An ISO 3166-1 alpha-2 code in capitals, else ``InvalidListing``."""
    if not isinstance(code, str) or code not in ISO_3166_ALPHA2:
        raise InvalidListing(f"{code!r} is not an ISO 3166-1 alpha-2 country code", field=field)
    return code


# IPC symbol: section (A-H), class (2 digits), subclass (letter), then optionally
# main group (1-4 digits) "/" subgroup (2-6 digits). Spaces between parts are optional on input.
_IPC = re.compile(r"^([A-H])(\d{2})([A-Z])(?:\s*(\d{1,4})\s*/\s*(\d{2,6}))?$")
_IPC_PREFIX = re.compile(r"^([A-H])(?:(\d{2})(?:([A-Z])(?:\s*(\d{1,4})(?:\s*/\s*(\d{2,6}))?)?)?)?$")


def normalise_ipc(symbol: object, field: str = "ipc_classes") -> str:
    """``h04w72/04`` -> ``H04W 72/04``; a subclass alone (``H04W``) is allowed too.

    Main groups lose leading zeros (``H04W 0072/04`` -> ``H04W 72/04``); anything else that is
    not an IPC symbol is refused with ``InvalidListing``.
    """
    if not isinstance(symbol, str):
        raise InvalidListing("an IPC class is a string like 'H04W 72/04'", field=field)
    m = _IPC.match(symbol.strip().upper())
    if m is None:
        raise InvalidListing(f"{symbol!r} is not an IPC symbol like 'H04W 72/04' or 'A61K 31/00'",
                             field=field)
    section, klass, subclass, group, subgroup = m.groups()
    head = f"{section}{klass}{subclass}"
    return head if group is None else f"{head} {int(group)}/{subgroup}"


def ipc_prefixes(symbol: str) -> list[str]:
    """Every searchable prefix of a normalised symbol: ``H``, ``H04``, ``H04W``, ``H04W 72``,
    ``H04W 72/04`` (section, class, subclass, main group, full symbol)."""
    out = [symbol[0], symbol[:3], symbol[:4]]
    if len(symbol) > 4:
        group, _, _sub = symbol[5:].partition("/")
        out += [f"{symbol[:4]} {group}", symbol]
    return out


def normalise_ipc_prefix(text: object, field: str = "ipc") -> str:
    """A search prefix at one of the IPC levels (``H``, ``H04``, ``H04W``, ``H04W 72``,
    ``H04W 72/04``), normalised like the stored prefixes."""
    if not isinstance(text, str):
        raise InvalidListing("an IPC prefix is a string like 'H04W'", field=field)
    m = _IPC_PREFIX.match(text.strip().upper())
    if m is None:
        raise InvalidListing(f"{text!r} is not an IPC prefix (H, H04, H04W, H04W 72, H04W 72/04)",
                             field=field)
    section, klass, subclass, group, subgroup = m.groups()
    out = section + (klass or "") + (subclass or "")
    if group is not None:
        out += f" {int(group)}"
        if subgroup is not None:
            out += f"/{subgroup}"
    return out
