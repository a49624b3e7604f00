"""Reading balances: current (from the account row) and as of a time (one indexed read).

Neither scans history: the current balance is kept on the account, and each posting stores the
balance right after it, so the balance at ``t`` is that of the account's latest posting at or
before ``t`` (index ``(account_id, posted_at, id)``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.money import from_minor

from .errors import AccountNotFound
from .models import Account, Posting


@dataclass(frozen=True)
class Balance:
    """An account's balances in its normal side: posted, pending (held) and available."""

    account_id: int
    posted: Money
    pending: Money
    available: Money
    version: int


def get_balance(session: Session, account_id: int) -> Balance:
    """The account's current posted, pending and available (posted - pending) balances."""
    a = Account.__table__.c
    row = session.execute(select(a.currency, a.posted_minor, a.pending_minor, a.version)
                          .where(a.id == account_id)).first()
    if row is None:
        raise AccountNotFound(f"no ledger account {account_id}", field="account_id")
    return Balance(account_id, from_minor(row.posted_minor, row.currency),
                   from_minor(row.pending_minor, row.currency),
                   from_minor(row.posted_minor - row.pending_minor, row.currency), row.version)


def balance_as_of(session: Session, account_id: int, at: dt.datetime) -> Money:
    """The account's posted balance as it stood at ``at`` (zero before its first posting)."""
    currency = session.execute(select(Account.currency).where(Account.id == account_id)
                               ).scalar_one_or_none()
    if currency is None:
        raise AccountNotFound(f"no ledger account {account_id}", field="account_id")
    p = Posting.__table__.c
    after = session.execute(
        select(p.balance_after).where(p.account_id == account_id, p.posted_at <= at)
        .order_by(p.posted_at.desc(), p.id.desc()).limit(1)).scalar_one_or_none()
    return from_minor(after or 0, currency)
