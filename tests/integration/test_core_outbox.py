"""The outbox: written with the change, delivered once, in order, whatever happens between."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from gateway.core import OutboxHandlers, dispatch, enqueue
from gateway.core.embedded import EmbeddedCore
from gateway.core.embedded_models import CoreListing
from gateway.core.http import HttpCore
from gateway.core.models import OutboxMessage
from kernel.audit import AuditEvent
from kernel.clock import SystemClock
from kernel.db import Database
from kernel.errors import InvalidInput
from kernel.parties import SubCentre
from tests.support.core import CountingCore, dead_url, run_cli

LISTING = {"title": "Solid-state battery separator", "price": {"amount": "90000.00", "currency": "EUR"}}


@pytest.fixture
def core(db, clock) -> CountingCore:
    return CountingCore(EmbeddedCore(db, clock))


def _count(db, model, *where) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _messages(db) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def _subcentre(code: str) -> SubCentre:
    return SubCentre(code=code, name_zh="荷兰分中心", name_en="Netherlands Sub-centre", country="NL",
                     home_currency="EUR", locale="nl_NL", timezone="Europe/Amsterdam", active=True)


def test_the_message_commits_with_the_change_and_rolls_back_with_it(db, clock) -> None:
    with pytest.raises(RuntimeError):
        with db.transaction() as s:
            s.add(_subcentre("NL"))
            enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=1, now=clock.now())
            raise RuntimeError("the service failed after enqueueing")
    assert _count(db, SubCentre, SubCentre.code == "NL") == 0
    assert _messages(db) == []
    with db.transaction() as s:
        s.add(_subcentre("NL"))
        enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=1, now=clock.now())
    assert _count(db, SubCentre, SubCentre.code == "NL") == 1
    assert [(m.kind, m.status, m.attempts) for m in _messages(db)] == [("publish_listing", "pending", 0)]


def test_enqueue_refuses_unknown_kinds_floats_and_withdrawals_without_a_reason(db, clock) -> None:
    with db.transaction() as s:
        with pytest.raises(ValueError):
            enqueue(s, "delete_everything", {}, aggregate_type="listing", aggregate_id=1, now=clock.now())
        with pytest.raises(InvalidInput):
            enqueue(s, "publish_listing", {"price": 9.99}, aggregate_type="listing", aggregate_id=1, now=clock.now())
        with pytest.raises(InvalidInput):
            enqueue(s, "withdraw_listing", {}, aggregate_type="listing", aggregate_id=1, now=clock.now())


def test_dispatch_delivers_and_hands_the_core_id_to_the_kinds_callback(db, clock, core) -> None:
    handlers = OutboxHandlers()
    stored: list[tuple[str, str | None]] = []

    @handlers.on_delivered("publish_listing")
    def _store(session, message, core_id):  # noqa: ANN001, ANN202
        assert session.get(OutboxMessage, message.id).status == "delivered"  # same transaction
        stored.append((message.aggregate_id, core_id))

    with db.transaction() as s:
        enqueue(s, "publish_listing", LISTING, "listing-42-publish", aggregate_type="listing",
                aggregate_id=42, now=clock.now())
    report = dispatch(db, core, clock.now(), handlers=handlers)
    assert (report.delivered, report.failed, report.deferred) == (1, 0, 0)
    [msg] = _messages(db)
    assert msg.status == "delivered" and msg.result == stored[0][1] and msg.delivered_at == clock.now()
    assert stored == [("42", msg.result)]
    assert core.inner.listing(msg.result)["payload"] == LISTING


def test_dispatching_twice_delivers_once(db, clock, core) -> None:
    with db.transaction() as s:
        enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=1, now=clock.now())
    assert dispatch(db, core, clock.now()).delivered == 1
    assert dispatch(db, core, clock.now() + dt.timedelta(hours=1)).delivered == 0
    assert sum(core.calls.values()) == 1
    assert _count(db, CoreListing) == 1


def test_updates_and_withdrawals_wait_for_the_publication_and_take_its_core_id(db, clock, core) -> None:
    now = clock.now()
    with db.transaction() as s:
        enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=7, now=now)
        enqueue(s, "update_listing", {**LISTING, "title": "v2"}, aggregate_type="listing", aggregate_id=7, now=now)
        enqueue(s, "withdraw_listing", {"reason": "licence refused"}, aggregate_type="listing",
                aggregate_id=7, now=now)
    down = HttpCore(dead_url(), "t", retries=0)
    report = dispatch(db, down, now)
    assert (report.delivered, report.deferred) == (0, 1) and report.stopped
    publish, update, withdraw = _messages(db)
    assert (publish.attempts, update.attempts, withdraw.attempts) == (1, 0, 0)
    assert publish.next_attempt_at == now + dt.timedelta(seconds=10) and publish.claimed_until is None
    assert "cannot reach the core" in publish.last_error
    # the publication is not due yet, so the update behind it must not overtake it
    assert dispatch(db, core, now).delivered == 0
    report = dispatch(db, core, now + dt.timedelta(seconds=10))
    assert report.delivered == 3
    publish, update, withdraw = _messages(db)
    assert update.core_ref == withdraw.core_ref == publish.result
    assert core.inner.listing(publish.result)["status"] == "withdrawn"
    assert core.inner.listing(publish.result)["version"] == 2


def test_backoff_grows_with_each_failed_attempt(db, clock) -> None:
    with db.transaction() as s:
        enqueue(s, "report_deal", {"price": {"amount": "1.00", "currency": "USD"}}, aggregate_type="deal",
                aggregate_id=1, now=clock.now())
    down = HttpCore(dead_url(), "t", retries=0)
    waits = []
    now = clock.now()
    for _ in range(4):
        dispatch(db, down, now)
        [msg] = _messages(db)
        waits.append((msg.next_attempt_at - now).total_seconds())
        now = msg.next_attempt_at
    assert waits == [10, 20, 40, 80]


def test_a_refused_message_is_failed_with_the_reason_and_audited(db, clock, core) -> None:
    core.inner.publish_listing({"title": "someone else's"}, "listing-9-publish")
    handlers = OutboxHandlers()
    refused: list[str] = []
    handlers.on_failed("publish_listing")(lambda s, m, err: refused.append(err.reason))
    with db.transaction() as s:
        enqueue(s, "publish_listing", LISTING, "listing-9-publish", aggregate_type="listing", aggregate_id=9,
                now=clock.now())
        enqueue(s, "update_listing", LISTING, aggregate_type="listing", aggregate_id=9, now=clock.now())
    report = dispatch(db, core, clock.now(), handlers=handlers)
    assert (report.delivered, report.failed) == (0, 2)
    publish, update = _messages(db)
    assert publish.status == "failed" and publish.last_error.startswith("idempotency_key_reused")
    assert update.status == "failed" and update.last_error.startswith("not_published")
    assert refused == ["idempotency_key_reused"]
    assert _count(db, AuditEvent, AuditEvent.action == "core.message_rejected") == 2


def test_a_failing_result_callback_leaves_the_message_to_be_delivered_again(db, clock, core) -> None:
    handlers = OutboxHandlers()
    handlers.on_delivered("publish_listing")(lambda s, m, r: 1 / 0)
    with db.transaction() as s:
        enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=1, now=clock.now())
    with pytest.raises(ZeroDivisionError):
        dispatch(db, core, clock.now(), handlers=handlers)
    [msg] = _messages(db)
    assert msg.status == "pending" and msg.claimed_until is not None
    later = clock.now() + dt.timedelta(minutes=6)  # the lease has run out
    assert dispatch(db, core, later, handlers=OutboxHandlers()).delivered == 1
    assert core.calls[("publish", msg.idempotency_key)] == 2
    assert _count(db, CoreListing) == 1


@pytest.mark.parametrize("step", ["core.dispatch.after_deliver", "core.dispatch.after_claim"])
def test_a_crash_around_delivery_delivers_again_and_the_core_keeps_one_listing(fresh_db_url, step) -> None:
    db = Database(fresh_db_url)
    try:
        now = SystemClock().now()
        with db.transaction() as s:
            enqueue(s, "publish_listing", LISTING, "listing-1-publish", aggregate_type="listing",
                    aggregate_id=1, now=now)
        crashed = run_cli(fresh_db_url, "core", "dispatch", fail_at=step)
        assert crashed.returncode == 137, crashed.stderr
        assert f"failure point {step!r}" in crashed.stderr
        [msg] = _messages(db)
        assert msg.status == "pending" and msg.attempts == 1
        assert _count(db, CoreListing) == (1 if step.endswith("after_deliver") else 0)
        core = CountingCore(EmbeddedCore(db, SystemClock()))
        report = dispatch(db, core, SystemClock().now() + dt.timedelta(minutes=6))
        assert report.delivered == 1
        [msg] = _messages(db)
        assert msg.status == "delivered" and msg.attempts == 2
        assert _count(db, CoreListing) == 1
        assert core.inner.listing(msg.result) is not None
        again = run_cli(fresh_db_url, "core", "dispatch")
        assert again.returncode == 0, again.stderr
        assert "delivered 0" in again.stdout and "1 delivered" in again.stdout
    finally:
        db.engine.dispose()


def test_two_dispatchers_on_postgresql_never_send_a_message_twice(pg_db_url) -> None:
    db = Database(pg_db_url, pool_size=10)
    try:
        now = SystemClock().now()
        with db.transaction() as s:
            for i in range(40):
                enqueue(s, "publish_listing", {**LISTING, "n": i}, f"listing-{i}-publish", aggregate_type="listing",
                        aggregate_id=i, now=now)
        core = CountingCore(EmbeddedCore(db, SystemClock()))
        barrier = threading.Barrier(3)
        delivered: list[int] = []

        def run() -> None:
            barrier.wait()
            delivered.append(dispatch(db, core, now).delivered)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sum(delivered) == 40
        assert set(core.calls.values()) == {1} and len(core.calls) == 40
        assert _count(db, CoreListing) == 40
    finally:
        db.engine.dispose()
