"""Transactional outbox: changes to the core leave with the transaction that made them.

How listings and deals use it::

    # in the service, inside the caller's transaction, beside the state change
    enqueue(session, "publish_listing", payload, aggregate_type="listing",
            aggregate_id=listing.id, now=now, idempotency_key=f"listing-{listing.id}-publish")
    enqueue(session, "update_listing", payload, aggregate_type="listing", aggregate_id=listing.id, now=now)
    enqueue(session, "withdraw_listing", {"reason": reason}, aggregate_type="listing",
            aggregate_id=listing.id, now=now)
    enqueue(session, "report_deal", terms, aggregate_type="deal", aggregate_id=deal.id, now=now)

    # once, at import of the listings service: store the core's id when it is known
    @outbox_handlers.on_delivered("publish_listing")
    def _store_core_id(session, message, core_id): session.get(Listing, int(message.aggregate_id)).core_id = core_id

Delivery (``dispatch``) takes one due message at a time under a short lease, calls the core
outside any database transaction (the embedded core may share a SQLite file, whose writer lock
we must not hold across the call), and marks the result in a transaction of its own, where the
per-kind handlers run. A crash between the call and the mark leaves the message pending; once
its lease has run out it is delivered again, and the core's idempotency makes that harmless.

Messages of one aggregate are delivered in id order: a message waits while an earlier one of
its aggregate is still pending. A message may also depend on another aggregate (a deal on its
listing's publication): a ``before_delivery`` handler completes its payload just before it
leaves, or raises ``NotReady`` to wait (the message backs off and is tried again)::

    @outbox_handlers.before_delivery("report_deal")
    def _listing_core_id(session, message):  # -> the payload to deliver
        ...
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from gateway.core.embedded import canonical_payload
from gateway.core.errors import CoreRejected, CoreUnavailable
from gateway.core.models import OUTBOX_KINDS, OutboxMessage
from gateway.core.port import CorePort
from kernel.audit import record_event
from kernel.db import Database
from kernel.errors import InvalidInput
from kernel.faults import failure_point

log = logging.getLogger("gateway.core.outbox")

ACTOR = "system:core-outbox"
SESSION_FLAG = "core_outbox_enqueued"
DEFAULT_LEASE = dt.timedelta(minutes=5)
BACKOFF_BASE = dt.timedelta(seconds=10)
BACKOFF_MAX = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Message:
    """A message as the handlers see it: plain values."""

    id: int
    kind: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    core_ref: str | None


DeliveredHandler = Callable[[Session, Message, "str | None"], None]
FailedHandler = Callable[[Session, Message, CoreRejected], None]
PrepareHandler = Callable[[Session, Message], "dict[str, Any]"]


class NotReady(Exception):
    """Raised by a ``before_delivery`` handler: the message cannot leave yet (what it refers to
    has not reached the core); it is deferred with backoff, the dispatch goes on."""


class OutboxHandlers:
    """Per-kind callbacks, run in the transaction that marks a message delivered or failed."""

    def __init__(self) -> None:
        self._delivered: dict[str, list[DeliveredHandler]] = {}
        self._failed: dict[str, list[FailedHandler]] = {}
        self._prepare: dict[str, list[PrepareHandler]] = {}

    def before_delivery(self, kind: str) -> Callable[[PrepareHandler], PrepareHandler]:
        """Register ``fn(session, message) -> payload``, run just before the message is sent
        (in a transaction of its own): it returns the payload to deliver (stored, so every
        re-delivery sends the same), raises ``NotReady`` to wait or ``CoreRejected`` to fail it."""
        _check_kind(kind)

        def add(fn: PrepareHandler) -> PrepareHandler:
            self._prepare.setdefault(kind, []).append(fn)
            return fn

        return add

    def on_delivered(self, kind: str) -> Callable[[DeliveredHandler], DeliveredHandler]:
        """Register ``fn(session, message, result)``; ``result`` is the core_id or core_deal_id
        (None for updates and withdrawals)."""
        _check_kind(kind)

        def add(fn: DeliveredHandler) -> DeliveredHandler:
            self._delivered.setdefault(kind, []).append(fn)
            return fn

        return add

    def on_failed(self, kind: str) -> Callable[[FailedHandler], FailedHandler]:
        """Register ``fn(session, message, error)`` for messages the core refused."""
        _check_kind(kind)

        def add(fn: FailedHandler) -> FailedHandler:
            self._failed.setdefault(kind, []).append(fn)
            return fn

        return add

    def delivered(self, session: Session, message: Message, result: str | None) -> None:
        for fn in self._delivered.get(message.kind, ()):
            fn(session, message, result)

    def failed(self, session: Session, message: Message, error: CoreRejected) -> None:
        for fn in self._failed.get(message.kind, ()):
            fn(session, message, error)

    def prepares(self, kind: str) -> bool:
        return bool(self._prepare.get(kind))

    def prepare(self, session: Session, message: Message) -> dict[str, Any]:
        for fn in self._prepare.get(message.kind, ()):
            message = dataclasses.replace(message, payload=fn(session, message))
        return message.payload


#: the registry the application's services add to (tests may pass their own to ``dispatch``)
outbox_handlers = OutboxHandlers()


def _check_kind(kind: str) -> None:
    if kind not in OUTBOX_KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}; one of {', '.join(OUTBOX_KINDS)}")


def enqueue(session: Session, kind: str, payload: dict[str, Any], idempotency_key: str | None = None, *,
            aggregate_type: str, aggregate_id: object, now: dt.datetime,
            core_id: str | None = None) -> OutboxMessage:
    """Write a message to the core in the caller's transaction (it commits or rolls back with
    the change it announces).

    ``idempotency_key`` identifies the operation at the core for publishes and deal reports; a
    random one is made when not given (it is stored, so every re-delivery uses the same key).
    ``core_id`` targets updates and withdrawals; leave it out when the listing's publication may
    still be on its way, and the dispatcher takes it from the delivered publish message.
    """
    _check_kind(kind)
    if kind == "withdraw_listing" and not isinstance(payload.get("reason"), str):
        raise InvalidInput("a withdrawal needs a reason", field="reason")
    try:
        text, _digest = canonical_payload(payload)
    except CoreRejected as exc:
        raise InvalidInput(exc.detail) from None
    msg = OutboxMessage(
        kind=kind, aggregate_type=aggregate_type, aggregate_id=str(aggregate_id),
        idempotency_key=idempotency_key or f"{kind}:{aggregate_type}:{aggregate_id}:{uuid.uuid4().hex}",
        payload=text, core_ref=core_id, status="pending", attempts=0, next_attempt_at=now,
        created_at=now,
    )
    session.add(msg)
    session.flush()
    session.info[SESSION_FLAG] = True  # the after-commit hook kicks a dispatch
    return msg


@dataclass
class DispatchReport:
    delivered: int = 0
    failed: int = 0
    deferred: int = 0
    stopped: str | None = None  # why the run ended early (the core is unavailable)
    results: list[tuple[int, str, str]] = field(default_factory=list)  # (id, kind, outcome)

    def summary(self) -> str:
        line = f"core dispatch: delivered {self.delivered}, failed {self.failed}, deferred {self.deferred}"
        return line + (f"; stopped: {self.stopped}" if self.stopped else "")


def backoff(attempts: int) -> dt.timedelta:
    """10 s, 20 s, 40 s... capped at one hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _message(m: OutboxMessage) -> Message:
    return Message(m.id, m.kind, m.aggregate_type, m.aggregate_id, json.loads(m.payload),
                   m.idempotency_key, m.attempts, m.core_ref)


def _claim_next(db: Database, now: dt.datetime, lease: dt.timedelta) -> tuple[Message, dt.datetime] | None:
    """Take the next due message whose aggregate has no earlier pending message, under a lease.

    ``SKIP LOCKED`` lets two dispatchers on PostgreSQL pass each other by; SQLite's writer lock
    (taken at BEGIN) serialises them. The lease is committed at once, so the other dispatcher
    no longer sees the message as due.
    """
    earlier = aliased(OutboxMessage)
    blocked = exists().where(and_(
        earlier.aggregate_type == OutboxMessage.aggregate_type,
        earlier.aggregate_id == OutboxMessage.aggregate_id,
        earlier.id < OutboxMessage.id,
        earlier.status == "pending",
    ))
    with db.transaction() as s:
        msg = s.execute(
            select(OutboxMessage).where(
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
                ~blocked,
            ).order_by(OutboxMessage.id).limit(1).with_for_update(skip_locked=True, of=OutboxMessage)
        ).scalar_one_or_none()
        if msg is None:
            return None
        until = now + lease
        msg.claimed_until = until
        msg.attempts += 1
        if msg.core_ref is None and msg.kind in ("update_listing", "withdraw_listing"):
            msg.core_ref = s.execute(
                select(OutboxMessage.result).where(
                    OutboxMessage.aggregate_type == msg.aggregate_type,
                    OutboxMessage.aggregate_id == msg.aggregate_id,
                    OutboxMessage.kind == "publish_listing", OutboxMessage.status == "delivered",
                ).order_by(OutboxMessage.id.desc()).limit(1)
            ).scalar_one_or_none()
        return _message(msg), until


def _deliver(core: CorePort, m: Message) -> str | None:
    if m.kind == "publish_listing":
        return core.publish_listing(m.payload, m.idempotency_key)
    if m.kind == "report_deal":
        return core.report_deal(m.payload, m.idempotency_key)
    if m.core_ref is None:
        raise CoreRejected(f"{m.aggregate_type} {m.aggregate_id} has no core id: it was never published "
                           "to the core (or its publication was refused)", reason="not_published")
    if m.kind == "update_listing":
        core.update_listing(m.core_ref, m.payload)
    else:
        core.withdraw_listing(m.core_ref, m.payload["reason"])
    return None


def _prepare(db: Database, m: Message, until: dt.datetime, handlers: OutboxHandlers) -> Message:
    """Run the kind's ``before_delivery`` handlers and store the payload they complete."""
    if not handlers.prepares(m.kind):
        return m
    with db.transaction() as s:
        payload = handlers.prepare(s, m)
        if payload != m.payload:
            text, _digest = canonical_payload(payload)  # CoreRejected: the message fails
            row = _ours(s, m, until)
            if row is not None:
                row.payload = text
    return dataclasses.replace(m, payload=payload)


def _ours(s: Session, m: Message, until: dt.datetime) -> OutboxMessage | None:
    """The message row, if our lease on it still stands (another dispatcher may have taken it
    over after the lease ran out and already marked it)."""
    row = s.execute(select(OutboxMessage).where(OutboxMessage.id == m.id).with_for_update()).scalar_one()
    if row.status != "pending" or row.claimed_until != until:
        return None
    return row


def dispatch(db: Database, core: CorePort, now: dt.datetime, batch: int = 100, *,
             handlers: OutboxHandlers | None = None, lease: dt.timedelta = DEFAULT_LEASE,
             progress: Callable[[str], None] | None = None) -> DispatchReport:
    """Deliver up to ``batch`` due messages in id order; stop early when the core is unavailable."""
    handlers = handlers or outbox_handlers
    report = DispatchReport()
    for _ in range(batch):
        claimed = _claim_next(db, now, lease)
        if claimed is None:
            break
        m, until = claimed
        failure_point("core.dispatch.after_claim")
        try:
            m = _prepare(db, m, until, handlers)
            result = _deliver(core, m)
        except NotReady as exc:
            _defer(db, m, until, f"not ready: {exc}", now)
            report.deferred += 1
            report.results.append((m.id, m.kind, f"waiting: {exc}"))
        except CoreRejected as exc:
            _mark_failed(db, m, until, exc, now, handlers)
            report.failed += 1
            report.results.append((m.id, m.kind, f"failed: {exc.detail}"))
        except CoreUnavailable as exc:
            _defer(db, m, until, str(exc), now)
            report.deferred += 1
            report.results.append((m.id, m.kind, f"deferred: {exc.detail}"))
            report.stopped = f"the core is unavailable ({exc.detail})"
        except Exception as exc:
            _defer(db, m, until, f"{type(exc).__name__}: {exc}", now)
            raise
        else:
            failure_point("core.dispatch.after_deliver")
            _mark_delivered(db, m, until, result, now, handlers)
            report.delivered += 1
            report.results.append((m.id, m.kind, f"delivered{f' as {result}' if result else ''}"))
        if progress:
            progress(f"message {m.id} {m.kind} {m.aggregate_type}:{m.aggregate_id}: {report.results[-1][2]}")
        if report.stopped:
            break
    return report


def _mark_delivered(db: Database, m: Message, until: dt.datetime, result: str | None, now: dt.datetime,
                    handlers: OutboxHandlers) -> None:
    with db.transaction() as s:
        row = _ours(s, m, until)
        if row is None:
            log.warning("outbox message %s was taken over before it was marked; leaving it", m.id)
            return
        row.status, row.result, row.delivered_at = "delivered", result, now
        row.claimed_until, row.last_error = None, None
        handlers.delivered(s, _message(row), result)


def _mark_failed(db: Database, m: Message, until: dt.datetime, exc: CoreRejected, now: dt.datetime,
                 handlers: OutboxHandlers) -> None:
    with db.transaction() as s:
        row = _ours(s, m, until)
        if row is None:
            return
        row.status, row.claimed_until = "failed", None
        row.last_error = f"{exc.reason}: {exc.detail}"
        record_event(s, actor=ACTOR, action="core.message_rejected", entity_type="core_outbox",
                     entity_id=row.id, at=now,
                     data={"kind": row.kind, "aggregate_type": row.aggregate_type,
                           "aggregate_id": row.aggregate_id, "reason": exc.reason, "detail": exc.detail})
        handlers.failed(s, _message(row), exc)


def _defer(db: Database, m: Message, until: dt.datetime, error: str, now: dt.datetime) -> None:
    with db.transaction() as s:
        row = _ours(s, m, until)
        if row is None:
            return
        row.claimed_until = None
        row.next_attempt_at = now + backoff(row.attempts)
        row.last_error = error[:2000]


def pending(session: Session, aggregate_type: str, aggregate_id: object, kind: str) -> bool:
    """Whether a message of ``kind`` about the aggregate is still waiting to be delivered."""
    return session.execute(select(OutboxMessage.id).where(
        OutboxMessage.aggregate_type == aggregate_type,
        OutboxMessage.aggregate_id == str(aggregate_id),
        OutboxMessage.kind == kind, OutboxMessage.status == "pending").limit(1)).first() is not None


def outbox_counts(db: Database) -> dict[str, int]:
    """How many messages are in each state (for ``core status`` and probes)."""
    with db.session() as s:
        rows = s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}
