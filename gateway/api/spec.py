"""The OpenAPI document tells the truth about errors.

Every error leaves as ``application/problem+json`` (gateway/errors.py), so the document says so:
flask-smorest's own ``Error`` schema (``{code: int, status: str, message}`` as
``application/json``) and its catch-all ``default`` response are replaced by a ``Problem``
schema and, per operation, the statuses it can really answer with, derived from what the view
declares (its access rule, path parameters, request body, ``@idempotent``, a rate limit). Every
blueprint registered through ``register_api`` is covered, so new areas need nothing extra.
"""
from __future__ import annotations

import http
from typing import Any, Callable

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields

PROBLEM_MEDIA_TYPE = "application/problem+json"
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
BODY_METHODS = frozenset({"post", "put", "patch"})


class ProblemSchema(Schema):
    """An RFC 9457 problem document; areas add members of their own (``locked_until``...)."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: extension members are allowed

    type = fields.String(required=True, metadata={"description": "/problems/<code> or about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    code = fields.String(metadata={"description": "stable machine-readable error code"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "messages per field (dotted paths)"})


class GatewayApi(Api):
    """flask-smorest's ``Api`` with problem documents instead of its ``Error`` schema."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # statuses are listed per operation instead of "default"

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)


def may_answer(*statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare error statuses a view answers beyond the usual ones (e.g. 428 when an edit needs
    the version read, 415 for an unsupported upload type), so the OpenAPI document lists them."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.extra_problem_statuses = tuple(statuses)  # type: ignore[attr-defined]
        return view

    return mark


def _chain(func: Callable[..., Any] | None) -> list[Callable[..., Any]]:
    """A view function and everything it wraps (decorators keep ``__wrapped__``)."""
    out = []
    while func is not None and func not in out:
        out.append(func)
        func = getattr(func, "__wrapped__", None)
    return out


def _handler(view: Callable[..., Any], method: str) -> Callable[..., Any] | None:
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method, None) if view_class is not None else view


def error_statuses(app: Flask, endpoint: str, method: str, has_path_params: bool) -> set[int]:
    """The error statuses an operation can answer with, from what its view declares."""
    from gateway.auth.access import rule_for

    view = app.view_functions[endpoint]
    chain = _chain(_handler(view, method))
    rule = rule_for(view, method.upper())
    statuses = {500, 503}  # unexpected errors; the database unavailable
    if rule is None or not rule.public:
        statuses |= {401, 403}
    if has_path_params:
        statuses |= {404, 422}
    if method in BODY_METHODS:
        # malformed JSON, a thing the body refers to does not exist, over MAX_CONTENT_LENGTH,
        # invalid fields
        statuses |= {400, 404, 413, 422}
    if method in UNSAFE_METHODS:
        statuses |= {409, 422}  # a domain conflict or a constraint at commit; domain refusals
    if any(getattr(f, "idempotent", False) for f in chain):
        statuses |= {400, 409, 422}  # malformed key; key in flight; key reused with another body
    for f in chain:
        statuses |= set(getattr(f, "extra_problem_statuses", ()))
    if any(hasattr(f, "__wrapper-limiter-instance") for f in chain) or \
            app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        statuses.add(429)
    return statuses


IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "a key of the caller's choosing: a retry with the same key and body gets the "
                   "first response again (kept 24 hours)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


class ProblemResponsesPlugin(BasePlugin):
    """apispec plugin: list each operation's error statuses (``$ref`` to the problem responses),
    document ``Idempotency-Key`` where honoured, and mark public operations as needing no auth."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        from gateway.auth.access import rule_for

        view = self.app.view_functions[rule.endpoint]
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            for status in sorted(error_statuses(self.app, rule.endpoint, method, bool(rule.arguments))):
                responses.setdefault(str(status), http.HTTPStatus(status).name)
            chain = _chain(_handler(view, method))
            if any(getattr(f, "idempotent", False) for f in chain):
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params if isinstance(p, dict)):
                    params.append(dict(IDEMPOTENCY_KEY_PARAMETER))
            access = rule_for(view, method.upper())
            if access is not None and access.public:
                operation["security"] = []


def make_api(app: Flask) -> GatewayApi:
    return GatewayApi(app, spec_kwargs={"extra_plugins": [ProblemResponsesPlugin(app)]})
