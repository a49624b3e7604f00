"""Tables of the embedded core: the exchange's own records when no external core is configured.

They stand in for another system, so nothing in the gateway reads them except the embedded
adapter (and tests). Idempotency keys live on the rows themselves, unique and kept for good:
the core is the system of record, and an outbox message that waits out a long outage must
still find its first delivery (a 24-hour idempotency record could have been purged by then).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CHAR, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class CoreListing(Base):
    __tablename__ = "core_listings"
    __table_args__ = (
        CheckConstraint("status IN ('published', 'withdrawn')", name="status_known"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    core_id: Mapped[str] = mapped_column(String(40), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str] = mapped_column(CHAR(64))  # of the publishing request, for replays
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(CHAR(64))  # of the current payload
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))  # gateway | domestic
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CoreDeal(Base):
    __tablename__ = "core_deals"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    core_deal_id: Mapped[str] = mapped_column(String(40), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str] = mapped_column(CHAR(64))
    listing_core_id: Mapped[str | None] = mapped_column(String(40), index=True)
    payload: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))  # gateway | domestic
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CoreEventRecord(Base):
    """The feed. ``seq`` is assigned under the lock on ``core_feed_head``, so it increases in
    commit order: a reader that has seen seq N never later finds a committed N-1."""

    __tablename__ = "core_events"
    __table_args__ = (CheckConstraint("seq > 0", name="seq_positive"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CoreFeedHead(Base):
    """The last seq handed out: one row, locked by every append (as the audit chain head)."""

    __tablename__ = "core_feed_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
