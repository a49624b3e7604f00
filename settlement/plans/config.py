"""Settlement configuration as data: the FX margin, rate staleness, fee schedules per
sub-centre, the reference prefix and the exchange's home country (whose residents are not
"non-residents" for tax) with its currency (what domestic parties pay in and are paid in)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from moneyed import Money

from kernel.money import parse_amount

from .fees import FeeSchedule

DEFAULT_FEE = FeeSchedule(rate=Decimal("0.02"), minimum=Money("1000.00", "CNY"),
                          cap=Money("500000.00", "CNY"), shares=(60, 30, 10))


@dataclass(frozen=True)
class PlanConfig:
    """What ``create_plan`` and ``run_due`` read besides the terms.

    ``fees`` maps a sub-centre code to its schedule; ``"default"`` covers the rest.
    ``spread_bps`` is the exchange's FX margin, applied against the customer on every
    conversion (``settlement.fx.apply_spread``).
    """

    spread_bps: Decimal = Decimal(30)
    max_staleness_business_days: int = 3
    ref_prefix: str = "STX"
    home_country: str = "CN"
    #: what a domestic party pays in or is paid out in unless the deal's terms say otherwise
    home_currency: str = "CNY"
    fees: Mapping[str, FeeSchedule] = field(default_factory=lambda: {"default": DEFAULT_FEE})

    def fee_for(self, subcentre_code: str | None) -> FeeSchedule:
        if subcentre_code is not None and subcentre_code in self.fees:
            return self.fees[subcentre_code]
        return self.fees["default"]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "PlanConfig":
        """Build from plain settings (the app's ``SETTLEMENT`` config), e.g.::

            {"spread_bps": "30", "fees": {"default": {"rate": "0.02",
             "minimum": ["1000.00", "CNY"], "cap": ["500000.00", "CNY"], "shares": [60, 30, 10]}}}
        """
        fees = {code: FeeSchedule(rate=Decimal(str(f["rate"])),
                                  minimum=parse_amount(*f["minimum"]),
                                  cap=parse_amount(*f["cap"]),
                                  shares=tuple(int(s) for s in f["shares"]))  # type: ignore[arg-type]
                for code, f in (data.get("fees") or {}).items()}
        return cls(spread_bps=Decimal(str(data.get("spread_bps", "30"))),
                   max_staleness_business_days=int(data.get("max_staleness_business_days", 3)),
                   ref_prefix=str(data.get("ref_prefix", "STX")),
                   home_country=str(data.get("home_country", "CN")),
                   home_currency=str(data.get("home_currency", "CNY")),
                   fees=fees or {"default": DEFAULT_FEE})
