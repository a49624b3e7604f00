"""Errors of stored screening (the pure engine's own are in ``model.py``)."""
from __future__ import annotations

from kernel.errors import Conflict, InvalidInput, NotFound


class ScreeningError(InvalidInput):
    """Base of the stored-screening errors."""

    code = "screening_error"


class UnknownList(NotFound):
    """A list name or version that was never loaded."""

    code = "screening_list_unknown"


class ListFormatMismatch(Conflict):
    """A list loaded before in one format was given in another (names are per format)."""

    code = "screening_list_format_mismatch"


class ScreeningRecordNotFound(NotFound):
    """No stored screening with that id."""

    code = "screening_record_not_found"
