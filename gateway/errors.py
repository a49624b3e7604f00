"""Every error leaves as ``application/problem+json`` (RFC 9457), mapped in this one place."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, redirect, render_template, request, url_for
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from kernel.errors import DomainError

log = logging.getLogger("gateway.errors")

STATUS_BY_KIND = {
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "forbidden": 403,
    "unauthenticated": 401,
    "unavailable": 503,
}


class Unauthenticated(DomainError):
    """No valid credentials were given."""

    kind = "unauthenticated"
    code = "unauthenticated"


def problem(status: int, title: str, detail: str | None = None, *, code: str | None = None,
            errors: dict[str, Any] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": f"/problems/{code}" if code else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    body.update(extra)
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="gateway"'
    return resp


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a non-negative integer that fits a 64-bit id column.

    A larger number in a path is no id of ours (404) rather than a value the database driver
    cannot bind (a 500 on SQLite, out of range on PostgreSQL).
    """

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def database_unavailable() -> Response:
    resp = problem(503, "Service Unavailable", "the database is unavailable; retry later",
                   code="database_unavailable")
    resp.headers["Retry-After"] = "5"
    return resp


def value_out_of_range() -> Response:
    return problem(422, "Unprocessable Content",
                   "a value in the request is out of range or too long for what it names",
                   code="value_out_of_range")


def _flatten_messages(messages: Any) -> dict[str, list[str]]:
    """webargs gives ``{"json": {"field": ["msg"]}}``; clients want ``{"field": ["msg"]}``."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out.setdefault(prefix or "_body", []).extend(value)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(f"{prefix}.{i}", v)
        else:
            out.setdefault(prefix or "_body", []).append(str(value))

    if isinstance(messages, dict):
        for location, value in messages.items():
            walk("" if location in ("json", "form", "files") else location, value)
    else:
        walk("", messages)
    return out


def domain_error_response(err: DomainError) -> Response:
    status = STATUS_BY_KIND.get(err.kind, 422)
    extra = {k: v for k, v in err.extra.items() if k not in ("type", "title", "status", "errors")}
    title = (err.__class__.__doc__ or err.code).strip().splitlines()[0]
    # one field's error, or (validating a whole document) ``errors={"rows.3.trl": [...]}``
    errors = {err.field: [err.detail]} if err.field else err.extra.get("errors")
    return problem(status, title, err.detail, code=err.code, errors=errors, **extra)


def _web_page_error(status: int, title: str, detail: str | None) -> Response | None:
    """Pages answer people with pages: sign-in for the anonymous, an error page otherwise."""
    if request.blueprint != "web":
        return None
    if status == 401:
        return redirect(url_for("web.login", next=request.path))
    return Response(render_template("error.html", status=status, title=title, detail=detail),
                    status=status, mimetype="text/html")


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Response:
        resp = domain_error_response(err)
        page = _web_page_error(resp.status_code, err.code, err.detail)
        return page or resp

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        data = getattr(err, "data", None) or {}
        errors = _flatten_messages(data["messages"]) if "messages" in data else None
        status = err.code or 500
        detail = err.description
        if status == 422 and errors:
            detail = "The request body failed validation: " + "; ".join(
                f"{field}: {', '.join(msgs)}" for field, msgs in sorted(errors.items()))
        page = _web_page_error(status, err.name, detail)
        if page is not None:
            return page
        resp = problem(status, err.name, detail, code=err.name.lower().replace(" ", "_"), errors=errors)
        if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
            resp.headers["Allow"] = ", ".join(err.valid_methods)
        return resp

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(err: Exception) -> Response:
        # a value the schemas let through but the database cannot hold (a number beyond 64
        # bits, a string beyond its column on PostgreSQL): the request's fault, not ours
        log.warning("value refused by the database driver: %s", type(err).__name__)
        return value_out_of_range()

    @app.errorhandler(OperationalError)
    def _database_unavailable(err: OperationalError) -> Response:
        # the database went away (restart, network, SQLite busy past its timeout); nothing was
        # committed, so the client may retry (with the same Idempotency-Key for writes)
        log.error("database unavailable: %s", type(getattr(err, "orig", err)).__name__)
        return database_unavailable()

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "Internal Server Error",
                       "The server could not complete the request; it has been logged.",
                       code="internal_error")
