"""Reading typed values out of camt.053 elements, each failure naming its element and line.

``Fields`` is bound to one anchor element (a ``Stmt`` or an ``Ntry``) and the readable path of
that anchor, so errors read ``Stmt[1]/Ntry[4]/NtryDtls/TxDtls[2]/AmtDtls/TxAmt/Amt`` at line 88.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from lxml import etree
from moneyed import Money

from kernel.errors import InvalidInput
from kernel.money import parse_amount
from settlement.reconciliation.statements.errors import MalformedStatement

_AMOUNT = re.compile(r"\d{1,18}(\.\d+)?")  # xs:decimal, non-negative, as ISO 20022 requires
_RATE = re.compile(r"\d{1,18}(\.\d{1,18})?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?")
_UETR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_INDICATORS = ("CRDT", "DBIT")
# elements whose children are looked up in turn: indexed during their anchor's walk
_SCOPES = frozenset({"TxDtls", "BookgDt", "ValDt", "Dt", "Chrgs", "Rcrd", "Sts"})


def local_name(el: etree._Element) -> str:
    """The tag without its namespace."""
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class Fields:
    """Typed, located access to the children of one anchor element."""

    def __init__(self, ns: str, anchor: etree._Element, label: str) -> None:
        self.ns = ns
        self.anchor = anchor
        self.label = label
        self._brace = f"{{{ns}}}"
        # Every descendant by its path below a base element, built in one walk on first use:
        # the dozens of lookups per entry become dict reads instead of tree walks.
        self._indexes: dict[etree._Element, dict[str, list[etree._Element]]] = {}

    # -- locating -----------------------------------------------------------------------
    def _index(self, el: etree._Element) -> dict[str, list[etree._Element]]:
        index = self._indexes.get(el)
        if index is None:
            index = {}
            cut = len(self._brace)
            # One C-level walk in document order (elements sharing a path keep their order);
            # each node's path is its parent's plus its local name. The elements later looked
            # into (a transaction, a date choice) get their own index from the same walk, so
            # the tree below an entry is walked once.
            paths: dict[etree._Element, str] = {el: ""}
            scopes: dict[etree._Element, tuple[tuple[int, dict[str, list[etree._Element]]], ...]]
            scopes = {el: ((0, index),)}
            for node in el.iterdescendants(tag=self._brace + "*"):
                parent = node.getparent()
                base = paths.get(parent)
                if base is None:
                    continue  # under an element of another namespace
                name = node.tag[cut:]
                path = base + name
                paths[node] = path + "/"
                mine = scopes[parent]
                for start, scope in mine:
                    scope.setdefault(path[start:], []).append(node)
                if name in _SCOPES:
                    own: dict[str, list[etree._Element]] = {}
                    self._indexes[node] = own
                    mine = mine + ((len(path) + 1, own),)
                scopes[node] = mine
            self._indexes[el] = index
        return index

    def findall(self, el: etree._Element, path: str) -> list[etree._Element]:
        """Every element at ``path`` (local names joined by '/') under ``el``, in order."""
        return self._index(el).get(path, [])

    def find(self, el: etree._Element, path: str) -> etree._Element | None:
        """The first element at ``path`` under ``el``, or None."""
        found = self._index(el).get(path)
        return found[0] if found else None

    def path(self, el: etree._Element) -> str:
        """A readable path from the anchor's label down to ``el``, indexing repeated tags."""
        parts: list[str] = []
        node: etree._Element | None = el
        while node is not None and node is not self.anchor:
            name = local_name(node)
            parent = node.getparent()
            if parent is not None:
                same = [c for c in parent if c.tag == node.tag]
                if len(same) > 1:
                    name += f"[{same.index(node) + 1}]"
            parts.append(name)
            node = parent
        return "/".join([self.label, *reversed(parts)])

    def fail(self, el: etree._Element | None, detail: str, missing: str | None = None,
             **extra: object) -> NoReturn:
        """Raise ``MalformedStatement`` at ``el`` (or at its missing child ``missing``)."""
        el = self.anchor if el is None else el
        where = self.path(el) + (f"/{missing}" if missing else "")
        raise MalformedStatement(detail, line=el.sourceline, element=where, **extra)

    # -- values -------------------------------------------------------------------------
    def text(self, el: etree._Element, path: str, *, required: bool = False,
             collapse: bool = False) -> str | None:
        """The stripped text at ``path``; ``collapse`` also folds inner whitespace runs."""
        node = self.find(el, path)
        raw = node.text if node is not None else None
        value = (" ".join(raw.split()) if collapse else raw.strip()) if raw else ""
        if not value:
            if required:
                self.fail(el if node is None else node, "a required value is missing",
                          missing=path if node is None else None)
            return None
        return value

    def amount(self, el: etree._Element, path: str) -> Money | None:
        """The non-negative amount at ``path`` in the currency of its ``Ccy`` attribute."""
        node = self.find(el, path)
        return None if node is None else self.amount_of(node)

    def required_amount(self, el: etree._Element, path: str) -> Money:
        """Like ``amount``, but a missing element is an error."""
        node = self.find(el, path)
        if node is None:
            self.fail(el, "a required amount is missing", missing=path)
        return self.amount_of(node)

    def amount_of(self, node: etree._Element) -> Money:
        """The non-negative amount ``node`` holds, in the currency of its ``Ccy`` attribute."""
        text = (node.text or "").strip()
        ccy = node.get("Ccy")
        if not _AMOUNT.fullmatch(text):
            self.fail(node, f"{text!r} is not a non-negative decimal amount")
        if ccy is None:
            self.fail(node, "the amount has no Ccy attribute")
        try:
            return parse_amount(text, ccy.strip())
        except InvalidInput as exc:  # bad currency, too many decimals: say where
            self.fail(node, exc.detail, cause=exc.code)

    def indicator(self, el: etree._Element, path: str = "CdtDbtInd") -> str:
        """``CRDT`` or ``DBIT``; a missing indicator is an error."""
        value = self.optional_indicator(el, path)
        if value is None:
            self.fail(el, "the credit/debit indicator is missing", missing=path)
        return value

    def optional_indicator(self, el: etree._Element, path: str = "CdtDbtInd") -> str | None:
        """``CRDT``, ``DBIT`` or None when absent."""
        value = self.text(el, path)
        if value is not None and value not in _INDICATORS:
            self.fail(self.find(el, path), f"{value!r} is not CRDT or DBIT")
        return value

    def flag(self, el: etree._Element, path: str) -> bool:
        """An xs:boolean, absent meaning false."""
        value = self.text(el, path)
        if value is None:
            return False
        if value not in ("true", "false", "1", "0"):
            self.fail(self.find(el, path), f"{value!r} is not a boolean")
        return value in ("true", "1")

    def date(self, el: etree._Element, path: str) -> date | None:
        """A date from a DateAndDateTimeChoice (``Dt`` or ``DtTm``) at ``path``.

        A ``DtTm`` gives the calendar date as the bank wrote it (its own offset), which is the
        date the bank booked on.
        """
        node = self.find(el, path)
        if node is None:
            return None
        day = self.find(node, "Dt")
        if day is not None:
            return self._date(day)
        moment = self.find(node, "DtTm")
        if moment is not None:
            return self._datetime(moment).date()
        self.fail(node, "neither Dt nor DtTm is given")

    def timestamp(self, el: etree._Element, path: str) -> datetime | None:
        """The ISODateTime at ``path``, in UTC (see ``timestamp_of``)."""
        node = self.find(el, path)
        return None if node is None else self.timestamp_of(node)

    def timestamp_of(self, node: etree._Element) -> datetime:
        """The ISODateTime ``node`` holds, in UTC; a time without offset is taken as UTC."""
        moment = self._datetime(node)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)

    def rate(self, el: etree._Element, path: str) -> Decimal | None:
        """A positive exchange rate as an exact Decimal."""
        node = self.find(el, path)
        if node is None:
            return None
        text = (node.text or "").strip()
        try:
            value = Decimal(text) if _RATE.fullmatch(text) else None
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            value = None
        if value is None or value <= 0:
            self.fail(node, f"{text!r} is not a positive exchange rate")
        return value

    def uetr(self, el: etree._Element, path: str) -> str | None:
        """A UETR (UUID), lower-cased."""
        value = self.text(el, path)
        if value is not None and not _UETR.fullmatch(value.lower()):
            self.fail(self.find(el, path), f"{value!r} is not a UUID")
        return value.lower() if value else None

    def _date(self, node: etree._Element) -> date:
        text = (node.text or "").strip()
        match = _DATE.fullmatch(text)
        try:
            if match:
                return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
        self.fail(node, f"{text!r} is not a date (YYYY-MM-DD)")

    def _datetime(self, node: etree._Element) -> datetime:
        text = (node.text or "").strip()
        try:
            if _DATETIME.fullmatch(text):
                # fromisoformat keeps at most microseconds; cut longer fractions first
                head, dot, rest = text.partition(".")
                if dot:
                    digits = len(rest) - len(rest.lstrip("0123456789"))
                    rest = rest[:min(digits, 6)] + rest[digits:]
                    text = f"{head}.{rest}"
                return datetime.fromisoformat(text)
        except ValueError:
            pass
        self.fail(node, f"{(node.text or '').strip()!r} is not a date and time (ISO 8601)")
