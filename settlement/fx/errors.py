"""The FX area's exceptions: one base per kernel kind, each with a stable ``code``.

The HTTP layer maps the kernel kinds to statuses once; nothing here knows about HTTP.
"""
from __future__ import annotations

from kernel.errors import DomainError, InvalidInput, Unavailable


class FxError(DomainError):
    """Marker base of every FX error (catch this to catch any of them)."""

    code = "fx_error"


class InvalidRate(FxError, InvalidInput):
    """A rate value that cannot be used: not a Decimal, not finite, or not positive."""

    code = "fx_invalid_rate"


class RateDocumentError(FxError, InvalidInput):
    """A rate document (ECB XML, rates CSV) that is malformed, truncated, hostile or wrong.

    Loaders raise it before returning anything: a document is taken whole or not at all.
    ``extra`` carries ``line`` for CSV documents and ``position`` for XML where known.
    """

    code = "fx_bad_rate_document"


class CurrencyMismatch(FxError, InvalidInput):
    """Money or a quote in a different currency from the one the operation needs."""

    code = "fx_currency_mismatch"


class PositionError(FxError, InvalidInput):
    """An FX position movement that cannot be applied (e.g. selling more than is held)."""

    code = "fx_position"


class RateSourceUnavailable(FxError, Unavailable):
    """The rate publisher could not be reached or answered with an error; retry later."""

    code = "fx_source_unavailable"


class NoRate(FxError, Unavailable):
    """No rate, direct, inverse or crossed, exists on or before the date asked for.

    A kind of ``Unavailable``: loading the missing rates (``fx load``) cures it.
    """

    code = "fx_no_rate"


class StaleRate(FxError, Unavailable):
    """The newest usable rate is older than the staleness limit in business days.

    ``extra`` carries ``as_of`` (the newest rate's date) and ``limit`` (business days).
    """

    code = "fx_stale_rate"
