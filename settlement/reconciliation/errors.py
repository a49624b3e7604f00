"""Reconciliation's errors: one base class, each with a stable ``code`` and a docstring."""
from __future__ import annotations

from kernel.errors import Conflict, DomainError, InvalidInput, NotFound


class ReconciliationError(DomainError):
    """Base of reconciliation's expected failures."""

    code = "reconciliation_error"


class DuplicateStatement(ReconciliationError, Conflict):
    """This statement was imported before (same fingerprint); nothing was written."""

    code = "statement_duplicate"


class UnknownBankAccount(ReconciliationError, NotFound):
    """No bank account is registered for the statement's account and currency."""

    code = "bank_account_unknown"


class ExceptionNotFound(ReconciliationError, NotFound):
    """No such item in the exceptions queue."""

    code = "reconciliation_exception_not_found"


class MatchNotFound(ReconciliationError, NotFound):
    """No such match."""

    code = "reconciliation_match_not_found"


class ExceptionClosed(ReconciliationError, Conflict):
    """The exception was already resolved."""

    code = "reconciliation_exception_closed"


class AlreadyMatched(ReconciliationError, Conflict):
    """The instruction is already fully matched (an instruction is never matched twice)."""

    code = "instruction_already_matched"


class LineAlreadyAllocated(ReconciliationError, Conflict):
    """The statement line has no unallocated amount left."""

    code = "line_already_allocated"


class InvalidAllocation(ReconciliationError, InvalidInput):
    """A manual match or split does not add up (amounts, currencies or directions)."""

    code = "reconciliation_invalid_allocation"


class ReversalPaysNothing(InvalidAllocation):
    """A reversal (``RvslInd``), or the entry a reversal undoes, is matched, split or written
    off: it pays no instruction."""

    code = "reconciliation_reversal_pays_nothing"


class WriteOffAboveLimit(ReconciliationError, InvalidInput):
    """The difference is larger than the configured write-off limit for its currency."""

    code = "write_off_above_limit"


class MatchAlreadyReverted(ReconciliationError, Conflict):
    """The match was already undone."""

    code = "match_already_reverted"


class UnknownInstruction(ReconciliationError, NotFound):
    """The expected-payment source does not know this instruction."""

    code = "instruction_unknown"
