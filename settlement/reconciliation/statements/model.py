"""Plain values the statement parsers return, the balance check and the duplicate fingerprint.

No database and no framework here: the import service persists these values, the matcher reads
them. Amounts are ``moneyed.Money`` (never float) and always non-negative; ``direction`` says
which way the money moved for the account holder.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from moneyed import Money

from kernel.money import from_minor, to_minor
from settlement.reconciliation.statements.errors import BalanceMismatch

CREDIT = "CRDT"
DEBIT = "DBIT"
BOOKED = "BOOK"


@dataclass(frozen=True)
class StatementLine:
    """One movement on the account; a batched entry gives one line per transaction in it."""

    line_no: int                 # 1, 2, 3... within the statement, stable across re-exports
    entry_ref: str | None        # AcctSvcrRef: the bank's own reference of the entry
    amount: Money                # non-negative; the sign lives in ``direction``
    direction: str               # CRDT (money in) or DBIT (money out)
    reversal: bool
    status: str                  # BOOK, PDNG, INFO, FUTR
    booking_date: date | None    # pending entries may have none yet
    value_date: date | None
    end_to_end_id: str | None = None
    instruction_id: str | None = None
    uetr: str | None = None
    structured_ref: str | None = None      # RmtInf/Strd/CdtrRefInf/Ref (our RF reference)
    remittance_text: str | None = None     # RmtInf/Ustrd lines joined by a space
    debtor_name: str | None = None
    creditor_name: str | None = None
    debtor_account: str | None = None
    creditor_account: str | None = None
    instructed_amount: Money | None = None  # what the payer instructed, before FX and charges
    exchange_rate: Decimal | None = None
    charges: Money | None = None
    bank_tx_code: str | None = None         # "PMNT/RCDT/ESCT" or a proprietary code
    batch_index: int = 0                    # position within a batched entry, from 0
    source_line: int | None = None          # line of the Ntry/TxDtls (XML) or the row (CSV)


@dataclass(frozen=True)
class Statement:
    """One account statement (a camt.053 ``Stmt`` or a whole CSV file)."""

    statement_id: str
    account_iban_or_id: str
    currency: str
    created_at: datetime | None  # tz-aware UTC
    opening_balance: Money       # signed: negative when the account is overdrawn
    opening_date: date | None
    closing_balance: Money
    closing_date: date | None
    lines: list[StatementLine] = field(default_factory=list)
    source_format: str = ""      # "camt.053.001.08", "csv:de_soll_haben"...
    file_sha256: str = ""        # of the whole file; shared by every Stmt of one document


def balance_effect(line: StatementLine, *, reversal_flips_direction: bool = False) -> Decimal:
    """The signed amount ``line`` moves the booked balance by (0 for entries not booked).

    ISO 20022 defines ``CdtDbtInd`` as the direction of the entry itself, with ``RvslInd`` only
    saying that it undoes an earlier entry of the opposite direction, so by default a reversal
    counts as its indicator says. Some banks instead repeat the original's indicator on the
    reversal; ``reversal_flips_direction=True`` reads their files.
    """
    if line.status != BOOKED:
        return Decimal(0)
    sign = 1 if line.direction == CREDIT else -1
    if line.reversal and reversal_flips_direction:
        sign = -sign
    return sign * line.amount.amount


def check_balance(statement: Statement, *, reversal_flips_direction: bool = False,
                  line: int | None = None, element: str | None = None) -> None:
    """Raise ``BalanceMismatch`` unless opening + booked credits - booked debits = closing.

    The error carries the expected and actual closing balance and the difference as strings.
    """
    ccy = statement.currency
    total = statement.opening_balance.amount + sum(
        (balance_effect(x, reversal_flips_direction=reversal_flips_direction)
         for x in statement.lines), Decimal(0))
    expected = Money(total, ccy)
    actual = statement.closing_balance
    if to_minor(expected) != to_minor(actual):
        diff = from_minor(to_minor(actual) - to_minor(expected), ccy)
        raise BalanceMismatch(
            f"statement {statement.statement_id}: opening {statement.opening_balance.amount} + "
            f"booked movements gives {expected.amount} {ccy}, the closing balance is "
            f"{actual.amount} {ccy} (difference {diff.amount})",
            line=line, element=element, statement_id=statement.statement_id,
            expected_closing=str(from_minor(to_minor(expected), ccy).amount),
            actual_closing=str(actual.amount), difference=str(diff.amount), currency=ccy,
        )


def _money(value: Money | None) -> list[object] | None:
    return None if value is None else [to_minor(value), value.currency.code]


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def statement_fingerprint(statement: Statement) -> str:
    """A sha256 hex digest that is equal for the same statement imported twice.

    Built from what the bank states, not from the bytes: the statement id, account, currency,
    balances with their dates, and each line's reference, amount, direction, status and dates.
    A re-export with other whitespace, another creation time or in another file (a second copy,
    or the same ``Stmt`` inside a different document) gives the same fingerprint; any change to a
    movement or balance gives a different one. The file's sha256 is left out on purpose: it
    changes with formatting, and it is worth storing separately to spot byte-identical uploads.
    """
    lines = [
        [x.entry_ref, _money(x.amount), x.direction, x.reversal, x.status, _day(x.booking_date),
         _day(x.value_date), x.end_to_end_id, x.structured_ref, x.batch_index]
        for x in statement.lines
    ]
    canonical = json.dumps(
        {
            "id": statement.statement_id, "account": statement.account_iban_or_id,
            "currency": statement.currency,
            "opening": [_money(statement.opening_balance), _day(statement.opening_date)],
            "closing": [_money(statement.closing_balance), _day(statement.closing_date)],
            "lines": lines,
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
