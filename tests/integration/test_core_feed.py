"""The core's event feed: strictly ordered, each event handled once across restarts."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from gateway.core import EventHandlers, pull_events
from gateway.core.embedded import EmbeddedCore
from gateway.core.feed import cursor_of
from kernel.audit import AuditEvent, record_event
from kernel.clock import SystemClock
from kernel.db import Database
from tests.support.core import run_cli


def _recording_handlers() -> EventHandlers:
    """Handlers whose effect is an audit event per core event, in the cursor's transaction."""
    handlers = EventHandlers()

    def record(session, event, now):  # noqa: ANN001, ANN202
        record_event(session, actor="system:core-feed", action=event.type, entity_type="core_event",
                     entity_id=event.seq, at=now, data={"origin": event.data.get("origin")})

    for kind in ("listing.withdrawn", "deal.struck"):
        handlers.on(kind)(record)
    return handlers


def _handled_seqs(db) -> list[int]:
    with db.session() as s:
        return [int(x) for x in s.execute(select(AuditEvent.entity_id).where(AuditEvent.entity_type == "core_event")
                                          .order_by(AuditEvent.seq)).scalars()]


def _domestic_activity(core: EmbeddedCore, n: int) -> list[int]:
    """n listings, each withdrawn domestically; returns the seqs of the withdrawals."""
    ids = [core.publish_listing({"n": i}, f"l{i}") for i in range(n)]
    for core_id in ids:
        core.withdraw_domestically(core_id, "sold at home")
    events, _ = core.events_since(0, 1000)
    return [e.seq for e in events if e.type == "listing.withdrawn"]


def test_each_event_is_handled_once_and_in_order_across_pulls(db, clock) -> None:
    core = EmbeddedCore(db, clock)
    handlers = _recording_handlers()
    first = _domestic_activity(core, 3)
    report = pull_events(db, core, handlers, now=clock.now(), page=2)
    assert (report.handled, report.skipped) == (3, 3)  # the publications have no handler
    assert _handled_seqs(db) == first
    assert pull_events(db, core, handlers, now=clock.now()).handled == 0
    deal = core.strike_domestic_deal(core.publish_listing({"n": 99}, "l99"), {"price": "n/a"})
    report = pull_events(db, core, handlers, now=clock.now())
    assert report.handled == 1 and _handled_seqs(db)[-1] == report.cursor
    assert cursor_of(db) == core.events_since(0, 1000)[1]
    assert deal


def test_a_failing_handler_stops_the_pull_and_its_event_is_retried(db, clock) -> None:
    core = EmbeddedCore(db, clock)
    seqs = _domestic_activity(core, 2)
    broken = EventHandlers()
    broken.on("listing.withdrawn")(lambda s, e, now: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        pull_events(db, core, broken, now=clock.now())
    assert cursor_of(db) == seqs[0] - 1
    pull_events(db, core, _recording_handlers(), now=clock.now())
    assert _handled_seqs(db) == seqs


@pytest.mark.parametrize("step", ["core.pull.before_commit", "core.pull.after_commit"])
def test_a_consumer_killed_mid_pull_handles_every_event_exactly_once_after_restart(fresh_db_url, step) -> None:
    db = Database(fresh_db_url)
    try:
        core = EmbeddedCore(db, SystemClock())
        seqs = _domestic_activity(core, 3)
        # the CLI has no handlers registered: it only moves the cursor, and dies on the first event
        crashed = run_cli(fresh_db_url, "core", "pull", fail_at=step)
        assert crashed.returncode == 137, crashed.stderr
        assert cursor_of(db) == (1 if step.endswith("after_commit") else 0)
        # a consumer with handlers carries on from the cursor
        pull_events(db, core, _recording_handlers(), now=SystemClock().now())
        assert _handled_seqs(db) == seqs
        again = run_cli(fresh_db_url, "core", "pull")
        assert again.returncode == 0 and "handled 0, passed over 0" in again.stdout, again.stdout + again.stderr
    finally:
        db.engine.dispose()


def test_concurrent_writers_never_let_a_reader_skip_an_event_on_postgresql(pg_db_url) -> None:
    """seq is handed out under the feed head's lock, so commit order is seq order: a reader
    polling while writers commit never sees N+1 before N."""
    db = Database(pg_db_url, pool_size=12)
    try:
        core = EmbeddedCore(db, SystemClock())
        stop = threading.Event()
        seen: list[int] = []

        def read() -> None:
            cursor = 0
            while not stop.is_set() or cursor < 80:
                events, cursor = core.events_since(cursor, 7)
                seen.extend(e.seq for e in events)

        def write(w: int) -> None:
            for i in range(20):
                core.publish_listing({"w": w, "i": i}, f"w{w}-{i}")

        reader = threading.Thread(target=read)
        writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        reader.start()
        for t in writers:
            t.start()
        for t in writers:
            t.join(60)
        stop.set()
        reader.join(60)
        assert seen == list(range(1, 81))
    finally:
        db.engine.dispose()


def test_two_consumers_of_one_name_share_the_work_without_repeating_it(pg_db_url) -> None:
    db = Database(pg_db_url, pool_size=10)
    try:
        core = EmbeddedCore(db, SystemClock())
        seqs = _domestic_activity(core, 15)
        handlers = _recording_handlers()
        barrier = threading.Barrier(2)

        def consume() -> None:
            barrier.wait()
            pull_events(db, core, handlers, now=SystemClock().now(), page=4)

        threads = [threading.Thread(target=consume) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(_handled_seqs(db)) == seqs
        assert _handled_seqs(db) == seqs  # and in order
    finally:
        db.engine.dispose()
