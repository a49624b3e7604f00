"""Who may buy: a "bring in" (inbound) listing sells to domestic organisations (the home
country, CN), a "go out" (outbound) listing to overseas ones. Checked where a buyer comes
forward in each mode (interest, intent, auction registration) and again when the deal is struck."""
from __future__ import annotations

import datetime as dt

import pytest
from moneyed import Money
from sqlalchemy import func, select

from gateway.trading import auctions, deals, fixed_price
from gateway.trading import negotiation as neg
from gateway.trading.errors import BuyerNotEligible
from gateway.trading.models import Auction, AuctionParticipant, Deal, Intent, Negotiation
from kernel.parties import Organisation
from tests.support.trading import buyer, fund, published_listing

#: (listing direction, the buyer's country refused, the buyer's country accepted)
CASES = [("inbound", "US", "CN"), ("outbound", "CN", "DK")]


def usd(x: str) -> Money:
    return Money(x, "USD")


def _refused(exc: pytest.ExceptionInfo, direction: str, country: str) -> None:
    err = exc.value
    assert err.code == "buyer_not_eligible"
    assert (err.extra["direction"], err.extra["buyer_country"], err.extra["home_country"]) == \
        (direction, country, "CN")
    assert ("domestic" if direction == "inbound" else "overseas") in err.detail


@pytest.mark.parametrize(("direction", "wrong", "right"), CASES)
def test_interest_in_a_negotiation(db, parties, clock, direction, wrong, right) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated", direction=direction)
        no, yes = (buyer(s, clock.now(), f"{c} Negotiator", country=c) for c in (wrong, right))
        with pytest.raises(BuyerNotEligible) as exc:
            neg.register_interest(s, listing.id, no, now=clock.now(), actor="u")
        _refused(exc, direction, wrong)
        assert listing.state == "published"  # the refusal changed nothing
        n = neg.register_interest(s, listing.id, yes, now=clock.now(), actor="u")
        assert n.state == "open" and listing.state == "under_negotiation"
        assert s.scalar(select(func.count()).select_from(Negotiation)) == 1


@pytest.mark.parametrize(("direction", "wrong", "right"), CASES)
def test_intent_on_a_fixed_price_notice(db, parties, clock, direction, wrong, right) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="fixed_price", direction=direction)
        notice = fixed_price.open_notice(s, listing, deposit=usd("10000"), increment=usd("5000"),
                                         now=clock.now(), actor="u", working_days=5)
        no, yes = (buyer(s, clock.now(), f"{c} Intending Buyer", country=c) for c in (wrong, right))
        for org in (no, yes):
            fund(s, org, "10000", clock.now())
        with pytest.raises(BuyerNotEligible) as exc:
            fixed_price.register_intent(s, notice.id, no, now=clock.now(), actor="u")
        _refused(exc, direction, wrong)
        intent = fixed_price.register_intent(s, notice.id, yes, now=clock.now(), actor="u")
        assert intent.state == "registered" and intent.hold_id is not None
        assert [i.org_id for i in s.execute(select(Intent)).scalars()] == [yes]


@pytest.mark.parametrize(("direction", "wrong", "right"), CASES)
def test_auction_registration(db, parties, clock, direction, wrong, right) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), direction=direction)
        a = auctions.create_auction(s, listing, starts_at=clock.now(),
                                    ends_at=clock.now() + dt.timedelta(hours=1),
                                    increment=usd("1000"), deposit=usd("10000"), now=clock.now(),
                                    actor="u")
        no, yes = (buyer(s, clock.now(), f"{c} Bidder", country=c) for c in (wrong, right))
        for org in (no, yes):
            fund(s, org, "10000", clock.now())
        with pytest.raises(BuyerNotEligible) as exc:
            auctions.register(s, a.id, no, now=clock.now(), actor="u")
        _refused(exc, direction, wrong)
        p = auctions.register(s, a.id, yes, now=clock.now(), actor="u")
        assert p.state == "registered" and p.hold_id is not None
        assert [x.org_id for x in s.execute(select(AuctionParticipant)).scalars()] == [yes]


@pytest.mark.parametrize(("direction", "wrong", "right"), CASES)
def test_the_deal_is_checked_again(db, parties, clock, direction, wrong, right) -> None:
    """A buyer that was eligible when it came forward but moved across the border by the
    signing: the deal is refused and nothing is written; back home, it is struck."""
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated", direction=direction)
        b = buyer(s, clock.now(), f"{right} Moving Buyer", country=right)
        n = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u", notice_days=0)
        neg.make_offer(s, n.id, "seller", usd("150000"), {}, now=clock.now(), actor="u")
        neg.accept(s, n.id, "buyer", now=clock.now(), actor="u")
        s.get(Organisation, b).country = wrong
        s.flush()
        with pytest.raises(BuyerNotEligible) as exc:
            deals.strike_deal(s, listing, buyer_org_id=b, price=usd("150000"), channel="negotiated",
                              source_id=n.id, now=clock.now(), actor="u")
        _refused(exc, direction, wrong)
        with pytest.raises(BuyerNotEligible):
            neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        assert s.scalar(select(func.count()).select_from(Deal)) == 0
        assert (n.state, listing.state) == ("agreed", "in_notice_period")
        s.get(Organisation, b).country = right
        s.flush()
        neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        assert n.state == "final" and s.get(Deal, n.deal_id).buyer_org_id == b


def test_an_auction_whose_winner_moved_abroad_fails(db, parties, clock) -> None:
    """The highest bidder registered as a domestic organisation but is overseas by the close:
    no deal, the auction fails with the reason, and its deposit is released."""
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now())
        a = auctions.create_auction(s, listing, starts_at=clock.now(),
                                    ends_at=clock.now() + dt.timedelta(hours=1),
                                    increment=usd("1000"), deposit=usd("10000"), now=clock.now(),
                                    actor="u")
        b = buyer(s, clock.now(), "Relocating Bidder")
        fund(s, b, "10000", clock.now())
        auctions.register(s, a.id, b, now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b, usd("130000"), now=clock.now(), actor="u")
        s.get(Organisation, b).country = "SG"
        s.flush()
        result = auctions.close_auction(s, a.id, now=clock.advance(hours=2))
        assert (result.outcome, result.reason, result.deal_id) == ("failed", "buyer_not_eligible", None)
        assert result.refusal[0]["code"] == "buyer_not_eligible"
        assert s.get(Auction, a.id).state == "failed" and listing.state == "published"
        assert s.execute(select(AuctionParticipant.state)).scalars().all() == ["released"]
        assert s.scalar(select(func.count()).select_from(Deal)) == 0
