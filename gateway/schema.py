"""Imports every models module so that ``Base.metadata`` knows the whole schema.

Alembic's env.py and the drift test use this; add each new models module here.
"""
from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import MetaData

MODEL_MODULES = (
    "kernel.parties.models",
    "kernel.audit.models",
    "kernel.idempotency",
    "gateway.auth.models",
    "settlement.fx.models",
    "settlement.ledger.models",
    "compliance.screening.models",
    "compliance.cases.models",
    "compliance.export_control.models",
    "compliance.payments.models",
    "gateway.core.embedded_models",
    "gateway.core.models",
    "gateway.listings.models",
    "settlement.plans.models",
    "settlement.reconciliation.models",
    "gateway.trading.models",
)


#: database objects that live outside the models' metadata on purpose, because each exists on
#: one database only: SQLite's FTS5 table for listing search and its shadow tables (migration
#: 0006); PostgreSQL's side table of tsvectors for the same search, kept in step by a trigger
#: (0013, which replaced 0010's stored column listings.search_vector)
UNMODELLED_TABLE_PREFIXES = ("listings_fts", "listing_search_vectors")
UNMODELLED_COLUMNS: set[tuple[str, str]] = set()
UNMODELLED_INDEXES = ("ix_listing_search_vectors_vector",)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook, shared by migrations/env.py and the drift test, so that
    autogenerate and the test compare exactly the same objects."""
    if type_ == "table":
        return not (name and name.startswith(UNMODELLED_TABLE_PREFIXES))
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in UNMODELLED_COLUMNS
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    return True


def import_all_models() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from kernel.db import Base

    return Base.metadata
