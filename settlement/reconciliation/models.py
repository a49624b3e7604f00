"""Reconciliation tables: bank accounts, imported statements and their lines, matches with the
line amounts allocated to them, and the exceptions queue.

Invariants the database holds: a statement is imported once (fingerprint unique); a line's
allocated amount never passes its amount; an instruction has at most one active match (a
partial unique index), which is where partial payments accumulate, so an instruction is never
matched twice; a line is allocated to a match at most once; at most one open exception per line
and per instruction.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
    UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, ExactDecimal, UTCDateTime, currency_column, minor_column

ID = BigInteger().with_variant(Integer, "sqlite")

LINE_STATUSES = ("unmatched", "partial", "matched", "exception", "ignored")
MATCH_STATUSES = ("active", "reverted")
EXCEPTION_KINDS = ("unmatched_line", "ambiguous", "difference", "already_matched",
                   "unpaid_instruction", "reversal")
EXCEPTION_STATUSES = ("open", "resolved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class BankAccount(Base):
    """One of the exchange's bank accounts (IBAN or the bank's own id) in one currency, and the
    ledger account (purpose ``bank``) that mirrors it."""

    __tablename__ = "recon_bank_accounts"
    __table_args__ = (UniqueConstraint("identifier", "currency"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = currency_column()
    name: Mapped[str] = mapped_column(String(200))
    ledger_account_id: Mapped[int] = mapped_column(ID, ForeignKey("ledger_accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ImportedStatement(Base):
    """A statement imported once: what the bank stated about the period, and who imported it."""

    __tablename__ = "recon_statements"
    __table_args__ = (
        CheckConstraint("line_count >= 0", name="line_count"),
        Index("ix_recon_statements_account_period", "bank_account_id", "period_end"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ID, ForeignKey("recon_bank_accounts.id"))
    statement_ref: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = currency_column()
    period_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    opening_minor: Mapped[int] = minor_column()
    closing_minor: Mapped[int] = minor_column()
    line_count: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(200))


class StatementLineRecord(Base):
    """One statement line as parsed (money as minor units + currency) and its match state.

    ``allocated_minor`` is how much of the line matches have taken; the line is ``matched``
    when all of it is allocated, ``partial`` when some is.
    """

    __tablename__ = "recon_statement_lines"
    __table_args__ = (
        UniqueConstraint("statement_id", "line_no"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("allocated_minor >= 0 AND allocated_minor <= amount_minor",
                        name="allocated_within_amount"),
        CheckConstraint(_in("direction", ("CRDT", "DBIT")), name="direction"),
        CheckConstraint(_in("match_status", LINE_STATUSES), name="match_status"),
        Index("ix_recon_statement_lines_account_status", "bank_account_id", "match_status"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ID, ForeignKey("recon_statements.id"))
    bank_account_id: Mapped[int] = mapped_column(ID, ForeignKey("recon_bank_accounts.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    entry_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    amount_minor: Mapped[int] = minor_column()
    currency: Mapped[str] = currency_column()
    direction: Mapped[str] = mapped_column(String(4))
    reversal: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(8))
    booking_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    value_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_to_end_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    instruction_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    uetr: Mapped[str | None] = mapped_column(String(36), nullable=True)
    structured_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remittance_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    debtor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    creditor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    debtor_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    creditor_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    instructed_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    instructed_currency: Mapped[str | None] = currency_column(nullable=True)
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    charges_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    charges_currency: Mapped[str | None] = currency_column(nullable=True)
    bank_tx_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    batch_index: Mapped[int] = mapped_column(Integer)
    source_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    match_status: Mapped[str] = mapped_column(String(10))
    allocated_minor: Mapped[int] = minor_column()


class Match(Base):
    """Statement money settling one instruction, by one rule, with its score and parts.

    ``settled_minor`` is the sum of the allocations (statement currency), ``charges_minor``
    charges accepted within tolerance, ``written_off_minor`` a difference finance wrote off;
    ``complete`` once the instruction is fully settled. Partial payments add allocations to the
    one active match of their instruction (the partial unique index below).
    """

    __tablename__ = "recon_matches"
    __table_args__ = (
        CheckConstraint(_in("status", MATCH_STATUSES), name="status"),
        CheckConstraint(_in("direction", ("in", "out")), name="direction"),
        CheckConstraint("score >= 0 AND score <= 100", name="score"),
        CheckConstraint("settled_minor >= 0 AND charges_minor >= 0 AND written_off_minor >= 0",
                        name="amounts_not_negative"),
        CheckConstraint("(status = 'reverted') = (reverted_at IS NOT NULL)",
                        name="reverted_has_time"),
        Index("ix_recon_matches_one_active", "instruction_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_recon_matches_unposted", "posted_at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    instruction_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(3))
    rule: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    parts: Mapped[str] = mapped_column(Text)  # JSON: what made the rule fire
    status: Mapped[str] = mapped_column(String(10))
    complete: Mapped[bool] = mapped_column(Boolean)
    currency: Mapped[str] = currency_column()          # statement currency
    expected_minor: Mapped[int] = minor_column()       # instruction amount
    expected_currency: Mapped[str] = currency_column()
    settled_minor: Mapped[int] = minor_column()
    charges_minor: Mapped[int] = minor_column()
    written_off_minor: Mapped[int] = minor_column()
    ledger_account_id: Mapped[int | None] = mapped_column(ID, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reverted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reverted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    revert_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Allocation(Base):
    """Part (or all) of one statement line given to one match.

    ``charges_minor`` is the part of the match's charges this line explains; ``transfer_id``
    the ledger transfer posted for it (key ``recon:<line>:<instruction>``).
    """

    __tablename__ = "recon_allocations"
    __table_args__ = (
        UniqueConstraint("match_id", "line_id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("charges_minor >= 0", name="charges_not_negative"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    match_id: Mapped[int] = mapped_column(ID, ForeignKey("recon_matches.id"), index=True)
    line_id: Mapped[int] = mapped_column(ID, ForeignKey("recon_statement_lines.id"), index=True)
    amount_minor: Mapped[int] = minor_column()
    charges_minor: Mapped[int] = minor_column()
    transfer_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("ledger_transfers.id"), nullable=True)


class ReconException(Base):
    """An item for finance: a line nothing matched (or too many things did), a difference beyond
    tolerance, a payment for an instruction already settled, a reversal (``RvslInd``) entry,
    never a payment, or a due instruction unpaid.

    ``candidates`` is JSON: ``[{instruction_id, reference, score, rule, parts, amount}]``,
    best first.
    """

    __tablename__ = "recon_exceptions"
    __table_args__ = (
        CheckConstraint(_in("kind", EXCEPTION_KINDS), name="kind"),
        CheckConstraint(_in("status", EXCEPTION_STATUSES), name="status"),
        CheckConstraint("line_id IS NOT NULL OR instruction_id IS NOT NULL", name="subject"),
        CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)",
                        name="resolved_has_time"),
        Index("ix_recon_exceptions_open_line", "line_id", unique=True,
              sqlite_where=text("status = 'open' AND line_id IS NOT NULL"),
              postgresql_where=text("status = 'open' AND line_id IS NOT NULL")),
        Index("ix_recon_exceptions_open_instruction", "instruction_id", unique=True,
              sqlite_where=text("status = 'open' AND line_id IS NULL"),
              postgresql_where=text("status = 'open' AND line_id IS NULL")),
        Index("ix_recon_exceptions_account_status", "bank_account_id", "status"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    bank_account_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("recon_bank_accounts.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10))
    line_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("recon_statement_lines.id"), nullable=True)
    instruction_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    currency: Mapped[str] = currency_column()
    amount_minor: Mapped[int] = minor_column()
    item_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # value or due date
    candidates: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(24), nullable=True)
    match_id: Mapped[int | None] = mapped_column(ID, ForeignKey("recon_matches.id"),
                                                 nullable=True)
