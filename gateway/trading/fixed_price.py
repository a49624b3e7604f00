"""Fixed-price listing with a public notice period.

The listing is published at its asking price for a notice period of working days of the
sub-centre's country (``working_days``: per sub-centre from the ``TRADING_NOTICE_WORKING_DAYS``
setting, default 20, unless the notice names its own; the period
ends at midnight, sub-centre time, after the last working day). Buyers register intent, which
holds their deposit. At the end (the tick):

- no intending buyer: the notice is ``no_buyer``; the seller's side may extend it (at least 5
  working days) or withdraw the listing (the listing's own ``withdraw`` action);
- at least ``threshold`` buyers (default 2): an invited-only auction among them, starting at
  the listed price, their deposit holds carried over;
- otherwise (one buyer, or fewer than a higher threshold): the deal is struck at the listed
  price with the earliest intending buyer, whose deposit is applied; the others are released.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.gates import PartyRef, party_clearance
from gateway.listings import lifecycle
from gateway.listings.models import Listing
from kernel.audit import record_event
from kernel.money import to_minor
from kernel.parties import SubCentre

from . import auctions, deals, deposits
from .calendar import add_working_days
from .errors import BidRefused, InvalidTrading, TradingConflict, TradingNotFound
from .models import FixedPriceNotice, Intent

DEFAULT_WORKING_DAYS = 20
MIN_EXTENSION_WORKING_DAYS = 5
DEFAULT_THRESHOLD = 2
DEFAULT_AUCTION_HOURS = 24


def configured_working_days(subcentre_code: str) -> int:
    """The notice period of a sub-centre's fixed-price listings: the setting
    ``TRADING_NOTICE_WORKING_DAYS`` maps sub-centre codes (and ``default``) to working days,
    e.g. ``{"default": 20, "DK": 25}`` (JSON in the environment, parsed by ``load_config``);
    20 when neither the sub-centre nor ``default`` is named."""
    cfg = (current_app.config.get("TRADING_NOTICE_WORKING_DAYS") or {}) if has_app_context() else {}
    return int(cfg.get(subcentre_code, cfg.get("default", DEFAULT_WORKING_DAYS)))


def _period_end(session: Session, sc: SubCentre, start: dt.datetime, working_days: int) -> dt.datetime:
    tz = ZoneInfo(sc.timezone)
    last = add_working_days(session, sc.country, start.astimezone(tz).date(), working_days)
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tz).astimezone(dt.UTC)


def get_notice(session: Session, notice_id: int, *, lock: bool = False) -> FixedPriceNotice:
    q = select(FixedPriceNotice).where(FixedPriceNotice.id == notice_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    n = session.execute(q).scalar_one_or_none()
    if n is None:
        raise TradingNotFound(f"no fixed-price notice {notice_id}")
    return n


def open_notice(session: Session, listing: Listing, *, deposit: Money, increment: Money,
                now: dt.datetime, actor: str, working_days: int | None = None,
                threshold: int = DEFAULT_THRESHOLD) -> FixedPriceNotice:
    if listing.pricing_mode != "fixed_price" or listing.asking_price is None:
        raise InvalidTrading("this listing has no fixed price", field="listing_id")
    price = listing.asking_price
    ccy = price.currency.code
    if deposit.currency.code != ccy or increment.currency.code != ccy:
        raise InvalidTrading(f"deposit and increment are in the listing's currency {ccy}",
                             field="deposit")
    if to_minor(increment) <= 0:
        raise InvalidTrading("the minimum increment must be positive", field="increment")
    if to_minor(deposit) <= 0:
        # intending buyers pay a deposit, carried into the auction when two or more come forward
        raise InvalidTrading("a fixed-price notice requires a positive deposit", field="deposit")
    if to_minor(deposit) >= to_minor(price):
        raise InvalidTrading("the deposit must be below the listed price", field="deposit")
    if threshold < 2:
        raise InvalidTrading("an auction needs at least two buyers", field="threshold")
    sc = session.get(SubCentre, listing.subcentre_id)
    days = working_days if working_days is not None else configured_working_days(sc.code)
    if days < 1:
        raise InvalidTrading("the notice period is at least one working day", field="working_days")
    lifecycle.transition(session, listing, "open_notice_period", deals.TRADING_ACTOR, now=now)
    notice = FixedPriceNotice(
        listing_id=listing.id, state="open", currency=ccy, price_minor=to_minor(price),
        deposit_minor=to_minor(deposit), increment_minor=to_minor(increment), country=sc.country,
        working_days=days, starts_at=now, ends_at=_period_end(session, sc, now, days),
        threshold=threshold, extensions=0, created_by=actor, created_at=now)
    session.add(notice)
    session.flush()
    record_event(session, actor=actor, action="trading.notice_opened", entity_type="fixed_price_notice",
                 entity_id=notice.id, at=now,
                 after={"listing_id": listing.id, "price": price, "working_days": days,
                        "ends_at": notice.ends_at, "threshold": threshold})
    return notice


def register_intent(session: Session, notice_id: int, org_id: int, *, now: dt.datetime,
                    actor: str) -> Intent:
    notice = get_notice(session, notice_id, lock=True)
    existing = session.execute(select(Intent).where(Intent.notice_id == notice_id,
                                                    Intent.org_id == org_id)).scalar_one_or_none()
    if existing is not None and existing.state == "registered":
        return existing
    if notice.state != "open" or now >= notice.ends_at:
        raise TradingConflict("the notice period is over", state=notice.state)
    listing = session.get(Listing, notice.listing_id)
    if org_id == listing.seller_id:
        raise InvalidTrading("the seller cannot buy its own listing", field="org_id")
    deals.check_buyer_eligible(session, listing, org_id)
    clearance = party_clearance(session, PartyRef("organisation", org_id), lifecycle.compliance_config())
    if not clearance.allowed:
        raise BidRefused("party_not_cleared", "compliance does not clear this buyer to trade",
                         reasons=[r.to_dict() for r in clearance.reasons])
    hold_id = None
    if notice.deposit_minor > 0:
        hold_id = deposits.hold_deposit(session, org_id, notice.deposit, key=f"notice:{notice.id}:{org_id}",
                                        until=notice.ends_at + dt.timedelta(days=7), at=now, actor=actor)
    intent = Intent(notice_id=notice.id, org_id=org_id, hold_id=hold_id, state="registered",
                    registered_at=now)
    session.add(intent)
    session.flush()
    record_event(session, actor=actor, action="trading.intent_registered",
                 entity_type="fixed_price_notice", entity_id=notice.id, at=now,
                 after={"org_id": org_id, "hold_id": hold_id})
    return intent


def extend(session: Session, notice_id: int, working_days: int, *, now: dt.datetime,
           actor: str) -> FixedPriceNotice:
    """The seller's side extends a notice that found no buyer (at least 5 working days)."""
    if working_days < MIN_EXTENSION_WORKING_DAYS:
        raise InvalidTrading(f"an extension is at least {MIN_EXTENSION_WORKING_DAYS} working days",
                             field="working_days")
    notice = get_notice(session, notice_id, lock=True)
    if notice.state != "no_buyer":
        raise TradingConflict("only a notice that ended without a buyer is extended",
                              state=notice.state)
    sc = session.get(SubCentre, session.get(Listing, notice.listing_id).subcentre_id)
    notice.state, notice.extensions = "open", notice.extensions + 1
    notice.ends_at = _period_end(session, sc, now, working_days)
    session.flush()
    record_event(session, actor=actor, action="trading.notice_extended",
                 entity_type="fixed_price_notice", entity_id=notice.id, at=now,
                 after={"working_days": working_days, "ends_at": notice.ends_at})
    return notice


def close_notice(session: Session, notice_id: int, *, now: dt.datetime,
                 actor: str = "system:trading",
                 auction_hours: int = DEFAULT_AUCTION_HOURS) -> str | None:
    """Close a notice whose period ended: ``no_buyer``, ``sold`` or ``auctioned``; None when
    not due."""
    notice = get_notice(session, notice_id, lock=True)
    if notice.state != "open" or now < notice.ends_at:
        return None
    listing = session.get(Listing, notice.listing_id)
    intents = list(session.execute(select(Intent).where(
        Intent.notice_id == notice.id, Intent.state == "registered").order_by(Intent.id)).scalars())
    if listing.state != "in_notice_period":
        # the listing left its notice period another way (withdrawn by its owner, or a deal
        # struck through a domestic channel): release every deposit and close the notice
        for i in intents:
            if i.hold_id:
                deposits.release_deposit(session, i.hold_id, at=now, actor=actor)
            i.state = "released"
        notice.state = "withdrawn"
    elif not intents:
        notice.state = "no_buyer"
    elif len(intents) >= notice.threshold:
        auction = auctions.create_auction(
            session, listing, starts_at=now, ends_at=now + dt.timedelta(hours=auction_hours),
            increment=notice.increment, deposit=notice.deposit, now=now, actor=actor,
            starting_price=notice.price, invited_org_ids=[i.org_id for i in intents])
        for i in intents:
            auctions.invite(session, auction, i.org_id, i.hold_id, now)
            i.state = "moved_to_auction"
        notice.state, notice.auction_id = "auctioned", auction.id
    else:
        first = intents[0]
        deal = deals.strike_deal(session, listing, buyer_org_id=first.org_id, price=notice.price,
                                 channel="fixed_price", source_id=notice.id, now=now, actor=actor,
                                 deposit_applied=notice.deposit if first.hold_id else None)
        if first.hold_id:
            deposits.apply_deposit(session, first.hold_id, first.org_id, notice.currency,
                                   key=f"deal:{deal.reference}:deposit", at=now, actor=actor)
        first.state = "applied"
        for i in intents[1:]:
            if i.hold_id:
                deposits.release_deposit(session, i.hold_id, at=now, actor=actor)
            i.state = "released"
        notice.state, notice.deal_id = "sold", deal.id
    session.flush()
    record_event(session, actor=actor, action="trading.notice_closed",
                 entity_type="fixed_price_notice", entity_id=notice.id, at=now,
                 after={"state": notice.state, "intents": len(intents),
                        "auction_id": notice.auction_id, "deal_id": notice.deal_id})
    return notice.state


def due_notice_ids(session: Session, now: dt.datetime) -> list[int]:
    return list(session.execute(select(FixedPriceNotice.id).where(
        FixedPriceNotice.state == "open", FixedPriceNotice.ends_at <= now)
        .order_by(FixedPriceNotice.id)).scalars())


def withdraw(session: Session, notice_id: int, owner: object, *, now: dt.datetime,
             reason: str = "no buyer in the notice period") -> FixedPriceNotice:
    """The seller's side withdraws a listing whose notice found no buyer (``owner``: staff of
    the sub-centre or the seller, as the listing's ``withdraw`` action requires)."""
    notice = get_notice(session, notice_id, lock=True)
    if notice.state != "no_buyer":
        raise TradingConflict("only a notice that ended without a buyer is withdrawn here",
                              state=notice.state)
    listing = session.get(Listing, notice.listing_id)
    lifecycle.transition(session, listing, "withdraw", owner, now=now, reason=reason)  # type: ignore[arg-type]
    notice.state = "withdrawn"
    session.flush()
    return notice
