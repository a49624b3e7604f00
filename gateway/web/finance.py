"""Finance pages: instructions due and overdue by currency (a chart), held payments with their
reasons, and the forms to record funds received and confirm a payout (the same services the
settlement API calls)."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from moneyed import Money
from sqlalchemy import select

from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.web.errors import error_text
from gateway.web.exposure import fx_exposure
from gateway.web.helpers import Bar, bar_chart, money, refused
from gateway.web.views import bp
from kernel.errors import DomainError, NotFound
from kernel.money import parse_amount
from settlement.plans import (
    SettlementInstruction,
    confirm_payout,
    record_funds_received,
)

#: payouts finance confirms once the money has left the bank
AWAITING_PAYOUT = ("paid_out",)


@bp.get("/finance")
@allow("finance", "admin")
def finance_dashboard() -> ResponseReturnValue:
    session = db_session()
    today = get_clock().now().date()
    due = session.execute(select(SettlementInstruction).where(SettlementInstruction.status == "due")
                          .order_by(SettlementInstruction.due_on, SettlementInstruction.id)).scalars().all()
    held = session.execute(select(SettlementInstruction).where(SettlementInstruction.status == "held")
                           .order_by(SettlementInstruction.id)).scalars().all()
    payouts = session.execute(select(SettlementInstruction).where(
        SettlementInstruction.status.in_(AWAITING_PAYOUT)).order_by(SettlementInstruction.id)).scalars().all()
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"due": Decimal(0), "overdue": Decimal(0)})
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"due": 0, "overdue": 0})
    for instr in due:
        amount = instr.payin or instr.gross
        ccy = amount.currency.code
        key = "overdue" if instr.due_on is not None and instr.due_on < today else "due"
        totals[ccy][key] += amount.amount
        counts[ccy][key] += 1
    bars = []
    for ccy in sorted(totals):
        for key, label in (("due", _("due")), ("overdue", _("overdue"))):
            if counts[ccy][key]:
                bars.append(Bar(f"{ccy} {label}", counts[ccy][key],
                                note=f"{counts[ccy][key]} · {money(Money(totals[ccy][key], ccy))}"))
    chart = bar_chart(bars, title=_("Instructions due and overdue by currency"), width=420) if bars else None
    summary = [(ccy, counts[ccy], {k: Money(v, ccy) for k, v in totals[ccy].items()}) for ccy in sorted(totals)]
    exposure = fx_exposure(session, today)
    fx_bars = [Bar(e.currency, e.equivalents["CNY"].converted.amount,  # type: ignore[arg-type]
                   note=money(e.equivalents["CNY"].converted))
               for e in exposure if e.equivalents["CNY"] and e.equivalents["CNY"].converted]
    fx_chart = bar_chart(fx_bars, title=_("Open instructions by currency, CNY equivalent"),
                         width=420) if fx_bars else None
    return render_template("finance/dashboard.html", due=due, held=held, payouts=payouts, chart=chart,
                           summary=summary, today=today, exposure=exposure, fx_chart=fx_chart)


@bp.post("/finance/instructions/<int:instruction_id>/funds-received")
@allow("finance")
def finance_funds_received(instruction_id: int) -> ResponseReturnValue:
    principal = require_principal()
    instr = db_session().get(SettlementInstruction, instruction_id)
    if instr is None:
        raise NotFound(f"no settlement instruction {instruction_id}")
    try:
        amount = parse_amount(request.form.get("amount", "").strip(), instr.payin_currency)
        instr = record_funds_received(db_session(), instruction_id, amount, now=get_clock().now(),
                                      actor=principal.actor,
                                      bank_ref=request.form.get("bank_reference", "").strip() or None)
    except DomainError as exc:
        return _refused(exc)
    flash(_("Funds recorded for %(ref)s.", ref=instr.ref))
    return redirect(url_for("web.finance_dashboard"))


@bp.post("/finance/instructions/<int:instruction_id>/payout-confirmed")
@allow("finance")
def finance_payout_confirmed(instruction_id: int) -> ResponseReturnValue:
    principal = require_principal()
    try:
        instr = confirm_payout(db_session(), instruction_id, now=get_clock().now(), actor=principal.actor,
                               bank_ref=request.form.get("bank_reference", "").strip() or None)
    except DomainError as exc:
        return _refused(exc)
    flash(_("Payout confirmed for %(ref)s.", ref=instr.ref))
    return redirect(url_for("web.finance_dashboard"))


def _refused(exc: DomainError) -> Any:
    # a refused step is rolled back and the page says why
    status = refused(422)
    return render_template("error.html", status=422, title=_("Not recorded"), detail=error_text(exc),
                           service_detail=exc.detail), status
