"""``check_payment``: release or hold a payout, with reasons; every check is logged and audited.

Rules, all applied (a hold lists every reason found):

1. The payee's clearance (``party_clearance``): embargoed country, not screened, a case under
   review or a confirmed match holds.
2. Export control (``payment_gate``) for the subject paid for: prohibited; restricted without a
   licence valid on the payment date; free without a confirmed contract registration.
3. A single outbound payment of a filing kind above the USD threshold needs the contract's tax
   filing record (one per contract covers its later payments).
4. Structuring: this outbound payment and earlier ones to the same payee within the window,
   each at or under the threshold, of filing kinds, on contracts with no filing record,
   together above the threshold and at least ``structuring_min_payments`` of them, open a
   review case and hold.
   A cleared structuring case resets the count (checks before its decision no longer count).

Rules 3 and 4 are about money leaving the country (``outbound``: the payee is a non-resident,
e.g. a royalty paid to an overseas licensor for technology brought in); a domestic payout of any
size is neither held for a tax filing nor counted as structuring. A check that does not say is
treated as outbound (the strict way). The log does not keep the direction: a payee's residency
is its organisation's, so the payments to one payee are all outbound or all domestic.

Settlement converts and passes ``usd_equivalent_minor`` with the rate it used; compliance does
no FX of its own.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.money import check_currency

from ..cases.models import ScreeningCase
from ..cases.service import open_structuring_case, party_clearance
from ..config import ComplianceConfig
from ..export_control.gates import payment_gate
from ..export_control.service import SubjectRef
from ..party import PartyLike, PartyRef, Reason, party_columns, party_filter, party_ref
from .errors import PaymentCheckInvalid, TaxFilingExists
from .models import PaymentCheckLog, TaxFilingRecord

PAYMENT_KINDS = ("royalty", "service", "licence_fee", "technology_transfer", "deposit_refund",
                 "other")


@dataclass(frozen=True)
class PaymentCheck:
    """One payout settlement wants to make. ``payment_ref`` (the instruction id) makes a
    repeated check of the same payment count once; ``subject`` is what is paid for;
    ``outbound`` says whether the money leaves the country (only then do the tax filing and
    structuring rules apply)."""

    contract_ref: str
    payee_party: PartyLike
    amount_minor: int
    currency: str
    usd_equivalent_minor: int
    usd_rate: Decimal
    kind: str
    on: dt.date
    payment_ref: str | None = None
    subject: SubjectRef | None = None
    direction: str | None = None
    counterparty_country: str | None = None
    outbound: bool = True


@dataclass(frozen=True)
class PaymentDecision:
    """``release`` or ``hold``, every reason, the log row and the case it opened (if any)."""

    decision: str
    reasons: tuple[Reason, ...]
    check_id: int
    case_id: int | None = None

    @property
    def released(self) -> bool:
        return self.decision == "release"

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reasons": [r.to_dict() for r in self.reasons],
                "check_id": self.check_id, "case_id": self.case_id}


def _validate(check: PaymentCheck) -> None:
    if check.amount_minor <= 0 or check.usd_equivalent_minor <= 0:
        raise PaymentCheckInvalid("amounts must be positive", field="amount_minor")
    if not isinstance(check.usd_rate, Decimal) or check.usd_rate <= 0:
        raise PaymentCheckInvalid("usd_rate is a positive Decimal", field="usd_rate")
    if check.kind not in PAYMENT_KINDS:
        raise PaymentCheckInvalid(f"kind is one of {', '.join(PAYMENT_KINDS)}", field="kind")
    if not check.contract_ref:
        raise PaymentCheckInvalid("contract_ref is required", field="contract_ref")
    check_currency(check.currency)


def has_tax_filing(session: Session, contract_ref: str, on: dt.date) -> TaxFilingRecord | None:
    return session.execute(select(TaxFilingRecord).where(
        TaxFilingRecord.contract_ref == contract_ref,
        TaxFilingRecord.filed_on <= on)).scalar_one_or_none()


def record_tax_filing(session: Session, contract_ref: str, *, filing_number: str, authority: str,
                      filed_on: dt.date, now: dt.datetime, actor: str) -> TaxFilingRecord:
    """Record the contract's tax filing; it covers every later payment under the contract."""
    if session.execute(select(TaxFilingRecord.id).where(
            TaxFilingRecord.contract_ref == contract_ref)).first() is not None:
        raise TaxFilingExists(f"contract {contract_ref} has a tax filing record already",
                              field="contract_ref")
    row = TaxFilingRecord(contract_ref=contract_ref, filing_number=filing_number,
                          authority=authority, filed_on=filed_on, recorded_at=now, recorded_by=actor)
    session.add(row)
    session.flush()
    record_event(session, actor=actor, action="tax_filing.recorded", entity_type="tax_filing_record",
                 entity_id=row.id, at=now,
                 after={"contract_ref": contract_ref, "filing_number": filing_number,
                        "authority": authority, "filed_on": filed_on})
    return row


def _structuring_window(session: Session, payee: PartyRef, check: PaymentCheck,
                        cfg: ComplianceConfig) -> list[PaymentCheckLog]:
    """Earlier checks that count towards the pattern (one per payment_ref, latest wins)."""
    start = check.on - dt.timedelta(days=cfg.structuring_window_days - 1)
    reset = session.execute(select(func.max(ScreeningCase.decided_at)).where(
        party_filter(ScreeningCase, payee), ScreeningCase.kind == "structuring",
        ScreeningCase.status == "cleared")).scalar_one_or_none()
    filed = select(TaxFilingRecord.contract_ref)
    stmt = select(PaymentCheckLog).where(
        party_filter(PaymentCheckLog, payee), PaymentCheckLog.paid_on >= start,
        PaymentCheckLog.paid_on <= check.on,
        PaymentCheckLog.usd_equivalent_minor <= cfg.payment_threshold_usd_minor,
        PaymentCheckLog.kind.in_(cfg.tax_filing_kinds),
        PaymentCheckLog.contract_ref.not_in(filed))
    if reset is not None:
        stmt = stmt.where(PaymentCheckLog.checked_at > reset)
    if check.payment_ref is not None:
        stmt = stmt.where(or_(PaymentCheckLog.payment_ref.is_(None),
                              PaymentCheckLog.payment_ref != check.payment_ref))
    latest: dict[Any, PaymentCheckLog] = {}
    for row in session.execute(stmt.order_by(PaymentCheckLog.id)).scalars():
        latest[row.payment_ref if row.payment_ref is not None else ("log", row.id)] = row
    return list(latest.values())


def check_payment(session: Session, check: PaymentCheck, now: dt.datetime, actor: str,
                  config: ComplianceConfig | None = None) -> PaymentDecision:
    """Decide release or hold for one payout; log it (the structuring rule's memory), audit it."""
    cfg = config or ComplianceConfig()
    _validate(check)
    payee = party_ref(check.payee_party)
    threshold = cfg.payment_threshold_usd_minor
    reasons: list[Reason] = list(party_clearance(session, payee, cfg).reasons)
    if check.subject is None:
        reasons.append(Reason("export_control_unknown",
                              "the subject paid for is not given, so licence and registration "
                              "rules cannot be checked"))
    else:
        gate = payment_gate(session, check.subject, check.contract_ref, check.on,
                            direction=check.direction,
                            counterparty_country=check.counterparty_country, config=cfg)
        reasons.extend(gate.reasons)
    filing_kind = check.outbound and check.kind in cfg.tax_filing_kinds
    filing = has_tax_filing(session, check.contract_ref, check.on)
    if filing_kind and check.usd_equivalent_minor > threshold and filing is None:
        reasons.append(Reason("tax_filing_required",
                              f"USD {check.usd_equivalent_minor / 100:,.2f} equivalent is above "
                              f"USD {threshold / 100:,.2f}: contract {check.contract_ref} needs a "
                              "tax filing record"))
    window: list[PaymentCheckLog] = []
    structuring = False
    if filing_kind and check.usd_equivalent_minor <= threshold and filing is None:
        window = _structuring_window(session, payee, check, cfg)
        total = check.usd_equivalent_minor + sum(r.usd_equivalent_minor for r in window)
        if len(window) + 1 >= cfg.structuring_min_payments and total > threshold:
            structuring = True
            reasons.append(Reason(
                "structuring_suspected",
                f"{len(window) + 1} payments to {payee} within {cfg.structuring_window_days} days, "
                f"each under USD {threshold / 100:,.2f}, together USD {total / 100:,.2f}"))
    decision = "hold" if reasons else "release"
    log = PaymentCheckLog(
        payment_ref=check.payment_ref, contract_ref=check.contract_ref, **party_columns(payee),
        amount_minor=check.amount_minor, currency=check.currency,
        usd_equivalent_minor=check.usd_equivalent_minor, usd_rate=check.usd_rate, kind=check.kind,
        paid_on=check.on, decision=decision,
        reasons=json.dumps([r.to_dict() for r in reasons], ensure_ascii=False),
        checked_at=now, actor=actor, subject=str(check.subject) if check.subject else None)
    session.add(log)
    session.flush()
    case_id = None
    if structuring:
        open_case = session.execute(select(ScreeningCase.id).where(
            party_filter(ScreeningCase, payee), ScreeningCase.kind == "structuring",
            ScreeningCase.status == "open").limit(1)).scalar_one_or_none()
        if open_case is None:
            case = open_structuring_case(
                session, payee, f"possible structuring: {len(window) + 1} payments under the "
                "filing threshold", {"payment_checks": sorted([r.id for r in window] + [log.id]),
                                     "window_days": cfg.structuring_window_days,
                                     "threshold_usd_minor": threshold}, now, actor)
            case_id = case.id
        else:
            case_id = open_case
        log.case_id = case_id
        session.flush()
    record_event(session, actor=actor, action=f"payment_check.{decision}",
                 entity_type="payment_check", entity_id=log.id, at=now,
                 after={"decision": decision, "reasons": [r.code for r in reasons]},
                 data={"contract_ref": check.contract_ref, "payee": str(payee),
                       "payment_ref": check.payment_ref, "kind": check.kind, "on": check.on,
                       "amount_minor": check.amount_minor, "currency": check.currency,
                       "usd_equivalent_minor": check.usd_equivalent_minor,
                       "usd_rate": check.usd_rate, "threshold_usd_minor": threshold,
                       "outbound": check.outbound,
                       "tax_filing_id": filing.id if filing else None,
                       "window_check_ids": [r.id for r in window], "case_id": case_id,
                       "subject": str(check.subject) if check.subject else None})
    return PaymentDecision(decision, tuple(reasons), log.id, case_id)
