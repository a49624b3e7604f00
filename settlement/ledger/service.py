"""Posting to the ledger: opening accounts, posting and reversing transfers.

Every public function works in the caller's session and transaction (the caller commits) and
writes one audit event. Accounts are locked in id order (``FOR UPDATE`` on PostgreSQL; on
SQLite the writing session's ``BEGIN IMMEDIATE`` serialises writers), balances are computed in
Python, and rows go in with one multi-row INSERT per table and one executemany UPDATE, so a
batch of transfers costs a handful of round trips however many postings it has.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

from moneyed import Money
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.faults import failure_point
from kernel.money import from_minor, to_minor

from .errors import (
    AccountNotFound, AlreadyReversed, CurrencyMismatch, IdempotencyConflict, InsufficientFunds,
    InvalidAccount, InvalidPosting, TransferNotFound, UnbalancedTransfer,
)
from .models import OWNER_TYPES, PURPOSES, SIDES, TRANSFER_KINDS, Account, Posting, Transfer

ACCOUNTS = Account.__table__
TRANSFERS = Transfer.__table__
POSTINGS = Posting.__table__

#: purposes whose accounts must never go below zero unless the caller says otherwise: money
#: the exchange holds for someone can be paid out only once
NO_NEGATIVE_BY_DEFAULT = frozenset({"buyer_escrow", "seller_payable", "deposit", "deposit_hold"})


@dataclass(frozen=True)
class Leg:
    """One posting asked for: ``amount`` (positive) debited or credited to ``account_id``."""

    account_id: int
    side: str
    amount: Money


def debit(account_id: int, amount: Money) -> Leg:
    return Leg(account_id, "debit", amount)


def credit(account_id: int, amount: Money) -> Leg:
    return Leg(account_id, "credit", amount)


@dataclass(frozen=True)
class TransferSpec:
    """A transfer asked for: its client ``key`` (idempotency) and two or more legs."""

    key: str
    legs: Sequence[Leg]
    description: str = ""
    kind: str = "transfer"
    reverses_id: int | None = None
    fx_rate: Decimal | None = None
    fx_details: dict[str, Any] | None = None


@dataclass(frozen=True)
class PostedTransfer:
    """What posting returns: the transfer's id and key, and whether it was a replay."""

    id: int
    key: str
    kind: str
    posted_at: dt.datetime
    replayed: bool = False


@dataclass
class _AccountState:
    """A locked account's balances while an operation computes its new ones."""

    id: int
    currency: str
    normal_side: str
    no_negative: bool
    posted: int
    pending: int
    version: int
    last_posted_at: dt.datetime | None
    changed: bool = False

    @property
    def available(self) -> int:
        return self.posted - self.pending


@dataclass
class _Prepared:
    spec: TransferSpec
    legs: list[tuple[int, str, int, str]]  # account_id, side, minor, currency
    content_hash: str
    rows: list[dict[str, Any]] = field(default_factory=list)


# -- accounts ---------------------------------------------------------------------------------

def get_or_open_account(session: Session, *, owner_type: str, owner_id: int, purpose: str,
                        currency: str, at: dt.datetime, actor: str = "system:ledger",
                        no_negative: bool | None = None) -> Account:
    """The account of ``owner`` for ``purpose`` in ``currency``, opened if it does not exist.

    The normal side follows the purpose (``PURPOSES``); ``no_negative`` defaults to True for
    money held for customers (``NO_NEGATIVE_BY_DEFAULT``). Exchange accounts use owner_id 0.
    """
    if owner_type not in OWNER_TYPES:
        raise InvalidAccount(f"owner type {owner_type!r} is not one of {OWNER_TYPES}",
                             field="owner_type")
    if purpose not in PURPOSES:
        raise InvalidAccount(f"purpose {purpose!r} is not one of {sorted(PURPOSES)}",
                             field="purpose")
    from_minor(0, currency)  # refuses an unknown currency
    where = (Account.owner_type == owner_type, Account.owner_id == owner_id,
             Account.purpose == purpose, Account.currency == currency)
    found = session.execute(select(Account).where(*where)).scalar_one_or_none()
    if found is not None:
        return found
    account = Account(owner_type=owner_type, owner_id=owner_id, purpose=purpose,
                      currency=currency, normal_side=PURPOSES[purpose],
                      no_negative=(purpose in NO_NEGATIVE_BY_DEFAULT if no_negative is None
                                   else no_negative),
                      posted_minor=0, pending_minor=0, version=0, opened_at=at)
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError:  # opened concurrently by another transaction: use theirs
        return session.execute(select(Account).where(*where)).scalar_one()
    record_event(session, actor=actor, action="ledger.account_opened", entity_type="ledger_account",
                 entity_id=account.id, at=at,
                 after={"owner_type": owner_type, "owner_id": owner_id, "purpose": purpose,
                        "currency": currency, "no_negative": account.no_negative})
    return account


def _lock_accounts(session: Session, ids: Iterable[int]) -> dict[int, _AccountState]:
    """Lock the accounts in id order (a fixed order, so two writers never deadlock)."""
    wanted = sorted(set(ids))
    a = ACCOUNTS.c
    rows = session.execute(
        select(a.id, a.currency, a.normal_side, a.no_negative, a.posted_minor, a.pending_minor,
               a.version, a.last_posted_at)
        .where(a.id.in_(wanted)).order_by(a.id).with_for_update()
    ).all()
    states = {r.id: _AccountState(r.id, r.currency, r.normal_side, bool(r.no_negative),
                                  r.posted_minor, r.pending_minor, r.version, r.last_posted_at)
              for r in rows}
    missing = [i for i in wanted if i not in states]
    if missing:
        raise AccountNotFound(f"no ledger account {missing[0]}", field="account_id",
                              account_id=missing[0])
    return states


def _write_accounts(session: Session, states: dict[int, _AccountState]) -> None:
    changed = [s for s in states.values() if s.changed]
    if not changed:
        return
    a = ACCOUNTS.c
    session.execute(
        update(ACCOUNTS).where(a.id == bindparam("b_id")).values(
            posted_minor=bindparam("b_posted"), pending_minor=bindparam("b_pending"),
            version=bindparam("b_version"), last_posted_at=bindparam("b_last")),
        [{"b_id": s.id, "b_posted": s.posted, "b_pending": s.pending, "b_version": s.version + 1,
          "b_last": s.last_posted_at} for s in changed],
    )
    for s in changed:
        s.version += 1
        s.changed = False
    # ORM objects of these accounts in the caller's session now hold old balances
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Account) and obj.id in states:
            session.expire(obj)


def _insufficient(state: _AccountState, available: int, requested: int) -> InsufficientFunds:
    avail, req = from_minor(available, state.currency), from_minor(requested, state.currency)
    return InsufficientFunds(
        f"account {state.id} has {avail.amount} {state.currency} available, "
        f"{req.amount} {state.currency} requested", field="amount", account_id=state.id,
        available=str(avail.amount), requested=str(req.amount), currency=state.currency)


# -- transfers --------------------------------------------------------------------------------

def _prepare(spec: TransferSpec) -> _Prepared:
    """Validate a spec in Python (the database re-checks what it can) and digest its content."""
    if spec.kind not in TRANSFER_KINDS:
        raise InvalidPosting(f"transfer kind {spec.kind!r} is not one of {TRANSFER_KINDS}",
                             field="kind")
    if not spec.key or len(spec.key) > 128:
        raise InvalidPosting("a transfer needs a client key of 1 to 128 characters", field="key")
    if len(spec.legs) < 2:
        raise InvalidPosting("a transfer needs at least two postings", field="legs")
    legs: list[tuple[int, str, int, str]] = []
    sums: dict[str, int] = {}
    for leg in spec.legs:
        if leg.side not in SIDES:
            raise InvalidPosting(f"side {leg.side!r} is neither debit nor credit", field="side")
        if not isinstance(leg.amount, Money):
            raise InvalidPosting("posting amounts are moneyed.Money", field="amount")
        minor = to_minor(leg.amount)
        if minor <= 0:
            raise InvalidPosting(f"posting amounts must be positive, got {leg.amount}",
                                 field="amount")
        ccy = leg.amount.currency.code
        legs.append((int(leg.account_id), leg.side, minor, ccy))
        sums[ccy] = sums.get(ccy, 0) + (minor if leg.side == "debit" else -minor)
    off = {c: v for c, v in sums.items() if v}
    if off:
        ccy, diff = sorted(off.items())[0]
        raise UnbalancedTransfer(
            f"debits exceed credits by {from_minor(diff, ccy).amount} {ccy}" if diff > 0 else
            f"credits exceed debits by {from_minor(-diff, ccy).amount} {ccy}",
            field="legs", currency=ccy)
    content = {"kind": spec.kind, "description": spec.description, "legs": sorted(legs),
               "reverses": spec.reverses_id,
               "fx_rate": str(spec.fx_rate) if spec.fx_rate is not None else None}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"))
                            .encode()).hexdigest()
    return _Prepared(spec, legs, digest)


def _existing(session: Session, prepared: Sequence[_Prepared]) -> dict[str, PostedTransfer]:
    """Transfers already posted under the keys asked for; a key with other content is refused."""
    t = TRANSFERS.c
    keys = [p.spec.key for p in prepared]
    found = {r.key: r for r in session.execute(
        select(t.id, t.key, t.kind, t.posted_at, t.content_hash).where(t.key.in_(keys))).all()}
    out: dict[str, PostedTransfer] = {}
    for p in prepared:
        row = found.get(p.spec.key)
        if row is None:
            continue
        if row.content_hash != p.content_hash:
            raise IdempotencyConflict(
                f"key {p.spec.key!r} was used for transfer {row.id} with other content",
                field="key", transfer_id=row.id)
        out[p.spec.key] = PostedTransfer(row.id, row.key, row.kind, row.posted_at, replayed=True)
    return out


def _apply(prepared: _Prepared, states: dict[int, _AccountState], at: dt.datetime) -> dt.datetime:
    """Move the balances for one transfer; fill its posting rows. Returns its posting time."""
    touched = [states[a] for a, *_ in prepared.legs]
    for (account_id, _side, _minor, ccy) in prepared.legs:
        if states[account_id].currency != ccy:
            raise CurrencyMismatch(
                f"account {account_id} is in {states[account_id].currency}, posting is in {ccy}",
                field="currency", account_id=account_id)
    # posting times never go backwards on an account, so as-of reads follow the chain
    when = max([at] + [s.last_posted_at for s in touched if s.last_posted_at is not None])
    before = {s.id: s.available for s in touched if s.no_negative}
    rows = prepared.rows
    rows.clear()
    for (account_id, side, minor, ccy) in prepared.legs:
        s = states[account_id]
        s.posted += minor if side == s.normal_side else -minor
        s.last_posted_at = when
        s.changed = True
        rows.append({"account_id": account_id, "side": side, "amount_minor": minor,
                     "currency": ccy, "posted_at": when, "balance_after": s.posted})
    for account_id, avail in before.items():
        s = states[account_id]
        if s.available < 0:
            raise _insufficient(s, avail, avail - s.available)
    return when


def _insert(session: Session, todo: Sequence[_Prepared], times: Sequence[dt.datetime],
            actor: str) -> list[PostedTransfer]:
    """Insert the transfers (their ids back) and all their postings in two statements."""
    if not todo:
        return []
    rows = [{"key": p.spec.key, "content_hash": p.content_hash, "kind": p.spec.kind,
             "description": p.spec.description, "posted_at": when, "actor": actor,
             "reverses_id": p.spec.reverses_id, "fx_rate": p.spec.fx_rate,
             "fx_details": (json.dumps(p.spec.fx_details, sort_keys=True, ensure_ascii=False)
                            if p.spec.fx_details is not None else None)}
            for p, when in zip(todo, times)]
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        ids = _insert_transfers_pg(session, rows) if postgres else _insert_transfers(session, rows)
    except IntegrityError as exc:
        # another transaction took one of the keys (or reversed the same transfer) meanwhile
        raise IdempotencyConflict(f"a transfer key or reversal was taken concurrently: "
                                  f"{exc.orig}", field="key") from None
    postings = []
    for p, tid in zip(todo, ids):
        for r in p.rows:
            r["transfer_id"] = tid
            postings.append(r)
    if postgres:
        _insert_postings_pg(session, postings)
    else:
        session.execute(insert(POSTINGS), postings)
    return [PostedTransfer(tid, p.spec.key, p.spec.kind, when)
            for p, tid, when in zip(todo, ids, times)]


def _insert_transfers(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    stmt = insert(TRANSFERS).returning(TRANSFERS.c.id, sort_by_parameter_order=True)
    if len(rows) == 1:
        return [session.execute(stmt, rows[0]).scalar_one()]
    return [r[0] for r in session.execute(stmt, rows)]


# PostgreSQL: one statement per table whatever the batch size, the columns passed as arrays
# (a multi-row VALUES list would be re-parsed by the driver for every batch, and executemany
# sends one statement per row). Ids come back with their keys, so order does not matter.
_PG_TRANSFERS = text(
    "INSERT INTO ledger_transfers (key, content_hash, kind, description, posted_at, actor, "
    "reverses_id, fx_rate, fx_details) "
    "SELECT * FROM unnest(CAST(:key AS varchar[]), CAST(:content_hash AS varchar[]), "
    "CAST(:kind AS varchar[]), CAST(:description AS varchar[]), "
    "CAST(:posted_at AS timestamptz[]), CAST(:actor AS varchar[]), "
    "CAST(:reverses_id AS bigint[]), CAST(:fx_rate AS numeric[]), CAST(:fx_details AS text[])) "
    "RETURNING id, key")
_PG_POSTINGS = text(
    "INSERT INTO ledger_postings (transfer_id, account_id, side, amount_minor, currency, "
    "posted_at, balance_after) "
    "SELECT * FROM unnest(CAST(:transfer_id AS bigint[]), CAST(:account_id AS bigint[]), "
    "CAST(:side AS varchar[]), CAST(:amount_minor AS bigint[]), CAST(:currency AS varchar[]), "
    "CAST(:posted_at AS timestamptz[]), CAST(:balance_after AS bigint[]))")
_TRANSFER_COLUMNS = ("key", "content_hash", "kind", "description", "posted_at", "actor",
                     "reverses_id", "fx_rate", "fx_details")
_POSTING_COLUMNS = ("transfer_id", "account_id", "side", "amount_minor", "currency", "posted_at",
                    "balance_after")


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    return {n: [r[n] for r in rows] for n in names}


def _insert_transfers_pg(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    ids = dict((k, i) for i, k in session.execute(_PG_TRANSFERS, _columns(rows, _TRANSFER_COLUMNS)))
    return [ids[r["key"]] for r in rows]


def _insert_postings_pg(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(_PG_POSTINGS, _columns(rows, _POSTING_COLUMNS))


def _post(session: Session, specs: Sequence[TransferSpec], *, at: dt.datetime, actor: str,
          states: dict[int, _AccountState] | None = None
          ) -> tuple[list[PostedTransfer], dict[int, _AccountState]]:
    """Post ``specs`` in order; replays come back as they were. Account rows are written back."""
    if at.tzinfo is None:
        raise InvalidPosting("posting time must be timezone-aware", field="at")
    prepared = [_prepare(s) for s in specs]
    keys = [p.spec.key for p in prepared]
    if len(set(keys)) != len(keys):
        raise InvalidPosting("a key appears twice in one batch", field="key")
    session.flush()
    if states is None:
        states = _lock_accounts(session, (leg[0] for p in prepared for leg in p.legs))
    else:
        missing = {leg[0] for p in prepared for leg in p.legs} - states.keys()
        states.update(_lock_accounts(session, missing) if missing else {})
    replays = _existing(session, prepared)
    todo = [p for p in prepared if p.spec.key not in replays]
    times = [_apply(p, states, at) for p in todo]
    posted = {r.key: r for r in _insert(session, todo, times, actor)}
    failure_point("ledger.postings_inserted")  # transfers and postings written, balances not yet
    _write_accounts(session, states)
    return [replays.get(k) or posted[k] for k in keys], states


def post_transfers(session: Session, specs: Sequence[TransferSpec], *, at: dt.datetime,
                   actor: str) -> list[PostedTransfer]:
    """Post a batch of transfers in the caller's transaction, in order, as one operation.

    Each transfer must balance per currency; a key already posted with the same content is a
    replay (returned with ``replayed=True``), with other content ``IdempotencyConflict``. A
    must-not-go-negative account taken below zero available refuses the whole batch
    (``InsufficientFunds``). One audit event covers the batch.
    """
    results, _ = _post(session, specs, at=at, actor=actor)
    fresh = [r for r in results if not r.replayed]
    if fresh:
        record_event(session, actor=actor, action="ledger.transfers_posted",
                     entity_type="ledger_transfer", entity_id=fresh[0].id, at=at,
                     after={"transfers": [r.id for r in fresh]})
    return results


def post_transfer(session: Session, *, key: str, legs: Sequence[Leg], at: dt.datetime,
                  actor: str, description: str = "") -> PostedTransfer:
    """Post one balanced transfer (see ``post_transfers``)."""
    return post_transfers(session, [TransferSpec(key, legs, description)], at=at, actor=actor)[0]


def reverse_transfer(session: Session, original_id: int, *, key: str, at: dt.datetime,
                     actor: str, description: str | None = None) -> PostedTransfer:
    """Post the mirror image of transfer ``original_id`` (every side swapped), pointing at it.

    A transfer is reversed at most once (``AlreadyReversed``); a replay of the same key
    returns the reversal. The reversal can be refused with ``InsufficientFunds`` if the money
    has moved on since.
    """
    original = session.get(Transfer, original_id)
    if original is None:
        raise TransferNotFound(f"no transfer {original_id}", field="original_id")
    legs = [Leg(p.account_id, "credit" if p.side == "debit" else "debit",
                from_minor(p.amount_minor, p.currency))
            for p in session.execute(select(Posting).where(Posting.transfer_id == original_id)
                                     .order_by(Posting.id)).scalars()]
    spec = TransferSpec(key, legs, description or f"reversal of transfer {original_id}",
                        kind="reversal", reverses_id=original_id)
    states = _lock_accounts(session, (leg.account_id for leg in legs))
    already = session.execute(select(Transfer.id, Transfer.key)
                              .where(Transfer.reverses_id == original_id)).first()
    if already is not None and already.key != key:
        raise AlreadyReversed(f"transfer {original_id} was reversed by transfer {already.id}",
                              field="original_id", reversal_id=already.id)
    (result,), _ = _post(session, [spec], at=at, actor=actor, states=states)
    if not result.replayed:
        record_event(session, actor=actor, action="ledger.transfer_reversed",
                     entity_type="ledger_transfer", entity_id=original_id, at=at,
                     after={"reversal": result.id})
    return result
