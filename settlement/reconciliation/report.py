"""The reconciliation report per bank account, currency and period.

Statement balances against the ledger's bank account, matched and unmatched counts and amounts,
open items by age (0-7, 8-30, 31-90, 90+ days), as a plain value; ``report_csv`` writes it out.
The statement-minus-ledger difference is explained by the lines not yet matched (only matches
post to the bank's ledger account).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from moneyed import Money
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kernel.money import from_minor
from settlement.ledger import balance_as_of
from settlement.reconciliation.errors import UnknownBankAccount
from settlement.reconciliation.models import (
    BankAccount, ImportedStatement, ReconException, StatementLineRecord,
)

BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("90+", 91, None))


@dataclass(frozen=True)
class Tally:
    count: int
    amount: Money


@dataclass(frozen=True)
class ReconciliationReport:
    bank_account_id: int
    account: str
    currency: str
    period_start: dt.date
    period_end: dt.date
    statements: int
    statement_opening: Money | None
    statement_closing: Money | None
    ledger_balance: Money
    difference: Money | None          # statement closing - ledger
    unmatched_net: Money              # credits - debits of lines not (fully) matched
    matched: Tally
    unmatched: Tally
    ignored: Tally
    open_exceptions: int
    ageing_lines: dict[str, Tally] = field(default_factory=dict)
    ageing_instructions: dict[str, Tally] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def money(m: Money | None) -> dict[str, str] | None:
            return None if m is None else {"amount": str(m.amount), "currency": m.currency.code}

        def tally(t: Tally) -> dict[str, Any]:
            return {"count": t.count, "amount": money(t.amount)}

        return {
            "bank_account_id": self.bank_account_id, "account": self.account,
            "currency": self.currency, "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(), "statements": self.statements,
            "statement_opening": money(self.statement_opening),
            "statement_closing": money(self.statement_closing),
            "ledger_balance": money(self.ledger_balance), "difference": money(self.difference),
            "unmatched_net": money(self.unmatched_net), "matched": tally(self.matched),
            "unmatched": tally(self.unmatched), "ignored": tally(self.ignored),
            "open_exceptions": self.open_exceptions,
            "ageing": {"lines": {k: tally(v) for k, v in self.ageing_lines.items()},
                       "instructions": {k: tally(v)
                                        for k, v in self.ageing_instructions.items()}},
        }


def _bucket(days: int) -> str:
    for name, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return name
    return BUCKETS[0][0]


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """``2026-11`` (a month), ``2026-11-23`` (a day) or ``2026-11-01..2026-11-30``."""
    if ".." in period:
        a, b = period.split("..", 1)
        return dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    if len(period) == 7:
        start = dt.date.fromisoformat(period + "-01")
        nxt = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return start, nxt - dt.timedelta(days=1)
    day = dt.date.fromisoformat(period)
    return day, day


def build_report(session: Session, bank_account_id: int, start: dt.date, end: dt.date, *,
                 as_of: dt.date | None = None, ledger_at: dt.datetime | None = None
                 ) -> ReconciliationReport:
    """The report for one bank account over ``start``..``end`` (booking dates), open items
    aged at ``as_of`` (default: the period's end).

    The ledger balance is the bank ledger account's as of ``ledger_at`` (default: the end of
    the period). Matches post when they are made, not at their value dates, so a report drawn
    for a past period passes the time it is drawn.
    """
    bank = session.get(BankAccount, bank_account_id)
    if bank is None:
        raise UnknownBankAccount(f"no bank account {bank_account_id}", field="account")
    ccy = bank.currency
    age_at = as_of or end
    s = ImportedStatement
    stmts = session.execute(select(s).where(
        s.bank_account_id == bank.id, s.period_end >= start, s.period_end <= end)
        .order_by(s.period_end, s.id)).scalars().all()
    opening = from_minor(stmts[0].opening_minor, ccy) if stmts else None
    closing = from_minor(stmts[-1].closing_minor, ccy) if stmts else None
    end_of_day = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(),
                                     tzinfo=dt.timezone.utc) - dt.timedelta(microseconds=1)
    ledger = balance_as_of(session, bank.ledger_account_id, ledger_at or end_of_day)
    ln = StatementLineRecord.__table__.c
    day = func.coalesce(ln.booking_date, ln.value_date)
    signed = case((ln.direction == "CRDT", 1), else_=-1)
    rows = session.execute(
        select(ln.match_status, func.count(), func.coalesce(func.sum(ln.amount_minor), 0),
               func.coalesce(func.sum(signed * (ln.amount_minor - ln.allocated_minor)), 0))
        .where(ln.bank_account_id == bank.id, day >= start, day <= end)
        .group_by(ln.match_status)).all()
    by_status = {r[0]: (r[1], r[2], r[3]) for r in rows}

    def tally(*statuses: str) -> Tally:
        count = sum(by_status.get(x, (0, 0, 0))[0] for x in statuses)
        amount = sum(by_status.get(x, (0, 0, 0))[1] for x in statuses)
        return Tally(count, from_minor(amount, ccy))

    unmatched_net = sum(v[2] for k, v in by_status.items() if k != "ignored")
    ageing_lines: dict[str, list[int]] = {b[0]: [0, 0] for b in BUCKETS}
    for d, free in session.execute(
            select(ln.value_date, ln.amount_minor - ln.allocated_minor)
            .where(ln.bank_account_id == bank.id, day <= end,
                   ln.match_status.in_(("unmatched", "exception", "partial")))):
        bucket = ageing_lines[_bucket(max((age_at - d).days, 0) if d else 0)]
        bucket[0] += 1
        bucket[1] += free
    e = ReconException
    ageing_instr: dict[str, list[int]] = {b[0]: [0, 0] for b in BUCKETS}
    for d, amount in session.execute(select(e.item_date, e.amount_minor).where(
            e.status == "open", e.kind == "unpaid_instruction", e.currency == ccy,
            (e.bank_account_id == bank.id) | e.bank_account_id.is_(None))):
        bucket = ageing_instr[_bucket(max((age_at - d).days, 0) if d else 0)]
        bucket[0] += 1
        bucket[1] += amount
    open_exc = session.execute(select(func.count()).select_from(e).where(
        e.status == "open", e.bank_account_id == bank.id)).scalar_one()
    return ReconciliationReport(
        bank_account_id=bank.id, account=bank.identifier, currency=ccy, period_start=start,
        period_end=end, statements=len(stmts), statement_opening=opening,
        statement_closing=closing, ledger_balance=ledger,
        difference=None if closing is None else closing - ledger,
        unmatched_net=from_minor(unmatched_net, ccy),
        matched=tally("matched"), unmatched=tally("unmatched", "exception", "partial"),
        ignored=tally("ignored"), open_exceptions=open_exc,
        ageing_lines={k: Tally(v[0], from_minor(v[1], ccy)) for k, v in ageing_lines.items()},
        ageing_instructions={k: Tally(v[0], from_minor(v[1], ccy))
                             for k, v in ageing_instr.items()})


def report_csv(report: ReconciliationReport) -> str:
    """The report as CSV: one ``section,item,count,amount,currency`` row per figure."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "item", "count", "amount", "currency"])
    ccy = report.currency

    def amt(m: Money | None) -> str:
        return "" if m is None else str(m.amount)

    w.writerow(["account", report.account, "", "", ccy])
    w.writerow(["period", f"{report.period_start}..{report.period_end}", report.statements,
                "", ccy])
    for name, value in (("statement_opening", report.statement_opening),
                        ("statement_closing", report.statement_closing),
                        ("ledger_balance", report.ledger_balance),
                        ("difference", report.difference),
                        ("unmatched_net", report.unmatched_net)):
        w.writerow(["balance", name, "", amt(value), ccy])
    for name, t in (("matched", report.matched), ("unmatched", report.unmatched),
                    ("ignored", report.ignored)):
        w.writerow(["lines", name, t.count, amt(t.amount), ccy])
    for name, t in report.ageing_lines.items():
        w.writerow(["ageing_lines", name, t.count, amt(t.amount), ccy])
    for name, t in report.ageing_instructions.items():
        w.writerow(["ageing_instructions", name, t.count, amt(t.amount), ccy])
    w.writerow(["exceptions", "open", report.open_exceptions, "", ccy])
    return out.getvalue()


__all__ = ["BUCKETS", "ReconciliationReport", "Tally", "build_report", "parse_period",
           "report_csv"]
