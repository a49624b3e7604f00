"""Two-phase holds: set money aside (pending), then commit it (full or partial), void it, or
let it expire. Pending amounts count against the account's available balance.

Lock order everywhere: the hold row first, then accounts in id order.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Sequence

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.money import from_minor, to_minor

from .errors import (
    CurrencyMismatch, HoldAmountExceeded, HoldNotFound, HoldNotPending, IdempotencyConflict,
    InvalidPosting,
)
from .models import Hold, Transfer
from .service import (
    Leg, PostedTransfer, TransferSpec, _insufficient, _lock_accounts, _post, _write_accounts,
)


def _hold_hash(account_id: int, amount: Money, expires_at: dt.datetime) -> str:
    text = f"{account_id}|{to_minor(amount)}|{amount.currency.code}|{expires_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()


def place_hold(session: Session, account_id: int, amount: Money, *, key: str,
               expires_at: dt.datetime, at: dt.datetime, actor: str) -> Hold:
    """Set ``amount`` aside on ``account_id`` until ``expires_at``.

    On a must-not-go-negative account the hold must fit in the available balance (posted -
    pending), else ``InsufficientFunds`` naming available and requested. The same key with the
    same content returns the existing hold; with other content ``IdempotencyConflict``.
    """
    minor = to_minor(amount)
    if minor <= 0:
        raise InvalidPosting(f"a hold must be positive, got {amount}", field="amount")
    if expires_at <= at:
        raise InvalidPosting("a hold must expire after it is placed", field="expires_at")
    session.flush()
    states = _lock_accounts(session, [account_id])
    state = states[account_id]
    if state.currency != amount.currency.code:
        raise CurrencyMismatch(f"account {account_id} is in {state.currency}, hold is in "
                               f"{amount.currency.code}", field="currency", account_id=account_id)
    digest = _hold_hash(account_id, amount, expires_at)
    existing = session.execute(select(Hold).where(Hold.key == key)).scalar_one_or_none()
    if existing is not None:
        if existing.content_hash != digest:
            raise IdempotencyConflict(f"key {key!r} was used for hold {existing.id} with other "
                                      "content", field="key", hold_id=existing.id)
        return existing
    if state.no_negative and state.available < minor:
        raise _insufficient(state, state.available, minor)
    state.pending += minor
    state.changed = True
    hold = Hold(key=key, content_hash=digest, account_id=account_id, amount_minor=minor,
                currency=state.currency, state="pending", created_at=at, expires_at=expires_at)
    session.add(hold)
    session.flush()
    _write_accounts(session, states)
    record_event(session, actor=actor, action="ledger.hold_placed", entity_type="ledger_hold",
                 entity_id=hold.id, at=at,
                 after={"account_id": account_id, "amount": amount, "expires_at": expires_at})
    return hold


def _locked_hold(session: Session, hold_id: int) -> Hold:
    hold = session.execute(select(Hold).where(Hold.id == hold_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    if hold is None:
        raise HoldNotFound(f"no hold {hold_id}", field="hold_id")
    return hold


def commit_hold(session: Session, hold_id: int, *, key: str, at: dt.datetime, actor: str,
                amount: Money | None = None, to_account_id: int | None = None,
                legs: Sequence[Leg] | None = None, description: str = "") -> PostedTransfer:
    """Post (part of) a pending hold and release the rest.

    Either give ``to_account_id`` (and optionally ``amount``, default the whole hold): the held
    account is reduced and ``to_account_id`` increased, each on its proper side. Or give the
    full ``legs``: the committed amount is then the held account's net decrease in them. It
    must be positive and at most the amount held (``HoldAmountExceeded``). A hold past its
    deadline cannot be committed. Replaying the same key returns the same transfer.
    """
    hold = _locked_hold(session, hold_id)
    if hold.state == "committed":
        done = session.get(Transfer, hold.transfer_id)
        if done is not None and done.key == key:
            return PostedTransfer(done.id, done.key, done.kind, done.posted_at, replayed=True)
    if hold.state != "pending":
        raise HoldNotPending(f"hold {hold_id} is {hold.state}", field="hold_id", state=hold.state)
    if at >= hold.expires_at:
        raise HoldNotPending(f"hold {hold_id} expired at {hold.expires_at.isoformat()}",
                             field="hold_id", state="expired")
    ids = [hold.account_id] + ([to_account_id] if to_account_id is not None else []) + \
        [leg.account_id for leg in legs or ()]
    states = _lock_accounts(session, ids)
    held = states[hold.account_id]
    if legs is None:
        if to_account_id is None:
            raise InvalidPosting("commit_hold needs to_account_id or legs", field="legs")
        value = amount if amount is not None else from_minor(hold.amount_minor, hold.currency)
        decrease = "credit" if held.normal_side == "debit" else "debit"
        legs = [Leg(hold.account_id, decrease, value),
                Leg(to_account_id, states[to_account_id].normal_side, value)]
    committed = 0
    for leg in legs:
        if leg.account_id == hold.account_id:
            if leg.amount.currency.code != hold.currency:
                raise CurrencyMismatch("a leg on the held account is in another currency",
                                       field="legs")
            minor = to_minor(leg.amount)
            committed += -minor if leg.side == held.normal_side else minor
    if committed <= 0:
        raise InvalidPosting("the legs do not take anything from the held account", field="legs")
    if committed > hold.amount_minor:
        raise HoldAmountExceeded(
            f"hold {hold_id} holds {from_minor(hold.amount_minor, hold.currency).amount}, "
            f"commit asks {from_minor(committed, hold.currency).amount} {hold.currency}",
            field="amount")
    held.pending -= hold.amount_minor  # release all of it; the commit posts what is taken
    held.changed = True
    spec = TransferSpec(key, legs, description or f"commit of hold {hold_id}", kind="hold_commit")
    (result,), _ = _post(session, [spec], at=at, actor=actor, states=states)
    if result.replayed:
        raise IdempotencyConflict(f"key {key!r} already names transfer {result.id}", field="key")
    hold.state, hold.committed_minor = "committed", committed
    hold.transfer_id, hold.resolved_at = result.id, at
    session.flush()
    record_event(session, actor=actor, action="ledger.hold_committed", entity_type="ledger_hold",
                 entity_id=hold.id, at=at, before={"state": "pending"},
                 after={"state": "committed", "transfer_id": result.id,
                        "committed": from_minor(committed, hold.currency),
                        "released": from_minor(hold.amount_minor - committed, hold.currency)})
    return result


def void_hold(session: Session, hold_id: int, *, at: dt.datetime, actor: str) -> Hold:
    """Release a pending hold in full. Voiding a voided hold again does nothing."""
    hold = _locked_hold(session, hold_id)
    if hold.state == "voided":
        return hold
    if hold.state != "pending":
        raise HoldNotPending(f"hold {hold_id} is {hold.state}", field="hold_id", state=hold.state)
    _release(session, [hold], "voided", at)
    record_event(session, actor=actor, action="ledger.hold_voided", entity_type="ledger_hold",
                 entity_id=hold.id, at=at, before={"state": "pending"}, after={"state": "voided"})
    return hold


def _release(session: Session, holds: Sequence[Hold], state: str, at: dt.datetime) -> None:
    states = _lock_accounts(session, [h.account_id for h in holds])
    for h in holds:
        s = states[h.account_id]
        s.pending -= h.amount_minor
        s.changed = True
        h.state, h.resolved_at = state, at
    session.flush()
    _write_accounts(session, states)


def expire_holds(session: Session, now: dt.datetime, *, actor: str = "system:ledger",
                 limit: int = 1000) -> list[int]:
    """Expire up to ``limit`` pending holds whose deadline has passed (the periodic job).

    Holds being committed or voided by another transaction right now are skipped (on
    PostgreSQL, ``SKIP LOCKED``) and picked up next run. Returns the ids expired.
    """
    holds = list(session.execute(
        select(Hold).where(Hold.state == "pending", Hold.expires_at <= now).order_by(Hold.id)
        .limit(limit).with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).scalars())
    if not holds:
        return []
    _release(session, holds, "expired", now)
    ids = [h.id for h in holds]
    record_event(session, actor=actor, action="ledger.holds_expired", entity_type="ledger_hold",
                 entity_id=ids[0], at=now, after={"holds": ids})
    return ids
