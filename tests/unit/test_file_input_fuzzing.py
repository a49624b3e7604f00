"""Hostile file inputs: every parser of outside files either parses or refuses cleanly.

Seeds are the valid documents of each parser's own tests; hypothesis mutates them (bytes
replaced, deleted, inserted, duplicated, with the format's own syntax characters and classic
trouble: NULs, invalid UTF-8, byte order marks, huge or odd numbers, DOCTYPEs) and also feeds
arbitrary bytes. A clean refusal is an ``InvalidInput`` subclass (the HTTP layer makes it a 422
naming the line); anything else (IndexError, UnicodeDecodeError, RecursionError, a
decimal.InvalidOperation...) is a crash and fails. Bounded by example counts and derandomised
(DECISIONS.md). camt.053 byte mutations already live in test_statement_camt053_hostile.py.

Bulk listing imports are fuzzed through the API (their refusals need the database's rules):
tests/e2e/test_listings_import_fuzzing.py.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moneyed import Money

from compliance.screening import parse_generic_csv, parse_ofac_sdn, parse_un_consolidated
from kernel.errors import InvalidInput
from settlement.fx import parse_ecb_xml, parse_rates_csv
from settlement.reconciliation.statements import get_profile, parse_csv_statement
from tests.unit.compliance import test_screening_loaders as lists
from tests.unit.settlement import test_fx_sources as fx
from tests.unit.settlement import test_statement_csv as statements

EXAMPLES = 200  # per format

CSV_TOKENS = [b",", b";", b'"', b'""', b"\n", b"\r\n", b"\r", b"\t", b"-0-", b"|", b":",
              b"-", b".", b"1e309", b"NaN", b"Infinity", b"9" * 40, b"0.000000001", b"-0",
              b"1,234.56", b"1.234,56", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3",
              b"\xe4\xb8\xad", b"\x1a", "借".encode("gb18030"), "贷".encode("gb18030"),
              b"2024-02-30", b"31.12.99", b"99999999", b"=cmd|' /C calc'!A0"]
XML_TOKENS = [b"<", b">", b"/>", b"</", b"&", b"&amp;", b"&#0;", b"&#x110000;", b'"', b"'", b"=",
              b"<![CDATA[x]]>", b"<!-- -->", b"<!DOCTYPE x>", b'<?xml version="1.0"?>',
              b"\x00", b"\xff", b"\xc3", b"1e309", b"NaN", b"-1", b"0", b"9" * 40,
              b"2026-02-30", b"<Cube>", b"</Cube>", b'<Cube currency="USD" rate="1.1"/>',
              b"<INDIVIDUAL>", b"</INDIVIDUAL>", b"<DATAID>", b"</DATAID>", b"xmlns:x='y'"]


@st.composite
def mutated(draw: Any, seed: bytes, tokens: list[bytes]) -> bytes:
    """The seed with 1 to 8 edits, or (now and then) arbitrary bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["replace", "delete", "insert", "duplicate", "truncate"]))
        token = draw(st.sampled_from(tokens) | st.binary(min_size=1, max_size=4))
        if op == "replace" and data:
            data[pos:pos + len(token)] = token
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 40))]
        elif op == "insert":
            data[pos:pos] = token
        elif op == "duplicate":
            end = min(len(data), pos + draw(st.integers(1, 200)))
            data[end:end] = data[pos:end]
        else:
            del data[pos:]
    return bytes(data)


def _generic_statement(data: bytes) -> Any:
    return parse_csv_statement(data, "generic", account="US-ACC-1", currency="USD",
                               opening_balance=Money("1000.00", "USD"),
                               closing_balance=Money("2249.50", "USD"))


def _de_statement(data: bytes) -> Any:
    return parse_csv_statement(data, "de_soll_haben", account="DE", currency="EUR",
                               opening_balance=Money("1000.00", "EUR"),
                               closing_balance=Money("13000.00", "EUR"))


def _cn_statement(data: bytes) -> Any:
    return parse_csv_statement(data, get_profile("cn_jie_dai"), account="6222021234567890123",
                               currency="CNY")


def _ofac_sdn(data: bytes) -> Any:
    return parse_ofac_sdn(data, lists.ALT.encode("latin-1"), lists.ADD.encode("latin-1"))


def _ofac_alt(data: bytes) -> Any:
    return parse_ofac_sdn(lists.SDN.encode("latin-1"), data, lists.ADD.encode("latin-1"))


FORMATS: dict[str, tuple[Callable[[bytes], Any], bytes, list[bytes]]] = {
    "csv statement (generic)": (_generic_statement, statements.GENERIC_CSV.encode(), CSV_TOKENS),
    "csv statement (de_soll_haben)": (_de_statement, statements.DE_CSV.encode("cp1252"), CSV_TOKENS),
    "csv statement (cn_jie_dai)": (_cn_statement, statements.CN_CSV.encode("gb18030"), CSV_TOKENS),
    "OFAC SDN main file": (_ofac_sdn, lists.SDN.encode("latin-1"), CSV_TOKENS),
    "OFAC SDN alias file": (_ofac_alt, lists.ALT.encode("latin-1"), CSV_TOKENS),
    "UN consolidated list XML": (lambda d: parse_un_consolidated(d), lists.UN_XML.encode(), XML_TOKENS),
    "generic list CSV": (lambda d: parse_generic_csv(d, list_name="X", file="x.csv"),
                         lists.GENERIC.encode(), CSV_TOKENS),
    "ECB rates XML": (parse_ecb_xml, fx.DAILY, XML_TOKENS),
    "rates CSV": (lambda d: parse_rates_csv(d.decode("utf-8", errors="replace")),
                  (fx.DATA_DIR / "extra-rates-demo.csv").read_bytes()[:2000], CSV_TOKENS),
}


def test_the_seeds_parse() -> None:
    """Each seed is a valid document, so mutations start from the parser's happy path."""
    for name, (parse, seed, _tokens) in FORMATS.items():
        parse(seed)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_mutated_file_parses_or_is_refused_cleanly(name: str) -> None:
    parse, seed, tokens = FORMATS[name]
    outcomes = {"parsed": 0, "refused": 0}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated(seed, tokens))
    def fuzz(data: bytes) -> None:
        try:
            parse(data)
            outcomes["parsed"] += 1
        except InvalidInput as exc:
            assert exc.code and exc.detail, exc
            outcomes["refused"] += 1

    fuzz()
    assert outcomes["refused"] > 0, outcomes
