"""Hostile bulk listing imports (POST /api/v1/listings/import, CSV and JSON) through the whole
stack: parser, schema, rules and the database. Every attempt is either a clean import (201,
every row a new draft of the caller's sub-centre) or a clean refusal (a 4xx problem document
with a code) that writes nothing; never a 5xx.

CSV seeds are valid imports mutated byte-wise with the format's syntax and classic trouble (the
mutator of tests/unit/test_file_input_fuzzing.py); JSON seeds are valid rows whose fields are
replaced by arbitrary JSON or known trouble (64-bit overflows, NUL characters, NaN, impossible
dates, huge amounts), dropped, or joined by unknown ones. Bounded by example count and
derandomised (DECISIONS.md), on both databases.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.listings.models import Listing
from tests.integration.test_listings_import import HEADER, _csv_row
from tests.support.listings import draft_body
from tests.unit.test_file_input_fuzzing import CSV_TOKENS, mutated

EXAMPLES = 120  # per format and database
URL = "/api/v1/listings/import"

TROUBLE: list[Any] = [
    2**63, 2**64 + 1, -(2**63) - 1, 0, -1, 10**30, 1e309, float("nan"), True, None, "", " ",
    "\x00", "a\x00b", "x" * 5000, "业" * 600, "1e309", "NaN", "-0", "0.0000001", "99999999999999999999.99",
    "2026-02-30T00:00:00Z", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00Z", "2026-12-01",
    "USX", "usd", ["H04W 72/04"] * 50, [None], [[]], [{}], {"amount": "1", "currency": "XXX"},
    {"amount": 1e309, "currency": "USD"}, {"amount": "12.345", "currency": "USD"},
    {"amount": "1", "currency": "JPY", "extra": 1}, "=cmd|' /C calc'!A0", "\ud800".encode(
        "utf-8", "surrogatepass").decode("utf-8", "replace"),
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


@st.composite
def json_import(draw: Any, seed_row: dict[str, Any]) -> bytes:
    rows: list[Any] = [dict(seed_row) for _ in range(draw(st.integers(0, 3)))]
    for _ in range(draw(st.integers(0, 4))):
        dicts = [r for r in rows if isinstance(r, dict)]
        if not dicts:
            break
        row = draw(st.sampled_from(dicts))
        op = draw(st.sampled_from(["set", "set", "delete", "add", "replace_row"]))
        key = draw(st.sampled_from(sorted(seed_row)))
        if op == "set":
            row[key] = draw(st.sampled_from(TROUBLE) | JSON_VALUES)
        elif op == "delete":
            row.pop(key, None)
        elif op == "add":
            row[draw(st.text(max_size=12))] = draw(JSON_VALUES)
        else:
            rows[next(i for i, r in enumerate(rows) if r is row)] = draw(JSON_VALUES)
    shape = draw(st.sampled_from(["rows", "bare", "other"]))
    payload: Any = {"rows": rows} if shape == "rows" else rows if shape == "bare" else draw(JSON_VALUES)
    text = json.dumps(payload, allow_nan=True).encode()
    if draw(st.integers(0, 7)) == 0:  # now and then broken JSON too
        text = draw(mutated(text, [b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\u0000", b"\xff"]))
    return text


@st.composite
def csv_import(draw: Any, header: bytes, rows: list[bytes]) -> bytes:
    """Cells mutated one by one (so that damage to one cell does not always hide the rest),
    now and then the whole file at once (hypothesis favours small offsets: alone, that would
    mostly break the header)."""
    if draw(st.integers(0, 5)) == 0:
        return draw(mutated(b"\n".join([header, *rows]), CSV_TOKENS))
    cells = [row.split(b",") for row in rows]
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.sampled_from(cells))
        col = draw(st.integers(0, len(row) - 1))
        row[col] = draw(mutated(row[col], CSV_TOKENS))
    return b"\n".join([header, *(b",".join(row) for row in cells)])


def _listings(db: Any) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(Listing)).scalar_one()


def _check(client: Any, db: Any, headers: dict[str, str], body: bytes, content_type: str,
           outcomes: dict[str, int], subcentre_id: int) -> None:
    before = _listings(db)
    resp = client.post(URL, data=body, headers=headers, content_type=content_type)
    assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True), body[:500])
    if resp.status_code == 201:
        ids = resp.get_json()["ids"]
        assert _listings(db) == before + len(ids) and ids
        with db.session() as s:
            made = s.execute(select(Listing.state, Listing.subcentre_id)
                             .where(Listing.id.in_(ids))).all()
        assert set(made) == {("draft", subcentre_id)}
        outcomes["imported"] += 1
    else:
        assert 400 <= resp.status_code < 500, resp.status_code
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["code"], resp.get_json()
        assert _listings(db) == before, "a refused import wrote something"
        outcomes["refused"] += 1


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_hostile_bulk_import_is_imported_whole_or_refused_cleanly(client, db, users, parties, kind) -> None:
    staff = users["staff_us"]["headers"]
    seller = parties["seller_us"]
    if kind == "csv":
        rows = [_csv_row(seller).encode(), _csv_row(seller, title_en="Lidar v2", territory="CN").encode()]
        strategy, content_type = csv_import(HEADER.encode(), rows), "text/csv"
    else:
        strategy, content_type = json_import(draft_body(seller)), "application/json"
    outcomes = {"imported": 0, "refused": 0}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(strategy)
    def fuzz(body: bytes) -> None:
        _check(client, db, staff, body, content_type, outcomes, parties["us"])

    fuzz()
    # the mutations reach both outcomes: the fuzzing is not all bounced off the parser
    assert outcomes["refused"] > 0 and outcomes["imported"] > 0, outcomes
