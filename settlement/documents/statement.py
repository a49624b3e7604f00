"""Statement of account: an organisation's ledger accounts (escrow, payables, fee income)
over a period, per account and currency: opening balance, each posting with the instruction
reference it belongs to, closing balance. CSV for spreadsheets and accounting imports."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.money import from_minor
from settlement.ledger import Account, Posting, Transfer, balance_as_of

_TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class StatementLine:
    posted_at: dt.datetime
    transfer_id: int
    description: str
    debit: Money | None
    credit: Money | None
    balance: Money


@dataclass(frozen=True)
class AccountSection:
    account_id: int
    purpose: str
    currency: str
    opening: Money
    lines: tuple[StatementLine, ...]
    closing: Money


@dataclass(frozen=True)
class Statement:
    organisation_id: int
    start: dt.datetime
    end: dt.datetime
    sections: tuple[AccountSection, ...]


def statement_of_account(session: Session, organisation_id: int, start: dt.datetime,
                         end: dt.datetime) -> Statement:
    """Postings on the organisation's accounts with ``start <= posted_at < end``."""
    accounts = session.execute(select(Account).where(
        Account.owner_type == "organisation", Account.owner_id == organisation_id)
        .order_by(Account.purpose, Account.currency)).scalars().all()
    sections = []
    for acct in accounts:
        rows = session.execute(
            select(Posting, Transfer.description).join(Transfer, Transfer.id == Posting.transfer_id)
            .where(Posting.account_id == acct.id, Posting.posted_at >= start,
                   Posting.posted_at < end).order_by(Posting.posted_at, Posting.id)).all()
        lines = tuple(StatementLine(
            p.posted_at, p.transfer_id, desc,
            p.amount if p.side == "debit" else None, p.amount if p.side == "credit" else None,
            from_minor(p.balance_after, p.currency)) for p, desc in rows)
        sections.append(AccountSection(
            acct.id, acct.purpose, acct.currency, balance_as_of(session, acct.id, start - _TICK),
            lines, balance_as_of(session, acct.id, end - _TICK)))
    return Statement(organisation_id, start, end, tuple(sections))


def statement_csv(statement: Statement) -> str:
    """One row per posting, plus opening and closing rows per account; amounts as exact
    decimal strings with the currency's decimals."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["account", "purpose", "currency", "posted_at", "transfer", "description",
                "debit", "credit", "balance"])
    for sec in statement.sections:
        w.writerow([sec.account_id, sec.purpose, sec.currency, statement.start.isoformat(), "",
                    "opening balance", "", "", sec.opening.amount])
        for ln in sec.lines:
            w.writerow([sec.account_id, sec.purpose, sec.currency, ln.posted_at.isoformat(),
                        ln.transfer_id, ln.description,
                        ln.debit.amount if ln.debit else "", ln.credit.amount if ln.credit else "",
                        ln.balance.amount])
        w.writerow([sec.account_id, sec.purpose, sec.currency, statement.end.isoformat(), "",
                    "closing balance", "", "", sec.closing.amount])
    return out.getvalue()
