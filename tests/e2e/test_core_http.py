"""The HTTP adapter against the core served on loopback, with faults injected in front of it:
the message reaches the core exactly once, the breaker fails fast. A real listing through the
same faults, and the gateway serving real requests while the core is down or slow, are in
test_core_http_listing.py."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from gateway.core import CoreRejected, CoreUnavailable, dispatch, enqueue
from gateway.core.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from gateway.core.embedded_models import CoreListing
from gateway.core.http import HttpCore
from gateway.core.models import OutboxMessage
from kernel.db import Database
from tests.support.core import make_http

LISTING = {"title": "CRISPR delivery vector", "direction": "outbound",
           "price": {"amount": "1200000.00", "currency": "DKK"}}


def _listings(db: Database) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(CoreListing)).scalar_one()


def test_the_adapter_speaks_the_protocol(core_url, clock) -> None:
    core = make_http(core_url, clock)
    core_id = core.publish_listing(LISTING, "listing-1-publish")
    assert core.publish_listing(LISTING, "listing-1-publish") == core_id
    core.update_listing(core_id, {**LISTING, "title": "v2"})
    deal_id = core.report_deal({"listing_core_id": core_id}, "deal-1")
    core.withdraw_listing(core_id, "sold")
    core.withdraw_listing(core_id, "sold")
    events, nxt = core.events_since(0, 2)
    assert [e.seq for e in events] == [1, 2] and nxt == 2
    rest, nxt = core.events_since(nxt, 100)
    assert [e.type for e in events + rest] == ["listing.published", "listing.updated", "deal.reported",
                                                "listing.withdrawn"]
    assert rest[0].data == {"core_deal_id": deal_id, "listing_core_id": core_id, "origin": "gateway"}
    assert core.events_since(nxt, 100) == ([], nxt)


def test_refusals_by_the_core_are_rejections_and_are_not_retried(core_url, faults, clock) -> None:
    core = make_http(core_url, clock)
    core.publish_listing(LISTING, "k")
    before = len(faults.log)
    with pytest.raises(CoreRejected) as err:
        core.publish_listing({**LISTING, "title": "other"}, "k")
    assert (err.value.status, err.value.reason) == (422, "idempotency_key_reused")
    with pytest.raises(CoreRejected) as err:
        core.update_listing("CL-UNKNOWN", LISTING)
    assert (err.value.status, err.value.reason) == (404, "unknown_listing")
    assert len(faults.log) == before + 2
    assert core.breaker.state == CLOSED


def test_a_wrong_token_is_unavailability_not_a_rejection(core_url, clock) -> None:
    """Marking outbox messages failed because of a misconfigured secret would lose them."""
    core = HttpCore(core_url, "wrong", retries=0, breaker=CircuitBreaker(5, clock=clock))
    with pytest.raises(CoreUnavailable, match="401"):
        core.publish_listing(LISTING, "k")


@pytest.mark.parametrize(("mode", "times"), [("503", 3), ("drop_before", 2), ("drop_after", 1),
                                             ("drop_after", 3), ("slow_after", 1)])
def test_the_listing_reaches_the_core_exactly_once_despite_faults(core_db, core_url, faults, clock,
                                                                   mode, times) -> None:
    core = make_http(core_url, clock, read_timeout=1.5)  # a loaded machine can take 0.3 s to answer
    with core_db.transaction() as s:
        enqueue(s, "publish_listing", LISTING, "listing-5-publish", aggregate_type="listing", aggregate_id=5,
                now=clock.now())
    faults.fail_next(times, mode, seconds=2.5)
    report = dispatch(core_db, core, clock.now())
    assert report.delivered == 1, report.results
    assert [what for _m, path, what in faults.log if path == "/core/v1/listings"] == [mode] * times + ["ok"]
    assert _listings(core_db) == 1
    with core_db.session() as s:
        msg = s.execute(select(OutboxMessage)).scalar_one()
    assert msg.status == "delivered" and msg.attempts == 1
    events, _ = core.events_since(0, 10)
    assert [e.type for e in events] == ["listing.published"]


def test_when_retries_run_out_the_message_waits_and_is_delivered_once_later(core_db, core_url, faults,
                                                                            clock) -> None:
    core = make_http(core_url, clock, retries=2)
    with core_db.transaction() as s:
        enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=5, now=clock.now())
    faults.fail_next(2, "drop_after")
    faults.fail_next(1, "503")
    report = dispatch(core_db, core, clock.now())
    assert report.deferred == 1 and report.stopped and _listings(core_db) == 1  # it got there, unseen
    report = dispatch(core_db, core, clock.now() + dt.timedelta(seconds=10))
    assert report.delivered == 1
    assert _listings(core_db) == 1


def test_the_breaker_opens_fails_fast_and_recovers_after_the_cool_down(core_url, faults, clock) -> None:
    core = make_http(core_url, clock, retries=1,
                     breaker=CircuitBreaker(2, dt.timedelta(seconds=30), clock=clock))
    faults.fail_next(4, "503")
    for _ in range(2):
        with pytest.raises(CoreUnavailable):
            core.publish_listing(LISTING, "k")
    assert core.breaker.state == OPEN and len(faults.log) == 4
    started = time.perf_counter()
    with pytest.raises(CoreUnavailable) as err:
        core.publish_listing(LISTING, "k")
    assert time.perf_counter() - started < 0.05
    assert err.value.extra["circuit"] == "open"
    assert len(faults.log) == 4  # nothing reached the network
    clock.advance(seconds=29)
    with pytest.raises(CoreUnavailable):
        core.events_since(0)
    clock.advance(seconds=1)
    faults.fail_next(2, "503")  # the probe fails: open again, for another cool-down
    with pytest.raises(CoreUnavailable):
        core.publish_listing(LISTING, "k")
    assert core.breaker.state == OPEN
    clock.advance(seconds=30)
    core_id = core.publish_listing(LISTING, "k")  # the probe succeeds: closed
    assert core.breaker.state == CLOSED and core_id.startswith("CL-")


def test_only_one_probe_goes_through_while_half_open(clock) -> None:
    breaker = CircuitBreaker(1, dt.timedelta(seconds=10), clock=clock)
    breaker.failure()
    clock.advance(seconds=10)
    breaker.before_call()  # the probe
    assert breaker.state == HALF_OPEN
    with pytest.raises(CoreUnavailable):
        breaker.before_call()
    breaker.success()
    breaker.before_call()
