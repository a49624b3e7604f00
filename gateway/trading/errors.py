"""The trading area's exceptions: one base, each with a stable ``code`` and a kernel kind.

A refused bid is a ``BidRefused`` whose ``reason`` says why, one of ``BID_REFUSALS``."""
from __future__ import annotations

from kernel.errors import Conflict, DomainError, InvalidInput, NotFound

#: every reason a bid can be refused for
BID_REFUSALS = (
    "auction_not_open",       # before the start, after the end, or closed
    "not_registered",         # no deposit hold: register (deposit) before the first bid
    "not_invited",            # an invited-only auction (fixed-price buyers) and not one of them
    "currency_mismatch",      # the bid is not in the auction's currency
    "below_starting_price",   # the first bid is under the starting price
    "increment_not_met",      # does not beat the current highest by the minimum increment
    "already_highest",        # the bidder already holds the highest bid
    "party_not_cleared",      # compliance: the bidder cannot trade now
)


class TradingError(DomainError):
    code = "trading_error"


class TradingNotFound(TradingError, NotFound):
    code = "trading_not_found"


class InvalidTrading(TradingError, InvalidInput):
    code = "trading_invalid"


class TradingConflict(TradingError, Conflict):
    code = "trading_conflict"


class BidRefused(TradingError, Conflict):
    """The bid was not accepted; ``reason`` (one of ``BID_REFUSALS``) says why."""

    code = "bid_refused"

    def __init__(self, reason: str, detail: str, **extra: object) -> None:
        assert reason in BID_REFUSALS, reason
        super().__init__(detail, reason=reason, **extra)
        self.reason = reason


class DepositMissing(TradingError, Conflict):
    """The buyer's deposit account does not hold the deposit asked for."""

    code = "deposit_missing"


class BuyerNotEligible(TradingError, Conflict):
    """The buyer is on the wrong side of the border for the listing's direction: a "bring in"
    (``inbound``) listing sells to domestic organisations, a "go out" (``outbound``) listing to
    overseas ones. ``direction``, ``buyer_country`` and ``home_country`` say which."""

    code = "buyer_not_eligible"


class DealRefused(TradingError, Conflict):
    """A deal cannot be struck: compliance (party clearance, deal gate) says no; ``reasons``."""

    code = "deal_refused"


class TurnRefused(TradingError, Conflict):
    """An offer out of turn, or accepting one's own offer."""

    code = "negotiation_turn_refused"
