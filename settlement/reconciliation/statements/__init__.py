"""Pure bank statement parsers: camt.053 XML and profiled CSV to plain ``Statement`` values.

No database, no Flask: ``parse_camt053`` and ``parse_csv_statement`` read a file (bytes, path or
binary stream) and either return whole statements or raise a ``StatementError`` subclass that
names the line and element or column at fault.
"""
from settlement.reconciliation.statements.camt053 import parse_camt053
from settlement.reconciliation.statements.csv_profiles import PROFILES, CsvProfile, get_profile
from settlement.reconciliation.statements.csv_statement import parse_csv_statement
from settlement.reconciliation.statements.errors import (
    BalanceMismatch,
    MalformedStatement,
    StatementError,
    StatementTooLarge,
    UnsafeXml,
    UnsupportedStatementFormat,
)
from settlement.reconciliation.statements.model import (
    Statement,
    StatementLine,
    balance_effect,
    check_balance,
    statement_fingerprint,
)
from settlement.reconciliation.statements.source import DEFAULT_MAX_BYTES

__all__ = [
    "DEFAULT_MAX_BYTES", "PROFILES", "BalanceMismatch", "CsvProfile", "MalformedStatement",
    "Statement", "StatementError", "StatementLine", "StatementTooLarge", "UnsafeXml",
    "UnsupportedStatementFormat", "balance_effect", "check_balance", "get_profile",
    "parse_camt053", "parse_csv_statement", "statement_fingerprint",
]
