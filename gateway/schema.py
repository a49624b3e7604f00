"""Imports every models module so that ``Base.metadata`` knows the whole schema.

Alembic's env.py and the drift test use this; add each new models module here.
"""
from __future__ import annotations

import importlib

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
    "settlement.reconciliation.models",
)


def import_all_models() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from kernel.db import Base

    return Base.metadata
