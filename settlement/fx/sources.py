"""Rate loaders: the ECB's euro reference rates (XML, from a file or over HTTP) and a small
CSV format for the rates the ECB does not publish (KWD, BHD...).

Every loader takes a document whole or not at all: on the first problem it raises
``RateDocumentError`` (an ``InvalidInput``) naming what is wrong and where, and returns nothing.
"""
from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from numbers import Real
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from kernel.money import is_currency

from .errors import InvalidRate, RateDocumentError, RateSourceUnavailable
from .rates import Rate

GESMES_NS = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
_ENVELOPE = f"{{{GESMES_NS}}}Envelope"
_CUBE = f"{{{EUROFXREF_NS}}}Cube"

#: withdrawn ISO 4217 codes that eurofxref-hist.xml still carries for old days (before the euro
#: replaced them, or before redenomination; BGN since the euro came to Bulgaria in 2026): skipped
#: when kernel's currency table no longer lists them, since nothing can be settled in them
ECB_WITHDRAWN = frozenset({"BGN", "CYP", "EEK", "HRK", "LTL", "LVL", "MTL", "ROL", "SIT", "SKK",
                           "TRL"})

#: eurofxref-hist.xml is a few MB; refuse anything far larger rather than exhaust memory
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
#: (connect, read) seconds: whole seconds, so that no float enters the settlement package
DEFAULT_TIMEOUT = (4, 10)
CSV_HEADER = ("base", "quote", "rate", "as_of", "source")
DATA_DIR = Path(__file__).parent / "data"

_DECIMAL = re.compile(r"\d{1,12}(\.\d{1,12})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_decimal(text: str | None, where: str) -> Decimal:
    if text is None or not _DECIMAL.fullmatch(text.strip()):
        raise RateDocumentError(f"{where}: rate {text!r} is not a plain decimal number")
    value = Decimal(text.strip())
    if value <= 0:
        raise RateDocumentError(f"{where}: rate {text!r} is not positive")
    return value


def _parse_date(text: str | None, where: str) -> date:
    if text is None or not _ISO_DATE.fullmatch(text.strip()):
        raise RateDocumentError(f"{where}: date {text!r} is not YYYY-MM-DD")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RateDocumentError(f"{where}: date {text!r} does not exist") from None


def _parse_xml(data: bytes) -> Element:
    if not isinstance(data, (bytes, bytearray)):
        raise RateDocumentError("an ECB document must be given as bytes")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RateDocumentError(f"document of {len(data)} bytes exceeds {MAX_DOCUMENT_BYTES}")
    try:
        return fromstring(bytes(data), forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)
    except DefusedXmlException as exc:
        raise RateDocumentError(f"refused hostile XML: {exc}") from None
    except ParseError as exc:
        line, column = exc.position
        raise RateDocumentError(f"not well-formed XML (truncated?) at line {line}, column "
                                f"{column}", position=[line, column]) from None


def parse_ecb_xml(data: bytes, *, source: str = "ECB") -> list[Rate]:
    """Parse eurofxref-daily.xml or eurofxref-hist.xml into EUR-based rates.

    Returns one ``Rate(base="EUR", quote, rate, as_of, source)`` per currency per day, in
    document order (the ECB lists days newest first). DTDs and entities are refused; a
    truncated or malformed document, a day without a valid ``time``, a duplicated day or
    currency, an unknown currency code, or a missing, non-numeric or non-positive rate raises
    ``RateDocumentError`` naming the day and currency. Withdrawn codes the ECB still lists for
    old days (``ECB_WITHDRAWN``) are skipped.
    """
    root = _parse_xml(data)
    if root.tag != _ENVELOPE:
        raise RateDocumentError(f"not an ECB eurofxref document: root element is {root.tag}")
    outer = root.findall(_CUBE)
    if len(outer) != 1:
        raise RateDocumentError(f"expected one top-level Cube element, found {len(outer)}")
    rates: list[Rate] = []
    seen_days: set[date] = set()
    for index, day_cube in enumerate(outer[0], start=1):
        if day_cube.tag != _CUBE:
            raise RateDocumentError(f"day {index}: unexpected element {day_cube.tag}")
        as_of = _parse_date(day_cube.get("time"), f"day {index}")
        where_day = f"day {as_of.isoformat()}"
        if as_of in seen_days:
            raise RateDocumentError(f"{where_day} appears twice")
        seen_days.add(as_of)
        day_rates = _parse_day(day_cube, as_of, where_day, source)
        rates.extend(day_rates)
    if not seen_days:
        raise RateDocumentError("the document holds no dated Cube (no rates at all)")
    return rates


def _parse_day(day_cube: Element, as_of: date, where_day: str, source: str) -> list[Rate]:
    out: list[Rate] = []
    seen: set[str] = set()
    for entry in day_cube:
        code = entry.get("currency")
        if entry.tag != _CUBE or code is None:
            raise RateDocumentError(f"{where_day}: a rate entry without a currency attribute")
        code = code.strip()
        where = f"{where_day}, {code}"
        if code in seen:
            raise RateDocumentError(f"{where}: currency listed twice")
        seen.add(code)
        value = _parse_decimal(entry.get("rate"), where)
        if not is_currency(code) and code in ECB_WITHDRAWN:
            continue
        if not is_currency(code) or code == "EUR":
            raise RateDocumentError(f"{where}: unknown currency code {code!r}")
        out.append(Rate("EUR", code, value, as_of, source))
    if not seen:
        raise RateDocumentError(f"{where_day}: no rates")
    return out


def fetch_ecb(url: str, session: requests.Session | None = None,
              timeout: tuple[Real, Real] = DEFAULT_TIMEOUT, *, source: str = "ECB",
              max_bytes: int = MAX_DOCUMENT_BYTES) -> list[Rate]:
    """Download an ECB eurofxref document from ``url`` and parse it with ``parse_ecb_xml``.

    ``timeout`` is (connect, read) seconds. Network failures, timeouts, an HTTP error status or
    a body cut off in transit raise ``RateSourceUnavailable`` (retrying may help); a document
    that arrives whole but is bad raises ``RateDocumentError``. A caller's ``session`` is used
    as is and left open; otherwise a private one is opened and closed.
    """
    http = session if session is not None else requests.Session()
    try:
        with http.get(url, timeout=timeout, stream=True,
                      headers={"Accept": "application/xml, text/xml"}) as response:
            if response.status_code >= 400:
                raise RateSourceUnavailable(
                    f"{url} answered HTTP {response.status_code}", status=response.status_code)
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > max_bytes:
                    raise RateDocumentError(f"{url}: document larger than {max_bytes} bytes")
    except requests.Timeout as exc:
        raise RateSourceUnavailable(f"{url} timed out: {exc}") from exc
    except requests.RequestException as exc:
        raise RateSourceUnavailable(f"{url} could not be read: {exc}") from exc
    finally:
        if session is None:
            http.close()
    return parse_ecb_xml(bytes(body), source=source)


def parse_rates_csv(text: str) -> list[Rate]:
    """Parse rates the ECB does not publish, from CSV text.

    The first non-comment line must be the header ``base,quote,rate,as_of,source``. Each row
    is one rate: ISO 4217 codes, a plain positive decimal (units of quote per one base), an
    ISO date ``YYYY-MM-DD`` and a non-empty source name. Blank lines and lines starting with
    ``#`` are ignored. Any problem, or the same base/quote/as_of twice, raises
    ``RateDocumentError`` naming the line number (``extra["line"]``).
    """
    rates: list[Rate] = []
    seen: set[tuple[str, str, date]] = set()
    header_seen = False
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader([line]))]
        if not header_seen:
            if tuple(f.lower() for f in fields) != CSV_HEADER:
                raise RateDocumentError(
                    f"line {number}: header must be {','.join(CSV_HEADER)}", line=number)
            header_seen = True
            continue
        rates.append(_parse_csv_row(fields, number, seen))
    if not header_seen:
        raise RateDocumentError("empty rates file: no header", line=0)
    return rates


def _parse_csv_row(fields: list[str], number: int,
                   seen: set[tuple[str, str, date]]) -> Rate:
    where = f"line {number}"
    if len(fields) != len(CSV_HEADER):
        raise RateDocumentError(f"{where}: expected {len(CSV_HEADER)} fields, got {len(fields)}",
                                line=number)
    base, quote, rate_text, as_of_text, source = fields
    try:
        for name, code in (("base", base), ("quote", quote)):
            if not is_currency(code):
                raise RateDocumentError(f"{where}: {name} {code!r} is not an ISO 4217 code")
        rate = Rate(base, quote, _parse_decimal(rate_text, where),
                    _parse_date(as_of_text, where), source)
    except (RateDocumentError, InvalidRate) as exc:
        message = exc.detail if exc.detail.startswith(where) else f"{where}: {exc.detail}"
        raise RateDocumentError(message, line=number) from None
    key = (rate.base, rate.quote, rate.as_of)
    if key in seen:
        raise RateDocumentError(f"{where}: {base}/{quote} on {rate.as_of} given twice",
                                line=number)
    seen.add(key)
    return rate


def load_demo_rates() -> list[Rate]:
    """The offline demo rates shipped in ``settlement/fx/data`` (generated values, not real
    ECB data): about 60 business days of ECB-format rates up to 2026-11-20, plus KWD/BHD."""
    rates = parse_ecb_xml((DATA_DIR / "eurofxref-hist-demo.xml").read_bytes(), source="ECB-demo")
    rates += parse_rates_csv((DATA_DIR / "extra-rates-demo.csv").read_text(encoding="utf-8"))
    return rates
