"""Ascending auction rules on both databases: deposits as holds, increments, ties, the deadline,
anti-sniping chains, reserve, the close (deal + plan, deposits applied and released)."""
from __future__ import annotations

import datetime as dt

import pytest
from moneyed import Money
from sqlalchemy import select

from compliance.cases.service import open_structuring_case
from compliance.party import PartyRef
from gateway.core.models import OutboxMessage
from gateway.trading import auctions, deposits
from gateway.trading.errors import BidRefused, DepositMissing, InvalidTrading
from gateway.trading.models import Auction, Deal
from settlement.ledger import Hold, check_ledger
from settlement.plans.models import SettlementPlan
from tests.support.trading import buyer, fund, published_listing

USD = "USD"


def usd(x: str) -> Money:
    return Money(x, USD)


def _auction(s, parties, clock, *, minutes: int = 60, deposit: str = "10000", **kw):
    listing = published_listing(s, parties, clock.now())
    a = auctions.create_auction(s, listing, starts_at=clock.now(),
                                ends_at=clock.now() + dt.timedelta(minutes=minutes),
                                increment=usd("1000"), deposit=usd(deposit), now=clock.now(),
                                actor="user:staff", **kw)
    return listing, a


def _bidders(s, clock, n: int = 2, funded: bool = True):
    out = []
    for i in range(n):
        org = buyer(s, clock.now(), f"Buyer {i} Co")
        if funded:
            fund(s, org, "10000", clock.now())
        out.append(org)
    return out


class _Reason:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        assert isinstance(exc, BidRefused), f"expected BidRefused({self.reason}), got {exc!r}"
        assert exc.reason == self.reason, exc.reason
        return True


def test_bids_need_a_deposit_held_and_must_beat_by_the_increment(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, a = _auction(s, parties, clock)
        assert listing.state == "in_auction"
        b1, b2 = _bidders(s, clock)
        poor = buyer(s, clock.now(), "Unfunded Co")
        with _Reason("not_registered"):
            auctions.place_bid(s, a.id, b1, usd("100000"), now=clock.now(), actor="u")
        with pytest.raises(DepositMissing):
            auctions.register(s, a.id, poor, now=clock.now(), actor="u")
        p1 = auctions.register(s, a.id, b1, now=clock.now(), actor="u")
        auctions.register(s, a.id, b2, now=clock.now(), actor="u")
        assert deposits.deposit_balance(s, b1, USD, at=clock.now(), actor="u").available.amount == 0
        assert s.get(Hold, p1.hold_id).state == "pending"
        with _Reason("below_starting_price"):
            auctions.place_bid(s, a.id, b1, usd("99999.99"), now=clock.now(), actor="u")
        with _Reason("currency_mismatch"):
            auctions.place_bid(s, a.id, b1, Money("100000", "EUR"), now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b1, usd("100000"), now=clock.now(), actor="u")
        with _Reason("already_highest"):
            auctions.place_bid(s, a.id, b1, usd("200000"), now=clock.now(), actor="u")
        with _Reason("increment_not_met"):
            auctions.place_bid(s, a.id, b2, usd("100999.99"), now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b2, usd("101000"), now=clock.now(), actor="u")
        assert a.high_minor == 10100000 and a.bid_count == 2


@pytest.mark.parametrize("deposit", ["0", "-1", "100000"])
def test_an_auction_needs_a_positive_deposit_below_the_starting_price(db, parties, clock,
                                                                      deposit) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now())
        with pytest.raises(InvalidTrading) as exc:
            auctions.create_auction(s, listing, starts_at=clock.now(),
                                    ends_at=clock.now() + dt.timedelta(hours=1),
                                    increment=usd("1000"), deposit=usd(deposit), now=clock.now(),
                                    actor="u")
        assert exc.value.field == "deposit"
        assert listing.state == "published" and s.execute(select(Auction)).first() is None
        a = auctions.create_auction(s, listing, starts_at=clock.now(),
                                    ends_at=clock.now() + dt.timedelta(hours=1),
                                    increment=usd("1000"), deposit=usd("0.01"), now=clock.now(),
                                    actor="u")
        assert a.deposit == usd("0.01") and listing.state == "in_auction"


@pytest.mark.parametrize("mode", ["negotiated", "fixed_price"])
def test_only_an_auction_listing_is_auctioned_directly(db, parties, clock, mode) -> None:
    """A negotiated or fixed-price listing is refused (even given a starting price); a
    fixed-price listing becomes an auction only through its notice, among invited buyers."""
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode=mode)
        kw = {"starts_at": clock.now(), "ends_at": clock.now() + dt.timedelta(hours=1),
              "increment": usd("1000"), "deposit": usd("10000"), "now": clock.now(), "actor": "u",
              "starting_price": usd("100000")}
        with pytest.raises(InvalidTrading) as exc:
            auctions.create_auction(s, listing, **kw)
        assert exc.value.field == "listing_id" and "not by auction" in exc.value.detail
        assert listing.state == "published" and s.execute(select(Auction)).first() is None
        if mode == "negotiated":
            with pytest.raises(InvalidTrading):  # no invitation makes it an auction either
                auctions.create_auction(s, listing, **kw, invited_org_ids=[])


def test_equal_bids_the_earlier_wins(db, parties, clock) -> None:
    with db.transaction() as s:
        _, a = _auction(s, parties, clock)
        b1, b2, b3 = _bidders(s, clock, 3)
        for b in (b1, b2, b3):
            auctions.register(s, a.id, b, now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b1, usd("100000"), now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b2, usd("105000"), now=clock.now(), actor="u")
        with _Reason("increment_not_met"):
            auctions.place_bid(s, a.id, b3, usd("105000"), now=clock.now(), actor="u")
        view = auctions.buyer_view(s, a, b2)
        assert view["leading"] is True and view["current_price"] == usd("105000")


def test_before_the_start_and_at_the_deadline_bids_are_refused(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now())
        a = auctions.create_auction(s, listing, starts_at=clock.now() + dt.timedelta(hours=1),
                                    ends_at=clock.now() + dt.timedelta(hours=2),
                                    increment=usd("1000"), deposit=usd("10000"), now=clock.now(),
                                    actor="u")
        (b1,) = _bidders(s, clock, 1)
        auctions.register(s, a.id, b1, now=clock.now(), actor="u")
        with _Reason("auction_not_open"):
            auctions.place_bid(s, a.id, b1, usd("100000"), now=clock.now(), actor="u")
        with _Reason("auction_not_open"):  # the end is exclusive: at the deadline is too late
            auctions.place_bid(s, a.id, b1, usd("100000"), now=a.ends_at, actor="u")
        auctions.place_bid(s, a.id, b1, usd("100000"),
                           now=a.ends_at - dt.timedelta(microseconds=1), actor="u")


def test_anti_sniping_extends_and_chains(db, parties, clock) -> None:
    with db.transaction() as s:
        _, a = _auction(s, parties, clock, minutes=60)
        b1, b2 = _bidders(s, clock)
        for b in (b1, b2):
            auctions.register(s, a.id, b, now=clock.now(), actor="u")
        end0 = a.ends_at
        t = clock.advance(minutes=50)  # 10 minutes left: no extension
        auctions.place_bid(s, a.id, b1, usd("100000"), now=t, actor="u")
        assert a.ends_at == end0
        t = clock.advance(minutes=6)  # 4 minutes left: end moves to t + 5
        auctions.place_bid(s, a.id, b2, usd("101000"), now=t, actor="u")
        assert a.ends_at == t + dt.timedelta(minutes=5) and a.extensions == 1
        t = clock.advance(minutes=4, seconds=59)  # one second before the new end: again
        auctions.place_bid(s, a.id, b1, usd("102000"), now=t, actor="u")
        assert a.ends_at == t + dt.timedelta(minutes=5) and a.extensions == 2
        assert a.scheduled_end == end0
        # the tick before the end does nothing; after it, the auction closes
        assert auctions.close_auction(s, a.id, now=a.ends_at - dt.timedelta(seconds=1)) is None
        with _Reason("auction_not_open"):
            auctions.place_bid(s, a.id, b2, usd("110000"), now=a.ends_at, actor="u")


def test_close_reserve_not_met_fails_and_releases_every_deposit(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, a = _auction(s, parties, clock)
        b1, b2 = _bidders(s, clock)
        for b in (b1, b2):
            auctions.register(s, a.id, b, now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b1, usd("100000"), now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b2, usd("119000"), now=clock.now(), actor="u")
        assert auctions.buyer_view(s, a, b2)["reserve_met"] is False
        result = auctions.close_auction(s, a.id, now=clock.advance(hours=2))
        assert result.outcome == "failed" and result.reason == "reserve_not_met"
        assert listing.state == "published"
        for b in (b1, b2):
            assert deposits.deposit_balance(s, b, USD, at=clock.now(), actor="u").available == usd("10000")
        assert s.execute(select(Deal)).first() is None
        assert check_ledger(s) == []


def test_close_with_no_bids_fails(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, a = _auction(s, parties, clock)
        result = auctions.close_auction(s, a.id, now=clock.advance(hours=2))
        assert (result.outcome, result.reason) == ("failed", "no_bids")
        assert listing.state == "published"


def test_close_strikes_the_deal_applies_the_winners_deposit_and_creates_the_plan(db, parties, clock) -> None:
    with db.transaction() as s:
        listing, a = _auction(s, parties, clock)
        b1, b2 = _bidders(s, clock)
        for b in (b1, b2):
            auctions.register(s, a.id, b, now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b1, usd("120000"), now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b2, usd("125000"), now=clock.now(), actor="u")
        result = auctions.close_auction(s, a.id, now=clock.advance(hours=2))
        assert result.outcome == "won", result
        deal = s.get(Deal, result.deal_id)
        assert (deal.buyer_org_id, deal.price, deal.channel) == (b2, usd("125000"), "auction")
        assert deal.deposit_applied_minor == 1000000
        assert listing.state == "deal_struck"
        plan = s.get(SettlementPlan, deal.plan_id)
        assert plan.deal_ref == deal.reference and plan.price == usd("125000")
        msg = s.execute(select(OutboxMessage).where(OutboxMessage.kind == "report_deal")).scalar_one()
        assert f'"listing_core_id":"{listing.core_id}"' in msg.payload
        # loser released, winner applied into escrow
        assert deposits.deposit_balance(s, b1, USD, at=clock.now(), actor="u").available == usd("10000")
        bal = deposits.deposit_balance(s, b2, USD, at=clock.now(), actor="u")
        assert bal.posted.amount == 0 and bal.pending.amount == 0
        assert check_ledger(s) == []
        # closing again does nothing
        assert auctions.close_auction(s, a.id, now=clock.now()) is None
        # the seller's sub-centre sees the whole log with bidders
        assert [r["bidder_org_id"] for r in auctions.bid_log(s, a)] == [b1, b2]


def test_a_bidder_under_review_cannot_bid(db, parties, clock) -> None:
    with db.transaction() as s:
        _, a = _auction(s, parties, clock)
        (b1,) = _bidders(s, clock, 1)
        auctions.register(s, a.id, b1, now=clock.now(), actor="u")
        open_structuring_case(s, PartyRef("organisation", b1), "test", {}, clock.now(), "system:test")
        with _Reason("party_not_cleared"):
            auctions.place_bid(s, a.id, b1, usd("100000"), now=clock.now(), actor="u")



def test_refused_bids_are_stored_with_their_reason_and_shown_after_the_close(db, parties, clock) -> None:
    from gateway.trading.models import BidRefusal

    with db.transaction() as s:
        _, a = _auction(s, parties, clock)
        b1, b2 = _bidders(s, clock)
        auctions.register(s, a.id, b1, now=clock.now(), actor="u")
        auction_id = a.id
    with db.transaction() as s, _Reason("not_registered"):
        auctions.bid(db, s, auction_id, b2, usd("100000"), now=clock.now(), actor="user:b2")
    t = clock.advance(minutes=1)
    with db.transaction() as s:
        auctions.bid(db, s, auction_id, b1, usd("100000"), now=t, actor="user:b1")
    with db.transaction() as s, _Reason("already_highest"):
        auctions.bid(db, s, auction_id, b1, usd("150000"), now=t, actor="user:b1")
    with db.session() as s:
        rows = list(s.execute(select(BidRefusal).order_by(BidRefusal.id)).scalars())
        assert [(r.bidder_org_id, r.reason, r.amount, r.attempted_by) for r in rows] == [
            (b2, "not_registered", usd("100000.00"), "user:b2"),
            (b1, "already_highest", usd("150000.00"), "user:b1")]
        a = s.get(auctions.Auction, auction_id)
        assert a.bid_count == 1 and a.high_minor == 10000000  # the refusals changed nothing
        log = auctions.refusal_log(s, a)
        assert [e["reason"] for e in log] == ["not_registered", "already_highest"]
        assert [e["reason"] for e in auctions.refusal_log(s, a, b1)] == ["already_highest"]
        from kernel.audit.models import AuditEvent

        assert s.execute(select(AuditEvent).where(
            AuditEvent.action == "trading.bid_refused")).scalars().all().__len__() == 2
