"""Reconciliation tolerances as data: date window, name similarity, charges and write-off limits.

Defaults are a starting point for a finance team to change (``RECONCILIATION`` in the app config,
a JSON object with these field names; money limits in minor units per currency).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Mapping

from moneyed import Money

from kernel.money import from_minor
from settlement.reconciliation.matching.references import DEFAULT_HUMAN_PATTERN

# Intermediary charges seen on SHA/BEN SWIFT transfers are typically 10-40 in the major
# currencies; 50 leaves room without swallowing a real short payment.
_CHARGES = {"EUR": 5000, "USD": 5000, "GBP": 5000, "CHF": 5000, "CAD": 5000, "DKK": 40000,
            "HKD": 40000, "CNY": 40000, "KRW": 70000, "JPY": 7000}
_WRITE_OFF = {"EUR": 1000, "USD": 1000, "GBP": 1000, "CHF": 1000, "CAD": 1000, "DKK": 8000,
              "HKD": 8000, "CNY": 8000, "KRW": 15000, "JPY": 1500}


@dataclass(frozen=True)
class ReconciliationConfig:
    """Every tolerance the matcher and the exceptions queue apply."""

    #: a payment's value date may be this many days either side of its due date (rules 2, 3)
    date_window_days: int = 7
    #: payer/payee name similarity (0-100, rapidfuzz token-set ratio) needed by rules 2 and 3
    name_threshold: int = 85
    #: two candidates closer than this in score are equally good: the line goes to exceptions
    ambiguity_margin: int = 3
    #: largest charges deducted on the way (SHA/BEN) that still match, minor units per currency
    charges_limits: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(_CHARGES))
    #: largest difference finance may write off, minor units per currency
    write_off_limits: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(_WRITE_OFF))
    #: FX receipts: the booked amount may differ from instructed x rate by this many basis
    #: points (rounding of the rate the bank prints), on top of the charges limit
    fx_rate_tolerance_bp: int = 5
    #: grouped matching searches subsets of at most this many candidates / lines
    group_max_candidates: int = 12
    group_max_lines: int = 6
    #: an instruction this many days past due and unpaid is listed in the exceptions queue
    unpaid_grace_days: int = 3
    #: the human reference, in compact form (upper case, letters and digits only)
    human_reference_pattern: str = DEFAULT_HUMAN_PATTERN
    #: largest statement file accepted
    max_bytes: int = 256 * 1024 * 1024

    def charges_limit(self, currency: str) -> int:
        return int(self.charges_limits.get(currency, 0))

    def write_off_limit(self, currency: str) -> int:
        return int(self.write_off_limits.get(currency, 0))

    def write_off_limit_money(self, currency: str) -> Money:
        return from_minor(self.write_off_limit(currency), currency)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> "ReconciliationConfig":
        """From the app config's ``RECONCILIATION`` (a dict or a JSON string), else defaults."""
        raw = config.get("RECONCILIATION")
        if not raw:
            return cls()
        values = json.loads(raw) if isinstance(raw, str) else dict(raw)
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown RECONCILIATION settings: {sorted(unknown)}")
        base = cls()
        for key in ("charges_limits", "write_off_limits"):
            if key in values:
                values[key] = MappingProxyType({**getattr(base, key), **values[key]})
        return replace(base, **values)


__all__ = ["ReconciliationConfig"]
