"""A test-only, in-memory ExpectedPaymentSource (the settlement plans will implement the real
one) and helpers to build expected payments and statements for reconciliation tests."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping, Sequence

from moneyed import Money

from settlement.reconciliation.expected import (
    ExpectedPayment, ReversalNotice, SettlementNotice,
)
from settlement.reconciliation.matching.references import make_rf


def human_ref(plan: int, n: int, year: int = 2026) -> str:
    return f"STX-{year}-{plan:06d}-{n:02d}"


def rf_for(plan: int, n: int, year: int = 2026) -> str:
    return make_rf(f"{year}{plan:06d}{n:02d}")


def expected(plan: int, amount: str, ccy: str = "EUR", *, n: int = 1, direction: str = "in",
             due: dt.date = dt.date(2024, 3, 1), name: str | None = "Acme Robotics GmbH",
             **kw: Any) -> ExpectedPayment:
    return ExpectedPayment(instruction_id=f"I{plan}-{n}", reference=human_ref(plan, n),
                           rf_reference=rf_for(plan, n), amount=Money(amount, ccy),
                           direction=direction, due_date=due, counterparty_name=name, **kw)


class MemorySource:
    """Open payments held in a dict; settlements recorded as the plans module would."""

    def __init__(self, payments: Iterable[ExpectedPayment] = ()) -> None:
        self.items: dict[str, ExpectedPayment] = {p.instruction_id: p for p in payments}
        self.settled: set[str] = set()
        self.received: list[SettlementNotice] = []
        self.paid_out: list[SettlementNotice] = []
        self.reverted: list[ReversalNotice] = []

    def add(self, *payments: ExpectedPayment) -> None:
        for p in payments:
            self.items[p.instruction_id] = p

    def open_payments(self, session: object, *, currency: str | None, since: dt.date,
                      until: dt.date) -> list[ExpectedPayment]:
        return [p for p in self.items.values() if p.instruction_id not in self.settled
                and (currency is None or p.currency == currency)
                and since <= p.due_date <= until]

    def payments(self, session: object, instruction_ids: Sequence[str]
                 ) -> Mapping[str, ExpectedPayment]:
        return {i: self.items[i] for i in instruction_ids if i in self.items}

    def funds_received(self, session: object, notices: Sequence[SettlementNotice]) -> None:
        self.received.extend(notices)
        self.settled.update(n.instruction_id for n in notices if n.complete)

    def funds_paid_out(self, session: object, notices: Sequence[SettlementNotice]) -> None:
        self.paid_out.extend(notices)
        self.settled.update(n.instruction_id for n in notices if n.complete)

    def settlement_reverted(self, session: object, notice: ReversalNotice) -> None:
        self.reverted.append(notice)
        self.settled.discard(notice.instruction_id)
