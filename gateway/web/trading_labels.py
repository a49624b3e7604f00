"""Trading words that reach pages from data (states, sides, refusal reasons), marked for
translation."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from kernel.errors import DomainError

AUCTION_STATE_LABELS = {"open": _l("open"), "won": _l("won"), "failed": _l("failed"),
                        "cancelled": _l("cancelled")}

PARTICIPANT_STATE_LABELS = {"registered": _l("registered"), "released": _l("deposit released"),
                            "applied": _l("deposit applied to the price")}

NEGOTIATION_STATE_LABELS = {"open": _l("open"), "agreed": _l("agreed (public notice)"),
                            "final": _l("final (contract signed)"), "withdrawn": _l("withdrawn"),
                            "expired": _l("expired")}

OFFER_STATE_LABELS = {"open": _l("open"), "superseded": _l("superseded"), "accepted": _l("accepted"),
                      "withdrawn": _l("withdrawn"), "expired": _l("expired")}

SIDE_LABELS = {"buyer": _l("buyer side"), "seller": _l("seller side")}

NOTICE_STATE_LABELS = {"open": _l("open"), "no_buyer": _l("ended without a buyer"), "sold": _l("sold"),
                       "auctioned": _l("turned into an auction"), "withdrawn": _l("withdrawn")}

INTENT_STATE_LABELS = {"registered": _l("registered"), "released": _l("deposit released"),
                       "applied": _l("deposit applied to the price"),
                       "moved_to_auction": _l("moved to the auction")}

DEAL_STATE_LABELS = {"struck": _l("struck"), "contract_signed": _l("contract signed")}

CHANNEL_LABELS = {"auction": _l("auction"), "negotiated": _l("negotiation"),
                  "fixed_price": _l("fixed price")}

DEPOSIT_LABELS = {
    "none": _l("no deposit required"),
    "missing": _l("not received yet: pay it to the exchange's deposit account; finance records it"),
    "received": _l("received"),
    "held": _l("held for this trade"),
    "applied": _l("applied to the price"),
    "released": _l("released"),
}

#: ``BidRefused.reason`` in the reader's words
BID_REFUSAL_LABELS = {
    "auction_not_open": _l("The auction is not taking bids now."),
    "not_registered": _l("Register for the auction (deposit held) before bidding."),
    "not_invited": _l("Only the listing's intending buyers take part in this auction."),
    "currency_mismatch": _l("Bids are in the auction's currency."),
    "below_starting_price": _l("The first bid must be at least the starting price."),
    "increment_not_met": _l("A bid must beat the current price by at least the increment."),
    "already_highest": _l("You already hold the highest bid."),
    "party_not_cleared": _l("Compliance does not clear your organisation to trade now."),
}

#: the same reasons in a log read by the seller's sub-centre (third person, short)
BID_REFUSAL_LOG_LABELS = {
    "auction_not_open": _l("auction not open"),
    "not_registered": _l("bidder not registered"),
    "not_invited": _l("bidder not invited"),
    "currency_mismatch": _l("wrong currency"),
    "below_starting_price": _l("below the starting price"),
    "increment_not_met": _l("increment not met"),
    "already_highest": _l("bidder already highest"),
    "party_not_cleared": _l("bidder not cleared by compliance"),
}

#: other trading refusals, by the error's ``code``
TRADING_ERROR_LABELS = {
    "deposit_missing": _l("The deposit has not been received yet (finance records it when it arrives)."),
    "negotiation_turn_refused": _l("It is not your side's turn."),
}


def refusal_text(exc: DomainError) -> str:
    """A trading refusal in the reader's language (the service's English detail otherwise)."""
    reason = getattr(exc, "reason", None)
    if reason in BID_REFUSAL_LABELS:
        return str(BID_REFUSAL_LABELS[reason])
    if exc.code in TRADING_ERROR_LABELS:
        return str(TRADING_ERROR_LABELS[exc.code])
    return exc.detail


def context() -> dict[str, Any]:
    return {"auction_state_labels": AUCTION_STATE_LABELS, "participant_labels": PARTICIPANT_STATE_LABELS, "negotiation_labels": NEGOTIATION_STATE_LABELS,
            "offer_labels": OFFER_STATE_LABELS, "side_labels": SIDE_LABELS,
            "notice_labels": NOTICE_STATE_LABELS, "intent_labels": INTENT_STATE_LABELS,
            "deal_state_labels": DEAL_STATE_LABELS,
            "refusal_log_labels": BID_REFUSAL_LOG_LABELS, "channel_labels": CHANNEL_LABELS,
            "deposit_labels": DEPOSIT_LABELS}
