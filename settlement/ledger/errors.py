"""The ledger's exceptions: one base, each with a stable ``code`` and a kernel kind.

The HTTP layer maps the kernel kinds (invalid, not_found, conflict) to statuses once; nothing
here knows about HTTP.
"""
from __future__ import annotations

from kernel.errors import Conflict, DomainError, InvalidInput, NotFound


class LedgerError(DomainError):
    """Marker base of every ledger error (catch this to catch any of them)."""

    code = "ledger_error"


class UnbalancedTransfer(LedgerError, InvalidInput):
    """A transfer whose debits and credits differ in at least one currency."""

    code = "ledger_unbalanced"


class InvalidPosting(LedgerError, InvalidInput):
    """A malformed posting: fewer than two legs, a non-positive amount, an unknown side."""

    code = "ledger_invalid_posting"


class CurrencyMismatch(LedgerError, InvalidInput):
    """A posting (or hold) whose currency is not its account's currency."""

    code = "ledger_currency_mismatch"


class InvalidAccount(LedgerError, InvalidInput):
    """An account definition outside the documented owner types, purposes or sides."""

    code = "ledger_invalid_account"


class AccountNotFound(LedgerError, NotFound):
    """A posting or hold names an account that does not exist."""

    code = "ledger_account_not_found"


class TransferNotFound(LedgerError, NotFound):
    """The transfer asked for (e.g. to reverse it) does not exist."""

    code = "ledger_transfer_not_found"


class HoldNotFound(LedgerError, NotFound):
    """The hold asked for does not exist."""

    code = "ledger_hold_not_found"


class InsufficientFunds(LedgerError, Conflict):
    """The operation would take a must-not-go-negative account below zero available.

    ``extra`` carries ``account_id``, ``available`` and ``requested`` (decimal strings) and
    ``currency``.
    """

    code = "ledger_insufficient_funds"


class IdempotencyConflict(LedgerError, Conflict):
    """A client key already used for a transfer or hold with different content."""

    code = "ledger_key_reused"


class AlreadyReversed(LedgerError, Conflict):
    """The transfer has been reversed already (a transfer is reversed at most once)."""

    code = "ledger_already_reversed"


class HoldNotPending(LedgerError, Conflict):
    """The hold was already committed, voided or expired (or has passed its deadline)."""

    code = "ledger_hold_not_pending"


class HoldAmountExceeded(LedgerError, InvalidInput):
    """A hold committed for more than was held."""

    code = "ledger_hold_exceeded"
