"""Consuming the core's event feed exactly once.

Each event is handled in a transaction that also moves the consumer's cursor past it, so the
handler's effects and "this event is done" commit together: a crash before the commit means
the event is handled again from scratch, a crash after it means it is never handled again.
Concurrent consumers of the same name serialise on the cursor row and skip what the other did.

Events with no registered handler are passed over (the cursor still moves). A handler that
raises stops the pull at that event, which is retried on the next pull: events are applied in
order or not at all.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.core.models import CoreFeedCursor
from gateway.core.port import CoreEvent, CorePort
from kernel.db import Database
from kernel.faults import failure_point

log = logging.getLogger("gateway.core.feed")

DEFAULT_CONSUMER = "gateway"
EventHandler = Callable[[Session, CoreEvent, dt.datetime], None]


class EventHandlers:
    """Handlers by event type (``listing.withdrawn``, ``deal.struck``...)."""

    def __init__(self) -> None:
        self._by_type: dict[str, list[EventHandler]] = {}

    def on(self, event_type: str) -> Callable[[EventHandler], EventHandler]:
        """Register ``fn(session, event, now)``; it runs in the transaction that moves the cursor."""

        def add(fn: EventHandler) -> EventHandler:
            self._by_type.setdefault(event_type, []).append(fn)
            return fn

        return add

    def handle(self, session: Session, event: CoreEvent, now: dt.datetime) -> bool:
        fns = self._by_type.get(event.type, ())
        for fn in fns:
            fn(session, event, now)
        return bool(fns)


#: the registry the application's services add to
event_handlers = EventHandlers()


@dataclass
class PullReport:
    handled: int = 0
    skipped: int = 0  # no handler for the type
    cursor: int = 0
    seen_by_other: int = 0  # another consumer got there first
    log: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"core pull: handled {self.handled}, passed over {self.skipped}, "
                f"cursor at {self.cursor}")


def cursor_of(db: Database, consumer: str = DEFAULT_CONSUMER) -> int:
    with db.session() as s:
        row = s.get(CoreFeedCursor, consumer)
        return row.last_seq if row else 0


def _locked_cursor(s: Session, consumer: str, now: dt.datetime) -> CoreFeedCursor:
    row = s.execute(select(CoreFeedCursor).where(CoreFeedCursor.consumer == consumer)
                    .with_for_update()).scalar_one_or_none()
    if row is None:
        row = CoreFeedCursor(consumer=consumer, last_seq=0, updated_at=now)
        s.add(row)
        s.flush()
    return row


def _ensure_cursor(db: Database, consumer: str, now: dt.datetime) -> None:
    try:
        with db.transaction() as s:
            _locked_cursor(s, consumer, now)
    except IntegrityError:
        pass  # another consumer created it first


def pull_events(db: Database, core: CorePort, handlers: EventHandlers | None = None, *, now: dt.datetime,
                consumer: str = DEFAULT_CONSUMER, page: int = 100, max_events: int | None = None,
                progress: Callable[[str], None] | None = None) -> PullReport:
    """Fetch and handle events after the consumer's cursor until the feed is drained (or
    ``max_events`` were handled). Raises ``CoreUnavailable`` if the core cannot be read."""
    handlers = handlers or event_handlers
    _ensure_cursor(db, consumer, now)
    report = PullReport(cursor=cursor_of(db, consumer))
    done = 0
    while max_events is None or done < max_events:
        want = page if max_events is None else min(page, max_events - done)
        events, _next = core.events_since(report.cursor, want)
        if not events:
            break
        for event in events:
            if event.seq <= report.cursor:
                continue  # a core that repeats itself
            with db.transaction() as s:
                cursor = _locked_cursor(s, consumer, now)
                if cursor.last_seq != report.cursor:
                    # another consumer moved the cursor since we read the page: it may have
                    # handled this event, or be about to handle an earlier one; read again
                    report.seen_by_other += 1
                    report.cursor = cursor.last_seq
                    break
                handled = handlers.handle(s, event, now)
                failure_point("core.pull.before_commit")
                cursor.last_seq, cursor.updated_at = event.seq, now
            failure_point("core.pull.after_commit")
            report.cursor = event.seq
            if handled:
                report.handled += 1
            else:
                report.skipped += 1
            done += 1
            if progress:
                progress(f"event {event.seq} {event.type}: {'handled' if handled else 'no handler'}")
            if max_events is not None and done >= max_events:
                break
    return report
