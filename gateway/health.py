"""Liveness and readiness probes (readiness includes the outbox backlog)."""
from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from compliance.screening.lists import active_versions
from gateway.auth.access import public
from gateway.core.backlog import outbox_backlog
from gateway.db import get_clock, get_db
from gateway.errors import problem

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def init_app(app: Flask) -> None:
    heads = head_revisions()

    @app.get("/healthz")
    @public
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok")

    @app.get("/readyz")
    @public
    def readyz() -> ResponseReturnValue:
        try:
            with get_db().session() as session:
                current = set(session.execute(text("SELECT version_num FROM alembic_version")).scalars())
                # the outbox table is only known to exist once the schema is at head
                backlog = outbox_backlog(session, get_clock().now()) if current == heads else None
                lists = [name for name, _v, _id in active_versions(session)] if backlog else []
        except SQLAlchemyError:
            return problem(503, "Service Unavailable", "the database is unreachable", code="database_unreachable")
        if backlog is None:
            return problem(503, "Service Unavailable",
                           f"the database is at {sorted(current)}, the code expects {sorted(heads)}: run migrations",
                           code="migrations_pending")
        limit = current_app.config["CORE_OUTBOX_MAX_AGE_SECONDS"]
        outbox = {"pending": backlog.pending, "failed": backlog.failed,
                  "oldest_undelivered_at": backlog.oldest_at.isoformat() if backlog.oldest_at else None,
                  "oldest_age_seconds": backlog.oldest_age_seconds, "max_age_seconds": limit}
        # degraded, not unready: the gateway keeps serving while the core is behind or down (the
        # outbox holds the messages), so a load balancer must not take it out of rotation
        status = "degraded" if backlog.too_old(limit) else "ready"
        # screening with no watch list active clears everyone: say so where operators look (the
        # status stays as it is, a fresh install has to be able to start before lists are loaded)
        screening: dict[str, object] = {"active_lists": lists}
        if not lists:
            screening["warning"] = "no watch list is loaded: screening clears every party (compliance load-list)"
        return jsonify(status=status, migrations=sorted(current), outbox=outbox, screening=screening)
