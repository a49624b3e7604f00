"""Imports every models module so that ``Base.metadata`` knows the whole schema.

Alembic's env.py and the drift test use this; add each new models module here.
"""
from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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
    "gateway.trading.models",
)


#: database objects that live outside the models' metadata on purpose (SQLite's FTS5 table for
#: listing search and its shadow tables, created by migration 0006)
UNMODELLED_TABLE_PREFIXES = ("listings_fts",)
#: expression indexes declared with ``ddl_if(dialect="postgresql")``: absent on SQLite
POSTGRESQL_ONLY_INDEXES = ("ix_listings_search_tsv",)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook, shared by migrations/env.py and the drift test, so that
    autogenerate and the test compare exactly the same objects."""
    return not (type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIXES))


@contextmanager
def expression_index_warnings_silenced(dialect: str) -> Iterator[None]:
    """SQLite cannot hold the PostgreSQL-only expression indexes (declared with
    ``ddl_if(dialect="postgresql")``), and Alembic warns that it skips them there; on
    PostgreSQL they are compared like any other index and nothing is silenced."""
    with warnings.catch_warnings():
        if dialect != "postgresql":
            for name in POSTGRESQL_ONLY_INDEXES:
                warnings.filterwarnings(
                    "ignore", message=f"autogenerate skipping metadata-specified expression-based "
                                      f"index '{name}'")
        yield


def import_all_models() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from kernel.db import Base

    return Base.metadata
