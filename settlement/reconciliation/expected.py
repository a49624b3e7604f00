"""What the matcher matches statements against, and what it tells the owner of those payments.

Settlement plans own the instructions; reconciliation never imports them. The plans module (or
a test) implements ``ExpectedPaymentSource``: it lists the open payments it expects to see on a
bank account, and is told when one is settled (funds received, or paid out) or when a settlement
is undone. Values cross the boundary as the plain, frozen dataclasses below.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Protocol, Sequence

from moneyed import Money

IN = "in"    # we receive (a credit on our bank account)
OUT = "out"  # we pay (a debit)
DIRECTIONS = (IN, OUT)
CHARGE_BEARERS = ("OUR", "SHA", "BEN")


@dataclass(frozen=True)
class ExpectedPayment:
    """One payment a settlement instruction expects on a bank account.

    ``reference`` is the short human id (``STX-2026-000123-02``) and ``rf_reference`` the
    ISO 11649 creditor reference given to the payer; either may be found in the statement.
    ``amount`` is what the instruction is for, in the instruction's currency. ``ledger_account_id``
    is the account a match settles against (the buyer's escrow for receipts, the seller payable
    for payouts); None means suspense. ``charge_bearer`` (OUR/SHA/BEN) says whether charges
    deducted on the way are expected; ``partial_allowed`` whether several payments may add up
    to it.
    """

    instruction_id: str
    reference: str
    rf_reference: str | None
    amount: Money
    direction: str
    due_date: dt.date
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    ledger_account_id: int | None = None
    charge_bearer: str | None = None
    partial_allowed: bool = True
    date_window_days: int | None = None  # None: the configured window

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r} is not one of {DIRECTIONS}")
        if self.charge_bearer is not None and self.charge_bearer not in CHARGE_BEARERS:
            raise ValueError(f"charge bearer {self.charge_bearer!r} is not one of "
                             f"{CHARGE_BEARERS}")

    @property
    def currency(self) -> str:
        return self.amount.currency.code


@dataclass(frozen=True)
class SettlementNotice:
    """Told to the source when a match settles (part of) an instruction.

    ``amount`` is what reached (or left) the bank for this instruction in ``amount``'s currency
    (the statement's), ``charges`` what the banks kept on the way and ``written_off`` a
    difference finance accepted; ``complete`` says the instruction is now fully settled.
    ``transfer_ids`` are the ledger transfers reconciliation posted (bank against
    ``ledger_account_id``, or suspense when the source gave none or the currencies differ).
    """

    match_id: int
    instruction_id: str
    direction: str
    amount: Money
    charges: Money | None
    written_off: Money | None
    instructed: Money | None       # AmtDtls instructed amount (FX receipts)
    exchange_rate: object | None   # Decimal, as the bank stated it
    complete: bool
    line_ids: tuple[int, ...]
    rule: str
    value_date: dt.date | None
    transfer_ids: tuple[int, ...] = ()
    credited_account_id: int | None = None
    actor: str = "system:reconciliation"
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ReversalNotice:
    """Told to the source when finance unmatches: the settlement no longer stands."""

    match_id: int
    instruction_id: str
    reason: str
    reversal_transfer_ids: tuple[int, ...]
    actor: str


class ExpectedPaymentSource(Protocol):
    """What the plans module implements so statements can be matched to its instructions."""

    def open_payments(self, session: object, *, currency: str | None, since: dt.date,
                      until: dt.date) -> Iterable[ExpectedPayment]:
        """Open (not fully settled) payments due between ``since`` and ``until``, any
        direction; ``currency`` None means all currencies (FX receipts are matched through the
        statement's instructed amount)."""
        ...

    def payments(self, session: object, instruction_ids: Sequence[str]
                 ) -> Mapping[str, ExpectedPayment]:
        """The payments with these ids, open or not (for manual actions and reports)."""
        ...

    def funds_received(self, session: object, notices: Sequence[SettlementNotice]) -> None:
        """Money came in for these instructions (direction ``in``); one call per batch."""
        ...

    def funds_paid_out(self, session: object, notices: Sequence[SettlementNotice]) -> None:
        """Money left for these instructions (direction ``out``); one call per batch."""
        ...

    def settlement_reverted(self, session: object, notice: ReversalNotice) -> None:
        """A settlement reported earlier was undone by finance (unmatch)."""
        ...


__all__ = ["CHARGE_BEARERS", "DIRECTIONS", "IN", "OUT", "ExpectedPayment",
           "ExpectedPaymentSource", "ReversalNotice", "SettlementNotice"]
