"""The port through which the gateway talks to the exchange's shared core.

Callers (listings, deals, the outbox dispatcher) pass and get plain values: JSON-able dicts and
string ids. Two adapters implement it: ``EmbeddedCore`` (in-process, the default) and
``HttpCore`` (``CORE_URL`` set). Both raise ``CoreUnavailable`` when retrying later may help and
``CoreRejected`` when it will not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from gateway.core.errors import CoreRejected, CoreUnavailable

__all__ = ["CorePort", "CoreEvent", "CoreRejected", "CoreUnavailable", "EVENT_TYPES"]

#: event types the core's feed carries; ``origin`` in the data says ``gateway`` or ``domestic``
EVENT_TYPES = frozenset({
    "listing.published", "listing.updated", "listing.withdrawn", "deal.reported", "deal.struck",
})


@dataclass(frozen=True)
class CoreEvent:
    """One entry of the core's feed. ``seq`` is strictly increasing in commit order."""

    seq: int
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {**self.data, "seq": self.seq, "type": self.type}

    @classmethod
    def from_wire(cls, item: dict[str, Any]) -> "CoreEvent":
        data = {k: v for k, v in item.items() if k not in ("seq", "type")}
        return cls(int(item["seq"]), str(item["type"]), data)


@runtime_checkable
class CorePort(Protocol):
    def publish_listing(self, payload: dict[str, Any], idempotency_key: str) -> str:
        """Publish a listing; returns its ``core_id``. The same key with the same payload returns
        the same id (no second listing); the same key with another payload is rejected."""
        ...

    def update_listing(self, core_id: str, payload: dict[str, Any]) -> None:
        """Replace the listing's payload (idempotent). Rejected for unknown or withdrawn listings."""
        ...

    def withdraw_listing(self, core_id: str, reason: str) -> None:
        """Withdraw the listing (idempotent: withdrawing it again is a no-op)."""
        ...

    def report_deal(self, payload: dict[str, Any], idempotency_key: str) -> str:
        """Report a deal struck on the gateway; returns its ``core_deal_id`` (idempotent by key)."""
        ...

    def events_since(self, after_seq: int, limit: int = 100) -> tuple[list[CoreEvent], int]:
        """Events with ``seq > after_seq`` in order, at most ``limit``; and the cursor to ask
        from next (the last seq returned, or ``after_seq`` when there is nothing new)."""
        ...
