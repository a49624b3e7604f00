"""CSV bank statements read through a ``CsvProfile``; every fault names its line and column.

A CSV export carries no statement id or balances of its own (except a running balance column),
so the caller gives the account, currency and, where the profile has no balance column, the
opening and closing balances. The same balance check as for camt.053 then applies.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from moneyed import Money

from kernel.errors import InvalidInput
from kernel.money import check_currency, parse_amount
from settlement.reconciliation.statements.csv_profiles import CsvProfile, get_profile
from settlement.reconciliation.statements.errors import MalformedStatement
from settlement.reconciliation.statements.model import (
    BOOKED, CREDIT, DEBIT, Statement, StatementLine, check_balance,
)
from settlement.reconciliation.statements.source import (
    DEFAULT_MAX_BYTES, MeteredReader, StatementSource, open_source,
)


@dataclass
class _Row:
    line: int
    cells: dict[str, str]


def parse_csv_statement(
    source: StatementSource, profile: CsvProfile | str, *, account: str, currency: str,
    opening_balance: Money | None = None, closing_balance: Money | None = None,
    statement_id: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
    check_balances: bool = True,
) -> Statement:
    """Parse a CSV statement laid out as ``profile`` (a ``CsvProfile`` or a registered name).

    Balances come from the profile's running balance column when it has one (then any given
    balance must agree), else from ``opening_balance`` / ``closing_balance``. Without a
    ``statement_id`` one is derived from the account and the date range, so re-importing the
    same file gives the same fingerprint. Raises a ``StatementError`` subclass on any fault.
    """
    prof = get_profile(profile) if isinstance(profile, str) else profile
    ccy = check_currency(currency)
    data, digest = _read(source, max_bytes)
    rows = _rows(data, prof)
    if prof.newest_first:
        rows.reverse()
    lines, balances = [], []
    for row in rows:
        line, balance = _line(prof, ccy, row, len(lines) + 1)
        lines.append(line)
        balances.append(balance)
    opening, closing = _balances(prof, ccy, rows, lines, balances,
                                 opening_balance, closing_balance)
    first = lines[0].booking_date if lines else None
    last = lines[-1].booking_date if lines else None
    statement = Statement(
        statement_id=statement_id or f"{account}:{first}:{last}",
        account_iban_or_id=account, currency=ccy, created_at=None,
        opening_balance=opening, opening_date=first, closing_balance=closing, closing_date=last,
        lines=lines, source_format=f"csv:{prof.name}", file_sha256=digest,
    )
    if check_balances:
        check_balance(statement)
    return statement


def _read(source: StatementSource, max_bytes: int) -> tuple[bytes, str]:
    stream, owned = open_source(source)
    try:
        reader = MeteredReader(stream, max_bytes, refuse_dtd=False)
        chunks = []
        while chunk := reader.read(64 * 1024):  # chunked so the limit holds before it is all read
            chunks.append(chunk)
    finally:
        if owned:
            stream.close()
    return b"".join(chunks), reader.sha256.hexdigest()


def _rows(data: bytes, prof: CsvProfile) -> list[_Row]:
    try:
        text = data.decode(prof.encoding)
    except UnicodeDecodeError as exc:
        raise MalformedStatement(f"not valid {prof.encoding}",
                                 line=data[:exc.start].count(b"\n") + 1) from None
    head = text.split("\n", prof.skip_rows)
    body = head[-1] if len(head) > prof.skip_rows else ""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=prof.delimiter,
                        quotechar=prof.quotechar, strict=True)
    offset = prof.skip_rows
    records: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for record in reader:
            records.append((offset + start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise MalformedStatement(f"not readable as CSV: {exc}", line=offset + start) from None
    records = [(n, r) for n, r in records if any(c.strip() for c in r)]
    if not records:
        raise MalformedStatement("the file has no header row", line=offset + 1)
    header_line, header = records[0]
    names = [h.strip().lstrip("\ufeff") for h in header]
    for column in prof.required_columns():
        if column not in names:
            raise MalformedStatement("the header lacks this column", line=header_line,
                                     column=column)
    body_rows = records[1:len(records) - prof.skip_footer_rows]
    rows = []
    for line, record in body_rows:
        if len(record) != len(names):
            raise MalformedStatement(f"{len(record)} cells where the header has {len(names)}",
                                     line=line)
        rows.append(_Row(line, {n: c.strip() for n, c in zip(names, record, strict=True)}))
    return rows


def _line(prof: CsvProfile, ccy: str, row: _Row, line_no: int
          ) -> tuple[StatementLine, Money | None]:
    if prof.currency_column:
        raw = row.cells[prof.currency_column]
        found = prof.currency_aliases.get(raw, raw.upper())
        if found != ccy:
            raise MalformedStatement(f"{raw!r} is not the statement currency {ccy}",
                                     line=row.line, column=prof.currency_column)
    amount, direction = _amount_and_direction(prof, ccy, row)
    party = row.cells.get(prof.counterparty_column or "") or None
    party_account = row.cells.get(prof.counterparty_account_column or "") or None
    texts = [row.cells[c] for c in prof.remittance_columns if row.cells[c]]
    incoming = direction == CREDIT
    line = StatementLine(
        line_no=line_no, source_line=row.line,
        entry_ref=row.cells.get(prof.reference_column or "") or None,
        amount=amount, direction=direction, reversal=False, status=BOOKED,
        booking_date=_date(prof, row, prof.date_column, required=True),
        value_date=_date(prof, row, prof.value_date_column),
        end_to_end_id=row.cells.get(prof.end_to_end_column or "") or None,
        remittance_text=" ".join(" ".join(t.split()) for t in texts) or None,
        # the counterparty paid us on a credit and was paid by us on a debit
        debtor_name=party if incoming else None, creditor_name=None if incoming else party,
        debtor_account=party_account if incoming else None,
        creditor_account=None if incoming else party_account,
    )
    balance = None
    if prof.balance_column:
        balance = _required_number(prof, ccy, row, prof.balance_column)
    return line, balance


def _amount_and_direction(prof: CsvProfile, ccy: str, row: _Row) -> tuple[Money, str]:
    if prof.debit_column is not None and prof.credit_column is not None:
        debit = _number(prof, ccy, row, prof.debit_column)
        credit = _number(prof, ccy, row, prof.credit_column)
        both = f"{prof.debit_column}/{prof.credit_column}"
        if credit is not None and credit.amount < 0:
            raise MalformedStatement("a credit cannot be negative", line=row.line,
                                     column=prof.credit_column)
        if debit is None and credit is None:
            raise MalformedStatement("neither debit nor credit is filled in", line=row.line,
                                     column=both)
        if debit is not None and debit.amount != 0:
            if credit is not None and credit.amount != 0:
                raise MalformedStatement("both debit and credit are filled in", line=row.line,
                                         column=both)
            return abs(debit), DEBIT  # some exports show debits as negative numbers
        return credit if credit is not None else Money(0, ccy), CREDIT
    value = _required_number(prof, ccy, row, prof.amount_column or "")
    if prof.indicator_column is None:
        return abs(value), (DEBIT if value.amount < 0 else CREDIT)
    flag = row.cells[prof.indicator_column].casefold()
    if value.amount < 0:
        raise MalformedStatement("an amount with an indicator must not be negative",
                                 line=row.line, column=prof.amount_column)
    if flag in (x.casefold() for x in prof.credit_indicators):
        return value, CREDIT
    if flag in (x.casefold() for x in prof.debit_indicators):
        return value, DEBIT
    raise MalformedStatement(f"{row.cells[prof.indicator_column]!r} is neither a debit nor a "
                             "credit indicator", line=row.line, column=prof.indicator_column)


def _required_number(prof: CsvProfile, ccy: str, row: _Row, column: str) -> Money:
    value = _number(prof, ccy, row, column)
    if value is None:
        raise MalformedStatement("the amount is missing", line=row.line, column=column)
    return value


def _number(prof: CsvProfile, ccy: str, row: _Row, column: str) -> Money | None:
    """The amount in ``column`` as the profile writes numbers; None for a blank cell."""
    raw = row.cells[column]
    if not raw:
        return None
    text, negative = raw.replace("\u00a0", " ").strip(), False
    if text[:1] in "+-":
        negative, text = text[0] == "-", text[1:].strip()
    elif text.endswith("-"):  # "1.234,56-" in some German exports
        negative, text = True, text[:-1].strip()
    dec, sep = re.escape(prof.decimal_separator), re.escape(prof.thousands_separator)
    grouped = rf"\d{{1,3}}({sep}\d{{3}})+" if prof.thousands_separator else r"(?!)"
    if not re.fullmatch(rf"(\d+|{grouped})({dec}\d+)?", text):
        raise MalformedStatement(f"{raw!r} is not an amount written as this bank writes them",
                                 line=row.line, column=column)
    if prof.thousands_separator:
        text = text.replace(prof.thousands_separator, "")
    text = text.replace(prof.decimal_separator, ".")
    try:
        money = parse_amount(text, ccy)
    except InvalidInput as exc:  # too many decimals for the currency
        raise MalformedStatement(exc.detail, line=row.line, column=column,
                                 cause=exc.code) from None
    return -money if negative else money


def _date(prof: CsvProfile, row: _Row, column: str | None, *, required: bool = False
          ) -> date | None:
    raw = row.cells.get(column) if column else None
    if not raw:
        if required:
            raise MalformedStatement("the date is missing", line=row.line, column=column)
        return None
    for fmt in prof.date_formats:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise MalformedStatement(f"{raw!r} is not a date in {' or '.join(prof.date_formats)}",
                             line=row.line, column=column)


def _balances(prof: CsvProfile, ccy: str, rows: list[_Row], lines: list[StatementLine],
              running: list[Money | None], opening: Money | None, closing: Money | None
              ) -> tuple[Money, Money]:
    balances = [b for b in running if b is not None]  # every row has one when the column exists
    if not prof.balance_column or not balances:
        if opening is None or closing is None:
            raise MalformedStatement("give opening_balance and closing_balance: the profile "
                                     "has no running balance column (or the file no rows)")
        return _in(opening, ccy, "opening_balance"), _in(closing, ccy, "closing_balance")
    effects = [x.amount if x.direction == CREDIT else -x.amount for x in lines]
    derived = balances[0] - effects[0]
    for i in range(1, len(rows)):  # each row's balance must follow from the previous one
        expected = balances[i - 1] + effects[i]
        if expected != balances[i]:
            raise MalformedStatement(
                f"the running balance should be {expected.amount}, the file says "
                f"{balances[i].amount}", line=rows[i].line, column=prof.balance_column)
    for given, found, name in ((opening, derived, "opening_balance"),
                               (closing, balances[-1], "closing_balance")):
        if given is not None and _in(given, ccy, name) != found:
            raise MalformedStatement(f"{name} {given.amount} disagrees with the file's "
                                     f"{found.amount}", column=prof.balance_column)
    return derived, balances[-1]


def _in(value: Money, ccy: str, name: str) -> Money:
    if value.currency.code != ccy:
        raise MalformedStatement(f"{name} is in {value.currency.code}, the statement in {ccy}")
    return value
