"""Ascending auctions: scheduling, registration with a deposit hold, bids, anti-sniping, close.

Bids on one auction are serialised by a row lock on the auction (``SELECT ... FOR UPDATE`` by
primary key on PostgreSQL; SQLite's writing transactions begin with ``BEGIN IMMEDIATE``, its
writer lock). Every check and the anti-sniping extension happen under that lock; the auction
row carries the highest bid, so a bid reads one row. Lock order: the auction row, then (for
registration and the close) ledger holds and accounts in id order, as the ledger does.

Rules (DECISIONS.md, FORMATS.md):
- only an auction listing is auctioned directly; a fixed-price listing becomes an invited-only
  auction when its notice finds several buyers; a positive deposit is required;
- a bid is taken from ``starts_at`` (inclusive) to ``ends_at`` (exclusive: a bid at the very
  deadline is too late);
- the first bid must be at least the starting price, every later one must beat the highest by
  at least the increment; equal bids: the earlier wins (the later one is refused);
- a bidder registered (deposit held) before its first bid; in an invited-only auction only the
  fixed-price listing's intending buyers may bid; only a buyer on the right side of the border
  registers (domestic for an inbound listing, overseas for an outbound one: ``deals``);
- a bid within the last ``snipe_window_minutes`` moves the end to the bid time +
  ``snipe_extension_minutes`` (N = M = 5 by default); extensions chain;
- a refused bid is stored with its reason, amount and time (``bid``: in a transaction of its
  own, since the refused bid's own rolls back); the seller's sub-centre reads the refusals
  beside the accepted bids after the close (``refusal_log``);
- at the close the highest bid wins if it reaches the hidden reserve: the deal is struck, the
  winner's deposit is applied to the price and the others are released; otherwise the auction
  fails, every deposit is released and the listing goes back to ``published``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.gates import PartyRef, party_clearance
from gateway.listings import lifecycle
from gateway.listings.models import Listing
from kernel.audit import record_event
from kernel.db import Database
from kernel.faults import failure_point
from kernel.money import from_minor, to_minor

from . import deals, deposits
from .errors import (
    BidRefused,
    BuyerNotEligible,
    DealRefused,
    InvalidTrading,
    TradingConflict,
    TradingNotFound,
)
from .models import Auction, AuctionParticipant, Bid, BidRefusal

DEFAULT_SNIPE_MINUTES = 5


def get_auction(session: Session, auction_id: int, *, lock: bool = False) -> Auction:
    q = select(Auction).where(Auction.id == auction_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    auction = session.execute(q).scalar_one_or_none()
    if auction is None:
        raise TradingNotFound(f"no auction {auction_id}")
    return auction


def open_auction_on(session: Session, listing: Listing) -> Auction | None:
    return session.execute(select(Auction).where(Auction.listing_id == listing.id,
                                                 Auction.state == "open")).scalar_one_or_none()


def create_auction(session: Session, listing: Listing, *, starts_at: dt.datetime,
                   ends_at: dt.datetime, increment: Money, deposit: Money, now: dt.datetime,
                   actor: str, starting_price: Money | None = None, reserve: Money | None = None,
                   snipe_window_minutes: int = DEFAULT_SNIPE_MINUTES,
                   snipe_extension_minutes: int = DEFAULT_SNIPE_MINUTES,
                   invited_org_ids: list[int] | None = None) -> Auction:
    """Open an auction on a published listing (or, with ``invited_org_ids``, on a fixed-price
    listing whose notice found several buyers). Starting price and reserve default to the
    listing's."""
    if not (listing.pricing_mode == "auction"
            or (listing.pricing_mode == "fixed_price" and invited_org_ids is not None)):
        # a negotiated or fixed-price listing is sold its own way; a fixed-price one becomes an
        # auction only when its notice finds several buyers (``fixed_price.close_notice``)
        raise InvalidTrading(f"this listing is sold by {listing.pricing_mode.replace('_', ' ')}, "
                             "not by auction", field="listing_id")
    start = starting_price if starting_price is not None else listing.starting_price
    if start is None:
        raise InvalidTrading("an auction needs a starting price", field="starting_price")
    if reserve is None and invited_org_ids is None:
        reserve = listing.reserve_price
    ccy = start.currency.code
    for name, value in (("increment", increment), ("deposit", deposit), ("reserve", reserve)):
        if value is not None and value.currency.code != ccy:
            raise InvalidTrading(f"the {name} is not in the auction's currency {ccy}", field=name)
    if to_minor(increment) <= 0:
        raise InvalidTrading("the minimum increment must be positive", field="increment")
    if to_minor(deposit) <= 0:
        # every bidder has a deposit held before its first bid (issue 5)
        raise InvalidTrading("an auction requires a positive deposit", field="deposit")
    if to_minor(deposit) >= to_minor(start):
        # the winner's deposit is applied to the price: something must be left to pay
        raise InvalidTrading("the deposit must be below the starting price", field="deposit")
    if reserve is not None and to_minor(reserve) < to_minor(start):
        raise InvalidTrading("the reserve is below the starting price", field="reserve")
    if ends_at <= starts_at or ends_at <= now:
        raise InvalidTrading("the auction must end after it starts, in the future", field="ends_at")
    if snipe_window_minutes < 0 or snipe_extension_minutes < 0:
        raise InvalidTrading("anti-sniping minutes cannot be negative", field="snipe_window_minutes")
    if open_auction_on(session, listing) is not None:
        raise TradingConflict("the listing already has an open auction")
    lifecycle.transition(session, listing, "open_auction", deals.TRADING_ACTOR, now=now)
    auction = Auction(
        listing_id=listing.id, state="open", currency=ccy, starting_price_minor=to_minor(start),
        reserve_minor=to_minor(reserve) if reserve is not None else None,
        increment_minor=to_minor(increment), deposit_minor=to_minor(deposit), starts_at=starts_at,
        scheduled_end=ends_at, ends_at=ends_at, snipe_window_minutes=snipe_window_minutes,
        snipe_extension_minutes=snipe_extension_minutes, invited_only=invited_org_ids is not None,
        bid_count=0, extensions=0, created_by=actor, created_at=now)
    session.add(auction)
    session.flush()
    record_event(session, actor=actor, action="trading.auction_opened", entity_type="auction",
                 entity_id=auction.id, at=now,
                 after={"listing_id": listing.id, "starting_price": start, "increment": increment,
                        "deposit": deposit, "starts_at": starts_at, "ends_at": ends_at,
                        "invited_only": auction.invited_only})
    return auction


def _participant(session: Session, auction_id: int, org_id: int) -> AuctionParticipant | None:
    return session.execute(select(AuctionParticipant).where(
        AuctionParticipant.auction_id == auction_id,
        AuctionParticipant.org_id == org_id)).scalar_one_or_none()


def _clearance_reasons(session: Session, org_id: int) -> list[dict[str, Any]]:
    c = party_clearance(session, PartyRef("organisation", org_id), lifecycle.compliance_config())
    return [r.to_dict() for r in c.reasons]


def invite(session: Session, auction: Auction, org_id: int, hold_id: int | None,
           now: dt.datetime) -> AuctionParticipant:
    """Carry a fixed-price intent (and its deposit hold) into an invited-only auction."""
    p = AuctionParticipant(auction_id=auction.id, org_id=org_id, hold_id=hold_id,
                           state="registered", registered_at=now)
    session.add(p)
    session.flush()
    return p


def register(session: Session, auction_id: int, org_id: int, *, now: dt.datetime,
             actor: str) -> AuctionParticipant:
    """Register ``org_id`` to bid: its deposit (received and credited by finance) is held on
    its deposit account. Idempotent per buyer and auction."""
    auction = get_auction(session, auction_id, lock=True)
    existing = _participant(session, auction_id, org_id)
    if existing is not None and existing.state == "registered":
        return existing
    if auction.state != "open" or now >= auction.ends_at:
        raise BidRefused("auction_not_open", "the auction is closed")
    if auction.invited_only:
        raise BidRefused("not_invited", "only the listing's intending buyers take part")
    listing = session.get(Listing, auction.listing_id)
    if org_id == listing.seller_id:
        raise InvalidTrading("the seller cannot bid on its own listing", field="org_id")
    deals.check_buyer_eligible(session, listing, org_id)
    reasons = _clearance_reasons(session, org_id)
    if reasons:
        raise BidRefused("party_not_cleared", "compliance does not clear this buyer to trade",
                         reasons=reasons)
    hold_id = None
    if auction.deposit_minor > 0:
        hold_id = deposits.hold_deposit(session, org_id, auction.deposit, key=f"auction:{auction.id}:{org_id}",
                                        until=auction.ends_at, at=now, actor=actor)
        failure_point("trading.registration.hold_placed")  # the hold written, no participant yet
    p = AuctionParticipant(auction_id=auction.id, org_id=org_id, hold_id=hold_id,
                           state="registered", registered_at=now)
    session.add(p)
    session.flush()
    record_event(session, actor=actor, action="trading.auction_registered", entity_type="auction",
                 entity_id=auction.id, at=now, after={"org_id": org_id, "hold_id": hold_id})
    return p


def place_bid(session: Session, auction_id: int, org_id: int, amount: Money, *,
              now: dt.datetime, actor: str) -> Bid:
    """Place a bid under the auction's row lock; ``BidRefused`` with a ``reason`` otherwise."""
    auction = get_auction(session, auction_id, lock=True)
    if auction.state != "open" or now < auction.starts_at or now >= auction.ends_at:
        raise BidRefused("auction_not_open",
                         "the auction has not started" if now < auction.starts_at and
                         auction.state == "open" else "the auction is closed",
                         ends_at=auction.ends_at.isoformat())
    if amount.currency.code != auction.currency:
        raise BidRefused("currency_mismatch", f"bids are in {auction.currency}")
    participant = _participant(session, auction_id, org_id)
    if participant is None or participant.state != "registered":
        if auction.invited_only:
            raise BidRefused("not_invited", "only the listing's intending buyers take part")
        raise BidRefused("not_registered", "register and have the deposit held before bidding")
    minor = to_minor(amount)
    if auction.high_minor is None:
        if minor < auction.starting_price_minor:
            raise BidRefused("below_starting_price",
                             f"the first bid must be at least {auction.starting_price.amount}",
                             minimum=str(auction.starting_price.amount))
    else:
        high = session.get(Bid, auction.high_bid_id)
        if high is not None and high.bidder_org_id == org_id:
            raise BidRefused("already_highest", "you already hold the highest bid")
        minimum = auction.high_minor + auction.increment_minor
        if minor < minimum:
            raise BidRefused("increment_not_met",
                             f"a bid must be at least {from_minor(minimum, auction.currency).amount}",
                             minimum=str(from_minor(minimum, auction.currency).amount))
    reasons = _clearance_reasons(session, org_id)
    if reasons:
        raise BidRefused("party_not_cleared", "compliance does not clear this buyer to trade",
                         reasons=reasons)
    extended = False
    window = dt.timedelta(minutes=auction.snipe_window_minutes)
    if auction.ends_at - now <= window:
        new_end = now + dt.timedelta(minutes=auction.snipe_extension_minutes)
        if new_end > auction.ends_at:
            auction.ends_at = new_end
            auction.extensions += 1
            extended = True
    auction.bid_count += 1
    bid = Bid(auction_id=auction.id, seq=auction.bid_count, bidder_org_id=org_id,
              amount_minor=minor, currency=auction.currency, placed_at=now, placed_by=actor,
              ends_at_after=auction.ends_at)
    session.add(bid)
    session.flush()
    failure_point("trading.bid.inserted")  # the bid row written; the auction and audit not yet
    auction.high_bid_id, auction.high_minor = bid.id, minor
    session.flush()
    record_event(session, actor=actor, action="trading.bid_placed", entity_type="auction",
                 entity_id=auction.id, at=now,
                 after={"bid_id": bid.id, "seq": bid.seq, "org_id": org_id, "amount": amount,
                        "ends_at": auction.ends_at, "extended": extended})
    return bid


def bid(db: Database, session: Session, auction_id: int, org_id: int, amount: Money, *,
        now: dt.datetime, actor: str) -> Bid:
    """``place_bid`` in the caller's session, keeping a record of a refusal: the refused bid's
    work is rolled back in ``session`` and the refusal (reason, amount, time) is stored and
    audited in a transaction of its own, then ``BidRefused`` is raised as before. What the HTTP
    API (and any other front end) calls."""
    try:
        return place_bid(session, auction_id, org_id, amount, now=now, actor=actor)
    except BidRefused as refusal:
        session.rollback()  # ends the writing transaction (SQLite's writer lock) before the log
        with db.transaction() as log:
            log_refusal(log, auction_id, org_id, amount, refusal, now=now, actor=actor)
        raise


def log_refusal(session: Session, auction_id: int, org_id: int, amount: Money,
                refusal: BidRefused, *, now: dt.datetime, actor: str) -> BidRefusal:
    """Store one refused bid with its audit event (in the caller's transaction)."""
    row = BidRefusal(auction_id=auction_id, bidder_org_id=org_id, amount_minor=to_minor(amount),
                     currency=amount.currency.code, reason=refusal.reason,
                     detail=refusal.detail[:300], attempted_at=now, attempted_by=actor)
    session.add(row)
    session.flush()
    record_event(session, actor=actor, action="trading.bid_refused", entity_type="auction",
                 entity_id=auction_id, at=now,
                 after={"refusal_id": row.id, "org_id": org_id, "amount": amount,
                        "reason": refusal.reason})
    return row


@dataclass(frozen=True)
class CloseResult:
    auction_id: int
    outcome: str  # "won", "failed" (reserve not met, no bid, compliance refused the deal, or
    #               the highest bidder may not buy in this listing's direction)
    deal_id: int | None = None
    reason: str | None = None
    #: compliance's reasons when it refused the deal
    refusal: Any = None


def close_auction(session: Session, auction_id: int, *, now: dt.datetime,
                  actor: str = "system:trading") -> CloseResult | None:
    """Close an auction whose end has passed; None when it is not due (or already closed)."""
    auction = get_auction(session, auction_id, lock=True)
    if auction.state != "open" or now < auction.ends_at:
        return None
    listing = session.get(Listing, auction.listing_id)
    participants = list(session.execute(select(AuctionParticipant).where(
        AuctionParticipant.auction_id == auction.id).order_by(AuctionParticipant.id)).scalars())
    high = session.get(Bid, auction.high_bid_id) if auction.high_bid_id else None
    reason = None
    if high is None:
        reason = "no_bids"
    elif auction.reserve_minor is not None and high.amount_minor < auction.reserve_minor:
        reason = "reserve_not_met"
    deal = None
    refusal = None
    if reason is None:
        assert high is not None
        winner = next(p for p in participants if p.org_id == high.bidder_org_id)
        try:
            deal = deals.strike_deal(
                session, listing, buyer_org_id=high.bidder_org_id, price=high.amount,
                channel="auction", source_id=auction.id, now=now, actor=actor,
                deposit_applied=auction.deposit if winner.hold_id else None)
        except DealRefused as exc:
            reason = "deal_refused"
            refusal = exc.extra.get("reasons")
        except BuyerNotEligible as exc:  # the highest bidder's country changed since it registered
            reason = "buyer_not_eligible"
            refusal = [exc.to_dict()]
        else:
            if winner.hold_id:
                deposits.apply_deposit(session, winner.hold_id, winner.org_id, auction.currency,
                                       key=f"deal:{deal.reference}:deposit", at=now, actor=actor)
            winner.state = "applied"
    for p in participants:
        if p.state == "registered":
            if p.hold_id:
                deposits.release_deposit(session, p.hold_id, at=now, actor=actor)
            p.state = "released"
    auction.closed_at = now
    if deal is not None:
        auction.state, auction.deal_id = "won", deal.id
    else:
        auction.state = "failed"
        lifecycle.transition(session, listing, "close_unsold", deals.TRADING_ACTOR, now=now,
                             reason=reason)
    session.flush()
    record_event(session, actor=actor, action="trading.auction_closed", entity_type="auction",
                 entity_id=auction.id, at=now,
                 after={"state": auction.state, "reason": reason,
                        "deal_id": deal.id if deal else None,
                        "high": high.amount if high else None,
                        "refusal": refusal})
    return CloseResult(auction.id, auction.state, deal.id if deal else None, reason, refusal)


def due_auction_ids(session: Session, now: dt.datetime) -> list[int]:
    return list(session.execute(select(Auction.id).where(
        Auction.state == "open", Auction.ends_at <= now).order_by(Auction.id)).scalars())


# -- what each side sees ----------------------------------------------------------------------

def buyer_view(session: Session, auction: Auction, org_id: int | None) -> dict[str, Any]:
    """What a buyer sees: the current price, the end, the minimum next bid, its own bids and
    whether it leads; never other bidders' identities nor the reserve's amount."""
    current = auction.high_minor if auction.high_minor is not None else None
    minimum = (auction.starting_price_minor if current is None
               else current + auction.increment_minor)
    own = []
    if org_id is not None:
        own = list(session.execute(select(Bid).where(Bid.auction_id == auction.id,
                                                     Bid.bidder_org_id == org_id)
                                   .order_by(Bid.seq)).scalars())
    high = session.get(Bid, auction.high_bid_id) if auction.high_bid_id else None
    participant = _participant(session, auction.id, org_id) if org_id is not None else None
    return {
        "id": auction.id, "listing_id": auction.listing_id, "state": auction.state,
        "starting_price": auction.starting_price,
        "current_price": from_minor(current, auction.currency) if current is not None else None,
        "minimum_bid": from_minor(minimum, auction.currency), "increment": auction.increment,
        "deposit": auction.deposit, "starts_at": auction.starts_at, "ends_at": auction.ends_at,
        "bid_count": auction.bid_count,
        "reserve_met": (None if auction.reserve_minor is None
                        else current is not None and current >= auction.reserve_minor),
        "registered": participant is not None and participant.state in ("registered", "applied"),
        "leading": high is not None and org_id is not None and high.bidder_org_id == org_id,
        "my_bids": [{"seq": b.seq, "amount": b.amount, "placed_at": b.placed_at} for b in own],
    }


def refusal_log(session: Session, auction: Auction,
                org_id: int | None = None) -> list[dict[str, Any]]:
    """The refused bids (all, or one bidder's), in the order they came."""
    q = select(BidRefusal).where(BidRefusal.auction_id == auction.id)
    if org_id is not None:
        q = q.where(BidRefusal.bidder_org_id == org_id)
    return [{"bidder_org_id": r.bidder_org_id, "amount": r.amount, "reason": r.reason,
             "detail": r.detail, "attempted_at": r.attempted_at}
            for r in session.execute(q.order_by(BidRefusal.attempted_at, BidRefusal.id)).scalars()]


def bid_log(session: Session, auction: Auction) -> list[dict[str, Any]]:
    """The full bid log with bidders (for the seller's sub-centre once the auction closed)."""
    bids = session.execute(select(Bid).where(Bid.auction_id == auction.id)
                           .order_by(Bid.seq)).scalars()
    return [{"seq": b.seq, "bidder_org_id": b.bidder_org_id, "amount": b.amount,
             "placed_at": b.placed_at, "ends_at_after": b.ends_at_after} for b in bids]
