"""One camt.053 ``Ntry`` to statement lines: one line per ``TxDtls`` of a batch, else one line.

A batched entry (several ``TxDtls``) is split into lines carrying each transaction's own amount,
and those amounts must add up to the entry's amount; otherwise the lines would not explain the
balance and a match could credit the wrong sum. Dates, status and the bank's reference come from
the entry.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree
from moneyed import Money

from settlement.reconciliation.statements.camt_fields import Fields
from settlement.reconciliation.statements.model import CREDIT, StatementLine

# Banks write this where the payer gave no end-to-end id; it identifies nothing.
_NO_REFERENCE = "NOTPROVIDED"


def entry_lines(f: Fields, ntry: etree._Element, currency: str, first_line_no: int
                ) -> list[StatementLine]:
    """The lines of ``ntry`` (bound to ``f``), numbered from ``first_line_no``.

    ``currency`` is the account's: the entry amount is always in it.
    """
    amount = f.required_amount(ntry, "Amt")
    if amount.currency.code != currency:
        f.fail(f.find(ntry, "Amt"),
               f"the entry is in {amount.currency.code}, the account in {currency}")
    direction = f.indicator(ntry)
    common: dict[str, Any] = {
        "entry_ref": f.text(ntry, "AcctSvcrRef"),
        "reversal": f.flag(ntry, "RvslInd"),
        "status": _status(f, ntry),
        "booking_date": f.date(ntry, "BookgDt"),
        "value_date": f.date(ntry, "ValDt"),
    }
    entry_code = bank_tx_code(f, ntry)
    entry_charges = charges(f, ntry)
    txs = f.findall(ntry, "NtryDtls/TxDtls")
    if not txs:
        return [StatementLine(line_no=first_line_no, amount=amount, direction=direction,
                              bank_tx_code=entry_code, charges=entry_charges,
                              source_line=ntry.sourceline, **common)]
    batched = len(txs) > 1
    lines = []
    for index, tx in enumerate(txs):
        details = _details(f, tx)
        if batched:
            tx_amount = f.amount(tx, "Amt")
            if tx_amount is None:
                tx_amount = f.amount(tx, "AmtDtls/TxAmt/Amt")
            if tx_amount is None:
                f.fail(tx, "each transaction of a batched entry needs its amount (Amt or "
                           "AmtDtls/TxAmt/Amt)")
            if tx_amount.currency.code != currency:
                f.fail(tx, f"the transaction is in {tx_amount.currency.code}, the entry in "
                           f"{currency}")
            tx_direction = f.optional_indicator(tx) or direction
        else:
            # A single transaction is the entry: the entry's amount is what was booked.
            tx_amount, tx_direction = amount, direction
        if details["charges"] is None and not batched:
            # Entry-level charges belong to the one transaction; in a batch they cannot be
            # assigned to any one of them, so only each transaction's own charges are kept.
            details["charges"] = entry_charges
        details["bank_tx_code"] = details["bank_tx_code"] or entry_code
        lines.append(StatementLine(
            line_no=first_line_no + index, amount=tx_amount, direction=tx_direction,
            batch_index=index, source_line=tx.sourceline, **common, **details,
        ))
    if batched:
        _check_batch_total(f, ntry, amount, direction, lines)
    return lines


def _check_batch_total(f: Fields, ntry: etree._Element, amount: Money, direction: str,
                       lines: list[StatementLine]) -> None:
    def signed(value: Money, way: str) -> Decimal:
        return value.amount if way == CREDIT else -value.amount

    total = sum((signed(x.amount, x.direction) for x in lines), Decimal(0))
    if total != signed(amount, direction):
        f.fail(ntry, f"the {len(lines)} transactions add up to {total} {amount.currency.code}, "
                     f"the entry says {signed(amount, direction)}")


def _status(f: Fields, ntry: etree._Element) -> str:
    # .02 writes <Sts>BOOK</Sts>; from .08 on it is <Sts><Cd>BOOK</Cd></Sts> (or Prtry).
    value = f.text(ntry, "Sts") or f.text(ntry, "Sts/Cd") or f.text(ntry, "Sts/Prtry")
    if value is None:
        f.fail(ntry, "the entry has no status", missing="Sts")
    return value.upper()


def bank_tx_code(f: Fields, el: etree._Element) -> str | None:
    """``Domain/Family/SubFamily`` from ``BkTxCd/Domn``, else the proprietary code."""
    domain = f.text(el, "BkTxCd/Domn/Cd")
    if domain:
        family = f.text(el, "BkTxCd/Domn/Fmly/Cd") or ""
        sub = f.text(el, "BkTxCd/Domn/Fmly/SubFmlyCd") or ""
        return "/".join(p for p in (domain, family, sub) if p)
    return f.text(el, "BkTxCd/Prtry/Cd")


def charges(f: Fields, el: etree._Element) -> Money | None:
    """Charges on ``el``: ``Chrgs/TtlChrgsAndTaxAmt``, else the sum of the charge records.

    .02 lists records as ``Chrgs/Amt`` (Chrgs repeats); .08 as ``Chrgs/Rcrd/Amt``.
    """
    if f.find(el, "Chrgs") is None:
        return None
    total = f.amount(el, "Chrgs/TtlChrgsAndTaxAmt")
    if total is not None:
        return total
    records = f.findall(el, "Chrgs/Amt") + f.findall(el, "Chrgs/Rcrd/Amt")
    parts = [f.amount_of(node) for node in records]
    if not parts:
        return None
    codes = {p.currency.code for p in parts}
    if len(codes) > 1:
        f.fail(f.find(el, "Chrgs"), f"charges in several currencies: {sorted(codes)}")
    return Money(sum((p.amount for p in parts), Decimal(0)), codes.pop())


def _party(f: Fields, tx: etree._Element, role: str) -> str | None:
    # .02: RltdPties/Dbtr/Nm; .08 wraps the party: RltdPties/Dbtr/Pty/Nm
    return (f.text(tx, f"RltdPties/{role}/Nm", collapse=True)
            or f.text(tx, f"RltdPties/{role}/Pty/Nm", collapse=True))


def _account(f: Fields, tx: etree._Element, role: str) -> str | None:
    return (f.text(tx, f"RltdPties/{role}/Id/IBAN")
            or f.text(tx, f"RltdPties/{role}/Id/Othr/Id"))


def _details(f: Fields, tx: etree._Element) -> dict[str, Any]:
    e2e = f.text(tx, "Refs/EndToEndId")
    texts = [" ".join((n.text or "").split()) for n in f.findall(tx, "RmtInf/Ustrd")]
    rate = (f.rate(tx, "AmtDtls/TxAmt/CcyXchg/XchgRate")
            or f.rate(tx, "AmtDtls/InstdAmt/CcyXchg/XchgRate")
            or f.rate(tx, "AmtDtls/CntrValAmt/CcyXchg/XchgRate"))
    return {
        "end_to_end_id": None if e2e == _NO_REFERENCE else e2e,
        "instruction_id": f.text(tx, "Refs/InstrId"),
        "uetr": f.uetr(tx, "Refs/UETR"),
        "structured_ref": f.text(tx, "RmtInf/Strd/CdtrRefInf/Ref"),
        "remittance_text": " ".join(t for t in texts if t) or None,
        "debtor_name": _party(f, tx, "Dbtr"),
        "creditor_name": _party(f, tx, "Cdtr"),
        "debtor_account": _account(f, tx, "DbtrAcct"),
        "creditor_account": _account(f, tx, "CdtrAcct"),
        "instructed_amount": f.amount(tx, "AmtDtls/InstdAmt/Amt"),
        "exchange_rate": rate,
        "charges": charges(f, tx),
        "bank_tx_code": bank_tx_code(f, tx),
    }
