"""Settlement's payment gate, answered by compliance's payment rules.

Settlement asks "may this payment be released?" with a ``PaymentRequest`` (plain data);
compliance decides with ``check_payment`` (tax filing above USD 50,000 and structuring for
outbound payments, licence and registration, party clearance) and logs the check. The gateway is the one place that knows both.

What the payment is for (the listing whose technology was classified) comes from the deal:
``deal_subject`` finds the trading deal whose reference is the plan's contract reference and
answers with its listing. A payment under a contract no deal names finds no subject and
compliance holds it with ``export_control_unknown``: it fails closed rather than guessing.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from compliance.config import ComplianceConfig
from compliance.export_control.service import SubjectRef
from compliance.party import PartyRef
from compliance.payments.service import PaymentCheck, check_payment
from kernel.clock import Clock
from settlement.plans import PaymentDecision, PaymentRequest

SubjectResolver = Callable[[Session, PaymentRequest], SubjectRef | None]


def no_subject(session: Session, request: PaymentRequest) -> SubjectRef | None:
    return None


def deal_subject(session: Session, request: PaymentRequest) -> SubjectRef | None:
    """The listing of the deal behind the payment (plans carry the deal reference as their
    contract reference unless the terms named another; both are looked up)."""
    from sqlalchemy import select

    from gateway.trading.models import Deal
    from settlement.plans.models import SettlementPlan

    deal = session.execute(select(Deal).where(Deal.reference == request.contract_ref)).scalar_one_or_none()
    if deal is None:
        ref = session.execute(select(SettlementPlan.deal_ref).where(
            SettlementPlan.contract_ref == request.contract_ref)).scalars().first()
        if ref is not None:
            deal = session.execute(select(Deal).where(Deal.reference == ref)).scalar_one_or_none()
    return SubjectRef("listing", str(deal.listing_id)) if deal is not None else None


class CompliancePaymentGate:
    def __init__(self, config: ComplianceConfig, clock: Clock,
                 subject_for: SubjectResolver = no_subject) -> None:
        self.config = config
        self.clock = clock
        self.subject_for = subject_for

    def check(self, session: Session, request: PaymentRequest) -> PaymentDecision:
        decision = check_payment(session, PaymentCheck(
            contract_ref=request.contract_ref, payee_party=PartyRef("organisation", request.payee_party),
            amount_minor=request.amount_minor, currency=request.currency,
            usd_equivalent_minor=request.usd_equivalent_minor, usd_rate=request.usd_rate,
            kind=request.kind, on=request.on, payment_ref=request.instruction_ref,
            subject=self.subject_for(session, request),
            # money leaving China pays for technology brought in
            direction="import" if request.outbound else "export",
            # the tax filing and structuring rules are about money leaving the country
            outbound=request.outbound,
        ), self.clock.now(), "system:settlement", self.config)
        if decision.decision == "release":
            return PaymentDecision("release")
        return PaymentDecision("hold", tuple(f"{r.code}: {r.detail}" for r in decision.reasons))


