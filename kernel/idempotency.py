"""Idempotency records: a retried request with the same key does not act twice.

Following the IETF Idempotency-Key draft (DECISIONS.md): keys are scoped to the caller and the
route and kept ``ttl`` (24 h by default); the same key with another body is refused; a second
request while the first still runs gets a conflict; a replay gets the stored first response.

The key is *claimed* in a short transaction of its own before the work starts, so a concurrent
duplicate sees it at once. The response is stored in the same transaction as the work, so the
work and its record commit together. A claim whose work never committed (the process died) is
taken over once it is older than ``stale_after``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, CHAR, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.db import Base, Database, UTCDateTime


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "route", "key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(CHAR(64))
    state: Mapped[str] = mapped_column(String(16))  # in_progress | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(frozen=True)
class Claim:
    """Outcome of claiming a key: ``new`` (go ahead), ``replay``, ``mismatch`` or ``busy``."""

    outcome: str
    record_id: int
    status: int | None = None
    body: str | None = None
    location: str | None = None


def claim_key(db: Database, *, scope: str, route: str, key: str, request_hash: str,
              now: dt.datetime, ttl: dt.timedelta, stale_after: dt.timedelta) -> Claim:
    """Claim ``key`` for this request, or say why the request must not run."""
    for _ in range(3):
        with db.transaction() as s:
            rec = s.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.route == route,
                    IdempotencyRecord.key == key,
                ).with_for_update()
            ).scalar_one_or_none()
            if rec is not None and rec.expires_at <= now:
                s.delete(rec)
                s.flush()
                rec = None
            if rec is None:
                rec = IdempotencyRecord(scope=scope, route=route, key=key, request_hash=request_hash,
                                        state="in_progress", created_at=now, expires_at=now + ttl)
                s.add(rec)
                try:
                    s.flush()
                except IntegrityError:
                    s.rollback()
                    continue  # someone claimed it between our read and insert: look again
                return Claim("new", rec.id)
            if rec.request_hash != request_hash:
                return Claim("mismatch", rec.id)
            if rec.state == "done":
                return Claim("replay", rec.id, rec.response_status, rec.response_body,
                             rec.response_location)
            if now - rec.created_at < stale_after:
                return Claim("busy", rec.id)
            rec.created_at = now  # the first attempt died before committing: take it over
            return Claim("new", rec.id)
    return Claim("busy", 0)


def store_response(session: Session, record_id: int, *, status: int, body: str,
                   location: str | None) -> None:
    """Record the response in the work's own transaction."""
    rec = session.get(IdempotencyRecord, record_id)
    if rec is None:  # expired and purged while we worked; the work itself still stands
        return
    rec.state = "done"
    rec.response_status = status
    rec.response_body = body
    rec.response_location = location


def release_key(db: Database, record_id: int) -> None:
    """Forget a claim whose request failed, so that a retry may run."""
    with db.transaction() as s:
        s.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record_id, IdempotencyRecord.state == "in_progress"))


def purge_expired(session: Session, now: dt.datetime) -> int:
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now))
    return result.rowcount or 0
