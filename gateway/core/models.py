"""The gateway's side of the core conversation: the outbox and the feed cursor."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, UTCDateTime

OUTBOX_KINDS = ("publish_listing", "update_listing", "withdraw_listing", "report_deal")
OUTBOX_STATUSES = ("pending", "delivered", "failed")


class OutboxMessage(Base):
    """A message to the core, written in the same transaction as the change it announces.

    ``pending`` messages are due at ``next_attempt_at``; a dispatcher that takes one holds it
    until ``claimed_until`` (a lease, so a dispatcher that dies lets go of it by itself).
    ``core_ref`` is the core's id of the aggregate for updates and withdrawals; when it is not
    known at enqueue time it is taken from the aggregate's delivered ``publish_listing``.
    """

    __tablename__ = "core_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
        CheckConstraint("kind IN ('publish_listing', 'update_listing', 'withdraw_listing', 'report_deal')",
                        name="kind_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status <> 'delivered' OR delivered_at IS NOT NULL", name="delivered_has_time"),
        Index("ix_core_outbox_due", "status", "next_attempt_at"),
        Index("ix_core_outbox_aggregate", "aggregate_type", "aggregate_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    aggregate_type: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    core_ref: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str | None] = mapped_column(String(40))  # core_id / core_deal_id
    last_error: Mapped[str | None] = mapped_column(Text)


class CoreFeedCursor(Base):
    """How far a consumer has processed the core's event feed (updated with the effects)."""

    __tablename__ = "core_feed_cursors"
    __table_args__ = (CheckConstraint("last_seq >= 0", name="last_seq_not_negative"),)

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
