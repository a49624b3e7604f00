"""The listing lifecycle, written as data: ``(state, action) -> (next state, roles allowed)``.

Read the table top to bottom for the life of a listing:

- staff of the filing sub-centre write a ``draft`` and ``submit`` it;
- compliance starts the review; its classification records the outcome through
  ``service.record_compliance_outcome`` (``clear`` / ``block`` / ``require_licence``: role
  ``system``, never offered on the HTTP action route); a submitted or in-review listing can be
  ``return``-ed to draft for edits;
- staff ``publish`` a cleared (or licence-required, flagged) listing once
  ``service.publication_checks`` finds nothing missing;
- trading moves a published listing into negotiation, a notice period or an auction and finally
  to ``deal_struck`` (role ``system``: trading calls ``service.transition``);
- ``withdraw`` ends a listing before a deal (not during an auction); ``expire`` ends one whose
  listing period is over.

``SYSTEM`` is the role of in-process callers (compliance classification, trading, the periodic
tick); people never hold it.
"""
from __future__ import annotations

from dataclasses import dataclass

SYSTEM = "system"

STATES = (
    "draft", "submitted", "in_review", "cleared", "blocked", "licence_required", "published",
    "under_negotiation", "in_notice_period", "in_auction", "deal_struck", "withdrawn", "expired",
)
#: what buyers may see (browse, search, read)
PUBLIC_STATES = frozenset({"published", "under_negotiation", "in_notice_period", "in_auction",
                           "deal_struck"})
TERMINAL_STATES = frozenset({"deal_struck", "withdrawn", "expired"})
#: compliance outcomes and the action each one takes
OUTCOME_ACTIONS = {"cleared": "clear", "blocked": "block", "licence_required": "require_licence"}

STAFF = frozenset({"subcentre_staff", "admin"})
REVIEW = frozenset({"compliance_officer", "admin", SYSTEM})
RETURN = frozenset({"subcentre_staff", "compliance_officer", "admin", SYSTEM})
OWNER = frozenset({"subcentre_staff", "seller", "admin"})
CLASSIFY = frozenset({SYSTEM})
TRADING = frozenset({SYSTEM, "admin"})


@dataclass(frozen=True)
class Transition:
    state: str
    action: str
    next_state: str
    roles: frozenset[str]


_WITHDRAWABLE = ("draft", "submitted", "in_review", "cleared", "blocked", "licence_required",
                 "published", "under_negotiation", "in_notice_period")

TABLE: dict[tuple[str, str], Transition] = {
    (t.state, t.action): t
    for t in [
        Transition("draft", "submit", "submitted", STAFF),
        Transition("submitted", "return", "draft", RETURN),
        Transition("submitted", "start_review", "in_review", REVIEW),
        Transition("in_review", "return", "draft", RETURN),
        Transition("in_review", "clear", "cleared", CLASSIFY),
        Transition("in_review", "block", "blocked", CLASSIFY),
        Transition("in_review", "require_licence", "licence_required", CLASSIFY),
        Transition("cleared", "publish", "published", STAFF),
        Transition("licence_required", "publish", "published", STAFF),
        Transition("published", "start_negotiation", "under_negotiation", TRADING),
        Transition("published", "open_notice_period", "in_notice_period", TRADING),
        Transition("published", "open_auction", "in_auction", TRADING),
        Transition("under_negotiation", "end_negotiation", "published", TRADING),
        Transition("under_negotiation", "open_notice_period", "in_notice_period", TRADING),
        Transition("under_negotiation", "strike_deal", "deal_struck", TRADING),
        Transition("in_notice_period", "open_auction", "in_auction", TRADING),
        Transition("in_notice_period", "strike_deal", "deal_struck", TRADING),
        Transition("in_auction", "close_unsold", "published", TRADING),
        Transition("in_auction", "strike_deal", "deal_struck", TRADING),
        Transition("published", "expire", "expired", TRADING),
        Transition("cleared", "expire", "expired", TRADING),
        Transition("licence_required", "expire", "expired", TRADING),
        # the system withdraws a listing the shared core reports withdrawn through a domestic channel
        *[Transition(s, "withdraw", "withdrawn", OWNER | {SYSTEM}) for s in _WITHDRAWABLE],
    ]
}

ACTIONS = tuple(sorted({action for _, action in TABLE}))
#: actions people may take through ``POST /listings/{id}/{action}``
API_ACTIONS = tuple(sorted({a for (_, a), t in TABLE.items() if t.roles - {SYSTEM}}))


def find_transition(state: str, action: str) -> Transition | None:
    return TABLE.get((state, action))


def actions_from(state: str) -> list[str]:
    """The actions the table lists from ``state`` (for the 409 body and the UI)."""
    return sorted(a for (s, a) in TABLE if s == state)
