"""Choosing the adapter, and dispatching the outbox in-process after a commit.

``make_core(config, db)`` gives the embedded core when ``CORE_URL`` is unset, else the HTTP
adapter. The app keeps one adapter (so the circuit breaker sees every call) in a ``CoreRuntime``.

After a request (or a CLI command) commits a transaction that enqueued messages, the runtime
dispatches them, in one of three ways (``CORE_DISPATCH_AFTER_COMMIT``):

- ``thread`` (default outside tests): a background worker is woken and the response leaves at
  once; the user never waits for the core;
- ``inline``: dispatched in the request, after the commit, a few messages at most; failures are
  logged and left to ``core dispatch`` (the default under TESTING, whose sessions share one
  connection and must not be used from another thread);
- ``off``: only ``flask core dispatch`` delivers.

Whatever happens there never fails the user's request: the change is committed, the message is
safe in the outbox, and the periodic ``core dispatch`` picks it up.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session

from gateway.core.embedded import EmbeddedCore
from gateway.core.http import HttpCore
from gateway.core.outbox import SESSION_FLAG, dispatch
from gateway.core.port import CorePort
from kernel.clock import Clock, SystemClock
from kernel.db import Database

log = logging.getLogger("gateway.core")
MODES = ("thread", "inline", "off")


def make_core(config: dict[str, Any], db: Database, clock: Clock | None = None) -> CorePort:
    """The adapter the configuration asks for: embedded unless ``CORE_URL`` is set."""
    if config.get("CORE_URL"):
        return HttpCore.from_config(config, clock=clock)
    return EmbeddedCore(db, clock or SystemClock())


class CoreRuntime:
    def __init__(self, config: dict[str, Any], db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.mode = config.get("CORE_DISPATCH_AFTER_COMMIT") or ("inline" if config.get("TESTING") else "thread")
        if self.mode not in MODES:
            raise RuntimeError(f"CORE_DISPATCH_AFTER_COMMIT must be one of {', '.join(MODES)}")
        self.inline_batch = int(config.get("CORE_DISPATCH_INLINE_BATCH", 10))
        self._core: CorePort | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._worker: threading.Thread | None = None

    @property
    def core(self) -> CorePort:
        with self._lock:
            if self._core is None:
                self._core = make_core(self.config, self.db, self.clock)
            return self._core

    def after_commit(self, session: Session) -> None:
        """Call after committing ``session``: dispatches if it enqueued anything."""
        if session.info.pop(SESSION_FLAG, False):
            self.kick()

    def kick(self) -> None:
        """Deliver what is due now, in the configured way; never raises."""
        if self.mode == "off":
            return
        if self.mode == "inline":
            self._dispatch_quietly(self.inline_batch)
            return
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="core-outbox", daemon=True)
                self._worker.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self._dispatch_quietly(100)

    def _dispatch_quietly(self, batch: int) -> None:
        try:
            report = dispatch(self.db, self.core, self.clock.now(), batch)
        except Exception:  # the change is committed and the message is safe; `core dispatch` retries
            log.exception("in-process outbox dispatch failed; the messages stay pending")
            return
        if report.stopped:
            log.warning("outbox dispatch deferred: %s", report.stopped)
