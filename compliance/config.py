"""Compliance settings: thresholds, windows and country rules as data, each with its source.

``ComplianceConfig.from_mapping(app.config)`` reads flat ``COMPLIANCE_*`` keys (the gateway's
config table, environment variables ``GATEWAY_COMPLIANCE_*``); anything missing keeps the
default below. Services take the config as an argument, so nothing here is read at import time.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from compliance.screening import ScreeningThresholds
from kernel.errors import InvalidInput

#: where the defaults come from; summaries from secondary sources (FORMATS.md): check before use
SOURCES = {
    "payment_threshold_usd_minor": (
        "SAFE/STA announcement 2013 No. 40 (as amended): a single outbound payment for services, "
        "royalties or licence fees above USD 50,000 equivalent needs a tax filing record; one "
        "filing per contract covers its later payments"),
    "tax_filing_kinds": (
        "the filing rule covers payments for services, royalties and licence fees (technology "
        "transfer fees are royalties or services); refunds of deposits are not income"),
    "structuring_window_days": (
        "internal policy: payments split to stay under the filing threshold; window and count "
        "chosen by the compliance desk, not by regulation"),
    "registration_due_days": (
        "Regulations on Technology Import and Export Administration, art. 17/40: contracts of "
        "freely tradeable technology are registered; registration within 60 days of signing"),
    "embargoed_countries": (
        "comprehensive embargoes that bind the exchange or its overseas sub-centres: UN Security "
        "Council measures on the DPRK, and the US comprehensive programmes (Cuba, Iran, Syria) "
        "that bind the US sub-centre; operators adjust the list"),
}


def _default_embargoes() -> tuple[str, ...]:
    return ("CU", "IR", "KP", "SY")


@dataclass(frozen=True)
class ComplianceConfig:
    """Every number the compliance rules use; defaults documented in ``SOURCES``."""

    screening: ScreeningThresholds = field(default_factory=ScreeningThresholds)
    #: USD 50,000.00 in cents: a single payment strictly above needs a tax filing record
    payment_threshold_usd_minor: int = 5_000_000
    structuring_window_days: int = 30
    #: how many payments below the threshold (this one included) make a pattern
    structuring_min_payments: int = 2
    #: payment kinds the tax filing threshold (and so the structuring rule) applies to
    tax_filing_kinds: tuple[str, ...] = ("royalty", "service", "licence_fee",
                                         "technology_transfer")
    registration_due_days: int = 60
    embargoed_countries: tuple[str, ...] = field(default_factory=_default_embargoes)
    #: screening index cache: how many list-version sets stay built at once
    index_cache_size: int = 2

    def __post_init__(self) -> None:
        if self.payment_threshold_usd_minor <= 0:
            raise InvalidInput("the payment threshold must be positive", field="payment_threshold")
        if self.structuring_window_days < 1 or self.structuring_min_payments < 2:
            raise InvalidInput("structuring needs a window >= 1 day and >= 2 payments",
                               field="structuring")
        if self.registration_due_days < 1:
            raise InvalidInput("registration_due_days must be >= 1", field="registration_due_days")
        bad = [c for c in self.embargoed_countries if len(c) != 2 or not c.isupper()]
        if bad:
            raise InvalidInput(f"embargoed countries are ISO alpha-2 codes: {bad}",
                               field="embargoed_countries")

    def source_notes(self) -> dict[str, str]:
        return dict(SOURCES)

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> "ComplianceConfig":
        """Read ``COMPLIANCE_*`` keys: ``COMPLIANCE_SCREENING`` (a dict or JSON text of
        ``ScreeningThresholds`` fields), ``COMPLIANCE_PAYMENT_THRESHOLD_USD_MINOR``, ...,
        ``COMPLIANCE_EMBARGOED_COUNTRIES`` (a list or comma-separated text)."""
        kw: dict[str, Any] = {}
        screening = cfg.get("COMPLIANCE_SCREENING")
        if screening:
            if isinstance(screening, str):
                screening = json.loads(screening)
            if isinstance(screening, ScreeningThresholds):
                kw["screening"] = screening
            else:
                kw["screening"] = ScreeningThresholds(**screening)
        for f in dataclasses.fields(cls):
            if f.name == "screening":
                continue
            raw = cfg.get(f"COMPLIANCE_{f.name.upper()}")
            if raw is None:
                continue
            if f.name in ("embargoed_countries", "tax_filing_kinds"):
                items = raw.split(",") if isinstance(raw, str) else list(raw)
                items = [c.strip() for c in items if c.strip()]
                kw[f.name] = tuple(sorted({c.upper() if f.name == "embargoed_countries" else c
                                           for c in items}))
            else:
                kw[f.name] = int(raw)
        return cls(**kw)
