"""Errors of the review-case workflow."""
from __future__ import annotations

from kernel.errors import Conflict, InvalidInput, NotFound


class CaseNotFound(NotFound):
    """No review case with that id."""

    code = "case_not_found"


class CaseAlreadyDecided(Conflict):
    """The case was cleared or confirmed already; decisions are not changed in place."""

    code = "case_already_decided"


class ReasonRequired(InvalidInput):
    """Clearing or confirming a case needs the officer's reason in words."""

    code = "case_reason_required"
