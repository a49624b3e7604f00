"""Negotiated price: interest, alternating offers, acceptance, the public notice, signing.

- A buyer registers interest (the listing moves to ``under_negotiation``); either side may
  open, then offers alternate: buyer side, seller side, buyer side... An offer out of turn is
  refused (``TurnRefused``). Each offer is a price with terms (transaction type, territory,
  payment schedule) and supersedes the previous one.
- The other side accepts the latest offer: the negotiation is ``agreed`` and the achievement's
  name and the agreed price are published for a notice period (default 15 days, 0 allowed;
  the listing moves to ``in_notice_period``). Other negotiations on the listing expire.
- After the notice period the contract is signed: the deal is struck (settlement plan, core
  report) with its signing date, and the negotiation is ``final``.
- Withdrawal (by either side, before agreement) and expiry (the tick, at ``expires_at``) are
  explicit states; when no negotiation is left open the listing returns to ``published``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.listings import lifecycle
from gateway.listings.models import Listing
from kernel.audit import record_event
from kernel.money import to_minor

from . import deals
from .errors import InvalidTrading, TradingConflict, TradingNotFound, TurnRefused
from .models import Negotiation, Offer

DEFAULT_NOTICE_DAYS = 15
DEFAULT_VALIDITY_DAYS = 60
_OTHER = {"buyer": "seller", "seller": "buyer"}


def get_negotiation(session: Session, negotiation_id: int, *, lock: bool = False) -> Negotiation:
    q = select(Negotiation).where(Negotiation.id == negotiation_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    n = session.execute(q).scalar_one_or_none()
    if n is None:
        raise TradingNotFound(f"no negotiation {negotiation_id}")
    return n


def _lock_listing(session: Session, listing_id: int) -> Listing:
    listing = session.execute(select(Listing).where(Listing.id == listing_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if listing is None:
        raise TradingNotFound(f"no listing {listing_id}")
    return listing


def register_interest(session: Session, listing_id: int, buyer_org_id: int, *, now: dt.datetime,
                      actor: str, notice_days: int = DEFAULT_NOTICE_DAYS,
                      valid_days: int = DEFAULT_VALIDITY_DAYS) -> Negotiation:
    """Open (or return the open) negotiation of ``buyer_org_id`` on a negotiated-price listing."""
    listing = _lock_listing(session, listing_id)
    if listing.pricing_mode != "negotiated":
        raise InvalidTrading("this listing is not sold by negotiation", field="listing_id")
    if listing.seller_id == buyer_org_id:
        raise InvalidTrading("the seller cannot negotiate with itself", field="buyer_org_id")
    if notice_days < 0:
        raise InvalidTrading("the notice period cannot be negative", field="notice_days")
    deals.check_buyer_eligible(session, listing, buyer_org_id)
    existing = session.execute(select(Negotiation).where(
        Negotiation.listing_id == listing_id, Negotiation.buyer_org_id == buyer_org_id,
        Negotiation.state.in_(("open", "agreed")))).scalar_one_or_none()
    if existing is not None:
        return existing
    if listing.state == "published":
        lifecycle.transition(session, listing, "start_negotiation", deals.TRADING_ACTOR, now=now)
    elif listing.state != "under_negotiation":
        raise TradingConflict(f"the listing is {listing.state}: no new negotiation",
                              state=listing.state)
    problems = deals.compliance_problems(session, listing, buyer_org_id, now.date())
    party = [p for p in problems if p["party"] == "buyer"]
    if party:
        raise TradingConflict("compliance does not clear this buyer to trade", reasons=party)
    n = Negotiation(listing_id=listing_id, buyer_org_id=buyer_org_id, state="open",
                    next_side=None, expires_at=now + dt.timedelta(days=valid_days),
                    notice_days=notice_days, created_by=actor, created_at=now, updated_at=now)
    session.add(n)
    session.flush()
    record_event(session, actor=actor, action="trading.interest_registered",
                 entity_type="negotiation", entity_id=n.id, at=now,
                 after={"listing_id": listing_id, "buyer_org_id": buyer_org_id})
    return n


def _open(n: Negotiation, now: dt.datetime) -> None:
    if n.state != "open":
        raise TradingConflict(f"the negotiation is {n.state}", state=n.state)
    if now >= n.expires_at:
        raise TradingConflict("the negotiation has expired (the tick records it)", state="open")


def make_offer(session: Session, negotiation_id: int, side: str, amount: Money,
               terms: dict[str, Any], *, now: dt.datetime, actor: str) -> Offer:
    """An offer or counter-offer from ``side`` (``buyer`` / ``seller``), in turn."""
    if side not in _OTHER:
        raise InvalidTrading("side is buyer or seller", field="side")
    n = get_negotiation(session, negotiation_id, lock=True)
    _open(n, now)
    if n.next_side is not None and n.next_side != side:
        raise TurnRefused(f"it is the {n.next_side} side's turn", next_side=n.next_side)
    listing = session.get(Listing, n.listing_id)
    if listing.headline_price_currency and amount.currency.code != listing.headline_price_currency:
        raise InvalidTrading(f"offers are in {listing.headline_price_currency}", field="amount")
    if to_minor(amount) <= 0:
        raise InvalidTrading("an offer must be positive", field="amount")
    for o in n.offers:
        if o.state == "open":
            o.state = "superseded"
    offer = Offer(negotiation_id=n.id, seq=len(n.offers) + 1, side=side, state="open",
                  amount_minor=to_minor(amount), currency=amount.currency.code,
                  terms=dict(terms or {}), made_by=actor, made_at=now)
    n.offers.append(offer)
    n.next_side = _OTHER[side]
    n.updated_at = now
    session.flush()
    record_event(session, actor=actor, action="trading.offer_made", entity_type="negotiation",
                 entity_id=n.id, at=now, after={"seq": offer.seq, "side": side, "amount": amount,
                                                "terms": offer.terms})
    return offer


def accept(session: Session, negotiation_id: int, side: str, *, now: dt.datetime,
           actor: str) -> Negotiation:
    """The other side accepts the latest offer: ``agreed``; the public notice starts."""
    n = get_negotiation(session, negotiation_id, lock=True)
    _open(n, now)
    latest = n.offers[-1] if n.offers else None
    if latest is None or latest.state != "open":
        raise TradingConflict("there is no offer to accept")
    if latest.side == side:
        raise TurnRefused("a side cannot accept its own offer", next_side=n.next_side)
    listing = _lock_listing(session, n.listing_id)
    problems = deals.compliance_problems(session, listing, n.buyer_org_id, now.date())
    if problems:
        raise TradingConflict("compliance does not allow this deal now", reasons=problems)
    latest.state = "accepted"
    n.state, n.accepted_offer_id, n.next_side = "agreed", latest.id, None
    n.notice_ends_at = now + dt.timedelta(days=n.notice_days)
    n.updated_at = now
    lifecycle.transition(session, listing, "open_notice_period", deals.TRADING_ACTOR, now=now,
                         reason=f"negotiation {n.id} agreed")
    for other in session.execute(select(Negotiation).where(
            Negotiation.listing_id == n.listing_id, Negotiation.id != n.id,
            Negotiation.state == "open")).scalars():
        other.state, other.updated_at = "expired", now
    session.flush()
    record_event(session, actor=actor, action="trading.offer_accepted", entity_type="negotiation",
                 entity_id=n.id, at=now, after={"offer_seq": latest.seq, "amount": latest.amount,
                                                "notice_ends_at": n.notice_ends_at})
    return n


def public_notice(session: Session, n: Negotiation) -> dict[str, Any] | None:
    """What is published while an agreed price is under notice: the achievement and price."""
    if n.state != "agreed":
        return None
    listing = session.get(Listing, n.listing_id)
    offer = session.get(Offer, n.accepted_offer_id)
    return {"listing_id": listing.id, "reference": listing.reference, "title_zh": listing.title_zh,
            "title_en": listing.title_en, "agreed_price": offer.amount,
            "notice_ends_at": n.notice_ends_at}


def sign_contract(session: Session, negotiation_id: int, signed_on: dt.date, *,
                  now: dt.datetime, actor: str) -> Negotiation:
    """After the notice period: the contract is signed and the deal struck (final)."""
    n = get_negotiation(session, negotiation_id, lock=True)
    if n.state != "agreed":
        raise TradingConflict(f"the negotiation is {n.state}", state=n.state)
    assert n.notice_ends_at is not None
    if now < n.notice_ends_at:
        raise TradingConflict(f"the public notice runs until {n.notice_ends_at.isoformat()}",
                              notice_ends_at=n.notice_ends_at.isoformat())
    if signed_on < n.notice_ends_at.date():
        raise InvalidTrading("the contract is signed after the notice period", field="signed_on")
    listing = _lock_listing(session, n.listing_id)
    offer = session.get(Offer, n.accepted_offer_id)
    deal = deals.strike_deal(session, listing, buyer_org_id=n.buyer_org_id, price=offer.amount,
                             channel="negotiated", source_id=n.id, now=now, actor=actor,
                             terms=offer.terms, signed_on=signed_on)
    n.state, n.deal_id, n.updated_at = "final", deal.id, now
    session.flush()
    return n


def withdraw(session: Session, negotiation_id: int, side: str, *, now: dt.datetime,
             actor: str, reason: str | None = None) -> Negotiation:
    n = get_negotiation(session, negotiation_id, lock=True)
    if n.state != "open":
        raise TradingConflict(f"the negotiation is {n.state}", state=n.state)
    _end(session, n, "withdrawn", now, actor, reason or f"withdrawn by the {side} side")
    return n


def _end(session: Session, n: Negotiation, state: str, now: dt.datetime, actor: str,
         reason: str) -> None:
    n.state, n.updated_at = state, now
    for o in n.offers:
        if o.state == "open":
            o.state = state
    session.flush()
    listing = _lock_listing(session, n.listing_id)
    still_open = session.execute(select(Negotiation.id).where(
        Negotiation.listing_id == listing.id, Negotiation.state.in_(("open", "agreed")))).first()
    if still_open is None and listing.state == "under_negotiation":
        lifecycle.transition(session, listing, "end_negotiation", deals.TRADING_ACTOR, now=now,
                             reason=reason)
    record_event(session, actor=actor, action=f"trading.negotiation_{state}",
                 entity_type="negotiation", entity_id=n.id, at=now, after={"reason": reason})


def expire_due(session: Session, now: dt.datetime, actor: str = "system:trading") -> list[int]:
    """Expire open negotiations past ``expires_at`` (the tick)."""
    ids = list(session.execute(select(Negotiation.id).where(
        Negotiation.state == "open", Negotiation.expires_at <= now).order_by(Negotiation.id)).scalars())
    for nid in ids:
        n = get_negotiation(session, nid, lock=True)
        if n.state == "open":
            _end(session, n, "expired", now, actor, "the negotiation expired")
    return ids
