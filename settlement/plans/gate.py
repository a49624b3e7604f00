"""The payment gate: what settlement asks before any money leaves for the payee.

Compliance owns the rules (``compliance.payments.check_payment``: licences, contract
registration, the USD 50,000 tax-filing rule, structuring). Settlement only defines what it
asks and what it expects back, and the release step takes the gate as a parameter, so no code
path here can release a payment without asking. The gateway wires compliance's real check in.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class PaymentRequest:
    """One payment settlement wants to release, as plain data.

    Field for field what compliance's ``PaymentCheck`` takes (``contract_ref``,
    ``payee_party``, ``amount_minor``, ``currency``, ``usd_equivalent_minor``, ``usd_rate``,
    ``kind``, ``on``), plus what an adapter may find useful: the instruction's reference, the
    payer, and whether the money leaves China (``outbound``: the payee is a non-resident).
    ``amount`` is the net amount owed to the payee in the contract currency; ``usd_rate`` is
    the mid rate used for ``usd_equivalent_minor`` (1 for USD).
    """

    contract_ref: str
    payee_party: int
    amount_minor: int
    currency: str
    usd_equivalent_minor: int
    usd_rate: Decimal
    kind: str  # "royalty", "licence_fee", "assignment", "service"
    on: dt.date
    instruction_ref: str
    payer_party: int
    outbound: bool


@dataclass(frozen=True)
class PaymentDecision:
    """``outcome`` is ``"release"`` or ``"hold"``; a hold says why in ``reasons``."""

    outcome: str
    reasons: tuple[str, ...] = field(default=())

    @property
    def released(self) -> bool:
        return self.outcome == "release"


class PaymentGate(Protocol):
    """Decides whether a payment may be released now."""

    def check(self, session: Session, request: PaymentRequest) -> PaymentDecision:
        """Release or hold ``request``; may record the check in the caller's transaction."""
        ...


class UnwiredGate:
    """The gate of a gateway whose compliance payment rules are not wired in: it holds every
    payment, saying so, rather than pretending to check it."""

    REASON = "compliance payment rules are not wired into this gateway; nothing is released"

    def check(self, session: Session, request: PaymentRequest) -> PaymentDecision:
        return PaymentDecision("hold", (self.REASON,))
