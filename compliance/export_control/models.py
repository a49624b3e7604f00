"""Technology export/import control: catalogues, classifications, licences and contract records."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CHAR, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
    UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, UTCDateTime

DIRECTIONS = ("export", "import")
CONTROL_LEVELS = ("prohibited", "restricted")
OUTCOMES = ("prohibited", "restricted", "free")
#: what each outcome requires of a deal (DECISIONS.md, Compliance details)
REQUIREMENTS = {"prohibited": "blocked", "restricted": "licence_required",
                "free": "registration_required"}


class Catalogue(Base):
    """One loaded version of the export or the import catalogue (at most one active each)."""

    __tablename__ = "tech_catalogues"
    __table_args__ = (
        UniqueConstraint("direction", "content_sha256"),
        CheckConstraint("direction IN ('export', 'import')", name="direction_known"),
        CheckConstraint("status IN ('active', 'superseded')", name="status_known"),
        Index("ix_tech_catalogues_one_active", "direction", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    version: Mapped[str] = mapped_column(String(64))
    source_note: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(CHAR(64))
    status: Mapped[str] = mapped_column(String(16))
    entry_count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(200))

    entries: Mapped[list["CatalogueEntry"]] = relationship(back_populates="catalogue")


class CatalogueEntry(Base):
    """A controlled technology: code (export: six digits + J prohibited / X restricted)."""

    __tablename__ = "tech_catalogue_entries"
    __table_args__ = (
        UniqueConstraint("catalogue_id", "code"),
        CheckConstraint("control_level IN ('prohibited', 'restricted')", name="level_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("tech_catalogues.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    control_level: Mapped[str] = mapped_column(String(16))
    industry: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str] = mapped_column(Text)
    #: ``|``-separated, zh and en
    keywords: Mapped[str] = mapped_column(Text)
    #: ``|``-separated IPC class prefixes (``G06F``, ``G06N 20``)
    ipc_hints: Mapped[str] = mapped_column(Text)
    revision: Mapped[str] = mapped_column(String(64))
    #: search terms (Chinese character bigrams, English words), space-separated
    search_terms: Mapped[str] = mapped_column(Text)

    catalogue: Mapped[Catalogue] = relationship(back_populates="entries")


class Classification(Base):
    """A subject (a listing...) classified against a catalogue by a compliance officer.

    ``pending`` holds the suggestions until an officer decides; a later decision for the same
    subject and direction supersedes the earlier one.
    """

    __tablename__ = "tech_classifications"
    __table_args__ = (
        CheckConstraint("direction IN ('export', 'import')", name="direction_known"),
        CheckConstraint("status IN ('pending', 'decided', 'superseded')", name="status_known"),
        CheckConstraint("outcome IS NULL OR outcome IN ('prohibited', 'restricted', 'free')",
                        name="outcome_known"),
        CheckConstraint("status = 'pending' OR (outcome IS NOT NULL AND officer IS NOT NULL "
                        "AND reason IS NOT NULL AND decided_at IS NOT NULL)", name="decision_recorded"),
        CheckConstraint("outcome IS NULL OR (outcome = 'free') = (catalogue_entry_id IS NULL)",
                        name="entry_unless_free"),
        Index("ix_tech_classifications_subject", "subject_type", "subject_id", "direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    requirement: Mapped[str | None] = mapped_column(String(32))
    catalogue_id: Mapped[int | None] = mapped_column(ForeignKey("tech_catalogues.id"))
    catalogue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("tech_catalogue_entries.id"))
    entry_code: Mapped[str | None] = mapped_column(String(16))
    #: JSON list of suggested entries with scores, from ``suggest_entries``
    suggestions: Mapped[str] = mapped_column(Text, default="[]")
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    requested_by: Mapped[str] = mapped_column(String(200))
    officer: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Licence(Base):
    """A technology import/export licence, or (``letter_of_intent``) the licence letter of
    intent that comes before the contract is signed."""

    __tablename__ = "tech_licences"
    __table_args__ = (
        UniqueConstraint("kind", "authority", "number"),
        CheckConstraint("kind IN ('letter_of_intent', 'licence')", name="kind_known"),
        CheckConstraint("direction IN ('export', 'import')", name="direction_known"),
        CheckConstraint("valid_from <= valid_to", name="validity_ordered"),
        Index("ix_tech_licences_subject", "subject_type", "subject_id", "direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    classification_id: Mapped[int] = mapped_column(ForeignKey("tech_classifications.id"))
    number: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))


class ContractRegistration(Base):
    """Registration of a free-technology import/export contract, due within N days of signing.

    ``submitted`` is an application with no number yet; only ``confirmed`` (number and date
    from the authority) lets a payout go.
    """

    __tablename__ = "tech_contract_registrations"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'confirmed')", name="status_known"),
        CheckConstraint("direction IN ('export', 'import')", name="direction_known"),
        CheckConstraint("status = 'submitted' OR (registration_number IS NOT NULL AND "
                        "registered_on IS NOT NULL)", name="confirmed_has_number"),
        CheckConstraint("due_on >= signed_on", name="due_after_signing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_ref: Mapped[str] = mapped_column(String(64), unique=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))


class TechnologyContractCertification(Base):
    """Certification of a technology contract by science and technology authorities (VAT
    exemption on technology transfer and development); not the contract registration."""

    __tablename__ = "tech_contract_certifications"
    __table_args__ = (UniqueConstraint("authority", "certificate_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_ref: Mapped[str] = mapped_column(String(64), index=True)
    certificate_number: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(200))
    certified_on: Mapped[dt.date] = mapped_column(Date)
    vat_exempt: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
