"""The figures of an instruction: fee and taxes in the contract currency, then the amounts the
buyer pays in and the seller is paid out in.

Order of the arithmetic (each rounding explicit, half-even to the currency's minor unit):

1. In the contract currency C: fee = clamp(rate x gross, min, cap); VAT = gross - gross/1.06;
   withholding = (gross - VAT) x rate; net = gross - fees - VAT - withholding.
2. Pay-in P: the buyer pays gross x (the C->P rate with the exchange's margin). The same gross
   at the mid rate is split over the figures of step 1 by ``allocate`` (in proportion to their
   C amounts, no minor unit lost); the difference between the two is the FX margin line. A
   deposit the exchange already holds for the buyer (auction and fixed-price deals) is taken
   off what the buyer pays and books at the mid rate instead.
3. Payout Q: the seller receives net in C converted at the C->Q rate less the margin (or, when
   Q is C, exactly net; when Q is P, exactly the booked net).

Rates come from the plan's locks (rate policy ``lock``) or, for ``spot``, from a lock taken
at the step (``lock_rate``), so every rate used is stored and replayable.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from moneyed import Money
from sqlalchemy.orm import Session

from kernel.money import allocate, from_minor, to_minor
from settlement.fx import Quote, Side, apply_spread, convert, find_rate
from settlement.fx.models import FxRateLock
from settlement.fx.store import DbRateSource, lock_rate, quote_from_lock

from .config import PlanConfig
from .errors import InvalidTerms
from .fees import FeeSchedule, compute_fee
from .models import InstructionLine, SettlementInstruction, SettlementPlan
from .taxes import compute_taxes, vat_rule, withholding_rule
from .terms import RatePolicy, TransactionType

#: the figures split out of the gross, in booking order (gross and fx_margin apart)
SPLIT_KINDS = ("fee_exchange", "fee_subcentre", "fee_broker", "vat", "withholding", "net")


@dataclass(frozen=True)
class LineSpec:
    kind: str
    rule: str
    rate: Decimal | None
    amount: Money


def fee_bounds(session: Session, fee: FeeSchedule, ccy: str, on: dt.date,
               config: PlanConfig) -> tuple[Money, Money]:
    """The schedule's minimum and cap in ``ccy`` (converted at the mid rate on ``on``)."""
    if fee.minimum.currency.code == ccy:
        return fee.minimum, fee.cap
    quote = find_rate(DbRateSource(session), fee.minimum.currency.code, ccy, on,
                      config.max_staleness_business_days)
    return convert(fee.minimum, ccy, quote), convert(fee.cap, ccy, quote)


def figure_lines(plan: SettlementPlan, gross: Money, config: PlanConfig) -> list[LineSpec]:
    """Step 1 of the module docstring: every figure of a gross payment in C, with its rule."""
    ccy = plan.contract_currency
    shares = tuple(int(s) for s in plan.fee_shares.split(":"))
    fee = compute_fee(gross, plan.fee_rate, from_minor(plan.fee_minimum_minor, ccy),
                      from_minor(plan.fee_cap_minor, ccy), shares)  # type: ignore[arg-type]
    ttype = TransactionType(plan.transaction_type)
    vat = vat_rule(ttype, plan.payee_tax_residency, certified=bool(plan.certification_ref),
                   home_country=config.home_country)
    wht = withholding_rule(ttype, plan.payee_tax_residency,
                           treaty_proven=bool(plan.treaty_proof_ref),
                           home_country=config.home_country)
    taxes = compute_taxes(gross, vat, wht)
    lines = [LineSpec("gross", "gross amount due under the contract", None, gross),
             LineSpec("fee_exchange", fee.rule + " (exchange's share)", plan.fee_rate,
                      fee.exchange)]
    if plan.subcentre_id is not None:
        lines.append(LineSpec("fee_subcentre", fee.rule + " (sub-centre's share)", plan.fee_rate,
                              fee.subcentre))
    if plan.broker_org_id is not None:
        lines.append(LineSpec("fee_broker", fee.rule + " (broker's share)", plan.fee_rate,
                              fee.broker))
    if vat is not None:
        lines.append(LineSpec("vat", vat.text, vat.rate, taxes.vat))
    if wht is not None:
        lines.append(LineSpec("withholding", wht.text + f" on {taxes.base.amount} {ccy}",
                              wht.rate, taxes.withholding))
    net = to_minor(gross) - sum(to_minor(ln.amount) for ln in lines[1:])
    if net <= 0:
        raise InvalidTerms(f"fees and taxes of {gross.amount} {ccy} leave nothing for the payee",
                           field="amount")
    lines.append(LineSpec("net", "net amount for the payee: gross less fees and taxes", None,
                          from_minor(net, ccy)))
    return lines


def add_lines(instr: SettlementInstruction, specs: list[LineSpec]) -> None:
    for spec in specs:
        instr.lines.append(InstructionLine(
            kind=spec.kind, rule=spec.rule, rate=spec.rate, amount=spec.amount,
            booked_minor=None, booked_currency=instr.payin_currency))


def _mid(quote: Quote) -> Quote:
    return Quote(quote.from_ccy, quote.to_ccy, quote.mid_rate or quote.rate, quote.path,
                 quote.as_of)


def _quote(session: Session, plan: SettlementPlan, lock_id: int | None, to_ccy: str, side: Side,
           *, purpose: str, now: dt.datetime, actor: str, config: PlanConfig
           ) -> tuple[Quote, FxRateLock]:
    if plan.rate_policy == RatePolicy.LOCK and lock_id is not None:
        lock = session.get(FxRateLock, lock_id)
        assert lock is not None  # a foreign key
    else:
        lock = lock_rate(session, plan.contract_currency, to_ccy, now=now, purpose=purpose,
                         actor=actor,
                         max_staleness_business_days=config.max_staleness_business_days,
                         adjust=lambda q: apply_spread(q, plan.spread_bps, side))
    return quote_from_lock(lock), lock


def price_payin(session: Session, plan: SettlementPlan, instr: SettlementInstruction, *,
                now: dt.datetime, actor: str, config: PlanConfig) -> None:
    """Step 2: fix what the buyer pays in and what each figure books in the pay-in currency.

    A deposit applied to the instruction (already in the buyer's escrow, in C) is not paid
    again: the buyer pays gross less deposit at the rate with the margin; the deposit books at
    the quote's mid rate (no margin: the exchange converts money it holds), and the figures
    split the two together."""
    c, p = plan.contract_currency, plan.payin_currency
    gross = instr.gross
    deposit = from_minor(instr.deposit_minor or 0, c)
    owed = gross - deposit
    if p == c:
        paid, mid_paid, deposit_booked = owed, owed, deposit
        instr.payin_rate = instr.payin_mid_rate = Decimal(1)
    else:
        quote, lock = _quote(session, plan, plan.payin_lock_id, p, Side.PAY,
                             purpose=f"spot pay-in {instr.ref}", now=now, actor=actor,
                             config=config)
        paid, mid_paid = convert(owed, p, quote), convert(owed, p, _mid(quote))
        deposit_booked = convert(deposit, p, _mid(quote)) if instr.deposit_minor else \
            from_minor(0, p)
        instr.payin_rate, instr.payin_mid_rate = quote.rate, quote.mid_rate
        instr.payin_lock_id = lock.id
    if to_minor(paid) <= 0:
        raise InvalidTerms(f"{instr.ref}: nothing is left to pay in after the deposit",
                           field="deposit_applied")
    by_kind = {ln.kind: ln for ln in instr.lines}
    split = [by_kind[k] for k in SPLIT_KINDS if k in by_kind]
    booked_total = from_minor(to_minor(mid_paid) + to_minor(deposit_booked), p)
    for line, share in zip(split, allocate(booked_total, [ln.amount_minor for ln in split])):
        line.booked = share
    by_kind["gross"].booked = from_minor(to_minor(paid) + to_minor(deposit_booked), p)
    margin = to_minor(paid) - to_minor(mid_paid)
    if margin > 0:
        instr.lines.append(InstructionLine(
            kind="fx_margin", rate=plan.spread_bps,
            rule=(f"exchange FX margin {plan.spread_bps} bps on {c}->{p}: {instr.payin_rate} "
                  f"instead of the mid rate {instr.payin_mid_rate}, paid by the payer"),
            amount=from_minor(0, c), booked=from_minor(margin, p)))
    instr.payin = paid
    instr.deposit_booked_minor = to_minor(deposit_booked) if instr.deposit_minor else None
    if plan.payout_currency == p or (plan.rate_policy == RatePolicy.LOCK):
        price_payout(session, plan, instr, now=now, actor=actor, config=config)


def price_payout(session: Session, plan: SettlementPlan, instr: SettlementInstruction, *,
                 now: dt.datetime, actor: str, config: PlanConfig) -> None:
    """Step 3: fix what the seller is paid out (after the pay-in is priced)."""
    c, p, q = plan.contract_currency, plan.payin_currency, plan.payout_currency
    net = instr.line("net")
    assert net is not None and net.booked_minor is not None
    if q == p:
        instr.payout, instr.payout_rate = net.booked, None
    elif q == c:
        instr.payout, instr.payout_rate = net.amount, Decimal(1)
    else:
        quote, lock = _quote(session, plan, plan.payout_lock_id, q, Side.RECEIVE,
                             purpose=f"spot payout {instr.ref}", now=now, actor=actor,
                             config=config)
        payout = convert(net.amount, q, quote)
        if to_minor(payout) <= 0:
            raise InvalidTerms(f"{net.amount.amount} {c} converts to nothing in {q}",
                               field="payout_currency")
        instr.payout, instr.payout_rate, instr.payout_lock_id = payout, quote.rate, lock.id
