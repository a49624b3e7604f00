"""The steps of an instruction's lifecycle: each is one status change (checked against
``lifecycle.TRANSITIONS``), at most one ledger transfer and one audit event, in the caller's
transaction. Ledger keys are ``settlement:<instruction id>:<step>``, so a step retried after
a crash replays its transfer instead of posting it twice.

The caller holds the instruction's row lock (``run_due`` and the service functions load it
``FOR UPDATE``).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Context, Decimal

from moneyed import Money
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.money import from_minor, to_minor
from settlement.fx import find_rate
from settlement.fx.store import DbRateSource
from settlement.ledger import (
    Leg, TransferSpec, get_or_open_account, post_transfers, reverse_transfer,
)
from settlement.ledger.models import Transfer

from .config import PlanConfig
from .errors import AmountMismatch, TransitionRefused
from .gate import PaymentDecision, PaymentGate, PaymentRequest
from .lifecycle import check_transition
from .models import SettlementInstruction, SettlementPlan
from .pricing import price_payin, price_payout
from .terms import RatePolicy, TransactionType

#: after funds came in: the statuses that mean "already received"
#: where a payout waits between being sent and showing on the bank statement
IN_TRANSIT = "suspense"
RECEIVED = ("funds_received", "held", "compliance_released", "converted", "paid_out", "settled")

_RATE = Context(prec=28)

GATE_KIND = {
    TransactionType.LICENCE: "royalty",
    TransactionType.ASSIGNMENT: "assignment",
    TransactionType.DEVELOPMENT: "service",
    TransactionType.TECHNOLOGY_SERVICE: "service",
}


def ledger_key(instr: SettlementInstruction, step: str) -> str:
    return f"settlement:{instr.id}:{step}"


def _account(session: Session, owner_type: str, owner_id: int, purpose: str, ccy: str,
             now: dt.datetime, actor: str) -> int:
    return get_or_open_account(session, owner_type=owner_type, owner_id=owner_id,
                               purpose=purpose, currency=ccy, at=now, actor=actor).id


def _post(session: Session, instr: SettlementInstruction, step: str, legs: list[Leg], *,
          now: dt.datetime, actor: str, description: str, kind: str = "transfer",
          fx_rate: Decimal | None = None, fx_details: dict | None = None) -> int:
    """One transfer for one step; legs on the same account and side are added together."""
    summed: dict[tuple[int, str], int] = defaultdict(int)
    ccys: dict[int, str] = {}
    for leg in legs:
        if to_minor(leg.amount) > 0:
            summed[(leg.account_id, leg.side)] += to_minor(leg.amount)
            ccys[leg.account_id] = leg.amount.currency.code
    merged = [Leg(a, side, from_minor(m, ccys[a])) for (a, side), m in summed.items()]
    spec = TransferSpec(ledger_key(instr, step), merged, f"{instr.ref} {description}"[:255],
                        kind=kind, fx_rate=fx_rate, fx_details=fx_details)
    (posted,) = post_transfers(session, [spec], at=now, actor=actor)
    return posted.id


def _move(session: Session, instr: SettlementInstruction, target: str, *, now: dt.datetime,
          actor: str, transfer_id: int | None = None, **after: object) -> None:
    before = instr.status
    check_transition(before, target)
    instr.status = target
    instr.updated_at = now
    if target != "held":
        instr.held_reason = None
    record_event(session, actor=actor, action=f"settlement.instruction.{target}",
                 entity_type="settlement_instruction", entity_id=instr.id, at=now,
                 before={"status": before},
                 after={"status": target, "ref": instr.ref, **after},
                 data={"transfer_id": transfer_id} if transfer_id is not None else None)


def mark_due(session: Session, plan: SettlementPlan, instr: SettlementInstruction, *,
             now: dt.datetime, actor: str, config: PlanConfig) -> None:
    """scheduled -> due; a spot-rate instruction gets its pay-in amount fixed now."""
    check_transition(instr.status, "due")
    if instr.payin_minor is None:
        price_payin(session, plan, instr, now=now, actor=actor, config=config)
    instr.due_at = now
    _move(session, instr, "due", now=now, actor=actor, payin=instr.payin)


def receive_funds(session: Session, plan: SettlementPlan, instr: SettlementInstruction,
                  amount: Money, *, now: dt.datetime, actor: str,
                  bank_ref: str | None = None, from_purpose: str = "bank") -> bool:
    """due -> funds_received: the buyer's money is in the exchange's bank (debit bank, credit
    the buyer's escrow). The amount must be the instruction's pay-in amount exactly. Returns
    False for a replay (the same amount already received).

    ``from_purpose="suspense"`` is for reconciliation, which has already booked the statement
    line (bank against suspense, charges to bank charges): the money then moves from suspense
    to the buyer's escrow instead of being booked at the bank a second time."""
    if amount.currency.code != instr.payin_currency or \
            (instr.payin_minor is not None and to_minor(amount) != instr.payin_minor):
        expected = instr.payin.amount if instr.payin_minor is not None else "?"
        raise AmountMismatch(f"{instr.ref} asks for {expected} {instr.payin_currency}, "
                             f"{amount.amount} {amount.currency.code} was reported",
                             field="amount")
    if instr.status in RECEIVED:
        return False
    check_transition(instr.status, "funds_received")
    p = instr.payin_currency
    tid = _post(session, instr, _receipt_step(session, instr), [
        Leg(_account(session, "exchange", 0, from_purpose, p, now, actor), "debit", amount),
        Leg(_account(session, "organisation", instr.payer_org_id, "buyer_escrow", p, now, actor),
            "credit", amount)], now=now, actor=actor, description="funds received")
    instr.funds_received_at = now
    instr.received_bank_ref = bank_ref
    _move(session, instr, "funds_received", now=now, actor=actor, transfer_id=tid, amount=amount)
    return True


#: the ledger key suffix of a receipt's reversal (``undo_receipt``)
UNDONE = ":undone"


def _receipt_step(session: Session, instr: SettlementInstruction) -> str:
    """The ledger step of the instruction's current receipt: ``funds_received``, and after a
    receipt was undone ``funds_received.2`` and so on (a ledger key posts once)."""
    undone = session.execute(select(func.count()).select_from(Transfer).where(
        Transfer.key.like(f"{ledger_key(instr, 'funds_received')}%{UNDONE}"))).scalar_one()
    return "funds_received" if not undone else f"funds_received.{undone + 1}"


def undo_receipt(session: Session, instr: SettlementInstruction, *, now: dt.datetime,
                 actor: str, reason: str) -> int:
    """funds_received (or held) -> due: the money reported received did not stand (the bank
    returned it, or reconciliation matched the wrong line and finance unmatched it). The
    receipt's transfer is reversed (the buyer's escrow back to where it came from) and the
    instruction waits for its money again. Refused once the money has moved on from the
    escrow (released, converted, paid out). Returns the reversing transfer's id."""
    if instr.status not in ("funds_received", "held"):
        raise TransitionRefused(
            f"{instr.ref} is {instr.status}: the money received has moved on from the buyer's "
            "escrow, so its receipt cannot be undone; correct it by hand", field="status",
            status=instr.status, target="due")
    key = ledger_key(instr, _receipt_step(session, instr))
    original = session.execute(select(Transfer.id).where(Transfer.key == key)).scalar_one()
    reversal = reverse_transfer(session, original, key=key + UNDONE, at=now, actor=actor,
                                description=f"{instr.ref} receipt undone"[:255])
    instr.funds_received_at = None
    instr.received_bank_ref = None
    _move(session, instr, "due", now=now, actor=actor, transfer_id=reversal.id, reason=reason)
    return reversal.id


def payment_request(session: Session, plan: SettlementPlan, instr: SettlementInstruction, *,
                    now: dt.datetime, config: PlanConfig) -> PaymentRequest:
    """What the gate is asked: the net owed to the payee in C and its USD equivalent."""
    net = instr.line("net")
    assert net is not None
    if net.amount_currency == "USD":
        usd_minor, usd_rate = net.amount_minor, Decimal(1)
    else:
        quote = find_rate(DbRateSource(session), net.amount_currency, "USD", now.date(),
                          config.max_staleness_business_days)
        from settlement.fx import convert

        usd_minor, usd_rate = to_minor(convert(net.amount, "USD", quote)), quote.rate
    return PaymentRequest(
        contract_ref=plan.contract_ref, payee_party=instr.payee_org_id,
        amount_minor=net.amount_minor, currency=net.amount_currency,
        usd_equivalent_minor=usd_minor, usd_rate=usd_rate,
        kind=GATE_KIND[TransactionType(plan.transaction_type)], on=now.date(),
        instruction_ref=instr.ref, payer_party=instr.payer_org_id,
        outbound=plan.payee_tax_residency != config.home_country)


def release(session: Session, plan: SettlementPlan, instr: SettlementInstruction,
            gate: PaymentGate, *, now: dt.datetime, actor: str,
            config: PlanConfig) -> PaymentDecision:
    """funds_received (or held) -> compliance_released when the gate says release: the escrow
    is split into fees, taxes payable and the seller's payable, all in the pay-in currency
    (the pay-in plus any deposit applied, converted first when it is in another currency).
    A hold moves the instruction to held with the gate's reasons (once per change of reason)."""
    decision = gate.check(session, payment_request(session, plan, instr, now=now, config=config))
    if not decision.released:
        reason = "; ".join(decision.reasons) or "held by the payment rules"
        if instr.status == "held":
            if instr.held_reason != reason:
                record_event(session, actor=actor, action="settlement.instruction.hold_changed",
                             entity_type="settlement_instruction", entity_id=instr.id, at=now,
                             before={"reason": instr.held_reason}, after={"reason": reason})
                instr.held_reason = reason
                instr.updated_at = now
            return decision
        check_transition(instr.status, "held")
        instr.held_reason = reason
        _move(session, instr, "held", now=now, actor=actor, reason=reason)
        return decision
    check_transition(instr.status, "compliance_released")
    p = instr.payin_currency
    booked = {ln.kind: ln.booked for ln in instr.lines if ln.booked_minor}
    acct = lambda *a: _account(session, *a, p, now, actor)  # noqa: E731
    from_escrow = instr.payin
    if instr.deposit_minor:
        from_escrow = from_escrow + _deposit_in_payin(session, instr, now=now, actor=actor)
    legs = [Leg(acct("organisation", instr.payer_org_id, "buyer_escrow"), "debit", from_escrow)]
    targets = {
        "fee_exchange": ("exchange", 0, "fee_income"),
        "fx_margin": ("exchange", 0, "fee_income"),
        "fee_subcentre": ("sub_centre", plan.subcentre_id, "fee_income"),
        "fee_broker": ("organisation", plan.broker_org_id, "fee_income"),
        "vat": ("exchange", 0, "vat_payable"),
        "withholding": ("exchange", 0, "withholding_tax_payable"),
        "net": ("organisation", instr.payee_org_id, "seller_payable"),
    }
    for kind, amount in booked.items():
        if kind in targets:
            legs.append(Leg(acct(*targets[kind]), "credit", amount))
    tid = _post(session, instr, "compliance_released", legs, now=now, actor=actor,
                description="released: fees, taxes, seller payable")
    instr.released_at = now
    _move(session, instr, "compliance_released", now=now, actor=actor, transfer_id=tid,
          gate=decision.outcome)
    return decision


def _deposit_in_payin(session: Session, instr: SettlementInstruction, *, now: dt.datetime,
                      actor: str) -> Money:
    """The deposit applied to ``instr`` sits in the buyer's escrow in the gross currency: when
    the pay-in currency differs, move it across through the FX position accounts at the rate
    it was booked at (its own transfer, keyed like every step). Returns it in the pay-in
    currency."""
    c, p = instr.gross_currency, instr.payin_currency
    if c == p:
        return instr.deposit
    assert instr.deposit_booked_minor is not None  # priced with the pay-in
    deposit, booked = instr.deposit, instr.deposit_booked
    rate = _RATE.divide(Decimal(booked.amount), Decimal(deposit.amount))
    acct = lambda *a: _account(session, *a, now, actor)  # noqa: E731
    _post(session, instr, "deposit_converted", [
        Leg(acct("organisation", instr.payer_org_id, "buyer_escrow", c), "debit", deposit),
        Leg(acct("exchange", 0, "fx_position", c), "credit", deposit),
        Leg(acct("exchange", 0, "fx_position", p), "debit", booked),
        Leg(acct("organisation", instr.payer_org_id, "buyer_escrow", p), "credit", booked)],
        now=now, actor=actor, description=f"deposit applied, FX {c}->{p}", kind="fx_conversion",
        fx_rate=rate,
        fx_details={"from": c, "to": p, "rate": str(rate), "amount_from": str(deposit.amount),
                    "amount_to": str(booked.amount), "mid_rate": str(instr.payin_mid_rate),
                    "lock_id": instr.payin_lock_id, "what": "deposit applied"})
    return booked


def convert_proceeds(session: Session, plan: SettlementPlan, instr: SettlementInstruction, *,
                     now: dt.datetime, actor: str, config: PlanConfig) -> None:
    """compliance_released -> converted: the seller's payable moves from the pay-in to the
    payout currency through the FX position accounts (no transfer when they are the same)."""
    check_transition(instr.status, "converted")
    if instr.payout_minor is None:
        price_payout(session, plan, instr, now=now, actor=actor, config=config)
    p, q = instr.payin_currency, instr.payout_currency
    tid = None
    if p != q:
        net = instr.line("net")
        assert net is not None and net.booked is not None
        rate = _RATE.divide(Decimal(instr.payout.amount), Decimal(net.booked.amount))
        acct = lambda *a: _account(session, *a, now, actor)  # noqa: E731
        tid = _post(session, instr, "converted", [
            Leg(acct("organisation", instr.payee_org_id, "seller_payable", p), "debit", net.booked),
            Leg(acct("exchange", 0, "fx_position", p), "credit", net.booked),
            Leg(acct("exchange", 0, "fx_position", q), "debit", instr.payout),
            Leg(acct("organisation", instr.payee_org_id, "seller_payable", q), "credit",
                instr.payout)],
            now=now, actor=actor, description=f"FX {p}->{q}", kind="fx_conversion",
            fx_rate=rate,
            fx_details={"from": p, "to": q, "rate": str(rate), "amount_from": str(net.booked.amount),
                        "amount_to": str(instr.payout.amount),
                        "contract_rate": str(instr.payout_rate) if instr.payout_rate else None,
                        "lock_id": instr.payout_lock_id})
    instr.converted_at = now
    _move(session, instr, "converted", now=now, actor=actor, transfer_id=tid, payout=instr.payout)


def pay_out(session: Session, plan: SettlementPlan, instr: SettlementInstruction, *,
            now: dt.datetime, actor: str) -> None:
    """converted -> paid_out: the payout is sent in the payout currency. It is in transit (the
    exchange's suspense account) until the bank statement shows it leaving: reconciliation then
    books bank against suspense and settles the instruction, or finance confirms it by hand
    (``settle``), which books the same."""
    check_transition(instr.status, "paid_out")
    q = instr.payout_currency
    tid = _post(session, instr, "paid_out", [
        Leg(_account(session, "organisation", instr.payee_org_id, "seller_payable", q, now, actor),
            "debit", instr.payout),
        Leg(_account(session, "exchange", 0, IN_TRANSIT, q, now, actor), "credit", instr.payout)],
        now=now, actor=actor, description="paid out (in transit)")
    instr.paid_out_at = now
    _move(session, instr, "paid_out", now=now, actor=actor, transfer_id=tid, payout=instr.payout)


def settle(session: Session, instr: SettlementInstruction, *, now: dt.datetime, actor: str,
           bank_ref: str | None, bank_booked: bool = False) -> bool:
    """paid_out -> settled: the payout left the bank. Finance confirming by hand books it out of
    transit (debit suspense, credit bank); reconciliation (``bank_booked=True``) has booked the
    statement line against suspense already, so no money moves then. Returns False for a
    replay."""
    if instr.status == "settled":
        return False
    check_transition(instr.status, "settled")
    tid = None
    if not bank_booked:
        q = instr.payout_currency
        tid = _post(session, instr, "settled", [
            Leg(_account(session, "exchange", 0, IN_TRANSIT, q, now, actor), "debit",
                instr.payout),
            Leg(_account(session, "exchange", 0, "bank", q, now, actor), "credit", instr.payout)],
            now=now, actor=actor, description="payout left the bank")
    instr.settled_at = now
    instr.payout_bank_ref = bank_ref
    _move(session, instr, "settled", now=now, actor=actor, transfer_id=tid, bank_ref=bank_ref)
    return True


def uses_lock(plan: SettlementPlan) -> bool:
    return plan.rate_policy == RatePolicy.LOCK
