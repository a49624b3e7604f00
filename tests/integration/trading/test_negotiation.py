"""Negotiated price on both databases: alternating offers, acceptance, the public notice
(default 15 days, 0 allowed), signing -> final deal with plan, withdrawal and expiry."""
from __future__ import annotations

import datetime as dt

import pytest
from moneyed import Money

from gateway.trading import negotiation as neg
from gateway.trading.errors import InvalidTrading, TradingConflict, TurnRefused
from gateway.trading.models import Deal
from settlement.ledger import check_ledger
from settlement.plans.models import SettlementPlan
from tests.support.trading import add_rates, buyer, published_listing

TERMS = {"transaction_type": "exclusive_licence", "territory": ["CN"],
         "milestones": [{"label": "signing", "amount": "150000", "due_on": "2026-12-31"},
                        {"label": "prototype accepted", "amount": "50000", "event": "prototype"}]}


def usd(x: str) -> Money:
    return Money(x, "USD")


def _setup(s, parties, clock):
    listing = published_listing(s, parties, clock.now(), mode="negotiated")
    return listing, buyer(s, clock.now(), "Negotiating Buyer")


def test_offers_alternate_acceptance_notice_then_signing_makes_the_deal_final(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, b = _setup(s, parties, clock)
        n = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u")
        assert listing.state == "under_negotiation" and n.notice_days == 15
        assert neg.register_interest(s, listing.id, b, now=clock.now(), actor="u").id == n.id
        neg.make_offer(s, n.id, "buyer", usd("180000"), TERMS, now=clock.now(), actor="u")
        with pytest.raises(TurnRefused):
            neg.make_offer(s, n.id, "buyer", usd("185000"), TERMS, now=clock.now(), actor="u")
        with pytest.raises(TurnRefused):  # cannot accept one's own offer
            neg.accept(s, n.id, "buyer", now=clock.now(), actor="u")
        neg.make_offer(s, n.id, "seller", usd("220000"), TERMS, now=clock.now(), actor="u")
        last = neg.make_offer(s, n.id, "buyer", usd("200000"), TERMS, now=clock.now(), actor="u")
        assert [o.state for o in n.offers] == ["superseded", "superseded", "open"]
        neg.accept(s, n.id, "seller", now=clock.advance(hours=1), actor="u")
        assert n.state == "agreed" and listing.state == "in_notice_period"
        assert n.notice_ends_at == clock.now() + dt.timedelta(days=15)
        notice = neg.public_notice(s, n)
        assert notice["agreed_price"] == usd("200000") and notice["title_en"]
        assert last.state == "accepted"
        with pytest.raises(TradingConflict):  # not before the notice period is over
            neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        clock.advance(days=15)
        add_rates(s, clock.now())  # the plan's fee bounds need the day's rates
        with pytest.raises(InvalidTrading):
            neg.sign_contract(s, n.id, clock.now().date() - dt.timedelta(days=1), now=clock.now(), actor="u")
        neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        assert n.state == "final" and listing.state == "deal_struck"
        deal = s.get(Deal, n.deal_id)
        assert deal.channel == "negotiated" and deal.price == usd("200000")
        assert deal.contract_signed_on == clock.now().date()
        assert deal.registration_due_on == clock.now().date() + dt.timedelta(days=60)
        plan = s.get(SettlementPlan, deal.plan_id)
        assert len(plan.instructions) == 2 and plan.transaction_type == "licence"
        assert check_ledger(s) == []


def test_a_zero_day_notice_allows_signing_at_once(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, b = _setup(s, parties, clock)
        n = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u", notice_days=0)
        neg.make_offer(s, n.id, "seller", usd("200000"), {}, now=clock.now(), actor="u")
        neg.accept(s, n.id, "buyer", now=clock.now(), actor="u")
        neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        assert n.state == "final"


def test_withdrawal_and_expiry_are_explicit_and_free_the_listing(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, b = _setup(s, parties, clock)
        b2 = buyer(s, clock.now(), "Second Buyer")
        n1 = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u", valid_days=10)
        n2 = neg.register_interest(s, listing.id, b2, now=clock.now(), actor="u", valid_days=30)
        neg.withdraw(s, n1.id, "buyer", now=clock.now(), actor="u")
        assert n1.state == "withdrawn" and listing.state == "under_negotiation"
        with pytest.raises(TradingConflict):
            neg.make_offer(s, n1.id, "buyer", usd("1"), {}, now=clock.now(), actor="u")
        clock.advance(days=31)
        with pytest.raises(TradingConflict):
            neg.make_offer(s, n2.id, "buyer", usd("1"), {}, now=clock.now(), actor="u")
        assert neg.expire_due(s, clock.now()) == [n2.id]
        assert n2.state == "expired" and listing.state == "published"


def test_acceptance_expires_the_other_negotiations(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, b = _setup(s, parties, clock)
        b2 = buyer(s, clock.now(), "Second Buyer")
        n1 = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u")
        n2 = neg.register_interest(s, listing.id, b2, now=clock.now(), actor="u")
        neg.make_offer(s, n1.id, "buyer", usd("200000"), {}, now=clock.now(), actor="u")
        neg.accept(s, n1.id, "seller", now=clock.now(), actor="u")
        assert n2.state == "expired"
        with pytest.raises(TradingConflict):
            neg.register_interest(s, listing.id, buyer(s, clock.now(), "Late"), now=clock.now(), actor="u")
