"""Importing statements: both camt.053 versions and a CSV profile, refusals that write nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from moneyed import Money
from sqlalchemy import select

from settlement.reconciliation.errors import DuplicateStatement, UnknownBankAccount
from settlement.reconciliation.importer import import_statement, register_bank_account
from settlement.reconciliation.models import ImportedStatement, StatementLineRecord
from settlement.reconciliation.statements import BalanceMismatch, UnsafeXml
from tests.integration.reconciliation_fixtures import ACTOR, IBAN, bank, count, entry, load  # noqa: F401
from tests.support import camt_builder as camt


@pytest.mark.parametrize("version", ["02", "08"])
def test_both_camt_versions_import_every_line_with_its_details(db, clock, bank, version) -> None:
    result = load(db, clock,
                  entry("920.00", e2e="E2E-1", strd_ref="RF18539007547034",
                        ustrd=("Licence fee", "STX-2026-000001-01"), dbtr_name="Acme GmbH",
                        dbtr_iban="DE02120300000000202051", instd=("1000.00", "USD"),
                        rate="0.92", tx_amount="920.00", charges=("2.50", "EUR")),
                  camt.Entry(amount="300.00", direction="DBIT", ref="B2",
                             txs=[camt.Tx(amount="100.00", e2e="A"),
                                  camt.Tx(amount="200.00", e2e="B")]),
                  camt.Entry(amount="5.00", status="PDNG", ref="B3"),
                  version=version)
    assert result.line_count == 4
    with db.session() as s:
        rows = s.execute(select(StatementLineRecord).order_by(StatementLineRecord.line_no)
                         ).scalars().all()
        stmt = s.execute(select(ImportedStatement)).scalar_one()
    assert stmt.line_count == 4 and stmt.opening_minor == 100000 and stmt.closing_minor == 162000
    assert stmt.source_format == f"camt.053.001.{version}" and stmt.imported_by == ACTOR
    first = rows[0]
    assert (first.amount_minor, first.currency, first.direction) == (92000, "EUR", "CRDT")
    assert first.end_to_end_id == "E2E-1" and first.structured_ref == "RF18539007547034"
    assert first.remittance_text == "Licence fee STX-2026-000001-01"
    assert first.debtor_name == "Acme GmbH" and first.debtor_account == "DE02120300000000202051"
    assert (first.instructed_minor, first.instructed_currency) == (100000, "USD")
    assert first.exchange_rate == Decimal("0.92")
    assert (first.charges_minor, first.charges_currency) == (250, "EUR")
    assert first.value_date == dt.date(2024, 3, 1) and first.match_status == "unmatched"
    assert [(r.amount_minor, r.batch_index) for r in rows[1:3]] == [(10000, 0), (20000, 1)]
    assert rows[3].status == "PDNG" and rows[3].match_status == "ignored"


def test_a_csv_statement_imports_through_its_profile(db, clock) -> None:
    with db.transaction() as s:
        register_bank_account(s, identifier="US1234567890", currency="USD", name="USD",
                              at=clock.now(), actor=ACTOR)
    data = ("Date,Value Date,Amount,Currency,Reference,End-to-End ID,Description,Counterparty,"
            "Counterparty Account\n"
            '2024-03-01,2024-03-01,1500.00,USD,BR-1,E2E-1,"STX-2026-000009-01",Acme Inc.,US9\n'
            "2024-03-02,,-250.50,USD,BR-2,,Bank fees,First Bank,\n").encode()
    with db.transaction() as s:
        result = import_statement(s, data, "csv", profile="generic", account="US1234567890",
                                  opening_balance=Money("100.00", "USD"),
                                  closing_balance=Money("1349.50", "USD"), at=clock.now(),
                                  actor=ACTOR)
    assert result.line_count == 2
    with db.session() as s:
        rows = s.execute(select(StatementLineRecord).order_by(StatementLineRecord.line_no)
                         ).scalars().all()
    assert [(r.direction, r.amount_minor) for r in rows] == [("CRDT", 150000), ("DBIT", 25050)]
    assert rows[0].debtor_name == "Acme Inc." and rows[1].creditor_name == "First Bank"


def test_a_statement_that_does_not_balance_writes_nothing(db, clock, bank) -> None:
    data = camt.build(camt.Stmt(entries=[entry("10.00")], closing="1010.01"))
    with db.transaction() as s, pytest.raises(BalanceMismatch) as err:
        import_statement(s, data, "camt053", at=clock.now(), actor=ACTOR)
    assert err.value.element == "Stmt[1]" and "difference 0.01" in err.value.detail
    assert count(db, ImportedStatement) == 0 and count(db, StatementLineRecord) == 0


def test_the_same_statement_twice_is_refused_naming_the_earlier_import(db, clock, bank) -> None:
    first = load(db, clock, entry("10.00"))
    again = camt.build(camt.Stmt(entries=[entry("10.00")], id="S1", created="2024-03-05T00:00:00"))
    with db.transaction() as s, pytest.raises(DuplicateStatement) as err:
        import_statement(s, again, "camt053", at=clock.now(), actor=ACTOR)
    assert err.value.kind == "conflict"
    assert err.value.extra["earlier_import_id"] == first.statement_ids[0]
    assert f"import {first.statement_ids[0]}" in err.value.detail
    assert count(db, ImportedStatement) == 1 and count(db, StatementLineRecord) == 1


def test_hostile_xml_is_refused_and_writes_nothing(db, clock, bank) -> None:
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]>\n<Document>&b;</Document>')
    with db.transaction() as s, pytest.raises(UnsafeXml) as err:
        import_statement(s, bomb, "camt053", at=clock.now(), actor=ACTOR)
    assert err.value.line == 2
    assert count(db, ImportedStatement) == 0 and count(db, StatementLineRecord) == 0


def test_a_statement_for_an_unregistered_account_is_refused(db, clock) -> None:
    with db.transaction() as s, pytest.raises(UnknownBankAccount):
        import_statement(s, camt.build(camt.Stmt(entries=[entry("1.00")])), "camt053",
                         at=clock.now(), actor=ACTOR)
    assert count(db, StatementLineRecord) == 0


def test_registering_a_bank_account_opens_its_ledger_account_once(db, clock) -> None:
    with db.transaction() as s:
        a = register_bank_account(s, identifier="de89 3704 0044 0532 0130 00", currency="EUR",
                                  name="x", at=clock.now(), actor=ACTOR)
        b = register_bank_account(s, identifier=IBAN, currency="EUR", name="x", at=clock.now(),
                                  actor=ACTOR)
    assert a.id == b.id and a.identifier == IBAN
