"""The operator commands: `core serve` as a real process, `core dispatch`, `core pull`, `core status`,
and the background dispatcher that delivers after a commit."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import requests
from sqlalchemy import select

from gateway.core import enqueue
from gateway.core.embedded import EmbeddedCore
from gateway.core.http import HttpCore
from gateway.core.models import OutboxMessage
from kernel.clock import SystemClock
from kernel.db import Database
from tests.support.core import ROOT, run_cli

LISTING = {"title": "Tidal turbine blade coating", "price": {"amount": "50000.00", "currency": "EUR"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            if requests.get(url + "/core/v1/healthz", timeout=0.5).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("core serve did not come up")


def test_core_serve_runs_the_core_and_dispatch_delivers_to_it_over_http(fresh_db_url) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update({"GATEWAY_DATABASE_URL": fresh_db_url, "GATEWAY_SECRET_KEY": "x", "GATEWAY_CORE_TOKEN": "tok",
                "PYTHONPATH": str(ROOT)})
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "core", "serve", "--host",
                             "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = Database(fresh_db_url)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, proc)
        assert requests.post(url + "/core/v1/listings", json=LISTING, timeout=5).status_code == 401
        with db.transaction() as s:
            enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=3,
                    now=SystemClock().now())
        out = run_cli(fresh_db_url, "core", "dispatch",
                      extra_env={"GATEWAY_CORE_URL": url, "GATEWAY_CORE_TOKEN": "tok"})
        assert out.returncode == 0, out.stderr
        assert "delivered as CL-" in out.stdout
        assert ("core dispatch: delivered 1, failed 0, deferred 0 "
                "(outbox: 0 pending, 0 failed, 1 delivered)") in out.stdout
        events, _ = HttpCore(url, "tok").events_since(0)
        assert [e.type for e in events] == ["listing.published"]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
        db.engine.dispose()


def test_dispatch_exits_1_and_says_so_when_the_core_is_down(fresh_db_url) -> None:
    db = Database(fresh_db_url)
    try:
        with db.transaction() as s:
            enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=3, now=SystemClock().now())
        out = run_cli(fresh_db_url, "core", "dispatch",
                      extra_env={"GATEWAY_CORE_URL": f"http://127.0.0.1:{_free_port()}", "GATEWAY_CORE_TOKEN": "t",
                                 "GATEWAY_CORE_RETRIES": "0"})
        assert out.returncode == 1
        assert "deferred 1" in out.stdout and "stopped: the core is unavailable" in out.stdout
        status = run_cli(fresh_db_url, "core", "status")
        assert "outbox: pending 1, delivered 0, failed 0" in status.stdout
    finally:
        db.engine.dispose()


def test_pull_and_domestic_events_through_the_cli(fresh_db_url) -> None:
    db = Database(fresh_db_url)
    try:
        core_id = EmbeddedCore(db, SystemClock()).publish_listing(LISTING, "k")
        assert run_cli(fresh_db_url, "core", "domestic-withdraw", core_id, "--reason", "sold").returncode == 0
        deal = run_cli(fresh_db_url, "core", "domestic-deal", core_id, "--terms", '{"price": "1"}')
        assert deal.returncode == 0 and "struck in the core" in deal.stdout
        out = run_cli(fresh_db_url, "core", "pull")
        assert out.returncode == 0, out.stderr
        # listing.withdrawn (listings) and deal.struck (trading) have handlers; listing.published none
        assert "event 2 listing.withdrawn: handled" in out.stdout
        assert "core pull: handled 2, passed over 1, cursor at 3" in out.stdout
        assert "cursor at 3" in run_cli(fresh_db_url, "core", "pull").stdout
    finally:
        db.engine.dispose()


def test_the_background_dispatcher_delivers_after_the_commit(fresh_db_url, clock: Any) -> None:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url, "CORE_DISPATCH_AFTER_COMMIT": "thread"},
                     clock=clock)
    db = app.extensions["gateway.db"]
    try:
        runtime = app.extensions["gateway.core"]
        with db.transaction() as s:
            enqueue(s, "publish_listing", LISTING, aggregate_type="listing", aggregate_id=3, now=clock.now())
        started = time.perf_counter()
        runtime.after_commit(s)
        assert time.perf_counter() - started < 0.05  # the caller does not wait for the core
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with db.session() as r:
                if r.execute(select(OutboxMessage.status)).scalar_one() == "delivered":
                    break
            time.sleep(0.02)
        with db.session() as r:
            assert r.execute(select(OutboxMessage.status)).scalar_one() == "delivered"
    finally:
        db.engine.dispose()
