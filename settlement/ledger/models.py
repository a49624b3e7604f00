"""Ledger tables: accounts with running balances, immutable transfers and their postings, holds.

What the database can hold it holds, on both engines: positive posting amounts, a side that is
debit or credit, a posting's currency equal to its account's (a composite foreign key onto
``(id, currency)``), unique client keys, a transfer reversed at most once (``reverses_id``
unique), available balance never below zero on a must-not-go-negative account, pending never
negative. The zero sum per transfer and currency is checked in Python before insert and, on
PostgreSQL, by a deferred constraint trigger at commit (see migration 0002); UPDATE and DELETE
on transfers and postings are refused by triggers on both engines.

Balances are signed in the account's normal side: a credit-normal account (a liability such as
buyer escrow) grows with credits, a debit-normal one (the bank) with debits.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, Integer,
    String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, ExactDecimal, MoneyField, UTCDateTime, currency_column, minor_column

ID = BigInteger().with_variant(Integer, "sqlite")

#: who owns an account; ``exchange`` accounts use owner_id 0
OWNER_TYPES = ("organisation", "sub_centre", "exchange")

#: what an account is for, and its normal side (where its balance grows)
PURPOSES: dict[str, str] = {
    "buyer_escrow": "credit",             # buyer's money held for a deal (owed to the buyer)
    "seller_payable": "credit",           # proceeds owed to a seller
    "deposit": "credit",                  # a bidder's deposit received (owed back or applied)
    "deposit_hold": "credit",             # deposit set aside while bidding
    "fee_income": "credit",               # the exchange's fees earned
    "withholding_tax_payable": "credit",  # tax withheld from an outbound payment, owed to the state
    "vat_payable": "credit",              # VAT owed to the state
    "bank_charges": "debit",              # charges the banks took (an expense)
    "fx_position": "credit",              # trading account per currency (credit balance = long)
    "fx_gain_loss": "credit",             # realised FX result (credit = gain), reporting currency
    "bank": "debit",                      # the exchange's bank / nostro accounts (assets)
    "suspense": "credit",                 # money received and not yet identified
}

SIDES = ("debit", "credit")
TRANSFER_KINDS = ("transfer", "reversal", "hold_commit", "fx_conversion", "fx_gain_loss")
HOLD_STATES = ("pending", "committed", "voided", "expired")


def _in(column: str, values: tuple[str, ...] | list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Account(Base):
    """One owner's account for one purpose in one currency, with its running balances.

    ``posted_minor`` and ``pending_minor`` (holds) are kept in the same transaction as every
    posting, under a row lock, so reading a balance never scans history. ``last_posted_at``
    keeps posting times monotonic per account (as-of reads rely on it); ``version`` counts
    changes.
    """

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "purpose", "currency"),
        UniqueConstraint("id", "currency"),
        CheckConstraint(_in("owner_type", OWNER_TYPES), name="owner_type"),
        CheckConstraint(_in("purpose", list(PURPOSES)), name="purpose"),
        CheckConstraint(_in("normal_side", SIDES), name="normal_side"),
        CheckConstraint("owner_id >= 0", name="owner_id"),
        CheckConstraint("pending_minor >= 0", name="pending_not_negative"),
        CheckConstraint("NOT no_negative OR posted_minor - pending_minor >= 0",
                        name="available_not_negative"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = currency_column()
    normal_side: Mapped[str] = mapped_column(String(6))
    no_negative: Mapped[bool] = mapped_column(Boolean)
    posted_minor: Mapped[int] = minor_column()
    pending_minor: Mapped[int] = minor_column()
    version: Mapped[int] = mapped_column(BigInteger)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Transfer(Base):
    """A set of postings that sums to zero per currency; never changed once posted.

    ``key`` is the client's idempotency key and ``content_hash`` the digest of what was asked
    (legs, kind, description), so a replay can be told from a key reused for other content.
    A reversal points at its original through ``reverses_id`` (unique: reversed once).
    FX conversions record ``fx_rate`` and, in ``fx_details``, the quote's path as JSON.
    """

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint(_in("kind", TRANSFER_KINDS), name="kind"),
        CheckConstraint("reverses_id IS NULL OR kind = 'reversal'", name="reversal_points_back"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(255))
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("ledger_transfers.id"), unique=True, nullable=True)
    fx_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    fx_details: Mapped[str | None] = mapped_column(Text, nullable=True)


class Posting(Base):
    """One leg: a positive amount debited or credited to one account, in its currency.

    ``balance_after`` is the account's posted balance right after this posting, so the balance
    as of any time is one indexed read of the latest posting at or before it.
    """

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(_in("side", SIDES), name="side"),
        ForeignKeyConstraint(["account_id", "currency"],
                             ["ledger_accounts.id", "ledger_accounts.currency"],
                             name="fk_ledger_postings_account_currency"),
        Index("ix_ledger_postings_account_time", "account_id", "posted_at", "id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ID, ForeignKey("ledger_transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ID)
    side: Mapped[str] = mapped_column(String(6))
    amount_minor: Mapped[int] = minor_column()
    currency: Mapped[str] = currency_column()
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    balance_after: Mapped[int] = mapped_column(BigInteger)

    amount = MoneyField("amount", currency_attr="currency")


class Hold(Base):
    """Money set aside on an account (two-phase: pending, then committed, voided or expired).

    While pending, ``amount_minor`` counts in the account's ``pending_minor``. Committing posts
    ``committed_minor`` (at most the amount held) in ``transfer_id`` and releases the rest.
    """

    __tablename__ = "ledger_holds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(_in("state", HOLD_STATES), name="state"),
        CheckConstraint("committed_minor IS NULL OR "
                        "(committed_minor > 0 AND committed_minor <= amount_minor)",
                        name="committed_within_held"),
        CheckConstraint("(state = 'committed') = (transfer_id IS NOT NULL)",
                        name="committed_has_transfer"),
        ForeignKeyConstraint(["account_id", "currency"],
                             ["ledger_accounts.id", "ledger_accounts.currency"],
                             name="fk_ledger_holds_account_currency"),
        Index("ix_ledger_holds_pending_expiry", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ID, index=True)
    amount_minor: Mapped[int] = minor_column()
    currency: Mapped[str] = currency_column()
    state: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    committed_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    transfer_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("ledger_transfers.id"), nullable=True)

    amount = MoneyField("amount", currency_attr="currency")
