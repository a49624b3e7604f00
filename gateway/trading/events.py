"""What the shared core's feed tells trading: a deal struck through a domestic channel on a
listing the gateway trades. The gateway's trading on it ends at once: an open auction is
cancelled (every deposit released), open negotiations expire, and the listing is withdrawn
with the reason (the deal itself lives in the core; the gateway has no party data to record
it as its own deal).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core import CoreEvent, event_handlers
from gateway.listings import lifecycle
from gateway.listings.access import SystemActor
from gateway.listings.models import Listing
from gateway.listings.states import actions_from
from kernel.audit import record_event

from . import deposits
from .models import Auction, AuctionParticipant, Negotiation

ACTOR = "system:core"


def end_trading(session: Session, listing: Listing, now: dt.datetime, reason: str) -> None:
    for a in session.execute(select(Auction).where(Auction.listing_id == listing.id,
                                                   Auction.state == "open").with_for_update()).scalars():
        for p in session.execute(select(AuctionParticipant).where(
                AuctionParticipant.auction_id == a.id,
                AuctionParticipant.state == "registered")).scalars():
            if p.hold_id:
                deposits.release_deposit(session, p.hold_id, at=now, actor=ACTOR)
            p.state = "released"
        a.state, a.closed_at = "cancelled", now
        record_event(session, actor=ACTOR, action="trading.auction_cancelled", entity_type="auction",
                     entity_id=a.id, at=now, after={"reason": reason})
        if listing.state == "in_auction":
            lifecycle.transition(session, listing, "close_unsold", SystemActor(ACTOR), now=now,
                                 reason=reason)
    for n in session.execute(select(Negotiation).where(
            Negotiation.listing_id == listing.id,
            Negotiation.state.in_(("open", "agreed")))).scalars():
        n.state, n.updated_at = "expired", now
    session.flush()
    if "withdraw" in actions_from(listing.state):
        lifecycle.transition(session, listing, "withdraw", SystemActor(ACTOR), now=now, reason=reason)


@event_handlers.on("deal.struck")
def _domestic_deal(session: Session, event: CoreEvent, now: dt.datetime) -> None:
    if event.data.get("origin") == "gateway":
        return  # our own deal coming back
    listing = session.execute(select(Listing).where(
        Listing.core_id == event.data.get("listing_core_id"))).scalar_one_or_none()
    if listing is None or listing.state in ("deal_struck", "withdrawn", "expired"):
        return
    end_trading(session, listing, now,
                f"deal {event.data.get('core_deal_id')} struck through a domestic channel")
