"""Errors of technology export/import control."""
from __future__ import annotations

from kernel.errors import Conflict, InvalidInput, NotFound


class CatalogueFormatError(InvalidInput):
    """A catalogue CSV that cannot be read; nothing of it is loaded."""

    code = "catalogue_malformed"


class NoActiveCatalogue(NotFound):
    """No catalogue is loaded for that direction."""

    code = "catalogue_missing"


class UnknownCatalogueEntry(NotFound):
    """The entry code is not in the active catalogue of that direction."""

    code = "catalogue_entry_unknown"


class ClassificationRequired(Conflict):
    """A licence or registration was recorded for a subject with no matching classification."""

    code = "classification_required"


class RecordOutOfOrder(Conflict):
    """Records given in an order the rules forbid (a licence with no letter of intent...)."""

    code = "record_out_of_order"


class DuplicateRecord(Conflict):
    """The same record (an authority's certificate number...) was recorded before."""

    code = "record_duplicate"
