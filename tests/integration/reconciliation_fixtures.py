"""Shared fixtures for the reconciliation integration tests (imported by their modules)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from settlement.ledger import get_balance
from settlement.ledger.models import Account
from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.importer import import_statement, register_bank_account
from settlement.reconciliation.matching.engine import match_statements
from settlement.reconciliation.posting import post_matches
from tests.support import camt_builder as camt
from tests.support.reconciliation import MemorySource

IBAN = "DE89370400440532013000"
ACTOR = "user:finance-test"
CFG = ReconciliationConfig()


@pytest.fixture
def bank(db, clock) -> int:
    with db.transaction() as s:
        return register_bank_account(s, identifier=IBAN, currency="EUR", name="Main EUR",
                                     at=clock.now(), actor=ACTOR).id


def load(db, clock, *entries: camt.Entry, version: str = "08", stmt_id: str = "S1",
         opening: str = "1000.00") -> Any:
    data = camt.build(camt.Stmt(entries=list(entries), id=stmt_id, opening=opening),
                      version=version)
    with db.transaction() as s:
        return import_statement(s, data, "camt053", at=clock.now(), actor=ACTOR)


def run(db, clock, source: MemorySource, cfg: ReconciliationConfig = CFG, post: bool = True):
    with db.transaction() as s:
        summary = match_statements(s, source, at=clock.now(), actor=ACTOR, config=cfg)
        if post:
            post_matches(s, source, at=clock.now(), actor=ACTOR)
        return summary


def entry(amount: str, *, direction: str = "CRDT", ref: str = "B1", value: str = "2024-03-01",
          charges: tuple[str, str] | None = None, tx_amount: str | None = None,
          **tx: Any) -> camt.Entry:
    if tx_amount is not None:
        tx["amount"] = tx_amount
    return camt.Entry(amount=amount, direction=direction, ref=ref, value=value, booking=value,
                      txs=[camt.Tx(**tx)] if tx else [], charges=charges)


def exchange_balance(db, purpose: str, ccy: str = "EUR") -> str:
    with db.session() as s:
        acc = s.execute(select(Account.id).where(Account.owner_type == "exchange",
                                                 Account.purpose == purpose,
                                                 Account.currency == ccy)).scalar_one_or_none()
        return "0" if acc is None else str(get_balance(s, acc).posted.amount)


def count(db, model) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()
