"""Listing tables. Invariants the database can hold are CheckConstraints; money is integer minor
units plus a CHAR(3) currency (``kernel.db.MoneyField``)."""
from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    CHAR,
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.listings.codes import TECHNOLOGY_FIELDS
from gateway.listings.states import STATES
from kernel.db import Base, MoneyField, UTCDateTime, currency_column, minor_column

DIRECTIONS = ("inbound", "outbound")
TRANSACTION_TYPES = ("assignment", "exclusive_licence", "sole_licence", "non_exclusive_licence",
                     "technical_service")
PRICING_MODES = ("negotiated", "fixed_price", "auction")
ASSET_KINDS = ("patent", "software_copyright", "know_how")
PATENT_STATUSES = ("application", "granted", "lapsed", "revoked")
ATTACHMENT_KINDS = ("brochure", "technical_summary", "patent_document", "evidence", "other")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ListingSequence(Base):
    """The last human reference number given out per year (``LST-2026-000123``)."""

    __tablename__ = "listing_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class Listing(Base):
    """A technology offered through a sub-centre for a seller organisation."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(_one_of("direction", DIRECTIONS), name="direction_known"),
        CheckConstraint(_one_of("state", STATES), name="state_known"),
        CheckConstraint(_one_of("technology_field", TECHNOLOGY_FIELDS), name="technology_field_known"),
        CheckConstraint(_one_of("transaction_type", TRANSACTION_TYPES), name="transaction_type_known"),
        CheckConstraint(_one_of("pricing_mode", PRICING_MODES), name="pricing_mode_known"),
        CheckConstraint("trl BETWEEN 1 AND 9", name="trl_1_to_9"),
        CheckConstraint("title_zh IS NOT NULL OR title_en IS NOT NULL", name="has_a_title"),
        CheckConstraint("pricing_mode <> 'fixed_price' OR asking_price_minor IS NOT NULL",
                        name="fixed_price_has_asking"),
        CheckConstraint("pricing_mode <> 'auction' OR (starting_price_minor IS NOT NULL "
                        "AND asking_price_minor IS NULL)", name="auction_has_starting"),
        CheckConstraint("pricing_mode = 'auction' OR (starting_price_minor IS NULL "
                        "AND reserve_price_minor IS NULL)", name="only_auctions_start_or_reserve"),
        CheckConstraint("reserve_price_minor IS NULL OR (reserve_price_currency = starting_price_currency"
                        " AND reserve_price_minor >= starting_price_minor)", name="reserve_over_start"),
        CheckConstraint("asking_price_minor IS NULL OR asking_price_minor >= 0", name="asking_not_negative"),
        CheckConstraint("starting_price_minor IS NULL OR starting_price_minor >= 0",
                        name="starting_not_negative"),
        CheckConstraint("period_end IS NULL OR period_start IS NULL OR period_end > period_start",
                        name="period_ordered"),
        CheckConstraint("version > 0", name="version_positive"),
        Index("ix_listings_state_id", "state", "id"),
        Index("ix_listings_headline_price", "headline_price_currency", "headline_price_minor"),
        # free text lives outside the models (see gateway.schema.UNMODELLED): on SQLite the
        # FTS5 table listings_fts, on PostgreSQL the side table listing_search_vectors with
        # its GIN index, both created by migrations and kept in step by triggers
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    direction: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32))
    subcentre_id: Mapped[int] = mapped_column(ForeignKey("sub_centres.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title_zh: Mapped[str | None] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    abstract_zh: Mapped[str | None] = mapped_column(Text)
    abstract_en: Mapped[str | None] = mapped_column(Text)
    technology_field: Mapped[str] = mapped_column(String(32), index=True)
    #: normalised IPC symbols in the order given (search uses ``listing_ipc_prefixes``)
    ipc_classes: Mapped[list[str]] = mapped_column(JSON)
    trl: Mapped[int] = mapped_column(Integer)
    transaction_type: Mapped[str] = mapped_column(String(32))
    field_of_use: Mapped[str | None] = mapped_column(Text)
    pricing_mode: Mapped[str] = mapped_column(String(16))
    asking_price_minor: Mapped[int | None] = minor_column(nullable=True)
    asking_price_currency: Mapped[str | None] = currency_column(nullable=True)
    asking_price = MoneyField("asking_price")
    starting_price_minor: Mapped[int | None] = minor_column(nullable=True)
    starting_price_currency: Mapped[str | None] = currency_column(nullable=True)
    starting_price = MoneyField("starting_price")
    #: never shown to buyers
    reserve_price_minor: Mapped[int | None] = minor_column(nullable=True)
    reserve_price_currency: Mapped[str | None] = currency_column(nullable=True)
    reserve_price = MoneyField("reserve_price")
    #: the asking price, or an auction's starting price: what buyers see and filter by
    headline_price_minor: Mapped[int | None] = minor_column(nullable=True)
    headline_price_currency: Mapped[str | None] = currency_column(nullable=True)
    headline_price = MoneyField("headline_price")
    period_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    period_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    licence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the shared core's id, filled by the core adapter once the listing reached it
    core_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: tokens of all titles and abstracts (see ``gateway.listings.segment``)
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    assets: Mapped[list[IpAsset]] = relationship(
        back_populates="listing", order_by="IpAsset.id", cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.id", cascade="all, delete-orphan")
    territories: Mapped[list[ListingTerritory]] = relationship(
        order_by="ListingTerritory.country", cascade="all, delete-orphan")
    ipc_prefixes: Mapped[list[ListingIpcPrefix]] = relationship(cascade="all, delete-orphan")

    @property
    def territory(self) -> list[str]:
        return [t.country for t in self.territories]


class ListingTerritory(Base):
    """One ISO 3166 country of a listing's territory."""

    __tablename__ = "listing_territories"
    __table_args__ = (CheckConstraint("length(country) = 2", name="country_iso2"),
                      Index("ix_listing_territories_country", "country", "listing_id"))

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str] = mapped_column(CHAR(2), primary_key=True)


class ListingIpcPrefix(Base):
    """Each level of each IPC class of a listing (``H``, ``H04``, ``H04W``, ``H04W 72``,
    ``H04W 72/04``): a prefix search is an equality lookup on both databases."""

    __tablename__ = "listing_ipc_prefixes"
    __table_args__ = (Index("ix_listing_ipc_prefixes_prefix", "prefix", "listing_id"),)

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)


class IpAsset(Base):
    """A patent, software copyright or know-how behind a listing."""

    __tablename__ = "listing_ip_assets"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ASSET_KINDS), name="kind_known"),
        CheckConstraint("kind <> 'patent' OR (jurisdiction IS NOT NULL AND number IS NOT NULL "
                        "AND status IS NOT NULL AND expires_on IS NOT NULL)", name="patent_complete"),
        CheckConstraint("status IS NULL OR " + _one_of("status", PATENT_STATUSES), name="status_known"),
        CheckConstraint("jurisdiction IS NULL OR length(jurisdiction) = 2", name="jurisdiction_iso2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    #: patents: the granting office's country (EP and WO use their ISO-like codes too)
    jurisdiction: Mapped[str | None] = mapped_column(CHAR(2))
    #: patent number or software copyright registration number
    number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(16))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)

    listing: Mapped[Listing] = relationship(back_populates="assets")
    evidence: Mapped[OwnershipEvidence | None] = relationship(
        back_populates="asset", uselist=False, cascade="all, delete-orphan")


class OwnershipEvidence(Base):
    """Rights confirmation: the owner as registered, compared with the seller's names by the
    gateway (``matches_seller``), recorded by someone; a mismatch counts as confirmed only with
    the ``mismatch_reason`` staff gave for accepting it (an assignment chain, a subsidiary...)."""

    __tablename__ = "listing_ownership_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("listing_ip_assets.id", ondelete="CASCADE"), unique=True)
    registered_owner: Mapped[str] = mapped_column(String(300))
    matches_seller: Mapped[bool] = mapped_column(Boolean)
    source_uri: Mapped[str | None] = mapped_column(String(1000))
    note: Mapped[str | None] = mapped_column(Text)
    #: why staff accept a registered owner that is not the seller (None: not accepted)
    mismatch_reason: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    asset: Mapped[IpAsset] = relationship(back_populates="evidence")

    @property
    def confirmed(self) -> bool:
        """Ownership holds for publication: the owner is the seller, or a mismatch was accepted."""
        return self.matches_seller or bool(self.mismatch_reason)


class Attachment(Base):
    """A document kept elsewhere, referred to by URI and pinned by its SHA-256."""

    __tablename__ = "listing_attachments"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        CheckConstraint(_one_of("kind", ATTACHMENT_KINDS), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    uri: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(CHAR(64))
    kind: Mapped[str] = mapped_column(String(32))
