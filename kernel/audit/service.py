"""Appending to and verifying the audit hash chain.

Canonical form (DECISIONS.md): JSON with sorted keys, separators ``(",", ":")``,
``ensure_ascii=False``, UTF-8, times as ISO 8601 UTC with ``Z``;
``hash = sha256(prev_hash + canonical_text)``. The canonical text is stored and hashed as is,
never re-serialised from rows read back. Payloads refer to people and organisations by id only,
so erasing personal data elsewhere never breaks the chain.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from kernel.money import money_to_json


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("audit times must be timezone-aware")
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money):
        return money_to_json(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audit payloads; use Decimal or str")
    return value


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(_plain(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _locked_head(session: Session) -> AuditChainHead:
    """The chain head, locked once per transaction and then reused: the lock is held until
    commit, so later appends in the same transaction need not ask again."""
    transaction = session.get_transaction()
    cached = session.info.get("audit_head")
    if cached is not None and cached[0] is transaction:
        return cached[1]
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one()
    session.info["audit_head"] = (transaction, head)
    return head


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    at: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction.

    The chain-head row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's writer lock is held by
    the writing session) so that concurrent writers never fork the chain.
    """
    head = _locked_head(session)
    seq = head.seq + 1
    body = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "entity": {"type": entity_type, "id": str(entity_id)},
        "before": before or {},
        "after": after or {},
        "data": data or {},
    }
    text = canonical_json(body)
    digest = _digest(head.hash, text)
    event = AuditEvent(
        seq=seq, occurred_at=at, actor=actor, action=action, entity_type=entity_type,
        entity_id=str(entity_id), payload=text, prev_hash=head.hash, hash=digest,
    )
    session.add(event)  # inserted in one batch with its siblings at flush/commit
    head.seq = seq
    head.hash = digest
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None


def _columns_match(event: AuditEvent, body: dict[str, Any]) -> str | None:
    expected = {
        "seq": event.seq,
        "actor": event.actor,
        "action": event.action,
        "entity": {"type": event.entity_type, "id": event.entity_id},
        "at": _plain(event.occurred_at),
    }
    for key, value in expected.items():
        if body.get(key) != value:
            return f"column {key!r} differs from the hashed payload"
    return None


def _check_event(event: AuditEvent, prev: str, expected_seq: int) -> str | None:
    if event.seq != expected_seq:
        return f"sequence gap: expected {expected_seq}, found {event.seq} (event deleted?)"
    if event.prev_hash != prev:
        return "prev_hash does not link to the previous event"
    if _digest(prev, event.payload) != event.hash:
        return "hash does not match the payload (payload or hash altered)"
    try:
        return _columns_match(event, json.loads(event.payload))
    except ValueError:
        return "payload is not valid JSON"


def verify_chain(session: Session, batch: int = 2000) -> ChainReport:
    """Walk the whole chain in order; report the first event that does not check out."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    rows = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    ).scalars()
    try:
        for event in rows:
            problem = _check_event(event, prev, expected_seq)
            if problem:
                return ChainReport(False, checked, prev, broken_seq=event.seq, reason=problem)
            prev = event.hash
            expected_seq += 1
            checked += 1
    finally:
        rows.close()  # a server-side cursor on PostgreSQL: close it even when we stop early
    head = session.get(AuditChainHead, 1)
    if head is None or head.hash != prev or head.seq != checked:
        return ChainReport(False, checked, prev, broken_seq=checked + 1,
                           reason="chain head does not match the last event (tail deleted?)")
    return ChainReport(True, checked, prev)


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditChainHead, 1)
    if head is None:
        return 0, GENESIS_HASH
    return head.seq, head.hash
