"""Builds realistic camt.053 documents (.001.02 and .001.08) for the statement parser tests.

Every element sits on its own line, so tests can assert the line numbers errors report.
Loaded by path from the test modules (pytest runs in importlib mode, without packages).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.{}"


@dataclass
class Tx:
    """One TxDtls."""

    amount: str | None = None          # TxDtls amount (needed in batches)
    ccy: str = "EUR"
    direction: str | None = None       # TxDtls/CdtDbtInd (.08 only)
    e2e: str | None = None
    instr_id: str | None = None
    uetr: str | None = None
    instd: tuple[str, str] | None = None   # (amount, currency) instructed
    rate: str | None = None
    ustrd: tuple[str, ...] = ()
    strd_ref: str | None = None
    dbtr_name: str | None = None
    cdtr_name: str | None = None
    dbtr_iban: str | None = None
    cdtr_iban: str | None = None
    charges: tuple[str, str] | None = None


@dataclass
class Entry:
    """One Ntry."""

    amount: str
    direction: str = "CRDT"
    ccy: str = "EUR"
    status: str = "BOOK"
    reversal: bool | None = None
    booking: str | None = "2024-03-01"
    booking_dttm: bool = False
    value: str | None = "2024-03-01"
    ref: str | None = "BANKREF-1"
    btc: tuple[str, str, str] | str | None = ("PMNT", "RCDT", "ESCT")
    charges: tuple[str, str] | None = None
    txs: list[Tx] = field(default_factory=list)


@dataclass
class Stmt:
    """One Stmt; the closing balance is computed from booked entries unless given."""

    entries: list[Entry] = field(default_factory=list)
    id: str = "STMT-2024-03-01"
    created: str = "2024-03-02T06:00:00+01:00"
    iban: str | None = "DE89370400440532013000"
    other_id: str | None = None
    ccy: str | None = "EUR"
    opening: str = "1000.00"
    opening_date: str = "2024-02-29"
    closing: str | None = None
    closing_date: str = "2024-03-01"


def closing_of(stmt: Stmt) -> Decimal:
    """Opening plus booked credits minus booked debits (ISO: the indicator is the effect)."""
    total = Decimal(stmt.opening)
    for e in stmt.entries:
        if e.status == "BOOK":
            total += Decimal(e.amount) * (1 if e.direction == "CRDT" else -1)
    return total


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def el(self, depth: int, tag: str, text: object = None, **attrs: str) -> None:
        attr = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
        self.lines.append(f"{'  ' * depth}<{tag}{attr}>{escape(str(text))}</{tag}>")

    def open(self, depth: int, tag: str) -> None:
        self.lines.append(f"{'  ' * depth}<{tag}>")

    def close(self, depth: int, tag: str) -> None:
        self.lines.append(f"{'  ' * depth}</{tag}>")


def _balance(o: _Out, d: int, code: str, amount: Decimal | str, ccy: str, day: str) -> None:
    value = Decimal(amount)
    o.open(d, "Bal")
    o.open(d + 1, "Tp"), o.open(d + 2, "CdOrPrtry"), o.el(d + 3, "Cd", code)
    o.close(d + 2, "CdOrPrtry"), o.close(d + 1, "Tp")
    o.el(d + 1, "Amt", f"{abs(value)}", Ccy=ccy)
    o.el(d + 1, "CdtDbtInd", "DBIT" if value < 0 else "CRDT")
    o.open(d + 1, "Dt"), o.el(d + 2, "Dt", day), o.close(d + 1, "Dt")
    o.close(d, "Bal")


def _charges(o: _Out, d: int, charges: tuple[str, str], v8: bool) -> None:
    o.open(d, "Chrgs")
    if v8:
        o.open(d + 1, "Rcrd"), o.el(d + 2, "Amt", charges[0], Ccy=charges[1])
        o.el(d + 2, "CdtDbtInd", "DBIT"), o.close(d + 1, "Rcrd")
    else:
        o.el(d + 1, "Amt", charges[0], Ccy=charges[1])
    o.close(d, "Chrgs")


def _party(o: _Out, d: int, role: str, name: str, v8: bool) -> None:
    o.open(d, role)
    if v8:
        o.open(d + 1, "Pty"), o.el(d + 2, "Nm", name), o.close(d + 1, "Pty")
    else:
        o.el(d + 1, "Nm", name)
    o.close(d, role)


def _tx(o: _Out, d: int, tx: Tx, v8: bool) -> None:
    o.open(d, "TxDtls")
    if any((tx.e2e, tx.instr_id, tx.uetr)):
        o.open(d + 1, "Refs")
        if tx.instr_id:
            o.el(d + 2, "InstrId", tx.instr_id)
        if tx.e2e:
            o.el(d + 2, "EndToEndId", tx.e2e)
        if tx.uetr:
            o.el(d + 2, "UETR", tx.uetr)
        o.close(d + 1, "Refs")
    if tx.amount is not None and v8:
        o.el(d + 1, "Amt", tx.amount, Ccy=tx.ccy)
        if tx.direction:
            o.el(d + 1, "CdtDbtInd", tx.direction)
    if tx.instd or (tx.amount is not None and not v8):
        o.open(d + 1, "AmtDtls")
        if tx.instd:
            o.open(d + 2, "InstdAmt"), o.el(d + 3, "Amt", tx.instd[0], Ccy=tx.instd[1])
            o.close(d + 2, "InstdAmt")
        if tx.amount is not None:
            o.open(d + 2, "TxAmt"), o.el(d + 3, "Amt", tx.amount, Ccy=tx.ccy)
            if tx.rate:
                o.open(d + 3, "CcyXchg"), o.el(d + 4, "SrcCcy", tx.instd[1] if tx.instd else "USD")
                o.el(d + 4, "XchgRate", tx.rate), o.close(d + 3, "CcyXchg")
            o.close(d + 2, "TxAmt")
        o.close(d + 1, "AmtDtls")
    if tx.charges:
        _charges(o, d + 1, tx.charges, v8)
    if any((tx.dbtr_name, tx.cdtr_name, tx.dbtr_iban, tx.cdtr_iban)):
        o.open(d + 1, "RltdPties")
        if tx.dbtr_name:
            _party(o, d + 2, "Dbtr", tx.dbtr_name, v8)
        if tx.dbtr_iban:
            o.open(d + 2, "DbtrAcct"), o.open(d + 3, "Id"), o.el(d + 4, "IBAN", tx.dbtr_iban)
            o.close(d + 3, "Id"), o.close(d + 2, "DbtrAcct")
        if tx.cdtr_name:
            _party(o, d + 2, "Cdtr", tx.cdtr_name, v8)
        if tx.cdtr_iban:
            o.open(d + 2, "CdtrAcct"), o.open(d + 3, "Id"), o.el(d + 4, "IBAN", tx.cdtr_iban)
            o.close(d + 3, "Id"), o.close(d + 2, "CdtrAcct")
        o.close(d + 1, "RltdPties")
    if tx.ustrd or tx.strd_ref:
        o.open(d + 1, "RmtInf")
        for text in tx.ustrd:
            o.el(d + 2, "Ustrd", text)
        if tx.strd_ref:
            o.open(d + 2, "Strd"), o.open(d + 3, "CdtrRefInf")
            o.el(d + 4, "Ref", tx.strd_ref), o.close(d + 3, "CdtrRefInf"), o.close(d + 2, "Strd")
        o.close(d + 1, "RmtInf")
    o.close(d, "TxDtls")


def _entry(o: _Out, d: int, e: Entry, v8: bool) -> None:
    o.open(d, "Ntry")
    o.el(d + 1, "Amt", e.amount, Ccy=e.ccy)
    o.el(d + 1, "CdtDbtInd", e.direction)
    if e.reversal is not None:
        o.el(d + 1, "RvslInd", "true" if e.reversal else "false")
    if v8:
        o.open(d + 1, "Sts"), o.el(d + 2, "Cd", e.status), o.close(d + 1, "Sts")
    else:
        o.el(d + 1, "Sts", e.status)
    if e.booking:
        tag, text = ("DtTm", e.booking + "T10:15:00+08:00") if e.booking_dttm else ("Dt", e.booking)
        o.open(d + 1, "BookgDt"), o.el(d + 2, tag, text), o.close(d + 1, "BookgDt")
    if e.value:
        o.open(d + 1, "ValDt"), o.el(d + 2, "Dt", e.value), o.close(d + 1, "ValDt")
    if e.ref:
        o.el(d + 1, "AcctSvcrRef", e.ref)
    if isinstance(e.btc, tuple):
        o.open(d + 1, "BkTxCd"), o.open(d + 2, "Domn"), o.el(d + 3, "Cd", e.btc[0])
        o.open(d + 3, "Fmly"), o.el(d + 4, "Cd", e.btc[1]), o.el(d + 4, "SubFmlyCd", e.btc[2])
        o.close(d + 3, "Fmly"), o.close(d + 2, "Domn"), o.close(d + 1, "BkTxCd")
    elif isinstance(e.btc, str):
        o.open(d + 1, "BkTxCd"), o.open(d + 2, "Prtry"), o.el(d + 3, "Cd", e.btc)
        o.close(d + 2, "Prtry"), o.close(d + 1, "BkTxCd")
    if e.charges:
        _charges(o, d + 1, e.charges, v8)
    if e.txs:
        o.open(d + 1, "NtryDtls")
        for tx in e.txs:
            _tx(o, d + 2, tx, v8)
        o.close(d + 1, "NtryDtls")
    o.close(d, "Ntry")


def build(*stmts: Stmt, version: str = "08", namespace: str | None = None) -> bytes:
    """A camt.053 document holding ``stmts`` (at least one default statement)."""
    v8 = version != "02"
    o = _Out()
    o.lines.append('<?xml version="1.0" encoding="UTF-8"?>')
    o.lines.append(f'<Document xmlns="{namespace or NS.format(version)}">')
    o.open(1, "BkToCstmrStmt")
    o.open(2, "GrpHdr"), o.el(3, "MsgId", "MSG-1"), o.el(3, "CreDtTm", "2024-03-02T06:00:00")
    o.close(2, "GrpHdr")
    for s in stmts or (Stmt(),):
        o.open(2, "Stmt")
        o.el(3, "Id", s.id)
        o.el(3, "CreDtTm", s.created)
        o.open(3, "Acct"), o.open(4, "Id")
        if s.iban:
            o.el(5, "IBAN", s.iban)
        if s.other_id:
            o.open(5, "Othr"), o.el(6, "Id", s.other_id), o.close(5, "Othr")
        o.close(4, "Id")
        if s.ccy:
            o.el(4, "Ccy", s.ccy)
        o.close(3, "Acct")
        ccy = s.ccy or "EUR"
        _balance(o, 3, "OPBD", s.opening, ccy, s.opening_date)
        _balance(o, 3, "CLBD", s.closing if s.closing is not None else closing_of(s), ccy,
                 s.closing_date)
        for e in s.entries:
            _entry(o, 3, e, v8)
        o.close(2, "Stmt")
    o.close(1, "BkToCstmrStmt")
    o.lines.append("</Document>")
    return ("\n".join(o.lines) + "\n").encode("utf-8")


def line_of(data: bytes, needle: str, occurrence: int = 1) -> int:
    """The 1-based line number of the ``occurrence``-th line containing ``needle``."""
    found = 0
    for number, text in enumerate(data.decode("utf-8").splitlines(), start=1):
        if needle in text:
            found += 1
            if found == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in the document")
