"""Liveness and readiness probes."""
from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.access import public
from gateway.db import get_db
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
            with get_db().engine.connect() as conn:
                current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except SQLAlchemyError:
            return problem(503, "Service Unavailable", "the database is unreachable", code="database_unreachable")
        if current != heads:
            return problem(503, "Service Unavailable",
                           f"the database is at {sorted(current)}, the code expects {sorted(heads)}: run migrations",
                           code="migrations_pending")
        return jsonify(status="ready", migrations=sorted(current))
