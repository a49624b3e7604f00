"""The reconciliation report as a page: figures and a server-rendered SVG bar chart of the open
items by age (no JavaScript, nothing downloaded)."""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from gateway.auth.access import allow
from gateway.db import db_session, get_clock
from gateway.reconciliation.api import FINANCE, bank_account
from gateway.web.views import bp
from kernel.errors import InvalidInput
from settlement.reconciliation.models import BankAccount
from settlement.reconciliation.report import ReconciliationReport, build_report, parse_period

CHART_W, CHART_H, PAD = 520, 220, 40


def chart(report: ReconciliationReport) -> dict[str, Any]:
    """Bars for open lines and unpaid instructions per age bucket, scaled to the largest."""
    buckets = list(report.ageing_lines)
    series = [("lines", report.ageing_lines, "#3b6ea5"),
              ("instructions", report.ageing_instructions, "#c8742c")]
    top = max([t.amount.amount for _n, data, _c in series for t in data.values()] or [0])
    plot_h = CHART_H - 2 * PAD
    group_w = (CHART_W - 2 * PAD) // max(len(buckets), 1)
    bar_w = group_w // 3
    bars = []
    for i, name in enumerate(buckets):
        for j, (label, data, colour) in enumerate(series):
            tally = data[name]
            h = int(plot_h * tally.amount.amount / top) if top else 0
            bars.append({"x": PAD + i * group_w + j * bar_w + bar_w // 2, "y": CHART_H - PAD - h,
                         "w": bar_w, "h": h, "colour": colour,
                         "title": f"{label} {name} days: {tally.count}, "
                                  f"{tally.amount.amount} {report.currency}"})
    labels = [{"x": PAD + i * group_w + group_w // 2, "text": name}
              for i, name in enumerate(buckets)]
    return {"w": CHART_W, "h": CHART_H, "pad": PAD, "bars": bars, "labels": labels,
            "top": top, "series": [(label, colour) for label, _d, colour in series]}


@bp.get("/reconciliation/report")
@allow(*FINANCE)
def reconciliation_report() -> ResponseReturnValue:
    session = db_session()
    accounts = session.execute(select(BankAccount).order_by(BankAccount.id)).scalars().all()
    account = request.args.get("account")
    period = request.args.get("period")
    report = None
    if account and period:
        bank = bank_account(session, account, request.args.get("currency"))
        try:
            start, end = parse_period(period)
        except ValueError:
            raise InvalidInput("period is YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD",
                               field="period") from None
        report = build_report(session, bank.id, start, end, ledger_at=get_clock().now())
    return render_template("reconciliation/report.html", accounts=accounts, report=report,
                           chart=chart(report) if report else None, account=account or "",
                           period=period or "")
