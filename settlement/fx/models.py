"""Stored FX rates and per-deal rate locks."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CHAR, CheckConstraint, Date, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, ExactDecimal, UTCDateTime


class FxRate(Base):
    """One published rate: ``rate`` units of ``quote`` per one ``base`` on ``as_of``."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("base", "quote", "as_of", "source"),
        Index("ix_fx_rates_lookup", "base", "quote", "as_of"),
        CheckConstraint("base <> quote", name="two_currencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(CHAR(3))
    quote: Mapped[str] = mapped_column(CHAR(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    as_of: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FxRateLock(Base):
    """A rate fixed at a moment (a deal's lock), with the path and published rates it used.

    ``path`` is JSON text: ``[{"base", "quote", "rate", "as_of", "source", "inverted"}]``.
    """

    __tablename__ = "fx_rate_locks"
    __table_args__ = (CheckConstraint("from_ccy <> to_ccy", name="two_currencies"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_ccy: Mapped[str] = mapped_column(CHAR(3))
    to_ccy: Mapped[str] = mapped_column(CHAR(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    mid_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    spread_bps: Mapped[Decimal] = mapped_column(ExactDecimal())
    side: Mapped[str | None] = mapped_column(String(16))
    as_of: Mapped[dt.date] = mapped_column(Date)
    path: Mapped[str] = mapped_column(Text)
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    purpose: Mapped[str] = mapped_column(String(100))
