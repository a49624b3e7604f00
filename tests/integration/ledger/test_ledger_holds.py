"""Two-phase holds: pending counts against available; commit full or partial; void; expire."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import Money
from settlement.ledger import (
    Hold, HoldAmountExceeded, HoldNotPending, IdempotencyConflict, InsufficientFunds,
    check_ledger, commit_hold, credit, debit, expire_holds, get_balance, place_hold,
    post_transfer, void_hold,
)
from tests.integration.ledger.conftest import ACTOR, Accounts, fund

DAY = dt.timedelta(days=1)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def _hold(db: Database, accounts: Accounts, clock: FrozenClock, amount: str, key: str = "h1",
          ttl: dt.timedelta = DAY) -> int:
    with db.transaction() as s:
        return place_hold(s, accounts.escrow_usd, usd(amount), key=key,
                          expires_at=clock.now() + ttl, at=clock.now(), actor=ACTOR).id


def test_a_pending_hold_reduces_available_and_blocks_overspending(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
    _hold(db, accounts, clock, "70.00")
    with db.session() as s:
        bal = get_balance(s, accounts.escrow_usd)
    assert (bal.posted, bal.pending, bal.available) == (usd("100.00"), usd("70.00"), usd("30.00"))
    with pytest.raises(InsufficientFunds, match="30.00 USD available, 40.00 USD requested"), \
            db.transaction() as s:
        place_hold(s, accounts.escrow_usd, usd("40.00"), key="h2",
                   expires_at=clock.now() + DAY, at=clock.now(), actor=ACTOR)
    with pytest.raises(InsufficientFunds, match="30.00 USD available"), db.transaction() as s:
        post_transfer(s, key="spend", legs=[debit(accounts.escrow_usd, usd("30.01")),
                                            credit(accounts.payable_usd, usd("30.01"))],
                      at=clock.now(), actor=ACTOR)


def test_placing_the_same_hold_again_returns_it_and_other_content_is_refused(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
    first = _hold(db, accounts, clock, "10.00")
    assert _hold(db, accounts, clock, "10.00") == first
    with db.session() as s:
        assert get_balance(s, accounts.escrow_usd).pending == usd("10.00")
    with pytest.raises(IdempotencyConflict):
        _hold(db, accounts, clock, "11.00")


def test_a_partial_commit_posts_what_is_taken_and_releases_the_rest(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
    hold_id = _hold(db, accounts, clock, "60.00")
    with db.transaction() as s:
        t = commit_hold(s, hold_id, key="commit-1", amount=usd("45.50"),
                        to_account_id=accounts.payable_usd, at=clock.now(), actor=ACTOR)
    with db.session() as s:
        bal = get_balance(s, accounts.escrow_usd)
        assert (bal.posted, bal.pending, bal.available) == (usd("54.50"), usd("0.00"), usd("54.50"))
        assert get_balance(s, accounts.payable_usd).posted == usd("45.50")
        hold = s.get(Hold, hold_id)
        assert (hold.state, hold.committed_minor, hold.transfer_id) == ("committed", 4550, t.id)
        assert check_ledger(s) == []
    with db.transaction() as s:  # a replay of the commit returns the same transfer
        assert commit_hold(s, hold_id, key="commit-1", amount=usd("45.50"),
                           to_account_id=accounts.payable_usd, at=clock.now(), actor=ACTOR).id == t.id
    with pytest.raises(HoldNotPending), db.transaction() as s:
        void_hold(s, hold_id, at=clock.now(), actor=ACTOR)


def test_a_commit_with_legs_splits_the_held_money_and_cannot_exceed_the_hold(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
    hold_id = _hold(db, accounts, clock, "50.00")
    with pytest.raises(HoldAmountExceeded), db.transaction() as s:
        commit_hold(s, hold_id, key="c", amount=usd("50.01"), to_account_id=accounts.payable_usd,
                    at=clock.now(), actor=ACTOR)
    with db.transaction() as s:
        commit_hold(s, hold_id, key="c", at=clock.now(), actor=ACTOR, legs=[
            debit(accounts.escrow_usd, usd("50.00")), credit(accounts.payable_usd, usd("48.00")),
            credit(accounts.fee_usd, usd("2.00"))])
    with db.session() as s:
        assert get_balance(s, accounts.fee_usd).posted == usd("2.00")
        assert get_balance(s, accounts.escrow_usd).available == usd("50.00")


def test_voiding_a_hold_releases_it_in_full(db: Database, accounts: Accounts,
                                            clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
    hold_id = _hold(db, accounts, clock, "80.00")
    with db.transaction() as s:
        assert void_hold(s, hold_id, at=clock.now(), actor=ACTOR).state == "voided"
    with db.session() as s:
        assert get_balance(s, accounts.escrow_usd).available == usd("100.00")
    with pytest.raises(HoldNotPending), db.transaction() as s:
        commit_hold(s, hold_id, key="late", to_account_id=accounts.payable_usd,
                    at=clock.now(), actor=ACTOR)


def test_holds_expire_at_their_deadline_by_the_injected_clock(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "100.00", "USD", "fund", clock)
    short = _hold(db, accounts, clock, "30.00", key="short", ttl=dt.timedelta(hours=1))
    long = _hold(db, accounts, clock, "20.00", key="long", ttl=dt.timedelta(hours=3))
    clock.advance(minutes=59)
    with db.transaction() as s:
        assert expire_holds(s, clock.now()) == []
    clock.advance(minutes=1)
    with pytest.raises(HoldNotPending, match="expired"), db.transaction() as s:
        commit_hold(s, short, key="too-late", to_account_id=accounts.payable_usd,
                    at=clock.now(), actor=ACTOR)
    with db.transaction() as s:
        assert expire_holds(s, clock.now()) == [short]
    with db.session() as s:
        assert s.get(Hold, short).state == "expired" and s.get(Hold, long).state == "pending"
        bal = get_balance(s, accounts.escrow_usd)
        assert (bal.pending, bal.available) == (usd("20.00"), usd("80.00"))
        assert check_ledger(s) == []
