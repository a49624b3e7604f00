"""The HTTP adapter: ``CorePort`` over the protocol in DECISIONS.md.

- connect and read timeouts on every call;
- bounded retries with exponential backoff and jitter for calls that are safe to repeat: GET,
  PUT, POSTs that carry an ``Idempotency-Key``, and the withdrawal (the core treats a second
  withdrawal as a no-op);
- a circuit breaker counting failed calls (after their retries): while open, calls raise
  ``CoreUnavailable`` without touching the network.

Only an answer the core itself gives as ``application/problem+json`` with a 400, 404, 409 or 422
becomes ``CoreRejected``. Everything else (5xx, 408, 429, 401/403 from a wrong token, a proxy's
404, timeouts, dropped connections, garbage bodies) is ``CoreUnavailable``: fixing the cause and
retrying later will work, so outbox messages must not be failed for it.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any, Callable

import requests

from gateway.core.breaker import CircuitBreaker
from gateway.core.errors import CoreRejected, CoreUnavailable
from gateway.core.port import CoreEvent
from kernel.clock import Clock

REJECTING_STATUSES = frozenset({400, 404, 409, 422})
PREFIX = "/core/v1"


class HttpCore:
    def __init__(self, base_url: str, token: str | None, *, connect_timeout: float = 3.05,
                 read_timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
                 backoff_max: float = 8.0, breaker: CircuitBreaker | None = None,
                 clock: Clock | None = None, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.breaker = breaker or CircuitBreaker(clock=clock)
        self.http = session or requests.Session()
        self.sleep = sleep

    @classmethod
    def from_config(cls, cfg: dict[str, Any], clock: Clock | None = None) -> "HttpCore":
        breaker = CircuitBreaker(int(cfg.get("CORE_BREAKER_FAILURES", 5)),
                                 dt.timedelta(seconds=float(cfg.get("CORE_BREAKER_RESET_SECONDS", 30))),
                                 clock=clock)
        return cls(cfg["CORE_URL"], cfg.get("CORE_TOKEN"),
                   connect_timeout=float(cfg.get("CORE_CONNECT_TIMEOUT", 3.05)),
                   read_timeout=float(cfg.get("CORE_READ_TIMEOUT", 10)),
                   retries=int(cfg.get("CORE_RETRIES", 3)),
                   backoff=float(cfg.get("CORE_BACKOFF_SECONDS", 0.5)), breaker=breaker)

    # -- the port -------------------------------------------------------------------------

    def publish_listing(self, payload: dict[str, Any], idempotency_key: str) -> str:
        body = self._call("POST", "/listings", json=payload, idempotency_key=idempotency_key)
        return str(_field(body, "core_id"))

    def update_listing(self, core_id: str, payload: dict[str, Any]) -> None:
        self._call("PUT", f"/listings/{_segment(core_id)}", json=payload)

    def withdraw_listing(self, core_id: str, reason: str) -> None:
        self._call("POST", f"/listings/{_segment(core_id)}/withdraw", json={"reason": reason}, retry=True)

    def report_deal(self, payload: dict[str, Any], idempotency_key: str) -> str:
        body = self._call("POST", "/deals", json=payload, idempotency_key=idempotency_key)
        return str(_field(body, "core_deal_id"))

    def events_since(self, after_seq: int, limit: int = 100) -> tuple[list[CoreEvent], int]:
        body = self._call("GET", "/events", params={"after": after_seq, "limit": limit})
        try:
            events = [CoreEvent.from_wire(item) for item in body["events"]]
            return events, int(body["next"])
        except (KeyError, TypeError, ValueError):
            raise CoreUnavailable("the core's event feed answered with an unexpected body") from None

    # -- inside -----------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
              idempotency_key: str | None = None, retry: bool | None = None) -> dict[str, Any]:
        if retry is None:
            retry = method in ("GET", "PUT", "DELETE") or idempotency_key is not None
        self.breaker.before_call()
        try:
            body = self._attempts(method, path, json, params, idempotency_key, retry)
        except CoreRejected:
            self.breaker.success()  # the core answered: it is up
            raise
        except CoreUnavailable:
            self.breaker.failure()
            raise
        self.breaker.success()
        return body

    def _attempts(self, method: str, path: str, json: Any, params: dict[str, Any] | None,
                  key: str | None, retry: bool) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        attempts = 1 + (self.retries if retry else 0)
        last: CoreUnavailable | None = None
        for attempt in range(attempts):
            if attempt:
                self.sleep(self._delay(attempt))
            try:
                resp = self.http.request(method, self.base_url + PREFIX + path, json=json, params=params,
                                         headers=headers, timeout=self.timeout)
            except requests.Timeout as exc:
                last = CoreUnavailable(f"the core did not answer {method} {path} in time "
                                       f"({exc.__class__.__name__})")
                continue
            except requests.RequestException as exc:
                last = CoreUnavailable(f"cannot reach the core for {method} {path}: {exc.__class__.__name__}")
                continue
            try:
                return self._read(resp, method, path)
            except CoreUnavailable as exc:
                last = exc
        assert last is not None
        raise last

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter (so many gateways do not retry in step)."""
        cap = min(self.backoff * (2 ** (attempt - 1)), self.backoff_max)
        return random.uniform(cap / 2, cap) if cap > 0 else 0.0

    @staticmethod
    def _read(resp: requests.Response, method: str, path: str) -> dict[str, Any]:
        is_problem = resp.headers.get("Content-Type", "").startswith("application/problem+json")
        if resp.status_code in REJECTING_STATUSES and is_problem:
            try:
                problem = resp.json()
            except ValueError:
                problem = {}
            raise CoreRejected(str(problem.get("detail") or resp.reason),
                               reason=str(problem.get("code", "rejected")), status=resp.status_code)
        if not 200 <= resp.status_code < 300:
            raise CoreUnavailable(f"the core answered {resp.status_code} to {method} {path}",
                                  status=resp.status_code)
        try:
            body = resp.json()
        except ValueError:
            raise CoreUnavailable(f"the core's answer to {method} {path} is not JSON") from None
        if not isinstance(body, dict):
            raise CoreUnavailable(f"the core's answer to {method} {path} is not a JSON object")
        return body


def _field(body: dict[str, Any], name: str) -> Any:
    if not body.get(name):
        raise CoreUnavailable(f"the core's answer lacks {name!r}")
    return body[name]


def _segment(core_id: str) -> str:
    from urllib.parse import quote

    return quote(str(core_id), safe="")
