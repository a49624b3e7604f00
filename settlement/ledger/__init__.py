"""The multi-currency double-entry ledger: accounts, immutable balanced transfers, two-phase
holds, running and as-of balances, FX conversions through position accounts, and the
whole-ledger invariant check.

Callers pass a SQLAlchemy ``Session`` in a writing transaction and commit it themselves.
"""
from .balances import Balance, balance_as_of, get_balance
from .check import check_ledger
from .errors import (
    AccountNotFound, AlreadyReversed, CurrencyMismatch, HoldAmountExceeded, HoldNotFound,
    HoldNotPending, IdempotencyConflict, InsufficientFunds, InvalidAccount, InvalidPosting,
    LedgerError, TransferNotFound, UnbalancedTransfer,
)
from .fx import fx_position_movements, post_fx_conversion, post_realised_fx
from .holds import commit_hold, expire_holds, place_hold, void_hold
from .models import OWNER_TYPES, PURPOSES, Account, Hold, Posting, Transfer
from .service import (
    Leg, PostedTransfer, TransferSpec, credit, debit, get_or_open_account, post_transfer,
    post_transfers, reverse_transfer,
)

__all__ = [
    "Account", "Transfer", "Posting", "Hold", "PURPOSES", "OWNER_TYPES",
    "Leg", "debit", "credit", "TransferSpec", "PostedTransfer",
    "get_or_open_account", "post_transfer", "post_transfers", "reverse_transfer",
    "place_hold", "commit_hold", "void_hold", "expire_holds",
    "Balance", "get_balance", "balance_as_of",
    "post_fx_conversion", "post_realised_fx", "fx_position_movements",
    "check_ledger",
    "LedgerError", "UnbalancedTransfer", "InvalidPosting", "CurrencyMismatch", "InvalidAccount",
    "AccountNotFound", "TransferNotFound", "HoldNotFound", "InsufficientFunds",
    "IdempotencyConflict", "AlreadyReversed", "HoldNotPending", "HoldAmountExceeded",
]
