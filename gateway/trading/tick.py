"""The periodic trading job (``flask --app wsgi trading tick``).

Each step works in its own short transactions, one auction or negotiation at a time, so one
failure rolls back only its own step and a second tick (or two at once) finds nothing left to
do: closing re-checks the state under the row lock. Steps: close fixed-price notices whose period
ended (sold, auctioned, or no buyer), close auctions whose end passed,
expire negotiations past their validity, expire ledger holds past their deadline, expire
published listings whose listing period ended.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from gateway.listings import lifecycle
from gateway.listings.models import Listing
from kernel.db import Database
from kernel.errors import DomainError
from settlement.ledger import expire_holds

from . import auctions, events, fixed_price, negotiation  # noqa: F401  (events: the feed handlers)
from .deals import TRADING_ACTOR

ACTOR = "system:trading"


@dataclass
class TickSummary:
    notices_sold: int = 0
    notices_auctioned: int = 0
    notices_without_buyer: int = 0
    auctions_won: int = 0
    auctions_failed: int = 0
    negotiations_expired: int = 0
    holds_expired: int = 0
    listings_expired: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"notices sold {self.notices_sold}, auctioned {self.notices_auctioned}, without "
                f"buyer {self.notices_without_buyer}; auctions won {self.auctions_won}, failed {self.auctions_failed}; negotiations "
                f"expired {self.negotiations_expired}; holds expired {self.holds_expired}; "
                f"listings expired {self.listings_expired}; errors {len(self.errors)}")


def tick(db: Database, now: dt.datetime, *,
         progress: Callable[[str], None] | None = None) -> TickSummary:
    say = progress or (lambda _m: None)
    out = TickSummary()
    with db.session() as s:
        notices = fixed_price.due_notice_ids(s, now)
    for notice_id in notices:
        try:
            with db.transaction() as s:
                state = fixed_price.close_notice(s, notice_id, now=now, actor=ACTOR)
        except DomainError as exc:
            out.errors.append(f"notice {notice_id}: {exc.detail}")
            say(f"notice {notice_id}: error {exc.detail}")
            continue
        if state is None:
            continue
        if state == "sold":
            out.notices_sold += 1
        elif state == "auctioned":
            out.notices_auctioned += 1
        else:
            out.notices_without_buyer += 1
        say(f"notice {notice_id}: {state}")
    with db.session() as s:
        due = auctions.due_auction_ids(s, now)
    for auction_id in due:
        try:
            with db.transaction() as s:
                result = auctions.close_auction(s, auction_id, now=now, actor=ACTOR)
        except DomainError as exc:
            out.errors.append(f"auction {auction_id}: {exc.detail}")
            say(f"auction {auction_id}: error {exc.detail}")
            continue
        if result is None:
            continue
        if result.outcome == "won":
            out.auctions_won += 1
        else:
            out.auctions_failed += 1
        say(f"auction {auction_id}: {result.outcome}"
            + (f" ({result.reason})" if result.reason else "")
            + (f", deal {result.deal_id}" if result.deal_id else ""))
    with db.transaction() as s:
        out.negotiations_expired = len(negotiation.expire_due(s, now, ACTOR))
    with db.transaction() as s:
        out.holds_expired = len(expire_holds(s, now, actor=ACTOR))
    with db.session() as s:
        ids = list(s.execute(select(Listing.id).where(
            Listing.state.in_(("published", "cleared", "licence_required")),
            Listing.period_end <= now).order_by(Listing.id)).scalars())
    for listing_id in ids:
        try:
            with db.transaction() as s:
                listing = s.execute(select(Listing).where(Listing.id == listing_id)
                                    .with_for_update()).scalar_one()
                if listing.state in ("published", "cleared", "licence_required"):
                    lifecycle.transition(s, listing, "expire", TRADING_ACTOR, now=now,
                                         reason="listing period over")
                    out.listings_expired += 1
                    say(f"listing {listing_id}: expired")
        except DomainError as exc:
            out.errors.append(f"listing {listing_id}: {exc.detail}")
    say(out.line())
    return out
