"""Settlement plans' exceptions: one base, each with a stable ``code`` and a kernel kind."""
from __future__ import annotations

from kernel.errors import Conflict, DomainError, InvalidInput, NotFound


class PlanError(DomainError):
    """Marker base of every settlement-plan error."""

    code = "settlement_error"


class InvalidTerms(PlanError, InvalidInput):
    """Deal terms that cannot become a plan (schedule not adding up to the price, a currency
    the ledger does not know, a royalty without a reporting period...)."""

    code = "settlement_invalid_terms"


class InvalidReference(PlanError, InvalidInput):
    """An ISO 11649 creditor reference that is malformed or whose check digits do not match."""

    code = "settlement_invalid_reference"


class PlanNotFound(PlanError, NotFound):
    """No settlement plan (or instruction) with that id or deal reference."""

    code = "settlement_not_found"


class PlanExists(PlanError, Conflict):
    """The deal already has a settlement plan (one plan per deal)."""

    code = "settlement_plan_exists"


class TransitionRefused(PlanError, Conflict):
    """An instruction asked to move to a status its lifecycle does not allow from here."""

    code = "settlement_transition_refused"


class AmountMismatch(PlanError, InvalidInput):
    """Funds received that are not the amount (or currency) the instruction asks for."""

    code = "settlement_amount_mismatch"


class RoyaltyReportRefused(PlanError, Conflict):
    """A royalty report for a plan without royalties, an overlapping period, or a closed
    royalty year."""

    code = "settlement_royalty_report_refused"
