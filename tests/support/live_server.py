"""A real werkzeug server on a free loopback port, in a thread, for the duration of a ``with``."""
from __future__ import annotations

import threading
import time
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator


class _InFlight:
    """Counts requests the app is still handling (until the server closes their response, when
    Flask's teardown returns the database connection)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.busy = 0
        self.cond = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.cond:
            self.busy += 1
        try:
            return ClosingIterator(self.app(environ, start_response), [self._done])
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self.cond:
            self.busy -= 1
            self.cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


class LiveServer:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._tracked = _InFlight(app)
        self.server = make_server("127.0.0.1", 0, self._tracked, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        # a request the client gave up on (a read timeout, a dropped connection) may still be
        # running in its handler thread: let it finish and return its database connection
        # before the caller disposes of the engine (else the connection outlives its pool)
        self._tracked.wait_idle(10)
        self.server.server_close()
