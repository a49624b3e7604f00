"""Settlement plans: created from a deal's terms, milestone events, royalty reports and the
year-end minimum royalty, manual funds-received and payout confirmation.

Every function works in the caller's session and transaction (the caller commits) and
writes audit events; instruction rows are loaded ``FOR UPDATE`` (PostgreSQL; on SQLite the
writing session's ``BEGIN IMMEDIATE`` serialises writers).
"""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from decimal import ROUND_HALF_EVEN
from typing import Any

from moneyed import Money
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.audit import record_event, canonical_json
from kernel.money import from_minor, quantize, to_minor
from kernel.parties import Organisation, SubCentre
from settlement.fx import Side, apply_spread
from settlement.fx.store import lock_rate

from .config import PlanConfig
from .errors import InvalidTerms, PlanExists, PlanNotFound, RoyaltyReportRefused
from .fees import effective_shares
from .models import SettlementInstruction, SettlementPlan
from .pricing import add_lines, fee_bounds, figure_lines, price_payin
from .references import human_ref, rf_for_human_ref
from .steps import receive_funds, settle, undo_receipt
from .terms import DealTerms, RatePolicy, RoyaltyPeriod

PERIOD_MONTHS = {RoyaltyPeriod.QUARTER: 3, RoyaltyPeriod.HALF_YEAR: 6, RoyaltyPeriod.YEAR: 12}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _terms_json(terms: DealTerms) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, Money):
            return {"amount": str(value.amount), "currency": value.currency.code}
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return canonical_json(plain(terms))


def _new_instruction(plan: SettlementPlan, seq: int, kind: str, label: str, gross: Money, *,
                     now: dt.datetime, config: PlanConfig, due_on: dt.date | None = None,
                     due_event: str | None = None, period: tuple[dt.date, dt.date] | None = None,
                     net_sales: Money | None = None) -> SettlementInstruction:
    ref = human_ref(config.ref_prefix, plan.created_at.year, plan.id, seq)
    instr = SettlementInstruction(
        seq=seq, ref=ref, rf_reference=rf_for_human_ref(ref), kind=kind, label=label[:200],
        status="scheduled", due_on=due_on, due_event=due_event,
        period_start=period[0] if period else None, period_end=period[1] if period else None,
        net_sales_minor=to_minor(net_sales) if net_sales is not None else None,
        payer_org_id=plan.buyer_org_id, payee_org_id=plan.seller_org_id, gross=gross,
        payin_minor=None, payin_currency=plan.payin_currency, payout_minor=None,
        payout_currency=plan.payout_currency, created_at=now, updated_at=now)
    plan.instructions.append(instr)
    add_lines(instr, figure_lines(plan, gross, config))
    return instr


def create_plan(session: Session, terms: DealTerms, *, now: dt.datetime, actor: str,
                config: PlanConfig | None = None) -> SettlementPlan:
    """Turn a struck deal's terms into a settlement plan with one instruction per fixed payment.

    Takes the FX rate locks now (rate policy ``lock``: contract -> pay-in with the margin
    against the buyer, contract -> payout with the margin against the seller) and prices every
    instruction with them; ``spot`` plans are priced as each instruction falls due. Royalty
    instructions come later, from the licensee's reports. A deposit applied (``terms.
    deposit_applied``) reduces what the buyer pays in for the upfront payment. Raises ``InvalidTerms`` for terms
    that do not add up, ``PlanExists`` for a deal that already has a plan.
    """
    config = config or PlanConfig()
    terms.validate()
    for field_name in ("buyer_org_id", "seller_org_id", "broker_org_id"):
        org_id = getattr(terms, field_name)
        if org_id is not None and session.get(Organisation, org_id) is None:
            raise InvalidTerms(f"no organisation {org_id}", field=field_name)
    subcentre = None
    if terms.subcentre_id is not None:
        subcentre = session.get(SubCentre, terms.subcentre_id)
        if subcentre is None:
            raise InvalidTerms(f"no sub-centre {terms.subcentre_id}", field="subcentre_id")
    if session.execute(select(SettlementPlan.id).where(
            SettlementPlan.deal_ref == terms.deal_ref)).first() is not None:
        raise PlanExists(f"deal {terms.deal_ref} already has a settlement plan", field="deal_ref")
    c, p, q = terms.contract_currency, terms.payin_currency, terms.payout_currency
    fee = config.fee_for(subcentre.code if subcentre else None)
    fee_min, fee_cap = fee_bounds(session, fee, c, now.date(), config)
    shares = effective_shares(fee.shares, has_subcentre=subcentre is not None,
                              has_broker=terms.broker_org_id is not None)
    payin_lock = payout_lock = None
    if terms.rate_policy is RatePolicy.LOCK:
        def lock(to_ccy: str, side: Side, what: str) -> int:
            return lock_rate(session, c, to_ccy, now=now, actor=actor,
                             purpose=f"deal {terms.deal_ref} {what}",
                             max_staleness_business_days=config.max_staleness_business_days,
                             adjust=lambda qt: apply_spread(qt, config.spread_bps, side)).id

        if p != c:
            payin_lock = lock(p, Side.PAY, "pay-in")
        if q not in (c, p):
            payout_lock = lock(q, Side.RECEIVE, "payout")
    royalty = terms.schedule.royalty
    plan = SettlementPlan(
        deal_id=terms.deal_id, deal_ref=terms.deal_ref,
        contract_ref=terms.contract_ref or terms.deal_ref, direction=str(terms.direction),
        status="active", buyer_org_id=terms.buyer_org_id, seller_org_id=terms.seller_org_id,
        subcentre_id=terms.subcentre_id, broker_org_id=terms.broker_org_id,
        contract_currency=c, payin_currency=p, payout_currency=q, price=terms.price,
        transaction_type=str(terms.transaction_type), rate_policy=str(terms.rate_policy),
        spread_bps=config.spread_bps, payin_lock_id=payin_lock, payout_lock_id=payout_lock,
        fee_rate=fee.rate, fee_minimum_minor=to_minor(fee_min), fee_cap_minor=to_minor(fee_cap),
        fee_shares=":".join(str(s) for s in shares),
        payee_tax_residency=terms.payee_tax_residency,
        treaty_proof_ref=terms.treaty_residency_proof_ref,
        certification_ref=terms.certification_ref,
        registration_ref=terms.contract_registration_ref,
        royalty_rate=royalty.rate if royalty else None,
        royalty_period=str(royalty.period) if royalty else None,
        royalty_starts_on=royalty.starts_on if royalty else None,
        royalty_minimum_minor=(to_minor(royalty.minimum_annual)
                               if royalty and royalty.minimum_annual else None),
        royalty_years_closed=0, terms_json=_terms_json(terms), created_at=now)
    session.add(plan)
    session.flush()
    seq = 0
    s = terms.schedule
    if s.upfront is not None:
        seq += 1
        upfront = _new_instruction(plan, seq, "upfront", "upfront fee", s.upfront, now=now,
                                   config=config, due_on=s.upfront_due_on)
        upfront.deposit_minor = to_minor(terms.deposit_applied) if terms.deposit_applied else 0
    for m in s.milestones:
        seq += 1
        _new_instruction(plan, seq, "milestone", m.label, m.amount, now=now, config=config,
                         due_on=m.due_on, due_event=m.event)
    session.flush()
    if terms.rate_policy is RatePolicy.LOCK:
        for instr in plan.instructions:
            price_payin(session, plan, instr, now=now, actor=actor, config=config)
    session.flush()
    record_event(session, actor=actor, action="settlement.plan_created",
                 entity_type="settlement_plan", entity_id=plan.id, at=now,
                 after={"deal_ref": plan.deal_ref, "instructions": [i.ref for i in plan.instructions],
                        "payin_lock_id": payin_lock, "payout_lock_id": payout_lock,
                        "currencies": [c, p, q], "price": terms.price,
                        "deposit_applied": terms.deposit_applied})
    return plan


# -- reading ----------------------------------------------------------------------------------

def get_plan(session: Session, plan_id: int) -> SettlementPlan:
    plan = session.get(SettlementPlan, plan_id)
    if plan is None:
        raise PlanNotFound(f"no settlement plan {plan_id}")
    return plan


def plan_for_deal(session: Session, deal_ref: str) -> SettlementPlan:
    plan = session.execute(select(SettlementPlan).where(SettlementPlan.deal_ref == deal_ref)
                           ).scalar_one_or_none()
    if plan is None:
        raise PlanNotFound(f"no settlement plan for deal {deal_ref}")
    return plan


def lock_instruction(session: Session, instruction_id: int) -> SettlementInstruction:
    """The instruction, its row locked for the rest of the transaction."""
    instr = session.execute(select(SettlementInstruction).where(
        SettlementInstruction.id == instruction_id).with_for_update()).scalar_one_or_none()
    if instr is None:
        raise PlanNotFound(f"no settlement instruction {instruction_id}")
    return instr


def find_by_reference(session: Session, reference: str) -> SettlementInstruction | None:
    """The instruction a bank reference names: its RF reference (spaces ignored) or human ref."""
    from .references import normalise_rf

    text = normalise_rf(reference)
    return session.execute(select(SettlementInstruction).where(
        (SettlementInstruction.rf_reference == text) | (SettlementInstruction.ref == reference.strip())
    )).scalar_one_or_none()


# -- events, funds, payouts -------------------------------------------------------------------

def record_milestone_event(session: Session, plan_id: int, event: str, *, now: dt.datetime,
                           actor: str) -> SettlementInstruction:
    """The named event happened ("prototype accepted"): its milestone is due from today."""
    plan = get_plan(session, plan_id)
    instr = session.execute(select(SettlementInstruction).where(
        SettlementInstruction.plan_id == plan.id, SettlementInstruction.due_event == event)
        .with_for_update()).scalar_one_or_none()
    if instr is None:
        raise PlanNotFound(f"plan {plan_id} has no milestone waiting for {event!r}", field="event")
    if instr.event_recorded_at is not None:
        return instr
    instr.event_recorded_at = now
    instr.due_on = now.date()
    instr.updated_at = now
    record_event(session, actor=actor, action="settlement.milestone_event",
                 entity_type="settlement_instruction", entity_id=instr.id, at=now,
                 after={"event": event, "due_on": instr.due_on})
    return instr


def record_funds_received(session: Session, instruction_id: int, amount: Money, *,
                          now: dt.datetime, actor: str, bank_ref: str | None = None,
                          from_purpose: str = "bank") -> SettlementInstruction:
    """Finance (or reconciliation, ``from_purpose="suspense"``) confirms the buyer's payment
    arrived (idempotent)."""
    instr = lock_instruction(session, instruction_id)
    receive_funds(session, instr.plan, instr, amount, now=now, actor=actor, bank_ref=bank_ref,
                  from_purpose=from_purpose)
    return instr


def undo_funds_received(session: Session, instruction_id: int, *, now: dt.datetime, actor: str,
                        reason: str) -> SettlementInstruction:
    """The payment reported received did not stand (reconciliation unmatched it): the
    instruction is due again and its escrow credit reversed; refused (``TransitionRefused``)
    once the money has moved on from the escrow."""
    instr = lock_instruction(session, instruction_id)
    undo_receipt(session, instr, now=now, actor=actor, reason=reason)
    return instr


def confirm_payout(session: Session, instruction_id: int, *, now: dt.datetime, actor: str,
                   bank_ref: str | None = None, bank_booked: bool = False
                   ) -> SettlementInstruction:
    """Finance (or reconciliation, ``bank_booked=True``: it booked the statement line already)
    confirms the payout left the bank: settled (idempotent)."""
    instr = lock_instruction(session, instruction_id)
    settle(session, instr, now=now, actor=actor, bank_ref=bank_ref, bank_booked=bank_booked)
    return instr


# -- royalties --------------------------------------------------------------------------------

def royalty_year(plan: SettlementPlan, day: dt.date) -> int:
    """1 for the first royalty year (from ``royalty_starts_on``), 2 for the next..."""
    assert plan.royalty_starts_on is not None
    n = 1
    while add_months(plan.royalty_starts_on, 12 * n) <= day:
        n += 1
    return n


def _next_seq(session: Session, plan: SettlementPlan) -> int:
    return (session.execute(select(func.max(SettlementInstruction.seq)).where(
        SettlementInstruction.plan_id == plan.id)).scalar() or 0) + 1


def submit_royalty_report(session: Session, plan_id: int, *, period_start: dt.date,
                          period_end: dt.date, net_sales: Money, now: dt.datetime, actor: str,
                          config: PlanConfig | None = None) -> SettlementInstruction | None:
    """The licensee reports net sales for one royalty period: royalty = rate x net sales
    (half-even to the minor unit) becomes an instruction due today. A period must be one of
    the contract's (quarters, half-years or years from the royalty start), reported once, and
    not in a royalty year already closed. Zero sales give no instruction (None)."""
    config = config or PlanConfig()
    plan = session.execute(select(SettlementPlan).where(SettlementPlan.id == plan_id)
                           .with_for_update()).scalar_one_or_none()
    if plan is None:
        raise PlanNotFound(f"no settlement plan {plan_id}")
    if plan.royalty_rate is None or plan.royalty_starts_on is None:
        raise RoyaltyReportRefused(f"plan {plan_id} has no running royalties")
    c = plan.contract_currency
    if net_sales.currency.code != c or to_minor(net_sales) < 0:
        raise InvalidTerms(f"net sales are reported in {c}, not negative", field="net_sales")
    months = PERIOD_MONTHS[RoyaltyPeriod(plan.royalty_period)]
    k, start = 0, plan.royalty_starts_on
    while start < period_start:
        k += 1
        start = add_months(plan.royalty_starts_on, months * k)
    if start != period_start or \
            period_end != add_months(plan.royalty_starts_on, months * (k + 1)) - dt.timedelta(days=1):
        raise RoyaltyReportRefused(
            f"{period_start}..{period_end} is not one of the contract's {plan.royalty_period} "
            f"periods from {plan.royalty_starts_on}", field="period_start")
    if period_end >= now.date():
        raise RoyaltyReportRefused("a period is reported after it ends", field="period_end")
    if royalty_year(plan, period_start) <= plan.royalty_years_closed:
        raise RoyaltyReportRefused(f"royalty year {royalty_year(plan, period_start)} is closed",
                                   field="period_start")
    if session.execute(select(SettlementInstruction.id).where(
            SettlementInstruction.plan_id == plan.id, SettlementInstruction.kind == "royalty",
            SettlementInstruction.period_start == period_start)).first() is not None:
        raise RoyaltyReportRefused(f"the period from {period_start} is already reported",
                                   field="period_start")
    royalty = quantize(net_sales.amount * plan.royalty_rate, c, ROUND_HALF_EVEN)
    record_event(session, actor=actor, action="settlement.royalty_reported",
                 entity_type="settlement_plan", entity_id=plan.id, at=now,
                 after={"period_start": period_start, "period_end": period_end,
                        "net_sales": net_sales, "rate": plan.royalty_rate, "royalty": royalty})
    if to_minor(royalty) == 0:
        return None
    instr = _new_instruction(
        plan, _next_seq(session, plan), "royalty",
        f"royalty {period_start}..{period_end}: {plan.royalty_rate} x {net_sales.amount} {c}",
        royalty, now=now, config=config, due_on=now.date(), period=(period_start, period_end),
        net_sales=net_sales)
    session.flush()
    if plan.rate_policy == RatePolicy.LOCK:
        price_payin(session, plan, instr, now=now, actor=actor, config=config)
    session.flush()
    return instr


def close_royalty_years(session: Session, plan_id: int, *, now: dt.datetime, actor: str,
                        config: PlanConfig | None = None) -> list[SettlementInstruction]:
    """Close every royalty year that has ended: when its royalties fall short of the minimum
    annual royalty, a top-up instruction for the difference (due today). Idempotent: the plan
    counts the years it closed."""
    config = config or PlanConfig()
    plan = session.execute(select(SettlementPlan).where(SettlementPlan.id == plan_id)
                           .with_for_update()).scalar_one()
    if plan.royalty_starts_on is None:
        return []
    created = []
    c = plan.contract_currency
    while True:
        n = plan.royalty_years_closed + 1
        start = add_months(plan.royalty_starts_on, 12 * (n - 1))
        end = add_months(plan.royalty_starts_on, 12 * n)
        if end > now.date():
            break
        paid = session.execute(select(func.coalesce(func.sum(SettlementInstruction.gross_minor), 0))
                               .where(SettlementInstruction.plan_id == plan.id,
                                      SettlementInstruction.kind == "royalty",
                                      SettlementInstruction.period_start >= start,
                                      SettlementInstruction.period_start < end)).scalar()
        minimum = plan.royalty_minimum_minor or 0
        shortfall = minimum - int(paid)
        topup = None
        if shortfall > 0:
            topup = _new_instruction(
                plan, _next_seq(session, plan), "royalty_topup",
                f"minimum annual royalty year {n} ({start}..{end - dt.timedelta(days=1)}): "
                f"{from_minor(minimum, c).amount} less {from_minor(int(paid), c).amount} reported",
                from_minor(shortfall, c), now=now, config=config, due_on=now.date(),
                period=(start, end - dt.timedelta(days=1)))
            session.flush()
            if plan.rate_policy == RatePolicy.LOCK:
                price_payin(session, plan, topup, now=now, actor=actor, config=config)
            created.append(topup)
        plan.royalty_years_closed = n
        record_event(session, actor=actor, action="settlement.royalty_year_closed",
                     entity_type="settlement_plan", entity_id=plan.id, at=now,
                     after={"year": n, "reported": from_minor(int(paid), c),
                            "minimum": from_minor(minimum, c),
                            "topup": topup.ref if topup else None})
    session.flush()
    return created
