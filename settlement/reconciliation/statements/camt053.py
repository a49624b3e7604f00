"""ISO 20022 camt.053 (bank-to-customer statement) parser: streaming, hardened, all or nothing.

Reads ``camt.053.001.02``, ``.001.08`` and any other ``camt.053.001.xx`` namespace. The file is
read through ``iterparse`` and each ``Ntry`` is converted and dropped as soon as it ends, so
memory follows the largest entry, not the file. DTDs are refused before libxml2 parses them (no
external entities, no entity expansion, no network). Any fault raises a ``StatementError``
subclass naming the element and line; a document either parses whole or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from lxml import etree
from moneyed import Money

from settlement.reconciliation.statements.camt_entries import entry_lines
from settlement.reconciliation.statements.camt_fields import Fields, local_name
from settlement.reconciliation.statements.errors import (
    MalformedStatement,
    UnsafeXml,
    UnsupportedStatementFormat,
)
from settlement.reconciliation.statements.model import (
    DEBIT,
    Statement,
    StatementLine,
    check_balance,
)
from settlement.reconciliation.statements.source import (
    DEFAULT_MAX_BYTES,
    MeteredReader,
    StatementSource,
    open_source,
)

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
_OPENING = ("OPBD", "PRCD")  # opening booked; some banks send only "previously closed booked"
_CLOSING = "CLBD"


@dataclass
class _Draft:
    """What is known of one ``Stmt`` while its children stream past."""

    number: int
    line: int | None
    statement_id: str | None = None
    created_at: datetime | None = None
    account: str | None = None
    currency: str | None = None
    balances: dict[str, tuple[Money, date | None]] = field(default_factory=dict)
    lines: list[StatementLine] = field(default_factory=list)
    entries: int = 0
    balance_count: int = 0


def parse_camt053(source: StatementSource, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  check_balances: bool = True, reversal_flips_direction: bool = False
                  ) -> list[Statement]:
    """Parse a camt.053 document into its statements (one per ``Stmt``, in document order).

    ``source`` is the file's bytes, a path or an open binary file. Files above ``max_bytes``
    are refused while reading. With ``check_balances`` each statement's booked movements must
    lead from its opening to its closing booked balance (see ``model.check_balance`` for
    ``reversal_flips_direction``). Raises a ``StatementError`` subclass on any fault.
    """
    stream, owned = open_source(source)
    reader = MeteredReader(stream, max_bytes, refuse_dtd=True)
    try:
        statements = _stream(reader, check_balances, reversal_flips_direction)
        reader.drain()
    except etree.XMLSyntaxError as exc:
        raise MalformedStatement(f"not well-formed XML: {exc.msg}", line=exc.lineno) from None
    except etree.LxmlError as exc:
        raise MalformedStatement(f"unreadable XML: {exc}") from None
    finally:
        if owned:
            stream.close()
    digest = reader.sha256.hexdigest()
    return [replace(s, file_sha256=digest) for s in statements]


# Only these elements raise events: the rest of an entry is read from its subtree, which cuts
# the Python work per element (proxies, tuples) to a handful per entry.
_WATCHED = [f"{{*}}{name}" for name in
            ("Document", "BkToCstmrStmt", "Stmt", "Id", "CreDtTm", "Acct", "Bal", "Ntry")]


def _stream(reader: MeteredReader, check_balances: bool, flips: bool) -> list[Statement]:
    events = etree.iterparse(
        reader, events=("start", "end"), tag=_WATCHED, resolve_entities=False,
        no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False,
        attribute_defaults=False, remove_comments=True, remove_pis=True, collect_ids=False,
    )
    statements: list[Statement] = []
    ns = version = stmt_tag = group_tag = ""
    draft: _Draft | None = None
    for event, el in events:
        parent = el.getparent()
        if event == "start":
            if parent is None:
                ns, version = _check_root(el)
                stmt_tag, group_tag = f"{{{ns}}}Stmt", f"{{{ns}}}BkToCstmrStmt"
            elif el.tag == stmt_tag and parent.tag == group_tag:
                draft = _Draft(number=len(statements) + 1, line=el.sourceline)
            continue
        if draft is not None and parent is not None and parent.tag == stmt_tag:
            _take_child(ns, draft, el)
        elif draft is not None and el.tag == stmt_tag:
            statements.append(_finish(draft, version, check_balances, flips))
            draft = None
        else:
            continue
        # Processed: free it and everything before it, so memory stays flat on big files.
        el.clear(keep_tail=True)
        while el.getprevious() is not None:
            del parent[0]
    if not ns:
        root = events.root
        if root is None:
            raise MalformedStatement("the file holds no XML document")
        _check_root(root)  # a root other than Document raised no event; say what it is
    if not statements:
        raise MalformedStatement("the document holds no statement", element="BkToCstmrStmt/Stmt")
    return statements


def _check_root(root: etree._Element) -> tuple[str, str]:
    info = root.getroottree().docinfo
    # The byte scan misses a DTD in an encoding it does not know; libxml2 has only read the
    # declarations so far (resolve_entities=False, load_dtd=False), never expanded them.
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise UnsafeXml("DOCTYPE and entity declarations are not accepted in statements",
                        line=root.sourceline)
    ns = etree.QName(root).namespace or ""
    if local_name(root) != "Document" or not ns.startswith(NAMESPACE_PREFIX):
        raise UnsupportedStatementFormat(
            f"not a camt.053 document: root {local_name(root)!r} in namespace {ns!r}",
            line=root.sourceline, element=local_name(root))
    return ns, "camt.053.001." + ns[len(NAMESPACE_PREFIX):]


def _take_child(ns: str, draft: _Draft, el: etree._Element) -> None:
    """Fold one finished child of ``Stmt`` into the draft."""
    label = f"Stmt[{draft.number}]"
    name = local_name(el)
    if name == "Id":
        draft.statement_id = (el.text or "").strip()
        if not draft.statement_id:
            Fields(ns, el, f"{label}/Id").fail(el, "the statement id is empty")
    elif name == "CreDtTm":
        draft.created_at = Fields(ns, el, f"{label}/CreDtTm").timestamp_of(el)
    elif name == "Acct":
        f = Fields(ns, el, f"{label}/Acct")
        draft.account = f.text(el, "Id/IBAN") or f.text(el, "Id/Othr/Id")
        if draft.account is None:
            f.fail(el, "the account has neither Id/IBAN nor Id/Othr/Id", missing="Id")
        draft.currency = f.text(el, "Ccy")
    elif name == "Bal":
        draft.balance_count += 1
        _take_balance(Fields(ns, el, f"{label}/Bal[{draft.balance_count}]"), draft, el)
    elif name == "Ntry":
        draft.entries += 1
        entry = Fields(ns, el, f"{label}/Ntry[{draft.entries}]")
        if draft.currency is None:
            entry.fail(el, "an entry comes before the account currency (Acct/Ccy or Bal)")
        draft.lines.extend(entry_lines(entry, el, draft.currency, len(draft.lines) + 1))


def _take_balance(f: Fields, draft: _Draft, bal: etree._Element) -> None:
    kind = f.text(bal, "Tp/CdOrPrtry/Cd") or f.text(bal, "Tp/CdOrPrtry/Prtry")
    if kind not in (*_OPENING, _CLOSING):
        return  # interim and available balances say nothing the check needs
    amount = f.required_amount(bal, "Amt")
    draft.currency = draft.currency or amount.currency.code
    if amount.currency.code != draft.currency:
        f.fail(f.find(bal, "Amt"),
               f"the balance is in {amount.currency.code}, the account in {draft.currency}")
    if kind in draft.balances:
        f.fail(bal, f"a second {kind} balance")
    if f.indicator(bal) == DEBIT:
        amount = -amount
    day = f.date(bal, "Dt")
    if day is None:
        f.fail(bal, "the balance has no date", missing="Dt")
    draft.balances[kind] = (amount, day)


def _finish(draft: _Draft, version: str, check_balances: bool, flips: bool) -> Statement:
    where = f"Stmt[{draft.number}]"
    opening = next((draft.balances[k] for k in _OPENING if k in draft.balances), None)
    closing = draft.balances.get(_CLOSING)
    if (draft.statement_id is None or draft.account is None or draft.currency is None
            or opening is None or closing is None):
        missing = [name for name, value in (
            ("Id", draft.statement_id), ("Acct", draft.account), ("Bal OPBD", opening),
            ("Bal CLBD", closing)) if value is None]
        raise MalformedStatement(f"the statement lacks {', '.join(missing) or 'a currency'}",
                                 line=draft.line, element=where)
    statement = Statement(
        statement_id=draft.statement_id, account_iban_or_id=draft.account,
        currency=draft.currency, created_at=draft.created_at,
        opening_balance=opening[0], opening_date=opening[1],
        closing_balance=closing[0], closing_date=closing[1],
        lines=draft.lines, source_format=version,
    )
    if check_balances:
        check_balance(statement, reversal_flips_direction=flips, line=draft.line, element=where)
    return statement


__all__ = ["NAMESPACE_PREFIX", "parse_camt053"]
