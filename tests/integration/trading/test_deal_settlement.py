"""What an auction or fixed-price deal hands to settlement: the pay-in currency derived from
the buyer (a domestic buyer pays in CNY, at the rate locked when the deal is struck), the
payout from the seller, and the winner's deposit (already in its escrow) taken off the upfront
payment -- to the minor unit, through to the payout, with the ledger balanced.

Rates (tests/support/trading.add_rates): USD->CNY mid 7.668 / 1.08 = 7.1; the buyer pays at
7.1 x 1.003 = 7.1213 (30 bps margin).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from moneyed import Money
from sqlalchemy import select

from gateway.trading import auctions, fixed_price
from gateway.trading.deals import deal_currencies
from gateway.trading.models import Deal
from kernel.parties import Organisation
from settlement.fx.models import FxRateLock
from settlement.ledger import Account, check_ledger, get_balance
from settlement.plans import PaymentDecision, PlanConfig, run_due
from settlement.plans.models import SettlementPlan
from settlement.plans.service import record_funds_received
from tests.support.trading import add_rates, buyer, fund, published_listing


class ReleaseAll:
    def check(self, session, request):  # noqa: ANN001, ANN201
        return PaymentDecision("release")


def usd(x: str) -> Money:
    return Money(x, "USD")


def cny(x: str) -> Money:
    return Money(x, "CNY")


def posted(s, org_id: int, purpose: str, ccy: str) -> Money:
    acct = s.execute(select(Account).where(
        Account.owner_type == "organisation", Account.owner_id == org_id,
        Account.purpose == purpose, Account.currency == ccy)).scalar_one_or_none()
    return get_balance(s, acct.id).posted if acct is not None else Money(0, ccy)


def _won_auction(s, parties, clock, *, country: str = "CN") -> Deal:
    # a domestic buyer buys "bring in" (inbound) listings, an overseas one "go out" (outbound)
    listing = published_listing(s, parties, clock.now(),
                                direction="inbound" if country == "CN" else "outbound")
    a = auctions.create_auction(s, listing, starts_at=clock.now(),
                                ends_at=clock.now() + dt.timedelta(hours=1),
                                increment=usd("1000"), deposit=usd("10000"), now=clock.now(),
                                actor="user:staff")
    winner, loser = (buyer(s, clock.now(), f"{country} Bidder {i}", country=country)
                     for i in range(2))
    for b in (winner, loser):
        fund(s, b, "10000", clock.now())
        auctions.register(s, a.id, b, now=clock.now(), actor="u")
    auctions.place_bid(s, a.id, loser, usd("120000"), now=clock.now(), actor="u")
    auctions.place_bid(s, a.id, winner, usd("125000"), now=clock.now(), actor="u")
    result = auctions.close_auction(s, a.id, now=clock.advance(hours=2))
    assert result.outcome == "won", result
    return s.get(Deal, result.deal_id)


def test_a_domestic_winner_pays_in_cny_the_price_less_its_deposit(db, parties, clock) -> None:
    with db.transaction() as s:
        deal = _won_auction(s, parties, clock)
        plan = s.get(SettlementPlan, deal.plan_id)
        assert deal.deposit_applied == usd("10000.00")
        assert (plan.contract_currency, plan.payin_currency, plan.payout_currency) == \
            ("USD", "CNY", "USD")
        lock = s.get(FxRateLock, plan.payin_lock_id)  # taken when the deal was struck
        assert (lock.mid_rate, lock.rate) == (Decimal("7.1"), Decimal("7.1213"))
        assert plan.payout_lock_id is None
        (up,) = plan.instructions
        # owed USD 115,000.00 x 7.1213 = CNY 818,949.50; the deposit books at mid: 71,000.00
        assert (up.gross, up.deposit) == (usd("125000.00"), usd("10000.00"))
        assert (up.payin, up.deposit_booked) == (cny("818949.50"), cny("71000.00"))
        assert up.line("gross").booked == cny("889949.50")
        # the deposit moved from the winner's deposit account into its escrow at the close
        assert posted(s, deal.buyer_org_id, "buyer_escrow", "USD") == usd("10000.00")
        winner, up_id, plan_id = deal.buyer_org_id, up.id, plan.id
        net_usd = up.line("net").amount
    clock.advance(days=30)  # the upfront payment falls due 30 days after the deal
    assert run_due(db, now=clock.now(), gate=ReleaseAll()).made_due == 1
    with db.transaction() as s:
        record_funds_received(s, up_id, cny("818949.50"), now=clock.now(), actor="user:finance")
    summary = run_due(db, now=clock.now(), gate=ReleaseAll())
    assert summary.paid_out == 1, summary
    with db.session() as s:
        plan = s.get(SettlementPlan, plan_id)
        assert plan.instructions[0].status == "paid_out"
        assert plan.instructions[0].payout == net_usd
        assert posted(s, winner, "buyer_escrow", "USD") == usd("0.00")
        assert posted(s, winner, "buyer_escrow", "CNY") == cny("0.00")
        assert posted(s, winner, "deposit", "USD") == usd("0.00")
        assert check_ledger(s) == []


def test_an_overseas_winner_pays_in_the_contract_currency(db, parties, clock) -> None:
    with db.transaction() as s:
        deal = _won_auction(s, parties, clock, country="DK")
        plan = s.get(SettlementPlan, deal.plan_id)
        assert (plan.payin_currency, plan.payout_currency, plan.payin_lock_id) == \
            ("USD", "USD", None)
        (up,) = plan.instructions
        assert (up.payin, up.deposit_booked) == (usd("115000.00"), usd("10000.00"))
        assert check_ledger(s) == []


def test_a_fixed_price_sale_to_a_domestic_buyer(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="fixed_price")
        notice = fixed_price.open_notice(s, listing, deposit=usd("10000"), increment=usd("5000"),
                                         now=clock.now(), actor="u", working_days=5)
        b = buyer(s, clock.now(), "Only Domestic Buyer")
        fund(s, b, "10000", clock.now())
        fixed_price.register_intent(s, notice.id, b, now=clock.now(), actor="u")
        clock.set(notice.ends_at)
        add_rates(s, clock.now())
        assert fixed_price.close_notice(s, notice.id, now=clock.now()) == "sold"
        plan = s.get(SettlementPlan, s.get(Deal, notice.deal_id).plan_id)
        (up,) = plan.instructions
        # listed price USD 250,000.00 less the deposit 10,000.00 = 240,000.00 x 7.1213
        assert plan.payin_currency == "CNY"
        assert (up.payin, up.deposit_booked) == (cny("1709112.00"), cny("71000.00"))
        assert check_ledger(s) == []


def test_deal_currencies_follow_the_terms_then_the_parties_home() -> None:
    cfg = PlanConfig()

    def org(country: str) -> Organisation:
        return Organisation(legal_name=country, legal_name_latin=country, country=country,
                            org_type="company", tax_residency=country)

    # bring in: a domestic buyer pays in CNY, the overseas seller is paid in the listing's
    assert deal_currencies(org("CN"), org("US"), "USD", {}, cfg) == ("CNY", "USD")
    # go out: the overseas buyer pays in the contract currency, the domestic seller gets CNY
    assert deal_currencies(org("DK"), org("CN"), "EUR", {}, cfg) == ("EUR", "CNY")
    # a negotiated offer's terms name them
    assert deal_currencies(org("CN"), org("US"), "USD",
                           {"payin_currency": "usd", "payout_currency": "EUR"}, cfg) == ("USD", "EUR")
    assert deal_currencies(org("HK"), org("DK"), "DKK", {}, cfg) == ("DKK", "DKK")
