"""The statement parsers' errors: one base class, each with a stable ``code``.

Every error names where the fault is: ``line`` (the source line number) and, for XML, ``element``
(a readable path such as ``Stmt[1]/Ntry[3]/Amt``) or, for CSV, ``column``. These travel in
``extra`` so ``to_dict()`` shows them to the operator who uploaded the file.
"""
from __future__ import annotations

from typing import Any

from kernel.errors import InvalidInput


class StatementError(InvalidInput):
    """Base of everything that makes a bank statement file unusable."""

    code = "statement_invalid"

    def __init__(self, detail: str, *, line: int | None = None, element: str | None = None,
                 column: str | None = None, **extra: Any) -> None:
        where = []
        if element:
            where.append(element)
        if column:
            where.append(f"column {column!r}")
        if line is not None:
            where.append(f"line {line}")
        # The location goes into the message too, so a log line alone is enough to find the fault.
        message = f"{detail} ({', '.join(where)})" if where else detail
        located = {k: v for k, v in (("line", line), ("element", element), ("column", column))
                   if v is not None}
        super().__init__(message, field=element or column, **located, **extra)
        self.line = line
        self.element = element
        self.column = column


class MalformedStatement(StatementError):
    """A missing, malformed or inconsistent element or cell (bad amount, date, currency...)."""

    code = "statement_malformed"


class UnsafeXml(StatementError):
    """The XML carries a DOCTYPE or entity declarations; refused, never resolved (XXE, bombs)."""

    code = "statement_unsafe_xml"


class StatementTooLarge(StatementError):
    """The file is bigger than the configured limit."""

    code = "statement_too_large"


class UnsupportedStatementFormat(StatementError):
    """Not a camt.053 document (wrong root or namespace), or an unknown CSV profile."""

    code = "statement_unsupported_format"


class BalanceMismatch(StatementError):
    """Opening balance plus the booked movements does not give the closing balance."""

    code = "statement_balance_mismatch"
