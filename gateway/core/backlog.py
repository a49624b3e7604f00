"""Operating the outbox: how far behind it is, sending again what did not get through, and
clearing out what was delivered long ago.

- ``outbox_backlog``: undelivered messages (pending and failed) and the age of the oldest, for
  ``/readyz`` and ``core status``;
- ``retry_messages``: failed messages (the core refused them) back to pending, due now; with
  ``include_deferred`` also pending messages waiting out a backoff. An update that a later
  update or withdrawal of the same listing has overtaken is not sent again (it would put stale
  content over newer), and is reported as skipped;
- ``prune_delivered``: delete delivered messages older than a cutoff, in batches, keeping every
  message of an aggregate that still has an undelivered one (a pending update may need the
  core id its delivered publication carries).

Each change writes an audit event in its own transaction.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from gateway.core.models import OutboxMessage
from gateway.core.outbox import ACTOR
from kernel.audit import record_event
from kernel.db import Database

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Backlog:
    """Messages not yet delivered to the core."""

    pending: int
    failed: int
    #: when the oldest undelivered message was written (None when there is none)
    oldest_at: dt.datetime | None
    oldest_age_seconds: int | None

    @property
    def undelivered(self) -> int:
        return self.pending + self.failed

    def too_old(self, max_age_seconds: int) -> bool:
        return self.oldest_age_seconds is not None and self.oldest_age_seconds > max_age_seconds


def outbox_backlog(session: Session, now: dt.datetime) -> Backlog:
    """Counts of pending and failed messages and the age of the oldest of them."""
    rows = session.execute(
        select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status.in_(("pending", "failed")))
        .group_by(OutboxMessage.status)).all()
    counts = {status: n for status, n, _ in rows}
    oldest = min((first for _, _, first in rows if first is not None), default=None)
    age = None if oldest is None else max(int((now - oldest).total_seconds()), 0)
    return Backlog(counts.get("pending", 0), counts.get("failed", 0), oldest, age)


@dataclass
class RetryReport:
    retried: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (id, why)

    def summary(self) -> str:
        return f"core retry: {len(self.retried)} due again, {len(self.skipped)} skipped"


def _overtaken(session: Session, m: OutboxMessage) -> bool:
    """A failed update of a listing that a later update or withdrawal has overtaken."""
    if m.kind != "update_listing":
        return False
    later = aliased(OutboxMessage)
    return session.execute(select(exists().where(
        later.aggregate_type == m.aggregate_type, later.aggregate_id == m.aggregate_id, later.id > m.id,
        later.kind.in_(("update_listing", "withdraw_listing")),
        later.status.in_(("pending", "delivered"))))).scalar_one()


def retry_messages(db: Database, now: dt.datetime, *, ids: Sequence[int] = (), kind: str | None = None,
                   include_deferred: bool = False, actor: str = ACTOR,
                   progress: Progress | None = None) -> RetryReport:
    """Make failed messages (and, with ``include_deferred``, backed-off pending ones) due now.

    ``ids`` narrows to those messages (an id that is delivered, or pending without
    ``include_deferred``, is reported as skipped); ``kind`` to one kind. Attempts start again
    from zero; the audit event keeps the previous count and error.
    """
    report = RetryReport()
    statuses = ("failed", "pending") if include_deferred else ("failed",)
    with db.session() as s:
        where = [OutboxMessage.status.in_(statuses)]
        if kind:
            where.append(OutboxMessage.kind == kind)
        if ids:
            where.append(OutboxMessage.id.in_(list(ids)))
        todo = list(s.execute(select(OutboxMessage.id).where(*where).order_by(OutboxMessage.id)).scalars())
    for missing in sorted(set(ids) - set(todo)):
        report.skipped.append((missing, f"not found or not {' / '.join(statuses)}"))
    for n, mid in enumerate(todo, 1):
        with db.transaction() as s:
            m = s.execute(select(OutboxMessage).where(OutboxMessage.id == mid).with_for_update()).scalar_one()
            if m.status not in statuses:  # changed meanwhile (a dispatcher delivered it)
                report.skipped.append((mid, f"now {m.status}"))
                continue
            if _overtaken(s, m):
                report.skipped.append((mid, "overtaken by a later update or withdrawal of the listing"))
                continue
            before = {"status": m.status, "attempts": m.attempts, "next_attempt_at": m.next_attempt_at,
                      "last_error": m.last_error}
            m.status, m.attempts, m.next_attempt_at, m.claimed_until = "pending", 0, now, None
            record_event(s, actor=actor, action="core.message_retried", entity_type="core_outbox",
                         entity_id=m.id, at=now, before=before,
                         data={"kind": m.kind, "aggregate_type": m.aggregate_type, "aggregate_id": m.aggregate_id})
            report.retried.append(mid)
        if progress:
            progress(f"{n}/{len(todo)} message {mid}: "
                     + ("due again" if report.retried[-1:] == [mid] else f"skipped ({report.skipped[-1][1]})"))
    return report


@dataclass
class PruneReport:
    deleted: int = 0
    batches: int = 0
    cutoff: dt.datetime | None = None

    def summary(self) -> str:
        return (f"core prune: deleted {self.deleted} delivered messages older than "
                f"{self.cutoff.isoformat() if self.cutoff else '?'} in {self.batches} batches")


def _prunable(cutoff: dt.datetime) -> list[ColumnElement[bool]]:
    undelivered = aliased(OutboxMessage)
    return [OutboxMessage.status == "delivered", OutboxMessage.delivered_at < cutoff,
            ~exists().where(and_(undelivered.aggregate_type == OutboxMessage.aggregate_type,
                                 undelivered.aggregate_id == OutboxMessage.aggregate_id,
                                 undelivered.status != "delivered"))]


def prune_delivered(db: Database, now: dt.datetime, older_than_days: int, *, batch: int = 1000,
                    actor: str = ACTOR, progress: Progress | None = None) -> PruneReport:
    """Delete delivered messages delivered more than ``older_than_days`` ago, ``batch`` per
    transaction (each with an audit event naming the id range)."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = now - dt.timedelta(days=older_than_days)
    report = PruneReport(cutoff=cutoff)
    with db.session() as s:
        total = s.execute(select(func.count()).select_from(OutboxMessage).where(*_prunable(cutoff))).scalar_one()
    while True:
        with db.transaction() as s:
            ids = list(s.execute(select(OutboxMessage.id).where(*_prunable(cutoff))
                                 .order_by(OutboxMessage.id).limit(batch)).scalars())
            if not ids:
                break
            s.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
            record_event(s, actor=actor, action="core.outbox_pruned", entity_type="core_outbox",
                         entity_id=f"{ids[0]}-{ids[-1]}", at=now,
                         data={"deleted": len(ids), "first_id": ids[0], "last_id": ids[-1],
                               "delivered_before": cutoff})
        report.deleted += len(ids)
        report.batches += 1
        if progress:
            progress(f"deleted {report.deleted}/{total}")
    return report
