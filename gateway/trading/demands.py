"""A buyer's demands after they are posted: closing one (it matches nothing any more), and the
reason a buyer gives for passing on a listing it was shown (FORMATS.md: too early stage,
benefit unclear, commercial route unclear, description unclear, price), which the listing's
sub-centre reads to know what to fix. Each change is one audit event in the caller's
transaction.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.listings.models import Listing
from kernel.audit import record_event

from .errors import InvalidTrading, TradingConflict, TradingNotFound
from .models import PASS_REASONS, Demand, ListingPass


def close_demand(session: Session, demand_id: int, *, now: dt.datetime, actor: str,
                 reason: str | None = None) -> Demand:
    """The buyer closes its demand (found, or no longer needed). Closing twice is a no-op."""
    demand = session.execute(select(Demand).where(Demand.id == demand_id).with_for_update()
                             ).scalar_one_or_none()
    if demand is None:
        raise TradingNotFound(f"no demand {demand_id}")
    if demand.state == "closed":
        return demand
    demand.state, demand.closed_at, demand.close_reason = "closed", now, reason
    session.flush()
    record_event(session, actor=actor, action="trading.demand_closed", entity_type="demand",
                 entity_id=demand.id, at=now, before={"state": "open"},
                 after={"state": "closed", "reason": reason})
    return demand


def pass_on_listing(session: Session, listing: Listing, org_id: int, reason: str, *,
                    now: dt.datetime, actor: str, note: str | None = None,
                    demand_id: int | None = None) -> ListingPass:
    """Record why ``org_id`` passes on ``listing`` (a second pass replaces the reason). The
    listing must be one a buyer can see (published); ``demand_id``, when given, is one of the
    buyer's own demands the listing was matched to."""
    if reason not in PASS_REASONS:
        raise InvalidTrading(f"a pass reason is one of {', '.join(PASS_REASONS)}", field="reason")
    if listing.state != "published":
        raise TradingConflict(f"the listing is {listing.state}: only a published listing is "
                              "passed on", state=listing.state)
    if demand_id is not None:
        demand = session.get(Demand, demand_id)
        if demand is None or demand.org_id != org_id:
            raise InvalidTrading(f"no demand {demand_id} of yours", field="demand_id")
    row = session.execute(select(ListingPass).where(
        ListingPass.listing_id == listing.id, ListingPass.org_id == org_id)
        .with_for_update()).scalar_one_or_none()
    before = None
    if row is None:
        row = ListingPass(listing_id=listing.id, org_id=org_id)
        session.add(row)
    else:
        before = {"reason": row.reason}
    row.reason, row.note, row.demand_id = reason, note, demand_id
    row.passed_at, row.passed_by = now, actor
    session.flush()
    record_event(session, actor=actor, action="trading.listing_passed", entity_type="listing",
                 entity_id=listing.id, at=now, before=before,
                 after={"org_id": org_id, "reason": reason, "demand_id": demand_id})
    return row


def passes_for_listing(session: Session, listing_id: int) -> dict[str, Any]:
    """The reasons buyers gave for passing on a listing: each pass and a count per reason."""
    rows = list(session.execute(select(ListingPass).where(ListingPass.listing_id == listing_id)
                                .order_by(ListingPass.passed_at, ListingPass.id)).scalars())
    counts = {r: 0 for r in PASS_REASONS}
    for row in rows:
        counts[row.reason] += 1
    return {"listing_id": listing_id, "counts": counts,
            "items": [{"org_id": r.org_id, "reason": r.reason, "note": r.note,
                       "demand_id": r.demand_id, "passed_at": r.passed_at} for r in rows]}


def passed_listing_ids(session: Session, org_id: int) -> set[int]:
    return set(session.execute(select(ListingPass.listing_id).where(
        ListingPass.org_id == org_id)).scalars())
