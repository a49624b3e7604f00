"""Review cases and the list entries each one is about.

Allowed transitions are data (``TRANSITIONS``): an open case is cleared (a false positive, or
a payment pattern explained) or confirmed, each with the officer's reason; decided cases stay.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CHAR, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, ExactDecimal, UTCDateTime

CASE_KINDS = ("screening", "structuring")
CASE_STATUSES = ("open", "cleared", "confirmed")
TRANSITIONS = {"open": frozenset({"cleared", "confirmed"}), "cleared": frozenset(),
               "confirmed": frozenset()}


class ScreeningCase(Base):
    """A party's case: screening hits (``screening``) or split payments (``structuring``)."""

    __tablename__ = "screening_cases"
    __table_args__ = (
        CheckConstraint("kind IN ('screening', 'structuring')", name="kind_known"),
        CheckConstraint("status IN ('open', 'cleared', 'confirmed')", name="status_known"),
        CheckConstraint("severity IN ('review', 'block')", name="severity_known"),
        CheckConstraint("(organisation_id IS NULL) <> (person_id IS NULL)", name="one_party"),
        CheckConstraint(
            "status = 'open' OR (officer IS NOT NULL AND reason IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_recorded"),
        CheckConstraint("kind <> 'screening' OR screening_record_id IS NOT NULL",
                        name="screening_has_record"),
        Index("ix_screening_cases_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    screening_record_id: Mapped[int | None] = mapped_column(ForeignKey("screening_records.id"))
    #: fingerprint of the party's names and country when the case was opened
    party_hash: Mapped[str | None] = mapped_column(CHAR(64))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    #: JSON: what opened the case beyond the hits (payment checks for structuring)
    detail: Mapped[str] = mapped_column(Text, default="{}")
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(200))
    officer: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    hits: Mapped[list["ScreeningCaseHit"]] = relationship(
        back_populates="case", order_by="ScreeningCaseHit.id")


class ScreeningCaseHit(Base):
    """One list entry a screening case is about, with the entry's content hash at the time.

    A cleared hit is remembered per (party, list, entry id, entry hash) and the party's
    fingerprint on the case: a new entry text or a renamed party opens it again.
    """

    __tablename__ = "screening_case_hits"
    __table_args__ = (Index("ix_screening_case_hits_entry", "list_name", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("screening_cases.id"), index=True)
    list_name: Mapped[str] = mapped_column(String(64))
    list_version: Mapped[str] = mapped_column(CHAR(64))
    entry_id: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(CHAR(64))
    score: Mapped[Decimal] = mapped_column(ExactDecimal())
    #: the hit as the matcher reported it (names, score parts), JSON
    hit: Mapped[str] = mapped_column(Text)

    case: Mapped[ScreeningCase] = relationship(back_populates="hits")
