"""Reconciliation: bank statements in, matches against settlement instructions out.

``statements`` holds the pure parsers (camt.053 XML and profiled CSV) that turn a bank file into
plain ``Statement`` values. ``importer`` stores them once; ``matching`` matches their lines to
the ``ExpectedPayment`` values an ``ExpectedPaymentSource`` (the settlement plans) lists;
``posting`` posts matches to the ledger and tells the source; ``exceptions`` is finance's queue;
``report`` the per-account reconciliation report.
"""
from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.expected import (
    IN, OUT, ExpectedPayment, ExpectedPaymentSource, ReversalNotice, SettlementNotice,
)

__all__ = ["IN", "OUT", "ExpectedPayment", "ExpectedPaymentSource", "ReconciliationConfig",
           "ReversalNotice", "SettlementNotice"]
