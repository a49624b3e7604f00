"""gunicorn's access log, as ``make run`` and bench/load.py start it (``-c gunicorn.conf.py``),
writes method, path, status, bytes, time and request id, and never a query string, a Referer or
an Authorization header: a token sent in any of them stays out of the log.

gunicorn runs for real on a loopback port with one worker serving the gateway (``wsgi:app``); the
requests need no database (``/healthz`` and an unknown path), so it is a file that is never made.
"""
from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.faults import ROOT, fault_env, free_port

SECRETS = ("tt_in-the-query", "tt_in-the-referer", "tt_in-the-header")


def _get(url: str, request_id: str) -> int:
    req = urllib.request.Request(url, headers={
        "X-Request-Id": request_id, "Referer": f"http://127.0.0.1/next?token={SECRETS[1]}",
        "Authorization": f"Bearer {SECRETS[2]}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_the_access_log_names_the_path_without_the_query_string(tmp_path: Path) -> None:
    access_log = tmp_path / "access.log"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log), "--error-logfile", "-",
         "--log-level", "info", "wsgi:app"],
        cwd=ROOT, env=fault_env(f"sqlite:///{tmp_path / 'never-made.db'}"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # requests wait in the listen queue until the worker is up
            if "Booting worker" in line:
                break
        base = f"http://127.0.0.1:{port}"
        ok = _get(f"{base}/healthz?token={SECRETS[0]}&page=2", "rid-healthz")
        missing = _get(f"{base}/api/v1/nothing-here?access_token={SECRETS[0]}", "rid-missing")
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert (ok, missing) == (200, 404)

    lines = access_log.read_text().splitlines()
    assert len(lines) == 2, lines
    fmt = re.compile(r'^127\.0\.0\.1 \[[^]]+\] "(GET) (\S+)" (\d{3}) (\d+) (\d+)ms request_id=(\S+)$')
    parsed = [fmt.match(line) for line in lines]
    assert all(parsed), lines
    assert [m.group(1, 2, 3, 6) for m in parsed] == [  # type: ignore[union-attr]
        ("GET", "/healthz", "200", "rid-healthz"),
        ("GET", "/api/v1/nothing-here", "404", "rid-missing")]
    logged = access_log.read_text()
    assert "?" not in logged and "token" not in logged
    for secret in SECRETS:
        assert secret not in logged
