"""FX conversions post through position accounts so each currency balances on its own; the
realised gain or loss of a closed position is posted to the gain/loss account."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import func, select

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import Money
from settlement.fx import Leg as FxLeg, Quote, Rate
from settlement.ledger import (
    Posting, Transfer, check_ledger, get_balance, post_fx_conversion, post_realised_fx,
)
from tests.integration.ledger.conftest import ACTOR, Accounts, fund


def quote(from_ccy: str, to_ccy: str, rate: str, on: dt.date = dt.date(2026, 11, 20)) -> Quote:
    r = Rate(from_ccy, to_ccy, Decimal(rate), on, "TEST")
    return Quote(from_ccy, to_ccy, Decimal(rate), (FxLeg(r, inverted=False),), on)


def test_a_conversion_posts_four_legs_balanced_per_currency_with_its_rate(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    with db.transaction() as s:
        fund(s, accounts, "7250.00", "CNY", "fund", clock)
        t = post_fx_conversion(s, from_account_id=accounts.escrow_cny,
                               to_account_id=accounts.payable_usd,
                               amount_from=Money("7250.00", "CNY"), quote=quote("CNY", "USD", "0.138"),
                               position_from_id=accounts.pos_cny, position_to_id=accounts.pos_usd,
                               key="fx-1", at=clock.now(), actor=ACTOR)
    with db.session() as s:
        sums = dict(s.execute(
            select(Posting.currency, func.sum(Posting.amount_minor))
            .where(Posting.transfer_id == t.id).group_by(Posting.currency)).all())
        assert sums == {"CNY": 2 * 725000, "USD": 2 * 100050}  # 7250.00 x 0.138 = 1000.50
        assert get_balance(s, accounts.escrow_cny).posted == Money("0.00", "CNY")
        assert get_balance(s, accounts.payable_usd).posted == Money("1000.50", "USD")
        assert get_balance(s, accounts.pos_cny).posted == Money("7250.00", "CNY")  # long CNY
        assert get_balance(s, accounts.pos_usd).posted == Money("-1000.50", "USD")  # short USD
        transfer = s.get(Transfer, t.id)
        assert transfer.kind == "fx_conversion" and transfer.fx_rate == Decimal("0.138")
        details = json.loads(transfer.fx_details)
        assert details["path"][0]["source"] == "TEST" and details["amount_to"] == "1000.50"
        assert check_ledger(s) == []


def test_realised_gain_and_loss_on_a_closed_position_worked_by_hand(
        db: Database, accounts: Accounts, clock: FrozenClock) -> None:
    """Reporting currency CNY; the exchange buys and sells USD between its bank accounts.

    Buy  USD 1,000.00 for CNY 8,000.00 (CNY->USD 0.125)   held 1,000 cost 8,000
    Buy  USD 1,000.00 for CNY 5,000.00 (CNY->USD 0.2)     held 2,000 cost 13,000 (avg 6.5)
    Sell USD 1,500.00 for CNY 10,500.00 (USD->CNY 7)      cost out 13,000 x 1,500/2,000 = 9,750
                                                          gain 10,500 - 9,750 = +750.00
    Sell USD   500.00 for CNY 3,000.00 (USD->CNY 6)       cost out the rest 3,250
                                                          gain 3,000 - 3,250 = -250.00
    Realised in total +500.00 = proceeds 13,500 - cost 13,000.
    """
    with db.transaction() as s:
        from settlement.ledger import credit, debit, post_transfer
        post_transfer(s, key="capital", legs=[debit(accounts.bank_cny, Money("13000.00", "CNY")),
                                              credit(accounts.escrow_cny, Money("13000.00", "CNY"))],
                      at=clock.now(), actor=ACTOR)
    steps = [("CNY", "USD", "8000.00", "0.125"), ("CNY", "USD", "5000.00", "0.2"),
             ("USD", "CNY", "1500.00", "7"), ("USD", "CNY", "500.00", "6")]
    realised = []
    for i, (frm, to, amount, rate) in enumerate(steps):
        clock.advance(days=1)
        bank = {"CNY": accounts.bank_cny, "USD": accounts.bank_usd}
        pos = {"CNY": accounts.pos_cny, "USD": accounts.pos_usd}
        with db.transaction() as s:
            post_fx_conversion(s, from_account_id=bank[frm], to_account_id=bank[to],
                               amount_from=Money(amount, frm), quote=quote(frm, to, rate),
                               position_from_id=pos[frm], position_to_id=pos[to],
                               key=f"fx-{i}", at=clock.now(), actor=ACTOR)
            result, t = post_realised_fx(s, position_id=accounts.pos_usd,
                                         reporting_position_id=accounts.pos_cny,
                                         gain_loss_account_id=accounts.gain_cny,
                                         key=f"gl-{i}", at=clock.now(), actor=ACTOR)
            realised.append(None if t is None else
                            get_balance(s, accounts.gain_cny).posted)
    assert realised == [None, None, Money("750.00", "CNY"), Money("500.00", "CNY")]
    assert result.held == Money("0.00", "USD") and result.cost == Money("0.00", "CNY")
    assert [r.gain for r in result.realisations] == [Money("750.00", "CNY"), Money("-250.00", "CNY")]
    with db.session() as s:
        # the closed position leaves nothing in either trading account once the result is out
        assert get_balance(s, accounts.pos_usd).posted == Money("0.00", "USD")
        assert get_balance(s, accounts.pos_cny).posted == Money("0.00", "CNY")
        assert get_balance(s, accounts.bank_cny).posted == Money("13500.00", "CNY")
        assert check_ledger(s) == []
    with db.transaction() as s:  # nothing new to realise: no transfer
        _, again = post_realised_fx(s, position_id=accounts.pos_usd,
                                    reporting_position_id=accounts.pos_cny,
                                    gain_loss_account_id=accounts.gain_cny, key="gl-x",
                                    at=clock.now(), actor=ACTOR)
    assert again is None
