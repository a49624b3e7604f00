"""Property tests: generated statements survive build -> parse, and fingerprints see through
formatting but not through changed money."""
from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from moneyed import Money

from kernel.money import from_minor
from settlement.reconciliation.statements import (
    check_balance,
    parse_camt053,
    parse_csv_statement,
    statement_fingerprint,
)
from tests.support import camt_builder as camt



CURRENCIES = ("EUR", "USD", "JPY", "KWD", "CNY")


@st.composite
def statements(draw):
    ccy = draw(st.sampled_from(CURRENCIES))
    text = lambda minor: str(from_minor(minor, ccy).amount)  # noqa: E731
    entries = []
    for n in range(draw(st.integers(0, 8))):
        parts = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=3))
        direction = draw(st.sampled_from(["CRDT", "DBIT"]))
        batched = len(parts) > 1
        entries.append(camt.Entry(
            text(sum(parts)), direction=direction, ccy=ccy, ref=f"REF-{n}",
            status=draw(st.sampled_from(["BOOK", "BOOK", "PDNG"])),
            reversal=draw(st.sampled_from([None, False, True])),
            txs=[camt.Tx(amount=text(p) if batched else None, ccy=ccy, e2e=f"E{n}-{i}")
                 for i, p in enumerate(parts)] if draw(st.booleans()) or batched else [],
        ))
    stmt = camt.Stmt(entries=entries, ccy=ccy,
                     opening=text(draw(st.integers(-10**10, 10**10))))
    return stmt, draw(st.sampled_from(["02", "08"]))


def _expected_lines(stmt):
    for e in stmt.entries:
        amounts = [t.amount for t in e.txs if t.amount is not None] or [e.amount]
        for a in amounts:
            yield Decimal(a), e.direction, e.status


@settings(max_examples=60, deadline=None)
@given(statements())
def test_generated_statements_round_trip_with_their_amounts_and_balance(case):
    stmt, version = case
    data = camt.build(stmt, version=version)
    [parsed] = parse_camt053(data)
    assert [(x.amount.amount, x.direction, x.status) for x in parsed.lines] == list(
        _expected_lines(stmt))
    assert all(x.amount.currency.code == stmt.ccy for x in parsed.lines)
    assert parsed.closing_balance.amount == camt.closing_of(stmt)
    check_balance(parsed)  # holds on the parsed value itself, for the import service to re-run
    # Re-exported without indentation and with another creation time: the same statement.
    flat = re.sub(rb">\s+<", b"><", data).replace(b"2024-03-02T06:00:00+01:00",
                                                  b"2024-03-02T07:30:00+01:00")
    [again] = parse_camt053(flat)
    assert again.file_sha256 != parsed.file_sha256
    assert statement_fingerprint(again) == statement_fingerprint(parsed)


@settings(max_examples=60, deadline=None)
@given(statements(), st.data())
def test_any_change_to_a_line_amount_changes_the_fingerprint(case, data):
    stmt, version = case
    [parsed] = parse_camt053(camt.build(stmt, version=version))
    if not parsed.lines:
        changed = replace(parsed, closing_balance=parsed.closing_balance + Money(1, stmt.ccy))
    else:
        i = data.draw(st.integers(0, len(parsed.lines) - 1))
        lines = list(parsed.lines)
        lines[i] = replace(lines[i], amount=lines[i].amount + from_minor(1, stmt.ccy))
        changed = replace(parsed, lines=lines)
    assert statement_fingerprint(changed) != statement_fingerprint(parsed)


@settings(max_examples=60, deadline=None)
@given(st.integers(-10**14, 10**14))
def test_german_formatted_amounts_read_back_exactly(minor):
    value = from_minor(minor, "EUR").amount
    whole, cents = f"{abs(value):,.2f}".split(".")
    written = ("-" if value < 0 else "") + whole.replace(",", ".") + "," + cents
    soll, haben = (written.lstrip("-"), "") if value < 0 else ("", written)
    csv = ("\n" * 4 + "Buchungstag;Valutadatum;Auftraggeber/Empfänger;IBAN;Buchungstext;"
           "Verwendungszweck;Kundenreferenz;Soll;Haben;Währung\n"
           f"01.03.2024;01.03.2024;X;DE1;T;V;K;{soll};{haben};EUR\n")
    s = parse_csv_statement(csv.encode("cp1252"), "de_soll_haben", account="A", currency="EUR",
                            opening_balance=Money(0, "EUR"),
                            closing_balance=Money(value, "EUR"))
    assert s.lines[0].amount.amount == abs(value)
