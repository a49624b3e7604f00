"""A real listing, taken through its lifecycle, reaches the core served over HTTP exactly once
while the core answers 503, times out and drops connections; a dispatcher that dies between
delivering and marking re-delivers harmlessly; and the gateway keeps serving real requests
(publication included) while the core is down or slow, delivering once it is back.

The gateway and the core each have their own connection pool on one fresh database (the core's
tables are its own), committed for real: the core is served from a thread of this process, the
dispatcher runs here, in a background thread of the app, or as ``flask core dispatch``.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import func, select

from gateway.core import dispatch
from gateway.core.breaker import CircuitBreaker
from gateway.core.embedded_models import CoreListing
from gateway.core.http import HttpCore
from gateway.core.models import OutboxMessage
from gateway.core.server import create_core_app
from gateway.listings import lifecycle, service
from gateway.listings.models import Listing
from kernel.clock import SystemClock
from kernel.db import Database
from tests.support.core import FaultInjector, run_cli
from tests.support.listings import Staff, draft_body, draft_data, publish
from tests.support.live_server import LiveServer

TOKEN = "core-shared-secret"
API = "/api/v1/listings"


@pytest.fixture
def db(fresh_db_url: str) -> Iterator[Database]:
    """The gateway's database, committed for real (it overrides conftest's rolled-back one, so
    ``parties`` and ``users`` land here too)."""
    database = Database(fresh_db_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def core_db(fresh_db_url: str) -> Iterator[Database]:
    database = Database(fresh_db_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def faults(core_db: Database, clock: Any) -> FaultInjector:
    return FaultInjector(create_core_app({"CORE_TOKEN": TOKEN}, db=core_db, clock=clock))


@pytest.fixture
def core_url(faults: FaultInjector) -> Iterator[str]:
    with LiveServer(faults) as server:
        yield server.url


def _http(url: str, clock: Any, **kw: Any) -> HttpCore:
    opts: dict[str, Any] = {"connect_timeout": 1.0, "read_timeout": 0.3, "retries": 3, "backoff": 0.0,
                            "breaker": CircuitBreaker(5, dt.timedelta(seconds=30), clock=clock)}
    return HttpCore(url, TOKEN, **{**opts, **kw})


def _core_listings(core_db: Database) -> list[tuple[str, str]]:
    with core_db.session() as s:
        return [tuple(r) for r in s.execute(select(CoreListing.core_id, CoreListing.status))]


def _message(db: Database, kind: str = "publish_listing") -> OutboxMessage:
    with db.session() as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalar_one()


def _published(db: Database, parties: dict[str, Any], clock: Any) -> int:
    """A listing filed, made publishable, cleared and published through the lifecycle."""
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = service.create_listing(s, draft_data(parties["seller_us"]), subcentre_id=parties["us"],
                                         actor=staff, now=clock.now())
        publish(s, listing, staff, clock.now())
        assert listing.state == "published"
        return listing.id


def _held(faults: FaultInjector, core_id: str) -> dict[str, Any]:
    """What the core holds for ``core_id`` (the payload the gateway sent)."""
    record = faults.app.extensions["core.embedded"].listing(core_id)
    assert record is not None
    return record["payload"]


def _listing_posts(faults: FaultInjector) -> list[str]:
    return [what for method, path, what in faults.log if (method, path) == ("POST", "/core/v1/listings")]


def test_a_real_listing_reaches_the_http_core_exactly_once_through_faults(db, core_db, parties, clock,
                                                                        core_url, faults) -> None:
    listing_id = _published(db, parties, clock)
    core = _http(core_url, clock)
    # first run: refused at the door, answered too late (the core did the work), cut after the
    # work, cut before it; retries run out and the message waits
    for mode in ("503", "slow_after", "drop_after", "drop_before"):
        faults.fail_next(1, mode, seconds=0.8)
    report = dispatch(db, core, clock.now())
    assert (report.delivered, report.deferred) == (0, 1), report.results
    assert len(_core_listings(core_db)) == 1  # it got there, unseen
    with db.session() as s:
        assert s.get_one(Listing, listing_id).core_id is None
    # later: one more 503, then the core answers, with the listing it already holds
    faults.fail_next(1, "503")
    report = dispatch(db, core, clock.now() + dt.timedelta(seconds=10))
    assert report.delivered == 1, report.results
    assert _listing_posts(faults) == ["503", "slow_after", "drop_after", "drop_before", "503", "ok"]
    [(core_id, status)] = _core_listings(core_db)
    msg = _message(db)
    assert (msg.status, msg.attempts, msg.result, status) == ("delivered", 2, core_id, "published")
    with db.session() as s:
        listing = s.get_one(Listing, listing_id)
        assert listing.core_id == core_id
        assert _held(faults, core_id)["reference"] == listing.reference
    # the withdrawal takes the same path: answered, but the answer lost; delivered once
    with db.transaction() as s:
        lifecycle.transition(s, s.get_one(Listing, listing_id), "withdraw", Staff(parties["us"]),
                             now=clock.now(), reason="sold elsewhere")
    faults.fail_next(1, "drop_after")
    assert dispatch(db, core, clock.now() + dt.timedelta(seconds=20)).delivered == 1
    assert _core_listings(core_db) == [(core_id, "withdrawn")]
    events, _ = core.events_since(0, 100)
    assert [(e.type, e.data["core_id"]) for e in events] == [
        ("listing.published", core_id), ("listing.withdrawn", core_id)]


def test_a_crash_between_delivery_and_marking_redelivers_to_the_http_core_harmlessly(
        db, core_db, fresh_db_url, parties, clock, core_url, faults) -> None:
    listing_id = _published(db, parties, clock)
    env = {"GATEWAY_CORE_URL": core_url, "GATEWAY_CORE_TOKEN": TOKEN, "GATEWAY_CORE_RETRIES": "0"}
    crashed = run_cli(fresh_db_url, "core", "dispatch", fail_at="core.dispatch.after_deliver", extra_env=env)
    assert crashed.returncode == 137, crashed.stderr
    assert "failure point 'core.dispatch.after_deliver'" in crashed.stderr
    [(core_id, _status)] = _core_listings(core_db)  # delivered over HTTP, never marked
    msg = _message(db)
    assert (msg.status, msg.attempts, msg.result) == ("pending", 1, None)
    with db.session() as s:
        assert s.get_one(Listing, listing_id).core_id is None
    # once the dead dispatcher's lease has run out, the message goes again, with the same key
    later = SystemClock().now() + dt.timedelta(minutes=6)
    assert dispatch(db, _http(core_url, clock), later).delivered == 1
    assert _listing_posts(faults) == ["ok", "ok"]
    assert [c for c, _s in _core_listings(core_db)] == [core_id]
    msg = _message(db)
    assert (msg.status, msg.attempts, msg.result) == ("delivered", 2, core_id)
    with db.session() as s:
        listing = s.get_one(Listing, listing_id)
        assert listing.core_id == core_id and _held(faults, core_id)["reference"] == listing.reference
    again = run_cli(fresh_db_url, "core", "dispatch", extra_env=env)
    assert again.returncode == 0, again.stderr
    assert "delivered 0" in again.stdout and _listing_posts(faults) == ["ok", "ok"]
