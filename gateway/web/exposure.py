"""Finance's FX exposure: the money of open settlement instructions per currency, with its CNY
and USD equivalents at the latest stored rate (the rate's date shown; none when it is stale).

An instruction is open until it is settled or cancelled. Before conversion the money is the
buyer's pay-in (or the gross amount when the pay-in is not fixed yet); once converted it is
the payout owed to the payee.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from moneyed import Money
from sqlalchemy import select

from gateway.web.helpers import Converted, convert_for_display
from settlement.plans import SettlementInstruction

#: statuses after which the money is in the payout currency
CONVERTED = ("converted", "paid_out")
CLOSED = ("settled", "cancelled")
EQUIVALENTS = ("CNY", "USD")


@dataclass(frozen=True)
class Exposure:
    currency: str
    count: int
    total: Money
    equivalents: dict[str, Converted | None]


def open_amount(instr: SettlementInstruction) -> Money | None:
    if instr.status in CONVERTED and instr.payout is not None:
        return instr.payout
    return instr.payin or instr.gross


def fx_exposure(session: Any, on: dt.date) -> list[Exposure]:
    """Open instructions' money per currency, largest CNY equivalent first."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for instr in session.execute(select(SettlementInstruction).where(
            SettlementInstruction.status.not_in(CLOSED))).scalars():
        amount = open_amount(instr)
        if amount is None:
            continue
        totals[amount.currency.code] += amount.amount
        counts[amount.currency.code] += 1
    caches: dict[str, dict[str, Any]] = {ccy: {} for ccy in EQUIVALENTS}
    out = []
    for ccy in sorted(totals):
        total = Money(totals[ccy], ccy)
        out.append(Exposure(ccy, counts[ccy], total,
                            {to: convert_for_display(session, total, to, on, caches[to])
                             for to in EQUIVALENTS}))

    def cny(e: Exposure) -> Decimal:
        conv = e.equivalents["CNY"]
        return conv.converted.amount if conv is not None and conv.converted is not None else Decimal(-1)

    return sorted(out, key=lambda e: (-cny(e), e.currency))
