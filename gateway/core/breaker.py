"""A circuit breaker: after repeated failures, fail fast for a cool-down, then probe once.

pybreaker would do, but it reads the wall clock; this one takes the kernel ``Clock`` so tests
move time instead of sleeping, and it is thread-safe (one adapter serves every request thread).
"""
from __future__ import annotations

import datetime as dt
import threading

from gateway.core.errors import CoreUnavailable
from kernel.clock import Clock, SystemClock

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, failure_threshold: int = 5, reset_timeout: dt.timedelta = dt.timedelta(seconds=30),
                 clock: Clock | None = None, name: str = "core") -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.clock = clock or SystemClock()
        self.name = name
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at: dt.datetime | None = None
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    def before_call(self) -> None:
        """Let the call through, or raise ``CoreUnavailable`` at once while the circuit is open.

        After the cool-down one caller is let through as a probe (half-open); the others keep
        failing fast until the probe has answered."""
        with self._lock:
            if self._state == CLOSED:
                return
            now = self.clock.now()
            assert self._opened_at is not None
            reopen_at = self._opened_at + self.reset_timeout
            if self._state == OPEN and now >= reopen_at:
                self._state, self._probing = HALF_OPEN, False
            if self._state == HALF_OPEN and not self._probing:
                self._probing = True
                return
            wait = max((reopen_at - now).total_seconds(), 0.0)
            raise CoreUnavailable(f"the {self.name} circuit is open after {self._failures} failures; "
                                  f"not calling for another {wait:.0f} s", circuit="open",
                                  retry_after=round(wait))

    def success(self) -> None:
        with self._lock:
            self._state, self._failures, self._opened_at, self._probing = CLOSED, 0, None, False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == HALF_OPEN or self._failures >= self.failure_threshold:
                self._state, self._opened_at, self._probing = OPEN, self.clock.now(), False
