"""Shared by the fault tests: the gateway in a process of its own that can die at a named
failure point (kernel/faults.py), tokens made straight in the database, and the soundness
check every fault test ends with (``ledger check`` and ``audit verify``)."""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from kernel.db import Database

ROOT = Path(__file__).resolve().parents[2]
KILLED = 137


def fault_env(url: str, fail_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GATEWAY_FAIL_AT"}
    env.update(GATEWAY_DATABASE_URL=url, GATEWAY_SECRET_KEY="fault-test", GATEWAY_LOG_LEVEL="WARNING")
    if fail_at:
        env["GATEWAY_FAIL_AT"] = fail_at
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The gateway in a process of its own (tests/support/serve.py), on loopback."""

    def __init__(self, url: str, fail_at: str | None = None) -> None:
        # the server binds a port of the system's choosing and names it (no race for a port);
        # its stderr goes to a file (a pipe nobody reads could fill up and stall it)
        self.errors = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.serve", url],
                                     cwd=ROOT, env=fault_env(url, fail_at), stdout=subprocess.PIPE,
                                     stderr=self.errors, text=True)
        assert self.proc.stdout is not None
        word, _, port = self.proc.stdout.readline().strip().partition(" ")
        if word != "ready":
            self.proc.kill()
            self.proc.wait(timeout=30)
            why = self._stderr()
            self.stop()
            raise AssertionError(f"the gateway did not start: {why}")
        self.port = int(port)
        self.base = f"http://127.0.0.1:{self.port}"

    def _stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()[-2000:].decode(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.errors.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_token(url: str, *, email: str, role: str, **user: Any) -> str:
    """A user of ``role`` (``organisation_id=``, ``subcentre_code=`` as create_user takes them)
    with an API token; returns the token's plain text."""
    from gateway.auth.service import create_user, issue_token

    db = Database(url)
    now = dt.datetime.now(dt.UTC)
    try:
        with db.transaction() as s:
            made = create_user(s, email=email, password="a-long-enough-password", role=role,
                               display_name=email.split("@")[0], now=now, actor="test", **user)
            _token, plain = issue_token(s, made, name="faults", now=now,
                                        valid_for=dt.timedelta(days=1), actor="test")
    finally:
        db.engine.dispose()
    return plain


def assert_sound(url: str) -> None:
    """``flask ledger check`` and ``flask audit verify`` pass (the commands themselves, run
    in-process against the database: a subprocess would add seconds of imports per call)."""
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    try:
        runner = app.test_cli_runner()
        check = runner.invoke(args=["ledger", "check"])
        assert check.exit_code == 0 and "ledger ok" in check.output, check.output
        audit = runner.invoke(args=["audit", "verify"])
        assert audit.exit_code == 0 and "audit chain ok" in audit.output, audit.output
    finally:
        app.extensions["gateway.db"].engine.dispose()
