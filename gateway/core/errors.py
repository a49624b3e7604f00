"""What can go wrong when talking to the shared core."""
from __future__ import annotations

from kernel.errors import DomainError, Unavailable


class CoreUnavailable(Unavailable):
    """The shared core cannot answer now (down, timed out, or the circuit is open); retry later."""

    code = "core_unavailable"


class CoreRejected(DomainError):
    """The shared core refused the request; sending it again will not help."""

    kind = "invalid"
    code = "core_rejected"

    def __init__(self, detail: str, *, reason: str = "rejected", status: int = 422, **extra: object) -> None:
        super().__init__(detail, reason=reason, **extra)
        #: the core's own machine reason (``unknown_listing``, ``idempotency_key_reused``...)
        self.reason = reason
        #: the HTTP status the core answered with (or would have, for the embedded core)
        self.status = status
