"""One statement upload, as the API and the finance page both run it: import the file (whole or
not at all), match the open lines against the expected payments, post the matches to the ledger.

Everything happens in the caller's transaction; a refused file raises before anything is
written (the caller rolls back), so the same rules hold whichever door the file came through.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from gateway.db import get_clock
from gateway.reconciliation.source import get_config, get_source
from kernel.errors import NotFound
from kernel.money import parse_amount
from settlement.reconciliation.importer import ImportResult, import_statement
from settlement.reconciliation.matching.engine import MatchSummary, match_statements
from settlement.reconciliation.matching.references import compact
from settlement.reconciliation.models import BankAccount
from settlement.reconciliation.posting import post_matches

FORMATS = ("camt053", "csv")


@dataclass(frozen=True)
class UploadOutcome:
    """What one upload did: the import and the matching run that followed it."""

    result: ImportResult
    summary: MatchSummary

    @property
    def to_exceptions(self) -> int:
        """Statement lines the run sent to the exceptions queue."""
        return sum(n for kind, n in self.summary.exceptions.items()
                   if kind != "unpaid_instruction")

    @property
    def unpaid_listed(self) -> int:
        """Due instructions, unpaid past the grace days, the run listed in the queue."""
        return self.summary.exceptions.get("unpaid_instruction", 0)

    def as_dict(self) -> dict[str, Any]:
        return {"statement_ids": list(self.result.statement_ids),
                "line_count": self.result.line_count,
                "source_format": self.result.source_format,
                "matching": self.summary.as_dict()}


def bank_account(session: Any, account: str, currency: str | None) -> BankAccount:
    """The registered bank account ``account`` (IBAN or bank id), in ``currency`` if given."""
    stmt = select(BankAccount).where(BankAccount.identifier == compact(account))
    if currency:
        stmt = stmt.where(BankAccount.currency == currency.upper())
    found = session.execute(stmt).scalars().all()
    if len(found) != 1:
        raise NotFound(f"{len(found)} bank accounts match {account}"
                       + (f" in {currency}" if currency else "") + "; give the currency"
                       if found else f"no bank account {account}", field="account")
    return found[0]


def sniff_format(data: bytes) -> str:
    """camt.053 when the file starts like XML, else CSV."""
    return "camt053" if data.lstrip()[:1] == b"<" else "csv"


def upload_statement(session: Any, data: bytes, *, actor: str, fmt: str | None = None,
                     profile: str | None = None, account: str | None = None,
                     opening_balance: str | None = None,
                     closing_balance: str | None = None) -> UploadOutcome:
    """Import ``data`` (camt.053, or CSV with ``profile`` and ``account``), then match and post.

    CSV balances come as text in the account's currency (for files that carry none)."""
    fmt = fmt or sniff_format(data)
    now = get_clock().now()
    cfg = get_config()
    opening = closing = None
    if fmt == "csv" and account and (opening_balance or closing_balance):
        ccy = bank_account(session, account, None).currency
        opening = (parse_amount(opening_balance, ccy, "opening_balance")
                   if opening_balance else None)
        closing = (parse_amount(closing_balance, ccy, "closing_balance")
                   if closing_balance else None)
    result = import_statement(session, data, fmt, profile=profile if fmt == "csv" else None,
                              account=account, opening_balance=opening, closing_balance=closing,
                              at=now, actor=actor, config=cfg)
    source = get_source()
    summary = match_statements(session, source, at=now, actor=actor, config=cfg)
    post_matches(session, source, at=now, actor=actor)
    return UploadOutcome(result, summary)


__all__ = ["FORMATS", "UploadOutcome", "bank_account", "sniff_format", "upload_statement"]
