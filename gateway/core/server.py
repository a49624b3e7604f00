"""The embedded core served over HTTP (``flask --app wsgi core serve``).

A small Flask app of its own, not routes on the gateway: it stands in for the exchange's
system, and the gateway's access rules (users, roles) mean nothing to it. Callers authenticate
with the shared secret ``CORE_TOKEN`` as a bearer token. Errors are problem+json; a refusal the
caller must not retry is 400/404/409/422, anything else is retryable.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from gateway.core.embedded import EmbeddedCore
from gateway.core.errors import CoreRejected, CoreUnavailable
from gateway.errors import problem
from kernel.clock import Clock, SystemClock
from kernel.db import Database

log = logging.getLogger("gateway.core.server")


def create_core_app(config: dict[str, Any], *, db: Database | None = None,
                    clock: Clock | None = None) -> Flask:
    """``config`` needs ``CORE_TOKEN`` and, unless ``db`` is given, ``DATABASE_URL``."""
    token = config.get("CORE_TOKEN")
    if not token:
        raise RuntimeError("CORE_TOKEN is not set: the core server refuses to run without a shared secret")
    app = Flask("gateway.core.server")
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    core = EmbeddedCore(db or Database(config["DATABASE_URL"]), clock or SystemClock())
    app.extensions["core.embedded"] = core

    @app.before_request
    def _authenticate() -> Response | None:
        if request.path == "/core/v1/healthz":
            return None
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return problem(401, "Unauthorized", "send 'Authorization: Bearer <CORE_TOKEN>'",
                           code="unauthenticated")
        return None

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise CoreRejected("the body must be a JSON object", reason="invalid_payload", status=400)
        return data

    def key() -> str:
        value = request.headers.get("Idempotency-Key")
        if not value:
            raise CoreRejected("this request needs an Idempotency-Key", reason="idempotency_key_missing",
                               status=400)
        return value

    @app.get("/core/v1/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.post("/core/v1/listings")
    def publish() -> Any:
        return jsonify(core_id=core.publish_listing(body(), key())), 201

    @app.put("/core/v1/listings/<core_id>")
    def update(core_id: str) -> Any:
        core.update_listing(core_id, body())
        return jsonify(core_id=core_id)

    @app.post("/core/v1/listings/<core_id>/withdraw")
    def withdraw(core_id: str) -> Any:
        reason = body().get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise CoreRejected("a withdrawal needs a reason", reason="invalid_payload", status=422)
        core.withdraw_listing(core_id, reason)
        return jsonify(core_id=core_id, status="withdrawn")

    @app.post("/core/v1/deals")
    def report_deal() -> Any:
        return jsonify(core_deal_id=core.report_deal(body(), key())), 201

    @app.get("/core/v1/events")
    def events() -> Any:
        after = request.args.get("after", "0")
        limit = request.args.get("limit", "100")
        if not after.isdigit() or not limit.isdigit() or int(limit) < 1:
            raise CoreRejected("after must be a whole number >= 0 and limit >= 1", reason="invalid_query",
                               status=400)
        items, nxt = core.events_since(int(after), int(limit))
        return jsonify(events=[e.to_wire() for e in items], next=nxt)

    @app.errorhandler(CoreRejected)
    def _rejected(err: CoreRejected) -> Response:
        return problem(err.status, "Rejected by the core", err.detail, code=err.reason)

    @app.errorhandler(CoreUnavailable)
    def _unavailable(err: CoreUnavailable) -> Response:
        resp = problem(503, "Service Unavailable", err.detail, code=err.code)
        resp.headers["Retry-After"] = "1"
        return resp

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        return problem(err.code or 500, err.name, err.description, code=err.name.lower().replace(" ", "_"))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("core server error")
        return problem(500, "Internal Server Error", "the core could not complete the request",
                       code="internal_error")

    return app
