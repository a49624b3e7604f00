"""Property: any sequence of valid transfers keeps every currency summing to zero and every
running balance equal to the sum of its postings (and the balance-after chains intact)."""
from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import from_minor
from settlement.ledger import (
    InsufficientFunds, Leg, TransferSpec, check_ledger, get_or_open_account, post_transfers,
)
from tests.integration.ledger.conftest import ACTOR

CURRENCIES = ("USD", "JPY", "KWD")
PURPOSES = ("bank", "buyer_escrow", "seller_payable", "fee_income", "fx_position")


@st.composite
def transfers(draw: st.DrawFn) -> list[tuple[str, list[tuple[int, str, int]]]]:
    """Transfers as (currency, legs of (account index, side, minor)), each balanced."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        ccy = draw(st.sampled_from(CURRENCIES))
        debits = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=3))
        total = sum(debits)
        n_credit = draw(st.integers(1, 3))
        cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=n_credit - 1,
                                    max_size=n_credit - 1, unique=True))) if total > n_credit else []
        credits = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
        legs = [(draw(st.integers(0, len(PURPOSES) - 1)), "debit", m) for m in debits] + \
               [(draw(st.integers(0, len(PURPOSES) - 1)), "credit", m) for m in credits]
        out.append((ccy, legs))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=transfers())
def test_random_valid_transfers_keep_the_ledger_sound(db: Database, clock: FrozenClock,
                                                      batch: list) -> None:
    with db.transaction() as s:
        ids = {(ccy, i): get_or_open_account(s, owner_type="exchange", owner_id=0, purpose=p,
                                             currency=ccy, at=clock.now(), actor=ACTOR,
                                             no_negative=False).id
               for ccy in CURRENCIES for i, p in enumerate(PURPOSES)}
        specs = [TransferSpec(f"p-{uuid.uuid4().hex}",
                              [Leg(ids[(ccy, i)], side, from_minor(m, ccy)) for i, side, m in legs])
                 for ccy, legs in batch]
        post_transfers(s, specs, at=clock.now(), actor=ACTOR)
    clock.advance(seconds=1)
    with db.session() as s:
        assert check_ledger(s) == []
        assert s.execute(text(
            "SELECT COUNT(*) FROM (SELECT currency FROM ledger_postings GROUP BY currency HAVING "
            "SUM(CASE WHEN side = 'debit' THEN amount_minor ELSE -amount_minor END) <> 0) x"
        )).scalar_one() == 0


def test_a_batch_that_overdraws_midway_posts_nothing(db: Database, clock: FrozenClock) -> None:
    with db.transaction() as s:
        bank = get_or_open_account(s, owner_type="exchange", owner_id=0, purpose="bank",
                                   currency="USD", at=clock.now()).id
        escrow = get_or_open_account(s, owner_type="organisation", owner_id=9,
                                     purpose="buyer_escrow", currency="USD", at=clock.now()).id
    one = from_minor(100, "USD")
    specs = [TransferSpec("in", [Leg(bank, "debit", one), Leg(escrow, "credit", one)]),
             TransferSpec("out", [Leg(escrow, "debit", one), Leg(bank, "credit", one)]),
             TransferSpec("out-again", [Leg(escrow, "debit", one), Leg(bank, "credit", one)])]
    try:
        with db.transaction() as s:
            post_transfers(s, specs, at=clock.now(), actor=ACTOR)
    except InsufficientFunds as exc:
        assert "0.00 USD available, 1.00 USD requested" in exc.detail
    else:  # pragma: no cover
        raise AssertionError("the third transfer overdraws the escrow")
    with db.session() as s:
        assert s.execute(text("SELECT COUNT(*) FROM ledger_transfers")).scalar_one() == 0
