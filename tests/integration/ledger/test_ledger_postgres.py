"""What only PostgreSQL can prove: the deferred zero-sum trigger at commit, and real
concurrency (16 threads on hot accounts lose no update and never overdraw or overspend)."""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import Money
from settlement.ledger import (
    InsufficientFunds, check_ledger, credit, debit, get_balance, place_hold, post_transfer,
)
from tests.integration.ledger.conftest import ACTOR, fund, open_accounts

WORKERS = 16


def _raw_transfer(s, key: str, at: dt.datetime) -> int:
    return s.execute(text(
        "INSERT INTO ledger_transfers (key, content_hash, kind, description, posted_at, actor)"
        " VALUES (:k, 'x', 'transfer', '', :at, 'raw') RETURNING id"), {"k": key, "at": at}).scalar_one()


def _raw_posting(s, tid: int, account: int, side: str, minor: int, at: dt.datetime) -> None:
    s.execute(text("INSERT INTO ledger_postings (transfer_id, account_id, side, amount_minor,"
                   " currency, posted_at, balance_after) VALUES (:t, :a, :side, :m, 'USD', :at, 0)"),
              {"t": tid, "a": account, "side": side, "m": minor, "at": at})


def test_the_deferred_trigger_refuses_an_unbalanced_raw_insert_at_commit(
        pg_db_url: str, clock: FrozenClock) -> None:
    db = Database(pg_db_url)
    with db.transaction() as s:
        accts = open_accounts(s, clock)
    s = db.session(write=True)
    tid = _raw_transfer(s, "raw-bad", clock.now())
    _raw_posting(s, tid, accts.bank_usd, "debit", 1000, clock.now())
    _raw_posting(s, tid, accts.escrow_usd, "credit", 999, clock.now())
    # inside the transaction the check is deferred: the insert itself goes through
    with pytest.raises(DBAPIError, match=f"ledger transfer {tid} does not balance in USD"):
        s.commit()
    s.rollback()
    s.close()
    # a balanced raw insert commits (the trigger checks per currency at commit)
    with db.transaction() as s:
        tid = _raw_transfer(s, "raw-good", clock.now())
        _raw_posting(s, tid, accts.bank_usd, "debit", 1000, clock.now())
        _raw_posting(s, tid, accts.escrow_usd, "credit", 600, clock.now())
        _raw_posting(s, tid, accts.escrow_usd, "credit", 400, clock.now())
    with db.session() as s:
        assert s.execute(text("SELECT COUNT(*) FROM ledger_transfers")).scalar_one() == 1
    db.engine.dispose()


def test_sixteen_workers_on_hot_accounts_lose_no_update_and_never_overdraw(
        pg_db_url: str, clock: FrozenClock) -> None:
    db = Database(pg_db_url, pool_size=WORKERS)
    with db.transaction() as s:
        accts = open_accounts(s, clock)
        fund(s, accts, "500.00", "USD", "fund", clock)
    # 16 workers x 10 payments of 5.00 = 800.00 asked of an escrow holding 500.00
    outcome: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)

    def worker(n: int) -> None:
        start.wait()
        for i in range(10):
            try:
                with db.transaction() as s:
                    post_transfer(s, key=f"w{n}-{i}", legs=[
                        debit(accts.escrow_usd, Money("5.00", "USD")),
                        credit(accts.payable_usd, Money("4.90", "USD")),
                        credit(accts.fee_usd, Money("0.10", "USD"))], at=clock.now(), actor=ACTOR)
                result = "posted"
            except InsufficientFunds:
                result = "refused"
            except BaseException as exc:  # pragma: no cover - reported below
                result = f"error {exc!r}"
            with lock:
                outcome[result] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcome == Counter({"posted": 100, "refused": 60}), outcome
    with db.session() as s:
        assert get_balance(s, accts.escrow_usd).posted == Money("0.00", "USD")
        assert get_balance(s, accts.payable_usd).posted == Money("490.00", "USD")
        assert get_balance(s, accts.fee_usd).posted == Money("10.00", "USD")
        assert check_ledger(s) == []
    db.engine.dispose()


def test_sixteen_concurrent_holds_never_overspend(pg_db_url: str, clock: FrozenClock) -> None:
    db = Database(pg_db_url, pool_size=WORKERS)
    with db.transaction() as s:
        accts = open_accounts(s, clock)
        fund(s, accts, "100.00", "USD", "fund", clock)
    placed: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)

    def bidder(n: int) -> None:
        start.wait()
        for i in range(3):
            try:
                with db.transaction() as s:
                    place_hold(s, accts.escrow_usd, Money("7.00", "USD"), key=f"h{n}-{i}",
                               expires_at=clock.now() + dt.timedelta(days=1), at=clock.now(),
                               actor=ACTOR)
                with lock:
                    placed.append(n)
            except InsufficientFunds:
                with lock:
                    refused.append(n)

    threads = [threading.Thread(target=bidder, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(placed) == 14 and len(refused) == 34  # 14 x 7.00 = 98.00 <= 100.00
    with db.session() as s:
        bal = get_balance(s, accts.escrow_usd)
        assert bal.pending == Money("98.00", "USD") and bal.available == Money("2.00", "USD")
        assert check_ledger(s) == []
    db.engine.dispose()
