"""An instruction's lifecycle, written down as data.

scheduled -> due -> funds_received -> compliance_released -> converted -> paid_out -> settled;
held (with a reason) from funds_received when the payment gate says hold, back to
compliance_released when it later says release; cancelled before any money came in; back to
due from funds_received or held when the receipt is undone (the money did not stand).
"""
from __future__ import annotations

from .errors import TransitionRefused

STATUSES = ("scheduled", "due", "funds_received", "compliance_released", "converted",
            "paid_out", "settled", "held", "cancelled")

#: from -> the statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"due", "cancelled"}),
    "due": frozenset({"funds_received", "cancelled"}),
    "funds_received": frozenset({"compliance_released", "held", "due"}),
    "held": frozenset({"compliance_released", "due"}),
    "compliance_released": frozenset({"converted"}),
    "converted": frozenset({"paid_out"}),
    "paid_out": frozenset({"settled"}),
    "settled": frozenset(),
    "cancelled": frozenset(),
}

#: statuses in which nothing more happens
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

#: who may take each step: ``system`` is run-due, ``finance`` a person in finance (or
#: reconciliation acting for them), ``buyer`` the licensee reporting royalties
STEP_ACTORS: dict[str, frozenset[str]] = {
    "due": frozenset({"system", "finance"}),  # finance: a receipt undone
    "funds_received": frozenset({"finance"}),
    "compliance_released": frozenset({"system"}),
    "held": frozenset({"system"}),
    "converted": frozenset({"system"}),
    "paid_out": frozenset({"system"}),
    "settled": frozenset({"finance"}),
    "cancelled": frozenset({"finance"}),
}


def check_transition(current: str, target: str) -> None:
    """Raise ``TransitionRefused`` unless ``current`` -> ``target`` is allowed."""
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "nothing (final)"
        raise TransitionRefused(f"an instruction that is {current} cannot become {target}; "
                                f"from {current} it may become {allowed}",
                                field="status", status=current, target=target)
