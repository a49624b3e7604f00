"""Helpers for the core tests: a counting core wrapper, a dead port, running the CLI in a
subprocess (so a named failure point can kill it)."""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from gateway.core.breaker import CircuitBreaker
from gateway.core.http import HttpCore

ROOT = Path(__file__).resolve().parents[2]


class CountingCore:
    """Wraps a real core and counts the calls that reach it (by operation and key)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def _count(self, op: str, key: str) -> None:
        with self._lock:
            self.calls[(op, key)] += 1

    def publish_listing(self, payload: dict[str, Any], idempotency_key: str) -> str:
        self._count("publish", idempotency_key)
        return self.inner.publish_listing(payload, idempotency_key)

    def update_listing(self, core_id: str, payload: dict[str, Any]) -> None:
        self._count("update", core_id)
        self.inner.update_listing(core_id, payload)

    def withdraw_listing(self, core_id: str, reason: str) -> None:
        self._count("withdraw", core_id)
        self.inner.withdraw_listing(core_id, reason)

    def report_deal(self, payload: dict[str, Any], idempotency_key: str) -> str:
        self._count("deal", idempotency_key)
        return self.inner.report_deal(payload, idempotency_key)

    def events_since(self, after_seq: int, limit: int = 100) -> Any:
        return self.inner.events_since(after_seq, limit)


def dead_url() -> str:
    """A loopback URL nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run_cli(db_url: str, *args: str, fail_at: str | None = None, extra_env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``flask --app wsgi <args>`` in a child process against ``db_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update({"GATEWAY_DATABASE_URL": db_url, "GATEWAY_SECRET_KEY": "test-secret",
                "GATEWAY_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
    env.pop("CORE_URL", None)
    if fail_at:
        env["GATEWAY_FAIL_AT"] = fail_at
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


class FaultInjector:
    """WSGI middleware in front of the core that the test tells what to do to the next requests.

    - ``503``: answer 503 without reaching the core;
    - ``drop_before``: close the connection without reaching the core;
    - ``drop_after``: let the core do the work, then close the connection (the answer is lost);
    - ``slow_after``: let the core do the work, then hold the answer for ``seconds``.
    """

    MODES = ("503", "drop_before", "drop_after", "slow_after")

    def __init__(self, app: Any) -> None:
        from collections import deque

        self.app = app
        self._plan: Any = deque()
        self._lock = threading.Lock()
        self.log: list[tuple[str, str, str]] = []  # (method, path, what was done)

    def fail_next(self, n: int, mode: str, seconds: float = 0.0) -> None:
        assert mode in self.MODES
        with self._lock:
            self._plan.extend([(mode, seconds)] * n)

    def clear(self) -> None:
        with self._lock:
            self._plan.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        import time

        with self._lock:
            fault = self._plan.popleft() if self._plan else None
            self.log.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], fault[0] if fault else "ok"))
        if fault is None:
            return self.app(environ, start_response)
        mode, seconds = fault
        if mode == "503":
            start_response("503 Service Unavailable", [("Content-Type", "application/problem+json")])
            return [b'{"title": "Service Unavailable", "status": 503}']
        if mode == "drop_before":
            _drop(environ)
            return []
        captured: list[Any] = []
        def capture(status: str, headers: Any, exc_info: Any = None) -> None:
            captured.extend([status, headers])

        body = b"".join(self.app(environ, capture))
        if mode == "drop_after":
            _drop(environ)
            return []
        time.sleep(seconds)
        start_response(*captured)
        return [body]


def _drop(environ: dict[str, Any]) -> None:
    """Cut the connection: the client sees it closed with no answer."""
    sock = environ["werkzeug.socket"]
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


#: the bearer the core served in tests expects
TOKEN = "core-shared-secret"


def make_http(url: str, clock: Any, **kw: Any) -> HttpCore:
    """The HTTP adapter for a core served in a test: short timeouts, no backoff, a breaker on
    the test's clock; ``kw`` overrides any of them."""
    opts: dict[str, Any] = {"connect_timeout": 1.0, "read_timeout": 5.0, "retries": 3, "backoff": 0.0,
                            "breaker": CircuitBreaker(5, dt.timedelta(seconds=30), clock=clock)}
    return HttpCore(url, TOKEN, **{**opts, **kw})
