"""Which ``ExpectedPaymentSource`` the app matches statements against.

The settlement plans module provides the real one; until it is wired in (the lead sets
``app.extensions["reconciliation.source"]`` on merge), nothing is expected, so every line goes
to the exceptions queue for finance. Tests put an in-memory source there.
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

from flask import current_app

from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.expected import (
    ExpectedPayment, ExpectedPaymentSource, ReversalNotice, SettlementNotice,
)

KEY = "reconciliation.source"


class NothingExpected:
    """A source with no open payments (before settlement plans are wired in)."""

    def open_payments(self, session: object, *, currency: str | None, since: dt.date,
                      until: dt.date) -> list[ExpectedPayment]:
        return []

    def payments(self, session: object, instruction_ids: Sequence[str]
                 ) -> Mapping[str, ExpectedPayment]:
        return {}

    def funds_received(self, session: object, notices: Sequence[SettlementNotice]) -> None:
        return None

    def funds_paid_out(self, session: object, notices: Sequence[SettlementNotice]) -> None:
        return None

    def settlement_reverted(self, session: object, notice: ReversalNotice) -> None:
        return None


def get_source() -> ExpectedPaymentSource:
    return current_app.extensions.get(KEY) or NothingExpected()


def get_config() -> ReconciliationConfig:
    return ReconciliationConfig.from_mapping(current_app.config)
