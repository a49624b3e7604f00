"""A deposit the exchange already holds (an auction's or a fixed-price notice's, committed into
the buyer's escrow in the contract currency) reduces the upfront payment: the buyer pays the
rest, the release splits pay-in + deposit, the ledger balances. Worked by hand.

Rates (conftest): USD->CNY mid 7.1; the buyer pays at 7.1 x 1.003 = 7.1213.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import Money
from settlement.documents import advice_for, render_advice_html
from settlement.ledger import Account, Transfer, check_ledger, get_balance
from settlement.ledger.service import credit, debit, get_or_open_account, post_transfer
from settlement.plans import (
    DealTerms, Direction, PaymentDecision, RatePolicy, Schedule, TransactionType, create_plan,
    get_plan, run_due,
)
from settlement.plans.errors import AmountMismatch, InvalidTerms
from settlement.plans.service import record_funds_received

from .conftest import ACTOR, CONFIG, World


class ReleaseAll:
    def check(self, session, request):  # noqa: ANN001, ANN201
        return PaymentDecision("release")


def usd(v: str) -> Money:
    return Money(v, "USD")


def cny(v: str) -> Money:
    return Money(v, "CNY")


def posted(s, owner_type: str, owner_id: int, purpose: str, ccy: str) -> Money:
    acct = s.execute(select(Account).where(
        Account.owner_type == owner_type, Account.owner_id == owner_id,
        Account.purpose == purpose, Account.currency == ccy)).scalar_one_or_none()
    return get_balance(s, acct.id).posted if acct is not None else Money(0, ccy)


def terms(w: World, *, payin: str, deposit: Money | None, price: str = "125000.00",
          ref: str = "D-DEP-1") -> DealTerms:
    return DealTerms(
        deal_id=7, deal_ref=ref, contract_ref=ref, direction=Direction.INBOUND,
        buyer_org_id=w.buyer_cn, seller_org_id=w.seller_us, subcentre_id=w.us,
        contract_currency="USD", payin_currency=payin, payout_currency="USD", price=usd(price),
        schedule=Schedule(upfront=usd(price), upfront_due_on=dt.date(2026, 11, 23)),
        transaction_type=TransactionType.ASSIGNMENT, rate_policy=RatePolicy.LOCK,
        payee_tax_residency="US", deposit_applied=deposit)


def escrow_the_deposit(s, w: World, amount: Money, now: dt.datetime) -> None:
    """What trading did at the close: the buyer's deposit sits in its escrow (contract ccy)."""
    bank = get_or_open_account(s, owner_type="exchange", owner_id=0, purpose="bank",
                               currency=amount.currency.code, at=now, actor=ACTOR).id
    escrow = get_or_open_account(s, owner_type="organisation", owner_id=w.buyer_cn,
                                 purpose="buyer_escrow", currency=amount.currency.code, at=now,
                                 actor=ACTOR).id
    post_transfer(s, key="test-deposit", legs=[debit(bank, amount), credit(escrow, amount)],
                  at=now, actor=ACTOR, description="deposit applied (test)")


def test_cross_currency_deposit_reduces_the_pay_in_and_the_release_balances(
        db: Database, clock: FrozenClock, world: World) -> None:
    with db.transaction() as s:
        escrow_the_deposit(s, world, usd("10000.00"), clock.now())
        plan = create_plan(s, terms(world, payin="CNY", deposit=usd("10000.00")),
                           now=clock.now(), actor=ACTOR, config=CONFIG)
        (up,) = plan.instructions
        # owed USD 125,000.00 - 10,000.00 = 115,000.00 at 7.1213 = CNY 818,949.50 (pay-in)
        #   at mid: 115,000.00 x 7.1 = 816,500.00 -> FX margin 2,449.50
        # deposit USD 10,000.00 at mid 7.1 = CNY 71,000.00 (money the exchange holds: no margin)
        # the figures split 816,500.00 + 71,000.00 = 887,500.00 (= 125,000.00 x 7.1)
        assert (up.gross, up.deposit) == (usd("125000.00"), usd("10000.00"))
        assert (up.payin, up.deposit_booked) == (cny("818949.50"), cny("71000.00"))
        assert up.line("fx_margin").booked == cny("2449.50")
        assert up.line("gross").booked == cny("889949.50")
        split = ("fee_exchange", "fee_subcentre", "vat", "withholding", "net")
        assert sum(up.line(k).booked_minor for k in split if up.line(k)) == 88_750_000
        net_usd = up.line("net").amount
        assert up.payout == net_usd  # payout in the contract currency: exactly the net
        plan_id, up_id = plan.id, up.id
    gate = ReleaseAll()
    assert run_due(db, now=clock.now(), gate=gate, config=CONFIG).made_due == 1
    with db.transaction() as s:
        with pytest.raises(AmountMismatch):  # the whole price is not what is asked
            record_funds_received(s, up_id, cny("890162.50"), now=clock.now(), actor=ACTOR)
        record_funds_received(s, up_id, cny("818949.50"), now=clock.now(), actor=ACTOR)
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    assert (summary.released, summary.converted, summary.paid_out) == (1, 1, 1)
    with db.session() as s:
        up = get_plan(s, plan_id).instructions[0]
        assert up.status == "paid_out"
        # both escrows emptied: the USD deposit went across to CNY through the FX positions
        assert posted(s, "organisation", world.buyer_cn, "buyer_escrow", "USD") == usd("0.00")
        assert posted(s, "organisation", world.buyer_cn, "buyer_escrow", "CNY") == cny("0.00")
        assert posted(s, "exchange", 0, "fx_position", "USD") == usd("10000.00") - net_usd
        assert posted(s, "organisation", world.seller_us, "seller_payable", "USD") == usd("0.00")
        conv = s.execute(select(Transfer).where(
            Transfer.key == f"settlement:{up.id}:deposit_converted")).scalar_one()
        assert conv.kind == "fx_conversion"
        assert check_ledger(s) == []
        # the payer's advice shows the deposit taken off and asks for the rest
        advice = advice_for(s, up, "payer", locale="en_US")
        rows = {r.key: r for r in advice.rows}
        assert rows["deposit_applied"].amount == "-$10,000.00"
        assert "71,000.00" in rows["deposit_applied"].rule
        assert advice.headline == "CN¥818,949.50"
        assert "deposit_applied" in render_advice_html(advice)


def test_same_currency_deposit_the_buyer_pays_the_price_less_the_deposit(
        db: Database, clock: FrozenClock, world: World) -> None:
    with db.transaction() as s:
        escrow_the_deposit(s, world, usd("10000.00"), clock.now())
        plan = create_plan(s, terms(world, payin="USD", deposit=usd("10000.00"), ref="D-DEP-2"),
                           now=clock.now(), actor=ACTOR, config=CONFIG)
        (up,) = plan.instructions
        assert (up.payin, up.deposit_booked) == (usd("115000.00"), usd("10000.00"))
        assert up.line("gross").booked == usd("125000.00") and up.line("fx_margin") is None
        assert up.line("net").booked == up.line("net").amount
        up_id = up.id
    run_due(db, now=clock.now(), gate=ReleaseAll(), config=CONFIG)
    with db.transaction() as s:
        record_funds_received(s, up_id, usd("115000.00"), now=clock.now(), actor=ACTOR)
    run_due(db, now=clock.now(), gate=ReleaseAll(), config=CONFIG)
    with db.session() as s:
        assert get_plan(s, plan.id).instructions[0].status == "paid_out"
        assert posted(s, "organisation", world.buyer_cn, "buyer_escrow", "USD") == usd("0.00")
        assert s.execute(select(Transfer).where(
            Transfer.key == f"settlement:{up_id}:deposit_converted")).first() is None
        assert check_ledger(s) == []


@pytest.mark.parametrize("deposit, field", [
    (Money("10000.00", "EUR"), "deposit_applied"),     # not the contract currency
    (usd("125000.00"), "deposit_applied"),             # nothing left to pay
    (usd("0.00"), "deposit_applied"),
])
def test_a_deposit_that_cannot_be_applied_is_refused(db: Database, clock: FrozenClock,
                                                     world: World, deposit: Money,
                                                     field: str) -> None:
    t = terms(world, payin="CNY", deposit=deposit)
    with pytest.raises(InvalidTerms) as refused:
        t.validate()
    assert refused.value.field == field
    milestones_only = dataclasses.replace(
        terms(world, payin="CNY", deposit=usd("1.00")),
        schedule=Schedule(milestones=()))
    with pytest.raises(InvalidTerms):
        milestones_only.validate()
