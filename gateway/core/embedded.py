"""The in-process core (the default): the shared core's behaviour on its own tables.

Every operation runs in a writing session of its own, opened from the ``Database`` it was given,
so it commits independently of the caller, as a remote system would. Publishing and reporting
are idempotent by key; the feed's ``seq`` is handed out under a lock on ``core_feed_head``, so it
increases in commit order on both databases.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Callable, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.core.embedded_models import CoreDeal, CoreEventRecord, CoreFeedHead, CoreListing
from gateway.core.errors import CoreRejected, CoreUnavailable
from gateway.core.port import CoreEvent
from kernel.audit import canonical_json
from kernel.clock import Clock
from kernel.db import Database

T = TypeVar("T")
MAX_EVENTS_PAGE = 1000


def canonical_payload(payload: dict[str, Any]) -> tuple[str, str]:
    """The payload as canonical JSON (floats refused, as in the audit chain) and its sha256."""
    if not isinstance(payload, dict):
        raise CoreRejected("the payload must be a JSON object", reason="invalid_payload")
    try:
        text = canonical_json(payload)
    except (TypeError, ValueError) as exc:
        raise CoreRejected(f"the payload is not plain JSON: {exc}", reason="invalid_payload") from None
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16].upper()}"


class EmbeddedCore:
    """``CorePort`` on the gateway's own database (or any database migrated to head)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # -- the port -------------------------------------------------------------------------

    def publish_listing(self, payload: dict[str, Any], idempotency_key: str) -> str:
        return self._create_listing(payload, idempotency_key, origin="gateway")

    def update_listing(self, core_id: str, payload: dict[str, Any]) -> None:
        text, digest = canonical_payload(payload)

        def work(s: Session) -> None:
            listing = self._locked_listing(s, core_id)
            if listing.status == "withdrawn":
                raise CoreRejected(f"listing {core_id} is withdrawn", reason="listing_withdrawn", status=409)
            if listing.payload_hash == digest:
                return  # the same update again: nothing changes, no event
            listing.payload, listing.payload_hash = text, digest
            listing.version += 1
            listing.updated_at = self.clock.now()
            self._append(s, "listing.updated", {"core_id": core_id, "version": listing.version,
                                                "origin": "gateway"})

        self._write(work)

    def withdraw_listing(self, core_id: str, reason: str) -> None:
        self._withdraw(core_id, reason, origin="gateway")

    def report_deal(self, payload: dict[str, Any], idempotency_key: str) -> str:
        return self._create_deal(payload, idempotency_key, origin="gateway")

    def events_since(self, after_seq: int, limit: int = 100) -> tuple[list[CoreEvent], int]:
        limit = max(1, min(int(limit), MAX_EVENTS_PAGE))
        with self.db.session() as s:
            rows = s.execute(
                select(CoreEventRecord).where(CoreEventRecord.seq > after_seq)
                .order_by(CoreEventRecord.seq).limit(limit)
            ).scalars().all()
        events = [CoreEvent(r.seq, r.type, json.loads(r.data)) for r in rows]
        return events, (events[-1].seq if events else after_seq)

    # -- what happens in the core itself (domestic channels), for tests and the demo ------

    def withdraw_domestically(self, core_id: str, reason: str) -> None:
        """A listing withdrawn through a domestic channel: the feed tells the gateway."""
        self._withdraw(core_id, reason, origin="domestic")

    def strike_domestic_deal(self, listing_core_id: str, payload: dict[str, Any]) -> str:
        """A deal struck through a domestic channel on a listing the gateway published."""
        return self._create_deal({**payload, "listing_core_id": listing_core_id},
                                 f"domestic:{uuid.uuid4().hex}", origin="domestic")

    def listing(self, core_id: str) -> dict[str, Any] | None:
        """The core's record of a listing (plain values), or None."""
        with self.db.session() as s:
            row = s.execute(select(CoreListing).where(CoreListing.core_id == core_id)).scalar_one_or_none()
            if row is None:
                return None
            return {"core_id": row.core_id, "status": row.status, "version": row.version,
                    "payload": json.loads(row.payload), "withdraw_reason": row.withdraw_reason}

    # -- inside -----------------------------------------------------------------------------

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a transaction of its own; a unique-key race is retried (the second
        look then finds the winner's row and replays it)."""
        for _ in range(3):
            try:
                with self.db.transaction() as s:
                    return work(s)
            except IntegrityError:
                continue
        raise CoreUnavailable("the core could not settle a concurrent write; retry")

    def _create_listing(self, payload: dict[str, Any], key: str, *, origin: str) -> str:
        text, digest = canonical_payload(payload)
        _check_key(key)

        def work(s: Session) -> str:
            found = s.execute(select(CoreListing).where(CoreListing.idempotency_key == key)).scalar_one_or_none()
            if found is not None:
                return _replay(found.request_hash, digest, key, found.core_id)
            now = self.clock.now()
            row = CoreListing(core_id=_new_id("CL"), idempotency_key=key, request_hash=digest,
                              payload=text, payload_hash=digest, status="published", version=1, origin=origin,
                              created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            self._append(s, "listing.published", {"core_id": row.core_id, "version": 1, "origin": origin})
            return row.core_id

        return self._write(work)

    def _create_deal(self, payload: dict[str, Any], key: str, *, origin: str) -> str:
        text, digest = canonical_payload(payload)
        _check_key(key)
        listing_core_id = payload.get("listing_core_id")

        def work(s: Session) -> str:
            found = s.execute(select(CoreDeal).where(CoreDeal.idempotency_key == key)).scalar_one_or_none()
            if found is not None:
                return _replay(found.request_hash, digest, key, found.core_deal_id)
            if listing_core_id is not None:
                self._locked_listing(s, str(listing_core_id))
            row = CoreDeal(core_deal_id=_new_id("CD"), idempotency_key=key, request_hash=digest,
                           listing_core_id=listing_core_id, payload=text, origin=origin,
                           created_at=self.clock.now())
            s.add(row)
            s.flush()
            kind = "deal.reported" if origin == "gateway" else "deal.struck"
            data = {"core_deal_id": row.core_deal_id, "listing_core_id": listing_core_id, "origin": origin}
            if origin == "domestic":
                data["deal"] = payload  # the gateway has never seen this deal: send its terms
            self._append(s, kind, data)
            return row.core_deal_id

        return self._write(work)

    def _withdraw(self, core_id: str, reason: str, *, origin: str) -> None:
        def work(s: Session) -> None:
            listing = self._locked_listing(s, core_id)
            if listing.status == "withdrawn":
                return  # withdrawing twice is harmless, so retries are safe
            listing.status = "withdrawn"
            listing.withdraw_reason = reason
            listing.updated_at = self.clock.now()
            self._append(s, "listing.withdrawn", {"core_id": core_id, "reason": reason, "origin": origin})

        self._write(work)

    @staticmethod
    def _locked_listing(s: Session, core_id: str) -> CoreListing:
        listing = s.execute(
            select(CoreListing).where(CoreListing.core_id == core_id).with_for_update()
        ).scalar_one_or_none()
        if listing is None:
            raise CoreRejected(f"the core has no listing {core_id}", reason="unknown_listing", status=404)
        return listing

    def _append(self, s: Session, kind: str, data: dict[str, Any]) -> int:
        head = s.execute(select(CoreFeedHead).where(CoreFeedHead.id == 1).with_for_update()).scalar_one()
        head.seq += 1
        s.add(CoreEventRecord(seq=head.seq, type=kind, data=canonical_json(data), occurred_at=self.clock.now()))
        s.flush()
        return head.seq


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not (1 <= len(key) <= 255) or not key.isprintable():
        raise CoreRejected("Idempotency-Key must be 1 to 255 printable characters", reason="bad_idempotency_key",
                           status=400)


def _replay(stored_hash: str, digest: str, key: str, result: str) -> str:
    if stored_hash != digest:
        raise CoreRejected(f"Idempotency-Key {key!r} was already used with a different payload",
                           reason="idempotency_key_reused", status=422)
    return result
