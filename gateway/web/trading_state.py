"""What the trading pages show, read from the trading tables and the ledger: a listing's
trading for one buyer (auction, negotiation or fixed-price notice, with the deposit's status),
the live auction as a buyer sees it (``auctions.buyer_view``, formatted by Babel), a buyer's
deals with their settlement instructions, and a listing's trading for its sub-centre.

Nothing here decides a trading rule: the services in ``gateway.trading`` do, and the pages call
them. These functions only read (no account is opened on a GET)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.listings.models import Listing
from gateway.trading import auctions
from gateway.trading.models import (
    Auction,
    AuctionParticipant,
    Deal,
    FixedPriceNotice,
    Intent,
    Negotiation,
)
from gateway.web.helpers import money, when
from kernel.money import from_minor, minor_units
from kernel.parties import Organisation, SubCentre
from settlement.ledger import Account, Hold
from settlement.plans import SettlementInstruction
from settlement.plans.models import SettlementPlan

#: negotiation states in which the buyer still acts (or waits for the contract)
LIVE_NEGOTIATION = ("open", "agreed")


def when_in(value: dt.datetime | None, zone: str) -> str:
    """A date-time in the user's locale but another zone (the sub-centre's)."""
    if value is None:
        return ""
    return babel_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=get_locale())


def subcentre_zone(session: Session, listing: Listing) -> str:
    sc = session.get(SubCentre, listing.subcentre_id)
    return sc.timezone if sc is not None and sc.timezone else "UTC"


@dataclass(frozen=True)
class DepositStatus:
    """A buyer's deposit for one auction or notice: ``required`` (zero: none needed), what its
    deposit account holds free, and its hold's state once registered (``pending`` = held,
    ``committed`` = applied to the price, ``voided``/``expired`` = released)."""

    required: Money
    available: Money
    hold_state: str | None

    @property
    def needed(self) -> bool:
        return self.required.amount > 0

    @property
    def received(self) -> bool:
        return self.hold_state is not None or self.available >= self.required

    @property
    def code(self) -> str:
        if not self.needed:
            return "none"
        if self.hold_state is not None:
            return {"pending": "held", "committed": "applied"}.get(self.hold_state, "released")
        return "received" if self.received else "missing"


def deposit_status(session: Session, org_id: int | None, required: Money,
                   hold_id: int | None) -> DepositStatus:
    ccy = required.currency.code
    available = Money(0, ccy)
    if org_id is not None:
        acc = session.execute(select(Account).where(
            Account.owner_type == "organisation", Account.owner_id == org_id,
            Account.purpose == "deposit", Account.currency == ccy)).scalar_one_or_none()
        if acc is not None:
            available = from_minor(acc.posted_minor - acc.pending_minor, ccy)
    hold = session.get(Hold, hold_id) if hold_id else None
    return DepositStatus(required, available, hold.state if hold is not None else None)


def latest_auction(session: Session, listing_id: int) -> Auction | None:
    return session.execute(select(Auction).where(Auction.listing_id == listing_id)
                           .order_by(Auction.id.desc()).limit(1)).scalar_one_or_none()


def latest_notice(session: Session, listing_id: int) -> FixedPriceNotice | None:
    return session.execute(select(FixedPriceNotice).where(FixedPriceNotice.listing_id == listing_id)
                           .order_by(FixedPriceNotice.id.desc()).limit(1)).scalar_one_or_none()


def participant(session: Session, auction_id: int, org_id: int | None) -> AuctionParticipant | None:
    if org_id is None:
        return None
    return session.execute(select(AuctionParticipant).where(
        AuctionParticipant.auction_id == auction_id,
        AuctionParticipant.org_id == org_id)).scalar_one_or_none()


def buyer_trading(session: Session, listing: Listing, org_id: int | None,
                  now: dt.datetime) -> dict[str, Any]:
    """The trading panel of a listing's page for the buyer organisation ``org_id``."""
    out: dict[str, Any] = {"mode": listing.pricing_mode, "zone": subcentre_zone(session, listing),
                           "now": now}
    auction = latest_auction(session, listing.id)
    if auction is not None:
        p = participant(session, auction.id, org_id)
        out["auction"] = auction
        out["auction_view"] = auctions.buyer_view(session, auction, org_id)
        out["auction_participant"] = p
        out["auction_deposit"] = deposit_status(session, org_id, auction.deposit, p.hold_id if p else None)
        out["auction_taking_bids"] = auction.state == "open" and auction.starts_at <= now < auction.ends_at
    notice = latest_notice(session, listing.id)
    if notice is not None:
        intents = list(session.execute(select(Intent).where(Intent.notice_id == notice.id)).scalars())
        mine = next((i for i in intents if org_id is not None and i.org_id == org_id), None)
        out["notice"] = notice
        out["notice_buyers"] = sum(1 for i in intents if i.state != "released")
        out["my_intent"] = mine
        out["notice_deposit"] = deposit_status(session, org_id, notice.deposit, mine.hold_id if mine else None)
        out["notice_open"] = notice.state == "open" and now < notice.ends_at
    if org_id is not None:
        negotiations = list(session.execute(select(Negotiation).where(
            Negotiation.listing_id == listing.id, Negotiation.buyer_org_id == org_id)
            .order_by(Negotiation.id.desc())).scalars())
        live = next((n for n in negotiations if n.state in LIVE_NEGOTIATION), None)
        out["negotiation"] = live or (negotiations[0] if negotiations else None)
    deal = session.execute(select(Deal).where(Deal.listing_id == listing.id)).scalar_one_or_none()
    out["my_deal"] = deal if deal is not None and org_id is not None and deal.buyer_org_id == org_id else None
    return out


def live_auction(session: Session, auction: Auction, org_id: int | None, now: dt.datetime) -> dict[str, Any]:
    """The live page's data as JSON-ready values: amounts and times formatted for the user's
    locale (and the sub-centre's zone beside the user's), raw figures for the script."""
    view = auctions.buyer_view(session, auction, org_id)
    listing = session.get(Listing, auction.listing_id)
    zone = subcentre_zone(session, listing)
    deal = session.get(Deal, auction.deal_id) if auction.deal_id else None
    won = deal is not None and org_id is not None and deal.buyer_org_id == org_id
    left = max(0, int((auction.ends_at - now).total_seconds()))
    return {
        "id": auction.id, "state": view["state"],
        "taking_bids": auction.state == "open" and auction.starts_at <= now < auction.ends_at,
        "current_price": money(view["current_price"]) if view["current_price"] else None,
        "starting_price": money(view["starting_price"]),
        "minimum_bid": money(view["minimum_bid"]),
        "minimum_amount": str(view["minimum_bid"].amount),
        "increment": money(view["increment"]),
        "bid_count": view["bid_count"], "extensions": auction.extensions,
        "scheduled_end": when(auction.scheduled_end), "ends_at": when(auction.ends_at),
        "ends_at_subcentre": when_in(auction.ends_at, zone), "subcentre_zone": zone,
        "ends_at_iso": auction.ends_at.isoformat(),
        "seconds_left": left, "time_left": time_left(left),
        "registered": view["registered"], "leading": view["leading"],
        "reserve_met": view["reserve_met"],
        "my_bids": [{"seq": b["seq"], "amount": money(b["amount"]), "placed_at": when(b["placed_at"])}
                    for b in reversed(view["my_bids"])],
        "won": won, "deal_reference": deal.reference if won else None,
    }


def time_left(seconds: int) -> str:
    """``HH:MM:SS``, with whole days in front (``2 d 03:04:05``), as the page's script shows it."""
    days, rest = divmod(max(0, seconds), 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days} {_('d')} {clock}" if days else clock


def amount_step(currency: str) -> str:
    """The ``step`` of an amount input: one minor unit (``0.01``; ``1`` for JPY)."""
    digits = minor_units(currency)
    return "1" if digits == 0 else "0." + "0" * (digits - 1) + "1"


def buyer_deals(session: Session, org_id: int) -> list[dict[str, Any]]:
    """The buyer's deals, newest first, each with its listing, seller and its settlement plan's
    instructions (what is due, with the advice)."""
    deals = list(session.execute(select(Deal).where(Deal.buyer_org_id == org_id)
                                 .order_by(Deal.struck_at.desc(), Deal.id.desc())).scalars())
    out = []
    for d in deals:
        plan = session.get(SettlementPlan, d.plan_id) if d.plan_id else None
        instructions = list(session.execute(select(SettlementInstruction).where(
            SettlementInstruction.plan_id == plan.id).order_by(SettlementInstruction.seq)).scalars()) \
            if plan is not None else []
        out.append({"deal": d, "listing": session.get(Listing, d.listing_id),
                    "seller": session.get(Organisation, d.seller_org_id),
                    "deposit_applied": from_minor(d.deposit_applied_minor, d.currency),
                    "instructions": instructions})
    return out


def staff_trading(session: Session, listing: Listing) -> dict[str, Any]:
    """Everything traded on a listing, for its sub-centre: auctions (the bid log with bidders
    and the refused bids with their reasons once closed, as ``auctions.bid_log`` and
    ``auctions.refusal_log`` give them), negotiations with their offers, fixed-price
    notices with their registrations, and the deal."""
    names: dict[int, str] = {}

    def org(org_id: int) -> str:
        if org_id not in names:
            o = session.get(Organisation, org_id)
            names[org_id] = o.legal_name if o is not None else str(org_id)
        return names[org_id]

    auction_rows = []
    for a in session.execute(select(Auction).where(Auction.listing_id == listing.id)
                             .order_by(Auction.id.desc())).scalars():
        parts = list(session.execute(select(AuctionParticipant).where(
            AuctionParticipant.auction_id == a.id).order_by(AuctionParticipant.id)).scalars())
        log = [{**e, "bidder": org(e["bidder_org_id"])} for e in auctions.bid_log(session, a)] \
            if a.state != "open" else None
        refused = [{**e, "bidder": org(e["bidder_org_id"])}
                   for e in auctions.refusal_log(session, a)] if a.state != "open" else None
        auction_rows.append({"auction": a, "participants": [(p, org(p.org_id)) for p in parts],
                             "log": log, "refused": refused})
    negotiations = [(n, org(n.buyer_org_id)) for n in session.execute(
        select(Negotiation).where(Negotiation.listing_id == listing.id).order_by(Negotiation.id.desc())).scalars()]
    notices = []
    for n in session.execute(select(FixedPriceNotice).where(FixedPriceNotice.listing_id == listing.id)
                             .order_by(FixedPriceNotice.id.desc())).scalars():
        intents = list(session.execute(select(Intent).where(Intent.notice_id == n.id)
                                       .order_by(Intent.id)).scalars())
        notices.append({"notice": n, "intents": [(i, org(i.org_id)) for i in intents]})
    deal = session.execute(select(Deal).where(Deal.listing_id == listing.id)).scalar_one_or_none()
    return {"auctions": auction_rows, "negotiations": negotiations, "notices": notices,
            "deal": deal, "deal_buyer": org(deal.buyer_org_id) if deal else None,
            "zone": subcentre_zone(session, listing)}
