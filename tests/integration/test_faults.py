"""Faults: processes killed in the middle of ledger posting or of a request, and the database
restarting under the running service. Afterwards ``ledger check`` and ``audit verify`` pass,
nothing is half-written, and retries with the same keys complete exactly once.

Deaths are reproducible: ``GATEWAY_FAIL_AT`` names the failure point (kernel/faults.py) at
which the subprocess exits with status 137; one test also SIGKILLs at a moment chosen by a
seeded random number of completed postings.
"""
from __future__ import annotations

import random
import signal
import subprocess
import sys
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from kernel.db import Database
from tests.support.faults import (
    KILLED,
    ROOT,
    Server,
    assert_sound,
    fault_env,
    make_token,
)


def _poster(url: str, count: int, fail_at: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.support.ledger_poster", url, str(count)],
                            cwd=ROOT, env=fault_env(url, fail_at), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _transfers(url: str) -> dict[str, int]:
    from settlement.ledger import Posting, Transfer

    db = Database(url)
    try:
        with db.session() as s:
            keys = dict(s.execute(select(Transfer.key, func.count(Posting.id))
                                  .join(Posting, Posting.transfer_id == Transfer.id)
                                  .group_by(Transfer.key)).all())
    finally:
        db.engine.dispose()
    return keys


def _retry_completes_exactly_once(url: str, count: int, posted_before: int) -> None:
    from settlement.ledger import Account

    retry = _poster(url, count)
    out, err = retry.communicate(timeout=120)
    assert retry.returncode == 0, err
    replayed = [line for line in out.splitlines() if line.endswith(" True")]
    assert len(replayed) == posted_before  # the keys that had committed came back as replays
    keys = _transfers(url)
    assert sorted(keys) == sorted(f"fault-{i}" for i in range(count))
    assert set(keys.values()) == {2}  # every transfer whole: both of its postings
    db = Database(url)
    try:
        with db.session() as s:
            payable = s.execute(select(Account).where(Account.purpose == "seller_payable")).scalar_one()
            assert payable.posted_minor == 1234 * count  # each transfer counted exactly once
    finally:
        db.engine.dispose()
    assert_sound(url)


def test_a_poster_killed_inside_the_ledger_transaction_leaves_nothing_half_written(fresh_db_url) -> None:
    url, count = fresh_db_url, 12
    proc = _poster(url, count, fail_at="ledger.postings_inserted@6")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == KILLED, err
    assert len(out.splitlines()) == 5  # five committed; the sixth died between its INSERTs
    assert sorted(_transfers(url)) == sorted(f"fault-{i}" for i in range(5))
    assert_sound(url)  # the half-posted sixth left no transfer, posting or balance behind
    _retry_completes_exactly_once(url, count, posted_before=5)


def test_a_poster_sigkilled_at_a_random_moment_leaves_nothing_half_written(fresh_db_url) -> None:
    url, count = fresh_db_url, 100
    rng = random.Random(f"sigkill-{fresh_db_url[:10]}")
    after = rng.randint(5, 30)
    proc = _poster(url, count)
    assert proc.stdout is not None
    for _ in range(after):
        assert proc.stdout.readline().startswith("posted ")
    proc.send_signal(signal.SIGKILL)  # while it is somewhere in the next posting
    rest, _err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    posted = after + len(rest.splitlines())
    committed = len(_transfers(url))
    assert committed in (posted, posted + 1)  # the last may have committed before it printed
    assert_sound(url)
    _retry_completes_exactly_once(url, count, posted_before=committed)


# -- a request killed before or after its commit ------------------------------------------------

def _admin_token(url: str) -> str:
    return make_token(url, email="admin@faults.example", role="admin")


def _organisations(url: str, name: str) -> int:
    from kernel.parties import Organisation

    db = Database(url)
    try:
        with db.session() as s:
            return s.execute(select(func.count()).select_from(Organisation)
                             .where(Organisation.legal_name == name)).scalar_one()
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("point, committed", [("gateway.before_commit", False),
                                              ("gateway.after_commit", True)])
def test_a_server_killed_around_the_commit_completes_the_retried_request_once(
        fresh_db_url, point, committed) -> None:
    url = fresh_db_url
    headers = {"Authorization": f"Bearer {_admin_token(url)}", "Idempotency-Key": f"fault-{point}"}
    body = {"legal_name": f"Killed {point} Ltd", "legal_name_latin": f"Killed {point} Ltd",
            "country": "DK", "org_type": "company", "tax_residency": "DK"}
    server = Server(url, fail_at=point)
    try:
        with pytest.raises(requests.ConnectionError):  # the process died mid-request
            requests.post(f"{server.base}/api/v1/organisations", json=body, headers=headers, timeout=30)
        assert server.proc.wait(timeout=30) == KILLED
    finally:
        server.stop()
    assert _organisations(url, body["legal_name"]) == (1 if committed else 0)

    server = Server(url)  # restarted, as a supervisor would
    try:
        retried = requests.post(f"{server.base}/api/v1/organisations", json=body, headers=headers, timeout=30)
        assert retried.status_code == 201, retried.text
        assert (retried.headers.get("Idempotent-Replayed") == "true") is committed
        again = requests.post(f"{server.base}/api/v1/organisations", json=body, headers=headers, timeout=30)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == retried.json()["id"]
    finally:
        server.stop()
    assert _organisations(url, body["legal_name"]) == 1
    assert_sound(url)


# -- the database restarting mid-run ------------------------------------------------------------

@pytest.fixture
def own_postgres(template_urls: dict[str, str]) -> Any:
    """A PostgreSQL server of this test's own (it is stopped and started), migrated."""
    if "postgresql" not in template_urls:
        pytest.skip("TEST_DATABASES leaves PostgreSQL out of this local run")
    from tests.conftest import migrate
    from tests.support.postgres import PostgresServer

    server = PostgresServer().start()
    try:
        migrate(server.url())
        yield server
    finally:
        server.stop()


def test_requests_during_a_database_restart_get_503_problems_and_nothing_is_lost(own_postgres) -> None:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    url = own_postgres.url()
    token = _admin_token(url)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "IDEMPOTENCY_STALE_SECONDS": 0})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def create(n: int) -> Any:
        return client.post("/api/v1/organisations", headers={**auth, "Idempotency-Key": f"org-{n}"},
                           json={"legal_name": f"Restart {n} A/S", "legal_name_latin": f"Restart {n} A/S",
                                 "country": "DK", "org_type": "company", "tax_residency": "DK"})

    try:
        assert create(1).status_code == 201
        assert client.get("/api/v1/organisations", headers=auth).status_code == 200  # pool warm

        own_postgres.halt()
        for resp in (client.get("/api/v1/organisations", headers=auth), create(2),
                     client.get("/api/v1/me", headers=auth)):
            assert resp.status_code == 503, resp.get_data(as_text=True)
            assert resp.mimetype == "application/problem+json"
            assert resp.get_json()["code"] == "database_unavailable"
            assert resp.headers["Retry-After"]
        assert client.get("/readyz").status_code == 503

        own_postgres.resume()
        assert client.get("/readyz").status_code == 200
        assert create(2).status_code == 201  # the refused write, retried with its key
        assert create(3).status_code == 201
        replay = create(1)
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    finally:
        app.extensions["gateway.db"].engine.dispose()
    for n in (1, 2, 3):
        assert _organisations(url, f"Restart {n} A/S") == 1
    assert_sound(url)


def test_after_a_quiet_database_restart_an_idle_connection_is_pinged_and_replaced(own_postgres) -> None:
    """No request while the database restarted: a pooled connection idle past
    DB_PING_AFTER_IDLE_SECONDS is pinged on checkout and replaced, so the first request after
    the restart succeeds. Pinged only when idle (not per checkout: a round trip per request),
    a connection used a moment ago that died shows as one clean 503, and the pool reconnects."""
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    url = own_postgres.url()
    auth = {"Authorization": f"Bearer {_admin_token(url)}"}
    for idle, first_after_restart in ((0, 200), (3600, 503)):
        app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "DB_PING_AFTER_IDLE_SECONDS": idle})
        client = app.test_client()
        try:
            assert client.get("/api/v1/me", headers=auth).status_code == 200  # a pooled connection
            own_postgres.halt()
            own_postgres.resume()
            first = client.get("/api/v1/me", headers=auth)
            assert first.status_code == first_after_restart, first.get_data(as_text=True)
            if first.status_code == 503:
                assert first.get_json()["code"] == "database_unavailable"
            assert client.get("/api/v1/me", headers=auth).status_code == 200
        finally:
            app.extensions["gateway.db"].engine.dispose()
