"""The request's database session: one transaction per request.

A request that ends with a status below 400 commits its session; anything else rolls back, so
a failure leaves nothing half-written. Safe methods get a read-only session (on PostgreSQL
outside a transaction: no BEGIN/COMMIT round trips; a flush is refused); unsafe ones a writing
one (``BEGIN IMMEDIATE`` on SQLite).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from kernel.clock import Clock
from kernel.db import Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db() -> Database:
    return current_app.extensions["gateway.db"]


def get_clock() -> Clock:
    return current_app.extensions["gateway.clock"]


def db_session() -> Session:
    if "db_session" not in g:
        if request.method in SAFE_METHODS:
            session = get_db().read_only_session()
            event.listen(session, "before_flush", _refuse_writes)
        else:
            session = get_db().session(write=True)
        g.db_session = session
    return g.db_session


def _refuse_writes(session: Session, flush_context: Any, instances: Any) -> None:
    """A GET, HEAD or OPTIONS request reads only: on PostgreSQL its session runs outside a
    transaction, where a write would commit at once, whatever became of the request."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(f"{request.method} {request.path} tried to write; reads only")


def init_app(app: Flask, db: Database, clock: Clock) -> None:
    app.extensions["gateway.db"] = db
    app.extensions["gateway.clock"] = clock

    @app.teardown_request
    def _close_session(exc: BaseException | None) -> None:
        session: Any = g.pop("db_session", None)
        if session is not None:
            try:
                if exc is not None or session.in_transaction():
                    session.rollback()
                session.close()
            except OperationalError:  # the connection died with the database: nothing to undo
                session.invalidate()
