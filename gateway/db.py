"""The request's database session: one transaction per request.

A request that ends with a status below 400 commits its session; anything else rolls back, so
a failure leaves nothing half-written. Safe methods get a plain (reading) session; unsafe ones
a writing one (``BEGIN IMMEDIATE`` on SQLite).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
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
        g.db_session = get_db().session(write=request.method not in SAFE_METHODS)
    return g.db_session


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
