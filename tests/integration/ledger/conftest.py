"""Ledger fixtures: a standard set of accounts."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import Money
from settlement.ledger import credit, debit, get_or_open_account, post_transfer

ACTOR = "user:test"


@dataclass
class Accounts:
    bank_usd: int
    bank_cny: int
    escrow_usd: int     # buyer's escrow, must not go negative
    escrow_cny: int
    payable_usd: int    # seller payable, must not go negative
    fee_usd: int
    pos_usd: int
    pos_cny: int
    pos_eur: int
    gain_cny: int
    bank_eur: int


def open_accounts(session, clock: FrozenClock, buyer: int = 1, seller: int = 2) -> Accounts:
    def acc(owner_type: str, owner_id: int, purpose: str, ccy: str) -> int:
        return get_or_open_account(session, owner_type=owner_type, owner_id=owner_id,
                                   purpose=purpose, currency=ccy, at=clock.now(), actor=ACTOR).id

    return Accounts(
        bank_usd=acc("exchange", 0, "bank", "USD"), bank_cny=acc("exchange", 0, "bank", "CNY"),
        escrow_usd=acc("organisation", buyer, "buyer_escrow", "USD"),
        escrow_cny=acc("organisation", buyer, "buyer_escrow", "CNY"),
        payable_usd=acc("organisation", seller, "seller_payable", "USD"),
        fee_usd=acc("exchange", 0, "fee_income", "USD"),
        pos_usd=acc("exchange", 0, "fx_position", "USD"),
        pos_cny=acc("exchange", 0, "fx_position", "CNY"),
        pos_eur=acc("exchange", 0, "fx_position", "EUR"),
        gain_cny=acc("exchange", 0, "fx_gain_loss", "CNY"),
        bank_eur=acc("exchange", 0, "bank", "EUR"),
    )


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> Accounts:
    with db.transaction() as s:
        return open_accounts(s, clock)


def fund(session, accts: Accounts, amount: str, ccy: str, key: str, clock: FrozenClock) -> None:
    """The buyer pays into the exchange's bank: debit bank, credit the buyer's escrow."""
    bank, escrow = ((accts.bank_usd, accts.escrow_usd) if ccy == "USD"
                    else (accts.bank_cny, accts.escrow_cny))
    post_transfer(session, key=key, legs=[debit(bank, Money(amount, ccy)),
                                          credit(escrow, Money(amount, ccy))],
                  at=clock.now(), actor=ACTOR)
