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
from sqlalchemy import select

from gateway.core import dispatch
from gateway.core.embedded_models import CoreListing
from gateway.core.models import OutboxMessage
from gateway.listings import lifecycle, service
from gateway.listings.models import Listing
from kernel.clock import SystemClock
from kernel.db import Database
from tests.support.core import TOKEN, FaultInjector, make_http, run_cli
from tests.support.listings import Staff, draft_body, draft_data, publish

API = "/api/v1/listings"


@pytest.fixture
def db(fresh_db_url: str) -> Iterator[Database]:
    """The gateway's database, committed for real (it overrides conftest's rolled-back one, so
    ``parties`` and ``users`` land here too)."""
    database = Database(fresh_db_url)
    yield database
    database.engine.dispose()


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
    core = make_http(core_url, clock, read_timeout=1.5)
    # first run: refused at the door, answered too late (the core did the work), cut after the
    # work, cut before it; retries run out and the message waits
    for mode in ("503", "slow_after", "drop_after", "drop_before"):
        faults.fail_next(1, mode, seconds=2.5)
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
    assert dispatch(db, make_http(core_url, clock, read_timeout=1.5), later).delivered == 1
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


def _until(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Wait for the app's background dispatcher (a real thread: there is no clock to move)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("mode", ["503", "drop_before", "slow_after"])
def test_the_gateway_keeps_serving_real_requests_while_the_core_is_down_or_slow(
        db, core_db, parties, users, clock, core_url, faults, mode) -> None:
    from gateway.app import create_app
    from gateway.core.runtime import CoreRuntime
    from tests.conftest import TEST_CONFIG

    # production's way: a background worker delivers after the commit; each call tries twice,
    # a read gives up after 2 s (the slow core holds its answers for 4.5 s)
    app = create_app({**TEST_CONFIG, "CORE_URL": core_url, "CORE_TOKEN": TOKEN,
                      "CORE_DISPATCH_AFTER_COMMIT": "thread", "CORE_RETRIES": 1,
                      "CORE_BACKOFF_SECONDS": 0.0, "CORE_CONNECT_TIMEOUT": 1.0,
                      "CORE_READ_TIMEOUT": 2.0}, db=db, clock=clock)
    runtime: CoreRuntime = app.extensions["gateway.core"]
    client = app.test_client()
    h = users["staff_us"]["headers"]
    listing = client.post(API, json=draft_body(parties["seller_us"]), headers=h).get_json()
    asset = client.post(f"{API}/{listing['id']}/assets", headers=h, json={
        "kind": "patent", "title": "Recognition patent", "jurisdiction": "US", "number": "US1234567B2",
        "status": "granted", "expires_on": "2036-05-01"}).get_json()
    assert client.post(f"{API}/{listing['id']}/assets/{asset['id']}/ownership-evidence", headers=h,
                       json={"registered_owner": "Photonics Lab Inc."}).status_code == 201
    assert client.post(f"{API}/{listing['id']}/submit", headers=h, json={}).status_code == 200
    with db.transaction() as s:  # compliance's classification, through its seam
        lifecycle.record_compliance_outcome(s, s.get_one(Listing, listing["id"]), "cleared", "user:7",
                                            "not controlled", now=clock.now())

    faults.fail_next(2, mode, seconds=4.5)  # every try of the dispatcher's call fails
    started = time.perf_counter()
    resp = client.post(f"{API}/{listing['id']}/publish", headers=h, json={})
    assert resp.status_code == 200 and resp.get_json()["state"] == "published", resp.get_json()
    assert time.perf_counter() - started < 1.5  # the request did not wait for the core (>= 2 s)
    with db.session() as s:  # committed, with its message waiting
        assert s.get_one(Listing, listing["id"]).state == "published"
    assert _message(db).status == "pending"
    if mode == "slow_after":  # the dispatcher is stuck on the core meanwhile
        _until(lambda: len(_listing_posts(faults)) == 1, "the dispatcher's first try")
    for path, who in ((f"{API}/{listing['id']}", "staff_us"), (f"{API}/search?q=recognition", "buyer"),
                      ("/readyz", None), (API, "seller_us")):
        started = time.perf_counter()
        answer = client.get(path, headers=users[who]["headers"] if who else {})
        assert answer.status_code == 200 and time.perf_counter() - started < 1.5, (path, answer.status_code)
    assert listing["id"] in [i["id"] for i in client.get(f"{API}/search", headers=users["buyer"]["headers"])
                             .get_json()["items"]]
    if mode == "slow_after":
        assert _message(db).last_error is None  # all of that answered while the core held the dispatcher
    _until(lambda: _message(db).last_error is not None, "the dispatcher to give up for now")
    msg = _message(db)
    assert (msg.status, msg.attempts) == ("pending", 1) and _listing_posts(faults) == [mode, mode]
    with db.session() as s:
        assert s.get_one(Listing, listing["id"]).core_id is None

    # the core is back: once the message is due again, the dispatcher delivers it, once
    clock.advance(seconds=60)
    runtime.kick()
    _until(lambda: _message(db).status == "delivered", "the delivery")
    [(core_id, _status)] = _core_listings(core_db)
    msg = _message(db)
    assert (msg.attempts, msg.result) == (2, core_id)
    with db.session() as s:
        assert s.get_one(Listing, listing["id"]).core_id == core_id
    assert _listing_posts(faults) == [mode, mode, "ok"]
    assert client.get(f"{API}/{listing['id']}", headers=h).get_json()["core_id"] == core_id
