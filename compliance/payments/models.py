"""Tax filing records per contract, and the log of every payment compliance checked."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, ExactDecimal, UTCDateTime, currency_column, minor_column


class TaxFilingRecord(Base):
    """The tax filing record of an outbound payment contract; one covers all its payments."""

    __tablename__ = "tax_filing_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_ref: Mapped[str] = mapped_column(String(64), unique=True)
    filing_number: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(200))
    filed_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))


class PaymentCheckLog(Base):
    """One payment check and its decision; the structuring rule reads this log.

    ``usd_equivalent_minor`` and ``usd_rate`` are settlement's conversion, kept as given.
    """

    __tablename__ = "payment_check_log"
    __table_args__ = (
        CheckConstraint("decision IN ('release', 'hold')", name="decision_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("usd_equivalent_minor > 0", name="usd_positive"),
        CheckConstraint("(organisation_id IS NULL) <> (person_id IS NULL)", name="one_party"),
        Index("ix_payment_check_log_payee_on", "organisation_id", "person_id", "paid_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    contract_ref: Mapped[str] = mapped_column(String(64), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    amount_minor: Mapped[int] = minor_column()
    currency: Mapped[str] = currency_column()
    usd_equivalent_minor: Mapped[int] = minor_column()
    usd_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    kind: Mapped[str] = mapped_column(String(32))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(8))
    #: JSON list of {code, detail}
    reasons: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("screening_cases.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    #: what was paid for (``listing:42``), when settlement passed it
    subject: Mapped[str | None] = mapped_column(String(100))
