"""Operating the outbox: the backlog in /readyz and `core status`, `core retry` for what the core
refused, `core prune` for what was delivered long ago (both databases)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.core import OutboxHandlers, dispatch, enqueue
from gateway.core.backlog import outbox_backlog, prune_delivered
from gateway.core.embedded import EmbeddedCore
from gateway.core.http import HttpCore
from gateway.core.models import OutboxMessage
from kernel.audit import AuditEvent, verify_chain
from tests.support.core import CountingCore, dead_url

LISTING = {"title": "Perovskite tandem cell encapsulation", "price": {"amount": "120000.00", "currency": "EUR"}}


@pytest.fixture
def core(db, clock) -> CountingCore:
    return CountingCore(EmbeddedCore(db, clock))


def _deliver(db, core, now) -> None:
    dispatch(db, core, now, handlers=OutboxHandlers())


def _messages(db) -> dict[int, OutboxMessage]:
    with db.session() as s:
        return {m.id: m for m in s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()}


def _enqueue(db, now, kind, aggregate_id, payload=None, **kw) -> int:
    with db.transaction() as s:
        return enqueue(s, kind, payload or LISTING, aggregate_type="listing", aggregate_id=aggregate_id,
                       now=now, **kw).id


def _actions(db, action) -> list[AuditEvent]:
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_readyz_reports_the_backlog_and_is_degraded_once_the_oldest_is_too_old(app, client, db, clock, core) -> None:
    assert client.get("/readyz").get_json()["outbox"] == {
        "pending": 0, "failed": 0, "oldest_undelivered_at": None, "oldest_age_seconds": None,
        "max_age_seconds": 900}
    written = clock.now()
    _enqueue(db, written, "publish_listing", 1)
    clock.advance(seconds=900)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    assert ready.get_json()["outbox"]["pending"] == 1
    assert ready.get_json()["outbox"]["oldest_age_seconds"] == 900
    clock.advance(seconds=1)
    degraded = client.get("/readyz")
    # still 200: the gateway serves on while the core is behind, the outbox holds the messages
    assert degraded.status_code == 200 and degraded.get_json()["status"] == "degraded"
    assert degraded.get_json()["outbox"]["oldest_undelivered_at"] == written.isoformat()
    _deliver(db, core, clock.now())
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["outbox"]["pending"] == 0


def test_a_failed_message_counts_in_the_backlog_and_status_names_the_oldest(app, db, clock, core) -> None:
    _enqueue(db, clock.now(), "update_listing", 5)  # never published: the core refuses it
    _deliver(db, core, clock.now())
    clock.advance(hours=1)
    with db.session() as s:
        backlog = outbox_backlog(s, clock.now())
    assert (backlog.pending, backlog.failed, backlog.oldest_age_seconds) == (0, 1, 3600)
    assert backlog.too_old(900)
    out = app.test_cli_runner().invoke(args=["core", "status"])
    assert out.exit_code == 0, out.output
    assert "outbox: pending 0, delivered 0, failed 1" in out.output
    assert "(3600 s old, over the 900 s limit)" in out.output


def test_retry_sends_a_refused_message_again_once_the_cause_is_fixed(app, db, clock, core) -> None:
    update = _enqueue(db, clock.now(), "update_listing", 7, {**LISTING, "title": "v2"})
    _deliver(db, core, clock.now())
    assert _messages(db)[update].status == "failed"
    _enqueue(db, clock.now(), "publish_listing", 7)
    _deliver(db, core, clock.now())
    out = app.test_cli_runner().invoke(args=["core", "retry"])
    assert out.exit_code == 0, out.output
    assert f"1/1 message {update}: due again" in out.output
    assert "core retry: 1 due again, 0 skipped" in out.output
    retried = _messages(db)[update]
    assert (retried.status, retried.attempts, retried.next_attempt_at) == ("pending", 0, clock.now())
    [event] = _actions(db, "core.message_retried")
    assert event.entity_id == str(update) and event.actor == "system:cli"
    _deliver(db, core, clock.now())
    messages = _messages(db)
    assert messages[update].status == "delivered"
    publish = next(m for m in messages.values() if m.kind == "publish_listing")
    assert core.inner.listing(publish.result)["version"] == 2
    assert core.calls[("update", publish.result)] == 1
    # nothing failed is left, so a second retry does nothing
    assert "core retry: 0 due again, 0 skipped" in app.test_cli_runner().invoke(args=["core", "retry"]).output


def test_retry_leaves_an_update_a_later_one_has_overtaken(app, db, clock, core) -> None:
    stale = _enqueue(db, clock.now(), "update_listing", 8, {**LISTING, "title": "stale"})
    _deliver(db, core, clock.now())
    _enqueue(db, clock.now(), "publish_listing", 8)
    _enqueue(db, clock.now(), "update_listing", 8, {**LISTING, "title": "newest"})
    _deliver(db, core, clock.now())
    out = app.test_cli_runner().invoke(args=["core", "retry", "--id", str(stale)])
    assert f"skipped message {stale}: overtaken by a later update" in out.output
    assert _messages(db)[stale].status == "failed"
    assert _actions(db, "core.message_retried") == []


def test_retry_with_include_deferred_makes_backed_off_messages_due_now(app, db, clock, core) -> None:
    deal = _enqueue(db, clock.now(), "report_deal", 3, {"price": {"amount": "1.00", "currency": "USD"}})
    for _ in range(3):  # the core is down: 10 s, 20 s, 40 s of backoff
        dispatch(db, HttpCore(dead_url(), "t", retries=0), _messages(db)[deal].next_attempt_at,
                 handlers=OutboxHandlers())
    assert _messages(db)[deal].next_attempt_at > clock.now()
    runner = app.test_cli_runner()
    assert "core retry: 0 due again" in runner.invoke(args=["core", "retry", "--kind", "report_deal"]).output
    out = runner.invoke(args=["core", "retry", "--include-deferred", "--id", str(deal), "--id", "999999"])
    assert "skipped message 999999: not found or not failed / pending" in out.output
    assert "core retry: 1 due again, 1 skipped" in out.output
    assert (_messages(db)[deal].next_attempt_at, _messages(db)[deal].attempts) == (clock.now(), 0)
    _deliver(db, core, clock.now())
    assert _messages(db)[deal].status == "delivered"


def test_prune_deletes_old_delivered_messages_in_batches_but_keeps_what_is_still_needed(app, db, clock, core) -> None:
    start = clock.now()
    old_publish = _enqueue(db, start, "publish_listing", 1)
    old_update = _enqueue(db, start, "update_listing", 1, {**LISTING, "title": "v2"})
    kept_publish = _enqueue(db, start, "publish_listing", 2)
    _deliver(db, core, start)
    # listing 2 still has an undelivered message (refused: a core id the core does not know)
    refused = _enqueue(db, start, "update_listing", 2, core_id="CL-unknown")
    _deliver(db, core, start)
    assert _messages(db)[refused].status == "failed"
    clock.advance(days=25)
    recent = _enqueue(db, clock.now(), "publish_listing", 3)
    _deliver(db, core, clock.now())
    clock.advance(days=6)  # the first ones are 31 days old, the recent one 6
    out = app.test_cli_runner().invoke(args=["core", "prune", "--older-than-days", "30", "--batch", "1"])
    assert out.exit_code == 0, out.output
    assert "deleted 1/2" in out.output and "deleted 2/2" in out.output
    assert "core prune: deleted 2 delivered messages older than" in out.output and "in 2 batches" in out.output
    assert set(_messages(db)) == {kept_publish, refused, recent}
    assert {e.entity_id for e in _actions(db, "core.outbox_pruned")} == {f"{old_publish}-{old_publish}",
                                                                        f"{old_update}-{old_update}"}
    with db.session() as s:
        assert verify_chain(s).ok
    assert prune_delivered(db, clock.now(), 30).deleted == 0
    with pytest.raises(ValueError):
        prune_delivered(db, clock.now(), 0)
    assert app.test_cli_runner().invoke(args=["core", "prune", "--older-than-days", "0"]).exit_code == 2
