"""Fixed-price listing with a notice period in working days (calendar data per country):
0 buyers -> extend (>= 5 working days) or withdraw; 1 -> deal at the listed price; 2+ -> an
auction among those buyers only, starting at the listed price."""
from __future__ import annotations

import datetime as dt

import pytest
from moneyed import Money
from sqlalchemy import select

from gateway.trading import auctions, calendar, deposits, fixed_price
from gateway.trading.errors import BidRefused, InvalidTrading
from gateway.trading.models import Auction, Deal, FixedPriceNotice
from settlement.ledger import check_ledger
from tests.support.listings import Staff
from tests.support.trading import add_rates, buyer, fund, published_listing

USD = "USD"


def usd(x: str) -> Money:
    return Money(x, USD)


def _notice(s, parties, clock, **kw):
    listing = published_listing(s, parties, clock.now(), mode="fixed_price")
    notice = fixed_price.open_notice(s, listing, deposit=usd("10000"), increment=usd("5000"),
                                     now=clock.now(), actor="u", **kw)
    return listing, notice


def _after(clock, notice, s):
    clock.set(notice.ends_at)
    add_rates(s, clock.now())


def test_working_days_come_from_the_calendar_table(db, parties, clock) -> None:
    with db.transaction() as s:
        # Monday 23 Nov 2026; US sub-centre (America/New_York); Thanksgiving on Thursday 26th
        calendar.set_calendar(s, "US", holidays=[(dt.date(2026, 11, 26), "Thanksgiving")])
        assert calendar.add_working_days(s, "US", dt.date(2026, 11, 23), 3) == dt.date(2026, 11, 27)
        assert calendar.add_working_days(s, "US", dt.date(2026, 11, 23), 5) == dt.date(2026, 12, 1)
        # a country that works Sunday-Thursday, with a working Friday as an exception
        calendar.set_calendar(s, "AE", weekend_days=[5, 6],
                              working_days=[(dt.date(2026, 11, 27), "make-up day")])
        assert calendar.add_working_days(s, "AE", dt.date(2026, 11, 25), 2) == dt.date(2026, 11, 27)
        assert calendar.add_working_days(s, "AE", dt.date(2026, 11, 25), 3) == dt.date(2026, 11, 29)
        listing, notice = _notice(s, parties, clock)
        assert listing.state == "in_notice_period" and notice.working_days == 20
        # 20 US working days after Mon 23 Nov with Thanksgiving off: Tue 22 Dec; ends at the
        # following midnight New York time (05:00 UTC)
        assert notice.ends_at == dt.datetime(2026, 12, 23, 5, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("deposit", ["0", "-5", "250000"])
def test_a_notice_needs_a_positive_deposit_below_the_price(db, parties, clock, deposit) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="fixed_price")
        with pytest.raises(InvalidTrading) as exc:
            fixed_price.open_notice(s, listing, deposit=usd(deposit), increment=usd("5000"),
                                    now=clock.now(), actor="u")
        assert exc.value.field == "deposit"
        assert listing.state == "published" and s.execute(select(FixedPriceNotice)).first() is None
        with pytest.raises(InvalidTrading) as exc:
            fixed_price.open_notice(s, listing, deposit=usd("10000"), increment=usd("0"),
                                    now=clock.now(), actor="u")
        assert exc.value.field == "increment"


def test_a_subcentres_configured_notice_days_replace_the_default(app, db, parties, clock,
                                                                 monkeypatch) -> None:
    """``TRADING_NOTICE_WORKING_DAYS`` (JSON text, as read from the environment) gives the US
    sub-centre 10 working days; the DK sub-centre, not named, keeps the default 20; a notice
    that names its own period keeps it."""
    from gateway.config import load_config

    monkeypatch.setenv("GATEWAY_TRADING_NOTICE_WORKING_DAYS", '{"US": 10}')
    app.config["TRADING_NOTICE_WORKING_DAYS"] = load_config({"TESTING": True})["TRADING_NOTICE_WORKING_DAYS"]
    dk = {"us": parties["dk"], "seller_us": parties["seller_dk"]}
    with app.app_context(), db.transaction() as s:
        us_listing, us_notice = _notice(s, parties, clock)
        assert us_notice.working_days == 10
        # 10 US working days after Mon 23 Nov (no holidays loaded): Mon 7 Dec; ends at the
        # following midnight New York time
        assert us_notice.ends_at == dt.datetime(2026, 12, 8, 5, 0, tzinfo=dt.UTC)
        dk_listing = published_listing(s, dk, clock.now(), mode="fixed_price")
        dk_notice = fixed_price.open_notice(s, dk_listing, deposit=usd("10000"),
                                            increment=usd("5000"), now=clock.now(), actor="u")
        assert dk_notice.working_days == 20
        own = published_listing(s, parties, clock.now(), mode="fixed_price")
        assert fixed_price.open_notice(s, own, deposit=usd("10000"), increment=usd("5000"),
                                       now=clock.now(), actor="u", working_days=7).working_days == 7
    app.config["TRADING_NOTICE_WORKING_DAYS"] = {"default": 15, "US": 12}
    with app.app_context(), db.transaction() as s:
        assert _notice(s, parties, clock)[1].working_days == 12
        dk_listing = published_listing(s, dk, clock.now(), mode="fixed_price")
        assert fixed_price.open_notice(s, dk_listing, deposit=usd("10000"), increment=usd("5000"),
                                       now=clock.now(), actor="u").working_days == 15


def test_no_buyer_then_extend_at_least_five_days_or_withdraw(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, notice = _notice(s, parties, clock, working_days=10)
        assert fixed_price.close_notice(s, notice.id, now=clock.now()) is None  # not due
        _after(clock, notice, s)
        assert fixed_price.close_notice(s, notice.id, now=clock.now()) == "no_buyer"
        assert listing.state == "in_notice_period"
        with pytest.raises(InvalidTrading):
            fixed_price.extend(s, notice.id, 4, now=clock.now(), actor="u")
        fixed_price.extend(s, notice.id, 5, now=clock.now(), actor="u")
        assert notice.state == "open" and notice.extensions == 1
        _after(clock, notice, s)
        assert fixed_price.close_notice(s, notice.id, now=clock.now()) == "no_buyer"
        fixed_price.withdraw(s, notice.id, Staff(parties["us"]), now=clock.now())
        assert listing.state == "withdrawn" and notice.state == "withdrawn"


def test_one_buyer_gets_the_deal_at_the_listed_price(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, notice = _notice(s, parties, clock, working_days=5)
        b = buyer(s, clock.now(), "Only Buyer")
        fund(s, b, "10000", clock.now())
        fixed_price.register_intent(s, notice.id, b, now=clock.now(), actor="u")
        _after(clock, notice, s)
        assert fixed_price.close_notice(s, notice.id, now=clock.now()) == "sold"
        deal = s.get(Deal, notice.deal_id)
        assert (deal.buyer_org_id, deal.price, deal.channel) == (b, usd("250000"), "fixed_price")
        assert listing.state == "deal_struck"
        assert deposits.deposit_balance(s, b, USD, at=clock.now(), actor="u").posted.amount == 0
        assert check_ledger(s) == []


def test_two_buyers_make_an_auction_among_them_from_the_listed_price(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, notice = _notice(s, parties, clock, working_days=5)
        b1, b2, outsider = (buyer(s, clock.now(), f"Intending {i}") for i in range(3))
        for b in (b1, b2, outsider):
            fund(s, b, "10000", clock.now())
        for b in (b1, b2):
            fixed_price.register_intent(s, notice.id, b, now=clock.now(), actor="u")
        _after(clock, notice, s)
        assert fixed_price.close_notice(s, notice.id, now=clock.now()) == "auctioned"
        a = s.get(Auction, notice.auction_id)
        assert listing.state == "in_auction" and a.invited_only and a.starting_price == usd("250000")
        assert a.reserve_minor is None
        with pytest.raises(BidRefused) as refused:
            auctions.register(s, a.id, outsider, now=clock.now(), actor="u")
        assert refused.value.reason == "not_invited"
        with pytest.raises(BidRefused) as refused:
            auctions.place_bid(s, a.id, outsider, usd("300000"), now=clock.now(), actor="u")
        assert refused.value.reason == "not_invited"
        with pytest.raises(BidRefused) as refused:
            auctions.place_bid(s, a.id, b1, usd("249999"), now=clock.now(), actor="u")
        assert refused.value.reason == "below_starting_price"
        auctions.place_bid(s, a.id, b1, usd("250000"), now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b2, usd("255000"), now=clock.now(), actor="u")
        result = auctions.close_auction(s, a.id, now=clock.advance(hours=25))
        assert result.outcome == "won"
        assert s.get(Deal, result.deal_id).buyer_org_id == b2
        assert deposits.deposit_balance(s, b1, USD, at=clock.now(), actor="u").available == usd("10000")
        assert check_ledger(s) == []


def test_a_listing_withdrawn_during_its_notice_releases_the_intents_at_the_close(db, parties, clock) -> None:
    from gateway.listings import lifecycle

    with db.transaction() as s:
        listing, notice = _notice(s, parties, clock, working_days=5)
        b = buyer(s, clock.now(), "Disappointed Buyer")
        fund(s, b, "10000", clock.now())
        fixed_price.register_intent(s, notice.id, b, now=clock.now(), actor="u")
        lifecycle.transition(s, listing, "withdraw", Staff(parties["us"]), now=clock.now(), reason="test")
        _after(clock, notice, s)
        assert fixed_price.close_notice(s, notice.id, now=clock.now()) == "withdrawn"
        assert deposits.deposit_balance(s, b, USD, at=clock.now(), actor="u").available == usd("10000")
