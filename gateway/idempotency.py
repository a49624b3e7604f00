"""``Idempotency-Key`` on POSTs that create something (see kernel/idempotency.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import wraps
from typing import Any, Callable

from flask import Response, current_app, g, request
from sqlalchemy.exc import OperationalError

from gateway.auth.access import require_principal
from gateway.db import db_session, get_clock, get_db
from gateway.errors import problem
from kernel.idempotency import claim_key, release_key, store_response

HEADER = "Idempotency-Key"


def _multipart_canonical() -> bytes:
    """A multipart body by what it says, not how it is framed: every client picks a new random
    boundary per attempt, so the raw bytes of a retried upload never match the first."""
    fields = sorted((k, v) for k, vs in request.form.lists() for v in vs)
    files = []
    for name, upload in request.files.items(multi=True):
        files.append((name, hashlib.sha256(upload.stream.read()).hexdigest()))
        upload.stream.seek(0)
    return json.dumps({"form": fields, "files": sorted(files)}, separators=(",", ":")).encode()


def _fingerprint() -> str:
    if request.mimetype == "multipart/form-data":
        canonical = _multipart_canonical()
    else:
        raw = request.get_data(cache=True)
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            canonical = raw
    return hashlib.sha256(request.path.encode() + b"\n" + canonical).hexdigest()


def _end_reading_transaction() -> None:
    """End the request session's transaction, which so far has only read the caller's token.

    On SQLite a writing request's session holds the database's single writer lock from its
    first statement (``BEGIN IMMEDIATE``), and the claim below commits in a transaction of its
    own: without this the claim waits for a lock its own request holds, until busy_timeout
    (30 s) ends in "database is locked".
    """
    session = g.get("db_session")
    if session is not None and session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("@idempotent must run before the view writes anything")
        session.rollback()


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Honour ``Idempotency-Key``: replay the first response, refuse a changed body or a
    duplicate still in flight. Requests without the header run as usual."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not (1 <= len(key) <= 255) or not key.isprintable():
            return problem(400, "Bad Request", f"{HEADER} must be 1 to 255 printable characters",
                           code="bad_idempotency_key", errors={HEADER: ["malformed"]})
        principal = require_principal()
        cfg = current_app.config
        _end_reading_transaction()
        claim = claim_key(
            get_db(), scope=principal.actor, route=f"{request.method} {request.path}", key=key,
            request_hash=_fingerprint(), now=get_clock().now(),
            ttl=dt.timedelta(hours=cfg["IDEMPOTENCY_TTL_HOURS"]),
            stale_after=dt.timedelta(seconds=cfg["IDEMPOTENCY_STALE_SECONDS"]),
        )
        if claim.outcome == "replay":
            resp = Response(claim.body, status=claim.status, mimetype="application/json")
            if claim.location:
                resp.headers["Location"] = claim.location
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
        if claim.outcome == "mismatch":
            return problem(422, "Unprocessable Content",
                           f"{HEADER} {key!r} was already used with a different request body",
                           code="idempotency_key_reused")
        if claim.outcome == "busy":
            return problem(409, "Conflict",
                           f"a request with {HEADER} {key!r} is still being processed; retry later",
                           code="idempotency_key_in_flight")
        g.idempotency_claim = claim.record_id
        return view(*args, **kwargs)

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def before_commit(response: Response) -> None:
    """Store the response beside the work, in the same transaction (called before commit)."""
    record_id = g.get("idempotency_claim")
    if record_id is not None:
        store_response(db_session(), record_id, status=response.status_code,
                       body=response.get_data(as_text=True),
                       location=response.headers.get("Location"))


def after_failure() -> None:
    """The request failed: forget the claim so a retry may run."""
    record_id = g.pop("idempotency_claim", None)
    if record_id is not None:
        try:
            release_key(get_db(), record_id)
        except OperationalError:
            # the database is gone: the claim stays "in progress" and is taken over by a retry
            # once it is IDEMPOTENCY_STALE_SECONDS old (its work never committed)
            current_app.logger.warning("could not release idempotency claim %s", record_id)
