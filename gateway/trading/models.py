"""Trading tables: auctions (participants with their deposit holds, bids), negotiations (offers),
fixed-price notices (intents), the working-day calendar, the deals every mode ends in, buyers'
demands, refused bids and the reasons buyers give for passing on a listing.

Money is integer minor units; each table's rows share one ``currency`` column. Invariants the
database can hold are constraints: a bid's sequence is unique per auction, one participant row
per buyer and auction, one offer sequence per negotiation, one deal per listing.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, MoneyField, UTCDateTime, currency_column, minor_column

from .errors import BID_REFUSALS

AUCTION_STATES = ("open", "won", "failed", "cancelled")
PARTICIPANT_STATES = ("registered", "released", "applied")
NEGOTIATION_STATES = ("open", "agreed", "final", "withdrawn", "expired")
SIDES = ("buyer", "seller")
OFFER_STATES = ("open", "superseded", "accepted", "withdrawn", "expired")
NOTICE_STATES = ("open", "no_buyer", "sold", "auctioned", "withdrawn")
INTENT_STATES = ("registered", "released", "applied", "moved_to_auction")
DEAL_CHANNELS = ("auction", "negotiated", "fixed_price")
DEAL_STATES = ("struck", "contract_signed")
CALENDAR_KINDS = ("holiday", "working")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Auction(Base):
    """An ascending auction on one listing. ``ends_at`` moves with anti-sniping extensions;
    ``scheduled_end`` keeps the original. ``invited_only``: only pre-registered participants
    (a fixed-price listing's intending buyers) may bid."""

    __tablename__ = "trading_auctions"
    __table_args__ = (
        CheckConstraint(_one_of("state", AUCTION_STATES), name="state_known"),
        CheckConstraint("increment_minor > 0", name="increment_positive"),
        CheckConstraint("deposit_minor >= 0", name="deposit_not_negative"),
        CheckConstraint("starting_price_minor >= 0", name="starting_not_negative"),
        CheckConstraint("reserve_minor IS NULL OR reserve_minor >= starting_price_minor",
                        name="reserve_over_start"),
        CheckConstraint("ends_at > starts_at", name="period_ordered"),
        CheckConstraint("snipe_window_minutes >= 0 AND snipe_extension_minutes >= 0",
                        name="snipe_not_negative"),
        Index("ix_trading_auctions_state_ends", "state", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = currency_column()
    starting_price_minor: Mapped[int] = minor_column()
    starting_price = MoneyField("starting_price", currency_attr="currency")
    #: hidden from buyers
    reserve_minor: Mapped[int | None] = minor_column(nullable=True)
    reserve = MoneyField("reserve", currency_attr="currency")
    increment_minor: Mapped[int] = minor_column()
    increment = MoneyField("increment", currency_attr="currency")
    deposit_minor: Mapped[int] = minor_column()
    deposit = MoneyField("deposit", currency_attr="currency")
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    scheduled_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    snipe_window_minutes: Mapped[int] = mapped_column(Integer)
    snipe_extension_minutes: Mapped[int] = mapped_column(Integer)
    invited_only: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the highest accepted bid (denormalised under the auction's row lock)
    high_bid_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    high_minor: Mapped[int | None] = minor_column(nullable=True)
    bid_count: Mapped[int] = mapped_column(Integer, default=0)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    deal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    participants: Mapped[list[AuctionParticipant]] = relationship(
        order_by="AuctionParticipant.id", cascade="all, delete-orphan")


class AuctionParticipant(Base):
    """A buyer registered to bid, with the ledger hold on its deposit account."""

    __tablename__ = "trading_auction_participants"
    __table_args__ = (
        UniqueConstraint("auction_id", "org_id"),
        CheckConstraint(_one_of("state", PARTICIPANT_STATES), name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("trading_auctions.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    hold_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Bid(Base):
    """An accepted bid. ``seq`` orders the bids of an auction (1, 2, ...)."""

    __tablename__ = "trading_bids"
    __table_args__ = (
        UniqueConstraint("auction_id", "seq"),
        UniqueConstraint("auction_id", "amount_minor"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("trading_auctions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    bidder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_minor: Mapped[int] = minor_column()
    currency: Mapped[str] = currency_column()
    amount = MoneyField("amount", currency_attr="currency")
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    placed_by: Mapped[str] = mapped_column(String(64))
    #: the auction's end after this bid (moved when the bid came in the last N minutes)
    ends_at_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Negotiation(Base):
    """A buyer's negotiation on a listing: offers alternate between the sides; acceptance makes
    it ``agreed`` and opens the public notice; signing after the notice makes it ``final``."""

    __tablename__ = "trading_negotiations"
    __table_args__ = (
        CheckConstraint(_one_of("state", NEGOTIATION_STATES), name="state_known"),
        CheckConstraint("next_side IS NULL OR " + _one_of("next_side", SIDES), name="side_known"),
        CheckConstraint("notice_days >= 0", name="notice_not_negative"),
        Index("ix_trading_negotiations_listing_state", "listing_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"))
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    #: whose turn it is to offer (None before the first offer: either side may open)
    next_side: Mapped[str | None] = mapped_column(String(8), nullable=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    notice_days: Mapped[int] = mapped_column(Integer)
    notice_ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    accepted_offer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    offers: Mapped[list[Offer]] = relationship(order_by="Offer.seq", cascade="all, delete-orphan")


class Offer(Base):
    """One offer or counter-offer: a price with terms (transaction type, territory, payment
    schedule), from the buyer side or the seller side."""

    __tablename__ = "trading_offers"
    __table_args__ = (
        UniqueConstraint("negotiation_id", "seq"),
        CheckConstraint(_one_of("side", SIDES), name="side_known"),
        CheckConstraint(_one_of("state", OFFER_STATES), name="state_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("trading_negotiations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = minor_column()
    currency: Mapped[str] = currency_column()
    amount = MoneyField("amount", currency_attr="currency")
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    made_by: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FixedPriceNotice(Base):
    """A fixed-price listing's public notice period, in working days of the sub-centre's
    country; ``threshold``: how many intending buyers turn it into an auction."""

    __tablename__ = "trading_fixed_price_notices"
    __table_args__ = (
        CheckConstraint(_one_of("state", NOTICE_STATES), name="state_known"),
        CheckConstraint("threshold >= 2", name="threshold_two_or_more"),
        CheckConstraint("increment_minor > 0", name="increment_positive"),
        CheckConstraint("working_days > 0", name="working_days_positive"),
        CheckConstraint("ends_at > starts_at", name="period_ordered"),
        Index("ix_trading_fixed_price_notices_state_ends", "state", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = currency_column()
    price_minor: Mapped[int] = minor_column()
    price = MoneyField("price", currency_attr="currency")
    deposit_minor: Mapped[int] = minor_column()
    deposit = MoneyField("deposit", currency_attr="currency")
    #: the minimum increment if the notice turns into an auction
    increment_minor: Mapped[int] = minor_column()
    increment = MoneyField("increment", currency_attr="currency")
    country: Mapped[str] = mapped_column(String(2))
    working_days: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    threshold: Mapped[int] = mapped_column(Integer)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    auction_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    intents: Mapped[list[Intent]] = relationship(order_by="Intent.id", cascade="all, delete-orphan")


class Intent(Base):
    """A buyer's intent to buy at the listed price, with the hold on its deposit."""

    __tablename__ = "trading_intents"
    __table_args__ = (
        UniqueConstraint("notice_id", "org_id"),
        CheckConstraint(_one_of("state", INTENT_STATES), name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("trading_fixed_price_notices.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    hold_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(20))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CalendarWeekend(Base):
    """The weekdays a country does not work (ISO weekday numbers, Monday = 1)."""

    __tablename__ = "trading_calendar_weekends"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class CalendarDay(Base):
    """An exception to the weekly pattern: a public holiday on a weekday, or a working day on a
    weekend (China's adjusted working Saturdays and Sundays)."""

    __tablename__ = "trading_calendar_days"
    __table_args__ = (CheckConstraint(_one_of("kind", CALENDAR_KINDS), name="kind_known"),)

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(120), nullable=True)


class DealSequence(Base):
    """The last deal reference number given out per year (``DL-2026-000042``)."""

    __tablename__ = "trading_deal_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class Deal(Base):
    """What every pricing mode ends in; the contract record rides on it (signing date and the
    registration deadline, signing + 60 days)."""

    __tablename__ = "trading_deals"
    __table_args__ = (
        CheckConstraint(_one_of("channel", DEAL_CHANNELS), name="channel_known"),
        CheckConstraint(_one_of("state", DEAL_STATES), name="state_known"),
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("buyer_org_id <> seller_org_id", name="two_parties"),
        CheckConstraint("(contract_signed_on IS NULL) = (registration_due_on IS NULL)",
                        name="registration_due_with_signing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    subcentre_id: Mapped[int] = mapped_column(ForeignKey("sub_centres.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = currency_column()
    price_minor: Mapped[int] = minor_column()
    price = MoneyField("price", currency_attr="currency")
    #: the deposit applied to the price (auction and fixed-price deals)
    deposit_applied_minor: Mapped[int] = minor_column(default=0)
    deposit_applied = MoneyField("deposit_applied", currency_attr="currency")
    transaction_type: Mapped[str] = mapped_column(String(32))
    territory: Mapped[list[str]] = mapped_column(JSON)
    payment_terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    core_deal_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    contract_signed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    registration_due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    struck_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    struck_by: Mapped[str] = mapped_column(String(64))


DEMAND_STATES = ("open", "closed")
#: why a buyer passes on a listing it was shown (FORMATS.md: what tells staff what to fix)
PASS_REASONS = ("too_early_stage", "benefit_unclear", "commercial_route_unclear",
                "description_unclear", "price", "other")


class Demand(Base):
    """A buyer's technology demand: text (zh or en), field, IPC classes, minimum TRL, budget,
    territory. ``direction`` is the listings' it is matched against (``inbound``: a domestic
    buyer bringing technology in)."""

    __tablename__ = "trading_demands"
    __table_args__ = (
        CheckConstraint(_one_of("state", DEMAND_STATES), name="state_known"),
        CheckConstraint("direction IN ('inbound', 'outbound')", name="direction_known"),
        CheckConstraint("trl_min IS NULL OR trl_min BETWEEN 1 AND 9", name="trl_1_to_9"),
        CheckConstraint("budget_minor IS NULL OR budget_minor > 0", name="budget_positive"),
        CheckConstraint("(state = 'closed') = (closed_at IS NOT NULL)", name="closed_when"),
        Index("ix_trading_demands_state_direction", "state", "direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(String(4000), nullable=True)
    technology_field: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ipc_classes: Mapped[list[str]] = mapped_column(JSON)
    trl_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    budget_minor: Mapped[int | None] = minor_column(nullable=True)
    budget_currency: Mapped[str | None] = currency_column(nullable=True)
    budget = MoneyField("budget")
    territory: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: set when its buyer closed it (found, or no longer needed): it matches nothing any more
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class BidRefusal(Base):
    """A bid that was refused, with the reason (one of ``errors.BID_REFUSALS``), when and for
    how much: the seller's sub-centre reads them beside the accepted bids after the close.
    Written in a transaction of its own, since the refused bid's own transaction rolls back."""

    __tablename__ = "trading_bid_refusals"
    __table_args__ = (
        CheckConstraint(_one_of("reason", BID_REFUSALS), name="reason_known"),
        Index("ix_trading_bid_refusals_auction_at", "auction_id", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("trading_auctions.id", ondelete="CASCADE"))
    bidder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_minor: Mapped[int] = minor_column()
    currency: Mapped[str] = currency_column()
    amount = MoneyField("amount", currency_attr="currency")
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(300))
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempted_by: Mapped[str] = mapped_column(String(64))


class ListingPass(Base):
    """A buyer passed on a listing it was shown (a demand's match, or the catalogue), saying
    why; the listing's sub-centre reads the reasons. One per buyer and listing (a second pass
    replaces the reason)."""

    __tablename__ = "trading_listing_passes"
    __table_args__ = (
        UniqueConstraint("listing_id", "org_id"),
        CheckConstraint(_one_of("reason", PASS_REASONS), name="reason_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("trading_demands.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    passed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    passed_by: Mapped[str] = mapped_column(String(64))
