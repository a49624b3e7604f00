"""The Flask application factory."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, g
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from gateway import core as gateway_core
from gateway import errors, idempotency, observability
from gateway.config import load_config
from gateway.extensions import babel, csrf, limiter, select_locale, select_timezone
from kernel.clock import Clock, SystemClock
from kernel.faults import failure_point
from kernel.db import Database

API_SPEC = {
    "API_TITLE": "Technology Trade Gateway",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "v1/openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
    "API_SPEC_OPTIONS": {
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
        }},
        "security": [{"bearerAuth": []}],
        "info": {"description": "Cross-border technology trade and settlement gateway. "
                                "Money travels as {\"amount\": \"1234.50\", \"currency\": \"USD\"}."},
    },
}

# endpoints of the framework itself, open to anyone (the API's own routes declare rules)
FRAMEWORK_PUBLIC_ENDPOINTS = frozenset({
    "static", "web.static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui",
})


def create_app(config: dict[str, Any] | None = None, *, db: Database | None = None,
               clock: Clock | None = None) -> Flask:
    """Build the app. Tests pass ``config``, a ``db`` bound to their transaction and a clock."""
    cfg = load_config(config)
    app = Flask(__name__, instance_relative_config=False)
    # before any route is added: every <int:...> in a path is a 64-bit id or does not match
    app.url_map.converters["int"] = errors.IdConverter
    app.config.update(cfg)
    app.config.update(API_SPEC)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE_URI"]
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # tied to the session instead
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.json.sort_keys = False  # type: ignore[attr-defined]
    observability.configure_logging(cfg["LOG_LEVEL"])

    from gateway import db as gateway_db

    db = db or Database(cfg["DATABASE_URL"], ping_after_idle=cfg["DB_PING_AFTER_IDLE_SECONDS"])
    gateway_db.init_app(app, db, clock or SystemClock())
    observability.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from gateway.api.spec import make_api

    api = make_api(app)
    # after flask-smorest, whose own HTTPException handler ours replaces with problem+json
    errors.init_app(app)

    from gateway import cli, health
    from gateway.api import register_api
    from gateway.web import register_web

    from gateway import settlement

    settlement.init_app(app)
    health.init_app(app)
    register_api(app, api)
    register_web(app)
    cli.init_app(app)
    gateway_core.init_app(app)
    _finish_requests(app)
    return app


def _finish_requests(app: Flask) -> None:
    """Commit the request's unit of work when it succeeded, roll it back otherwise."""

    @app.after_request
    def _commit_or_roll_back(response: Response) -> Response:
        session = g.get("db_session")
        if response.status_code >= 400:
            if session is not None:
                try:
                    session.rollback()
                except OperationalError:  # the connection died with the database: nothing to undo
                    app.logger.warning("rollback on a lost connection", exc_info=True)
            idempotency.after_failure()
            return response
        if session is None:
            return response
        try:
            idempotency.before_commit(response)
            failure_point("gateway.before_commit")  # the view's work done, nothing committed
            session.commit()
            failure_point("gateway.after_commit")  # committed, the response never sent
        except IntegrityError:
            session.rollback()
            idempotency.after_failure()
            app.logger.warning("commit refused by a constraint", exc_info=True)
            return errors.problem(409, "Conflict", "the change clashes with data written meanwhile; "
                                  "reload and try again", code="write_conflict")
        except DataError:
            session.rollback()
            idempotency.after_failure()
            app.logger.warning("commit refused a value", exc_info=True)
            return errors.value_out_of_range()
        except OperationalError:
            session.rollback()
            idempotency.after_failure()
            app.logger.error("database unavailable at commit", exc_info=True)
            return errors.database_unavailable()
        app.extensions[gateway_core.EXTENSION].after_commit(session)  # delivers outbox messages; never raises
        return response
