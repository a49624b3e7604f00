"""Transfers: balanced per currency, in the account's currency, immutable, idempotent,
reversible once; running and as-of balances."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import AmountPrecisionError, Money
from settlement.ledger import (
    AlreadyReversed, CurrencyMismatch, IdempotencyConflict, InsufficientFunds, InvalidPosting,
    Posting, Transfer, UnbalancedTransfer, balance_as_of, check_ledger, credit, debit,
    get_balance, post_transfer, reverse_transfer,
)
from tests.integration.ledger.conftest import ACTOR, Accounts, fund


def _count(db: Database, table: str) -> int:
    with db.session() as s:
        return s.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_a_balanced_transfer_moves_running_balances_and_chains_balance_after(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "1000.00", "USD", "fund-1", clock)
        t = post_transfer(s, key="pay-1", legs=[
            debit(accounts.escrow_usd, Money("300.00", "USD")),
            credit(accounts.payable_usd, Money("290.00", "USD")),
            credit(accounts.fee_usd, Money("10.00", "USD"))], at=clock.now(), actor=ACTOR)
    with db.session() as s:
        assert get_balance(s, accounts.escrow_usd).posted == Money("700.00", "USD")
        assert get_balance(s, accounts.payable_usd).posted == Money("290.00", "USD")
        assert get_balance(s, accounts.bank_usd).posted == Money("1000.00", "USD")
        afters = s.execute(select(Posting.account_id, Posting.balance_after)
                           .where(Posting.transfer_id == t.id)).all()
        assert dict(afters) == {accounts.escrow_usd: 70000, accounts.payable_usd: 29000,
                                accounts.fee_usd: 1000}
        fee = s.execute(select(Posting).where(Posting.transfer_id == t.id,
                                              Posting.account_id == accounts.fee_usd)).scalar_one()
        assert fee.amount == Money("10.00", "USD")  # a posting reads back as Money
        assert check_ledger(s) == []


@pytest.mark.parametrize("legs, currency", [
    ([("escrow_usd", "debit", "10.00", "USD"), ("payable_usd", "credit", "9.99", "USD")], "USD"),
    # balanced in USD, not in CNY: each currency must balance on its own
    ([("escrow_usd", "debit", "10.00", "USD"), ("payable_usd", "credit", "10.00", "USD"),
      ("escrow_cny", "debit", "70.00", "CNY"), ("bank_cny", "debit", "70.00", "CNY")], "CNY"),
    # the sums over both currencies would cancel: still refused
    ([("escrow_usd", "debit", "10.00", "USD"), ("escrow_cny", "credit", "10.00", "CNY")], "CNY"),
])
def test_an_unbalanced_transfer_is_refused_per_currency(
        db: Database, accounts: Accounts, clock: FrozenClock, legs: list, currency: str) -> None:
    built = [(debit if side == "debit" else credit)(getattr(accounts, name), Money(amount, ccy))
             for name, side, amount, ccy in legs]
    with pytest.raises(UnbalancedTransfer) as err, db.transaction() as s:
        post_transfer(s, key="bad", legs=built, at=clock.now(), actor=ACTOR)
    assert err.value.code == "ledger_unbalanced" and err.value.extra["currency"] == currency
    assert _count(db, "ledger_transfers") == 0


@pytest.mark.parametrize("legs, error", [
    ([("escrow_usd", "debit", "1.00")], InvalidPosting),
    ([("escrow_usd", "debit", "0.00"), ("payable_usd", "credit", "0.00")], InvalidPosting),
    ([("escrow_usd", "debit", "-1.00"), ("payable_usd", "credit", "-1.00")], InvalidPosting),
    ([("escrow_usd", "debit", "1.001"), ("payable_usd", "credit", "1.001")], AmountPrecisionError),
])
def test_malformed_postings_are_refused(db: Database, accounts: Accounts, clock: FrozenClock,
                                        legs: list, error: type) -> None:
    built = [(debit if side == "debit" else credit)(getattr(accounts, name), Money(amount, "USD"))
             for name, side, amount in legs]
    with pytest.raises(error), db.transaction() as s:
        post_transfer(s, key="bad", legs=built, at=clock.now(), actor=ACTOR)


def test_a_posting_in_another_currency_than_its_account_is_refused(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with pytest.raises(CurrencyMismatch), db.transaction() as s:
        post_transfer(s, key="ccy", legs=[debit(accounts.escrow_usd, Money("5.00", "EUR")),
                                          credit(accounts.bank_eur, Money("5.00", "EUR"))],
                      at=clock.now(), actor=ACTOR)
    # and the database refuses it too (composite foreign key onto the account's currency)
    with pytest.raises(IntegrityError), db.transaction() as s:
        tid = s.execute(text(
            "INSERT INTO ledger_transfers (key, content_hash, kind, description, posted_at, actor)"
            " VALUES ('raw', 'x', 'transfer', '', :at, 'raw') RETURNING id"),
            {"at": clock.now()}).scalar_one()
        s.execute(text("INSERT INTO ledger_postings (transfer_id, account_id, side, amount_minor,"
                       " currency, posted_at, balance_after) VALUES (:t, :a, 'debit', 5, 'EUR',"
                       " :at, 0)"), {"t": tid, "a": accounts.escrow_usd, "at": clock.now()})


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_postings SET amount_minor = amount_minor + 1",
    "DELETE FROM ledger_postings",
    "UPDATE ledger_transfers SET description = 'edited'",
    "DELETE FROM ledger_transfers",
])
def test_posted_transfers_are_immutable(db: Database, accounts: Accounts, clock: FrozenClock,
                                        statement: str) -> None:
    with db.transaction() as s:
        fund(s, accounts, "10.00", "USD", "fund", clock)
    with pytest.raises(DBAPIError, match="immutable"), db.transaction() as s:
        s.execute(text(statement))


def test_replaying_a_key_with_the_same_content_returns_the_original(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    legs = [debit(accounts.bank_usd, Money("50.00", "USD")),
            credit(accounts.escrow_usd, Money("50.00", "USD"))]
    with db.transaction() as s:
        first = post_transfer(s, key="k-1", legs=legs, at=clock.now(), actor=ACTOR)
    clock.advance(minutes=5)
    with db.transaction() as s:
        again = post_transfer(s, key="k-1", legs=list(reversed(legs)), at=clock.now(), actor=ACTOR)
    assert again.id == first.id and again.replayed and not first.replayed
    assert again.posted_at == first.posted_at
    with db.session() as s:
        assert get_balance(s, accounts.escrow_usd).posted == Money("50.00", "USD")
    assert _count(db, "ledger_transfers") == 1


def test_reusing_a_key_for_other_content_is_refused_with_a_stable_code(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        post_transfer(s, key="k-1", legs=[debit(accounts.bank_usd, Money("50.00", "USD")),
                                          credit(accounts.escrow_usd, Money("50.00", "USD"))],
                      at=clock.now(), actor=ACTOR)
    with pytest.raises(IdempotencyConflict) as err, db.transaction() as s:
        post_transfer(s, key="k-1", legs=[debit(accounts.bank_usd, Money("51.00", "USD")),
                                          credit(accounts.escrow_usd, Money("51.00", "USD"))],
                      at=clock.now(), actor=ACTOR)
    assert err.value.code == "ledger_key_reused" and err.value.kind == "conflict"


def test_a_reversal_mirrors_the_original_points_back_and_happens_once(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
        pay = post_transfer(s, key="pay", legs=[debit(accounts.escrow_usd, Money("40.00", "USD")),
                                                credit(accounts.payable_usd, Money("40.00", "USD"))],
                            at=clock.now(), actor=ACTOR)
    with db.transaction() as s:
        rev = reverse_transfer(s, pay.id, key="rev-pay", at=clock.now(), actor=ACTOR)
    with db.session() as s:
        assert get_balance(s, accounts.escrow_usd).posted == Money("100.00", "USD")
        assert get_balance(s, accounts.payable_usd).posted == Money("0.00", "USD")
        reversal = s.get(Transfer, rev.id)
        assert reversal.kind == "reversal" and reversal.reverses_id == pay.id
        sides = dict(s.execute(select(Posting.account_id, Posting.side)
                               .where(Posting.transfer_id == rev.id)).all())
        assert sides == {accounts.escrow_usd: "credit", accounts.payable_usd: "debit"}
    with db.transaction() as s:
        assert reverse_transfer(s, pay.id, key="rev-pay", at=clock.now(), actor=ACTOR).id == rev.id
    with pytest.raises(AlreadyReversed), db.transaction() as s:
        reverse_transfer(s, pay.id, key="rev-again", at=clock.now(), actor=ACTOR)


def test_overdrawing_a_must_not_go_negative_account_is_refused_naming_the_amounts(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
    with pytest.raises(InsufficientFunds) as err, db.transaction() as s:
        post_transfer(s, key="too-much", legs=[
            debit(accounts.escrow_usd, Money("100.01", "USD")),
            credit(accounts.payable_usd, Money("100.01", "USD"))], at=clock.now(), actor=ACTOR)
    assert "100.00 USD available" in err.value.detail and "100.01 USD requested" in err.value.detail
    assert err.value.extra["available"] == "100.00" and err.value.extra["requested"] == "100.01"
    # and the database refuses a running balance below zero even if Python were bypassed
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(text("UPDATE ledger_accounts SET posted_minor = -1 WHERE id = :a"),
                  {"a": accounts.escrow_usd})


def test_as_of_balances_read_the_chain_at_any_time(db: Database, accounts: Accounts,
                                                   clock: FrozenClock) -> None:
    t0 = clock.now()
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "f1", clock)
    t1 = clock.advance(hours=1)
    with db.transaction() as s:
        fund(s, accounts, "50.00", "USD", "f2", clock)
    clock.advance(hours=1)
    with db.transaction() as s:
        post_transfer(s, key="out", legs=[debit(accounts.escrow_usd, Money("30.00", "USD")),
                                          credit(accounts.payable_usd, Money("30.00", "USD"))],
                      at=clock.now(), actor=ACTOR)
    with db.session() as s:
        def at(when: dt.datetime) -> Money:
            return balance_as_of(s, accounts.escrow_usd, when)
        assert at(t0 - dt.timedelta(seconds=1)) == Money("0.00", "USD")
        assert at(t0) == Money("100.00", "USD")
        assert at(t1 - dt.timedelta(seconds=1)) == Money("100.00", "USD")
        assert at(t1 + dt.timedelta(minutes=59)) == Money("150.00", "USD")
        assert at(clock.now()) == Money("120.00", "USD")
        assert get_balance(s, accounts.escrow_usd).posted == Money("120.00", "USD")


def test_a_posting_time_earlier_than_the_accounts_last_is_moved_up_to_keep_the_chain(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "f1", clock)
        late = post_transfer(s, key="late", legs=[
            debit(accounts.bank_usd, Money("1.00", "USD")),
            credit(accounts.escrow_usd, Money("1.00", "USD"))],
            at=clock.now() - dt.timedelta(hours=1), actor=ACTOR)
    assert late.posted_at == clock.now()
    with db.session() as s:
        assert balance_as_of(s, accounts.escrow_usd, clock.now()) == Money("101.00", "USD")
