"""Importing bank statements: parse the whole file first, then write it once, in bulk.

A refused file writes nothing: parsing (and the balance check) finishes before the first row is
written, and a statement already imported (same fingerprint) refuses the whole file, naming the
earlier import. Lines go in through ``bulk.insert_rows`` (COPY on PostgreSQL), never one ORM object per line.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.faults import failure_point
from kernel.money import check_currency, to_minor
from settlement.ledger import get_or_open_account
from settlement.reconciliation.bulk import insert_rows
from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.errors import DuplicateStatement, UnknownBankAccount
from settlement.reconciliation.matching.references import compact
from settlement.reconciliation.models import BankAccount, ImportedStatement, StatementLineRecord
from settlement.reconciliation.statements import (
    Statement, UnsupportedStatementFormat, parse_camt053, parse_csv_statement,
    statement_fingerprint,
)

FORMATS = ("camt053", "csv")
LINES = StatementLineRecord.__table__
_BATCH = 20000


@dataclass(frozen=True)
class ImportResult:
    """What one import wrote: one entry per statement in the file."""

    statement_ids: tuple[int, ...]
    bank_account_ids: tuple[int, ...]
    line_count: int
    fingerprints: tuple[str, ...]
    source_format: str


def register_bank_account(session: Session, *, identifier: str, currency: str, name: str,
                          at: dt.datetime, actor: str) -> BankAccount:
    """The bank account ``identifier`` (IBAN or the bank's id) in ``currency``, registered with
    its ledger account (exchange-owned, purpose ``bank``) if it is new."""
    ident = compact(identifier)
    ccy = check_currency(currency)
    found = session.execute(select(BankAccount).where(
        BankAccount.identifier == ident, BankAccount.currency == ccy)).scalar_one_or_none()
    if found is not None:
        return found
    ledger = get_or_open_account(session, owner_type="exchange", owner_id=0, purpose="bank",
                                 currency=ccy, at=at, actor=actor)
    account = BankAccount(identifier=ident, currency=ccy, name=name,
                          ledger_account_id=ledger.id, created_at=at)
    session.add(account)
    session.flush()
    record_event(session, actor=actor, action="reconciliation.bank_account_registered",
                 entity_type="recon_bank_account", entity_id=account.id, at=at,
                 after={"currency": ccy, "ledger_account_id": ledger.id})
    return account


def parse_file(data: bytes, fmt: str, *, profile: str | None = None, account: str | None = None,
               currency: str | None = None, opening_balance: Money | None = None,
               closing_balance: Money | None = None,
               config: ReconciliationConfig | None = None) -> list[Statement]:
    """Parse ``data`` as ``fmt`` (``camt053`` or ``csv`` with ``profile``), whole or not at all."""
    cfg = config or ReconciliationConfig()
    if fmt == "camt053":
        return parse_camt053(data, max_bytes=cfg.max_bytes)
    if fmt == "csv":
        if not profile or not account or not currency:
            raise UnsupportedStatementFormat(
                "a CSV statement needs a profile, the account and its currency",
                profile=profile)
        return [parse_csv_statement(data, profile, account=account, currency=currency,
                                    opening_balance=opening_balance,
                                    closing_balance=closing_balance, max_bytes=cfg.max_bytes)]
    raise UnsupportedStatementFormat(f"unknown statement format {fmt!r}; one of {FORMATS}")


def _minor(value: Money | None) -> tuple[int | None, str | None]:
    return (None, None) if value is None else (to_minor(value), value.currency.code)


LINE_COLUMNS = (
    "statement_id", "bank_account_id", "line_no", "entry_ref", "amount_minor", "currency",
    "direction", "reversal", "status", "booking_date", "value_date", "end_to_end_id",
    "instruction_ref", "uetr", "structured_ref", "remittance_text", "debtor_name",
    "creditor_name", "debtor_account", "creditor_account", "instructed_minor",
    "instructed_currency", "exchange_rate", "charges_minor", "charges_currency", "bank_tx_code",
    "batch_index", "source_line", "match_status", "allocated_minor")


def _line_rows(statement: Statement, statement_id: int, bank_account_id: int
               ) -> list[tuple[Any, ...]]:
    """One tuple per line, in ``LINE_COLUMNS`` order."""
    rows = []
    ccy = statement.currency
    for x in statement.lines:
        instructed, instructed_ccy = _minor(x.instructed_amount)
        charges, charges_ccy = _minor(x.charges)
        rows.append((
            statement_id, bank_account_id, x.line_no, x.entry_ref, to_minor(x.amount), ccy,
            x.direction, x.reversal, x.status, x.booking_date, x.value_date, x.end_to_end_id,
            x.instruction_id, x.uetr, x.structured_ref, x.remittance_text, x.debtor_name,
            x.creditor_name, x.debtor_account, x.creditor_account, instructed, instructed_ccy,
            x.exchange_rate, charges, charges_ccy, x.bank_tx_code, x.batch_index, x.source_line,
            # only booked movements are matched; pending and information lines are kept as said
            "unmatched" if x.status == "BOOK" else "ignored", 0))
    return rows


def _account_for(session: Session, statement: Statement, expected: str | None) -> BankAccount:
    ident = compact(statement.account_iban_or_id)
    if expected is not None and compact(expected) != ident:
        raise UnknownBankAccount(
            f"the statement is for account {statement.account_iban_or_id}, not {expected}",
            field="account")
    found = session.execute(select(BankAccount).where(
        BankAccount.identifier == ident, BankAccount.currency == statement.currency)
    ).scalar_one_or_none()
    if found is None:
        raise UnknownBankAccount(
            f"no bank account {statement.account_iban_or_id} in {statement.currency} is "
            f"registered (reconcile add-account)", field="account")
    return found


def _refuse_duplicates(session: Session, statements: Sequence[Statement],
                       prints: Sequence[str]) -> None:
    if len(set(prints)) != len(prints):
        raise DuplicateStatement("the file holds the same statement twice", field="file")
    earlier = session.execute(
        select(ImportedStatement.id, ImportedStatement.fingerprint,
               ImportedStatement.statement_ref, ImportedStatement.imported_at,
               ImportedStatement.imported_by)
        .where(ImportedStatement.fingerprint.in_(list(prints)))).first()
    if earlier is not None:
        raise DuplicateStatement(
            f"statement {earlier.statement_ref} was already imported as import "
            f"{earlier.id} at {earlier.imported_at.isoformat()} by {earlier.imported_by}; "
            f"nothing was written", field="file", earlier_import_id=earlier.id,
            earlier_imported_at=earlier.imported_at.isoformat())


def import_statement(session: Session, data: bytes, fmt: str, *, at: dt.datetime, actor: str,
                     profile: str | None = None, account: str | None = None,
                     opening_balance: Money | None = None,
                     closing_balance: Money | None = None,
                     config: ReconciliationConfig | None = None,
                     progress: Callable[[str], None] | None = None) -> ImportResult:
    """Parse and store a statement file in the caller's transaction (the caller commits).

    ``fmt`` is ``camt053`` or ``csv``; a CSV needs ``profile`` and ``account`` (the registered
    bank account's IBAN or id, whose currency it is in). Raises a ``StatementError`` (the line
    or element at fault), ``UnknownBankAccount`` or ``DuplicateStatement``; in every such case
    nothing is written.
    """
    say = progress or (lambda _m: None)
    currency = None
    if fmt == "csv":
        if not account:
            raise UnknownBankAccount("a CSV statement needs --account", field="account")
        registered = session.execute(select(BankAccount).where(
            BankAccount.identifier == compact(account))).scalars().all()
        if len(registered) != 1:
            raise UnknownBankAccount(f"{len(registered)} bank accounts are registered as "
                                     f"{account}; one is needed", field="account")
        currency = registered[0].currency
    statements = parse_file(data, fmt, profile=profile, account=account, currency=currency,
                            opening_balance=opening_balance, closing_balance=closing_balance,
                            config=config)
    say(f"parsed {len(statements)} statement(s), "
        f"{sum(len(s.lines) for s in statements)} lines")
    accounts = [_account_for(session, s, account) for s in statements]
    prints = [statement_fingerprint(s) for s in statements]
    _refuse_duplicates(session, statements, prints)
    ids: list[int] = []
    total = 0
    try:
        with session.begin_nested():
            for statement, bank, fingerprint in zip(statements, accounts, prints):
                record = ImportedStatement(
                    bank_account_id=bank.id, statement_ref=statement.statement_id[:128],
                    fingerprint=fingerprint, file_sha256=statement.file_sha256,
                    source_format=statement.source_format, currency=statement.currency,
                    period_start=statement.opening_date, period_end=statement.closing_date,
                    opening_minor=to_minor(statement.opening_balance),
                    closing_minor=to_minor(statement.closing_balance),
                    line_count=len(statement.lines), imported_at=at, imported_by=actor)
                session.add(record)
                session.flush()
                rows = _line_rows(statement, record.id, bank.id)
                for start in range(0, len(rows), _BATCH):
                    insert_rows(session, LINES, LINE_COLUMNS, rows[start:start + _BATCH])
                    say(f"  stored {min(start + _BATCH, len(rows))}/{len(rows)} lines")
                # the statement and its lines written, its audit event not yet
                failure_point("reconciliation.import.lines_stored")
                ids.append(record.id)
                total += len(rows)
                record_event(session, actor=actor, action="reconciliation.statement_imported",
                             entity_type="recon_statement", entity_id=record.id, at=at,
                             after={"bank_account_id": bank.id, "lines": len(rows),
                                    "fingerprint": fingerprint,
                                    "file_sha256": statement.file_sha256,
                                    "format": statement.source_format})
    except IntegrityError:
        # imported by someone else between our check and our insert
        raise DuplicateStatement("the statement was imported concurrently; nothing was written",
                                 field="file") from None
    return ImportResult(tuple(ids), tuple(a.id for a in accounts), total, tuple(prints),
                        statements[0].source_format)


__all__ = ["FORMATS", "ImportResult", "import_statement", "parse_file", "register_bank_account"]
