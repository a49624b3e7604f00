"""The exceptions queue's shared parts: the queue item as shown, and the locked reads and the
allocation every manual action (``exceptions``) is built from.

Every helper runs in the caller's transaction and locks what it will change (the item, the
line, the instruction's active match), so two finance users acting at once are serialised.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from moneyed import Money
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.money import from_minor, to_minor
from settlement.ledger import TransferSpec, credit, debit, post_transfers
from settlement.reconciliation.errors import (
    AlreadyMatched, ExceptionClosed, ExceptionNotFound, InvalidAllocation, LineAlreadyAllocated,
    ReversalPaysNothing, UnknownInstruction,
)
from settlement.reconciliation.expected import (
    IN, ExpectedPayment, ExpectedPaymentSource, SettlementNotice,
)
from settlement.reconciliation.matching.rules import RULE_MANUAL
from settlement.reconciliation.models import (
    Allocation, Match, ReconException, StatementLineRecord,
)
from settlement.reconciliation.posting import _Accounts


def _digest(text: str | None) -> str | None:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None


@dataclass(frozen=True)
class ExceptionView:
    """One queue item as the API and the CLI show it."""

    id: int
    kind: str
    status: str
    bank_account_id: int | None
    line_id: int | None
    instruction_id: str | None
    amount: Money
    item_date: dt.date | None
    candidates: list[dict[str, Any]]
    note: str
    created_at: dt.datetime
    resolution: str | None
    match_id: int | None


def view(exc: ReconException) -> ExceptionView:
    return ExceptionView(exc.id, exc.kind, exc.status, exc.bank_account_id, exc.line_id,
                         exc.instruction_id, from_minor(exc.amount_minor, exc.currency),
                         exc.item_date, json.loads(exc.candidates), exc.note, exc.created_at,
                         exc.resolution, exc.match_id)


def _open_exception(session: Session, exception_id: int) -> ReconException:
    exc = session.execute(select(ReconException).where(ReconException.id == exception_id)
                          .with_for_update()).scalar_one_or_none()
    if exc is None:
        raise ExceptionNotFound(f"no exception {exception_id}")
    if exc.status != "open":
        raise ExceptionClosed(f"exception {exception_id} was resolved ({exc.resolution})")
    return exc


def _payment(session: Session, source: ExpectedPaymentSource, iid: str) -> ExpectedPayment:
    found = source.payments(session, [iid]).get(iid)
    if found is None:
        raise UnknownInstruction(f"no instruction {iid}", field="instruction_id")
    return found


def _line(session: Session, line_id: int) -> StatementLineRecord:
    line = session.execute(select(StatementLineRecord).where(StatementLineRecord.id == line_id)
                           .with_for_update()).scalar_one_or_none()
    if line is None:
        raise InvalidAllocation(f"no statement line {line_id}", field="line_id")
    return line


def _active_match(session: Session, iid: str) -> Match | None:
    return session.execute(select(Match).where(Match.instruction_id == iid,
                                               Match.status == "active")
                           .with_for_update()).scalar_one_or_none()


def _covered(match: Match | None) -> int:
    if match is None:
        return 0
    if match.complete:
        return match.expected_minor
    return match.settled_minor + match.charges_minor + match.written_off_minor


def _allocate(session: Session, line: StatementLineRecord, pay: ExpectedPayment, amount: int,
              *, charges: int, written_off: int, at: dt.datetime, actor: str,
              parts: dict[str, Any]) -> Match:
    """Give ``amount`` of ``line`` (plus accepted ``charges`` / ``written_off``) to ``pay``.

    The instruction's active match is locked and extended, or created; an instruction already
    fully matched is refused (``AlreadyMatched``), and so is more than it still expects.
    """
    if line.reversal:
        raise ReversalPaysNothing(f"line {line.id} is a reversal (RvslInd): it undoes an "
                                  "earlier entry and pays no instruction", field="line_id")
    direction = IN if line.direction == "CRDT" else "out"
    if direction != pay.direction:
        raise InvalidAllocation(f"line {line.id} is a {line.direction}, instruction "
                                f"{pay.instruction_id} expects money {pay.direction}")
    if line.currency != pay.currency:
        raise InvalidAllocation(f"line {line.id} is in {line.currency}, the instruction in "
                                f"{pay.currency}; FX receipts are matched automatically "
                                "through their instructed amount")
    if amount <= 0 or amount > line.amount_minor - line.allocated_minor:
        raise LineAlreadyAllocated(
            f"line {line.id} has {line.amount_minor - line.allocated_minor} minor units "
            f"unallocated, {amount} asked for", field="amount")
    match = _active_match(session, pay.instruction_id)
    if match is not None and match.complete:
        raise AlreadyMatched(f"instruction {pay.instruction_id} is already fully matched "
                             f"(match {match.id})", match_id=match.id)
    expected = to_minor(pay.amount)
    covers = amount + charges + written_off if direction == IN else amount - charges
    remaining = expected - _covered(match)
    if covers > remaining:
        raise InvalidAllocation(f"instruction {pay.instruction_id} expects "
                                f"{remaining} more minor units, {covers} given", field="amount")
    if match is None:
        match = Match(instruction_id=pay.instruction_id, reference=pay.reference[:64],
                      direction=pay.direction, rule=RULE_MANUAL, score=100,
                      parts=json.dumps(parts, sort_keys=True, default=str), status="active",
                      complete=False, currency=line.currency, expected_minor=expected,
                      expected_currency=pay.currency, settled_minor=0, charges_minor=0,
                      written_off_minor=0, ledger_account_id=pay.ledger_account_id,
                      created_at=at, created_by=actor)
        try:
            with session.begin_nested():
                session.add(match)
                session.flush()
        except IntegrityError:
            # another action created the instruction's match between our check and our insert
            raise AlreadyMatched(f"instruction {pay.instruction_id} was matched meanwhile; "
                                 "nothing was written, try again") from None
    match.settled_minor += amount
    match.charges_minor += charges
    match.written_off_minor += written_off
    match.complete = covers == remaining
    session.execute(insert(Allocation.__table__), [{
        "match_id": match.id, "line_id": line.id, "amount_minor": amount,
        "charges_minor": charges, "transfer_id": None}])
    line.allocated_minor += amount
    line.match_status = "matched" if line.allocated_minor == line.amount_minor else "partial"
    session.flush()
    return match


def _resolve(exc: ReconException, *, how: str, match: Match | None, at: dt.datetime,
             actor: str) -> None:
    exc.status = "resolved"
    exc.resolved_at = at
    exc.resolved_by = actor
    exc.resolution = how
    exc.match_id = match.id if match is not None else None


def _post_write_off(session: Session, source: ExpectedPaymentSource, match: Match,
                    amount: int, *, at: dt.datetime, actor: str, notify: bool) -> None:
    accounts = _Accounts(session, at, actor)
    accounts.currency_of({match.ledger_account_id} if match.ledger_account_id else set())
    target = accounts.target(match.ledger_account_id, match.currency)
    money = from_minor(amount, match.currency)
    post_transfers(session, [TransferSpec(
        f"recon:writeoff:{match.id}",
        [debit(accounts.exchange("bank_charges", match.currency), money),
         credit(target, money)],
        description=f"reconciliation write-off for {match.instruction_id}")],
        at=at, actor=actor)
    if notify:
        source.funds_received(session, [SettlementNotice(
            match_id=match.id, instruction_id=match.instruction_id, direction=match.direction,
            amount=from_minor(0, match.currency), charges=None, written_off=money,
            instructed=None, exchange_rate=None, complete=match.complete, line_ids=(),
            rule=match.rule, value_date=None, credited_account_id=target, actor=actor)])


def _close_other_exceptions(session: Session, line: StatementLineRecord, pay: ExpectedPayment,
                            *, at: dt.datetime, actor: str, match: Match) -> None:
    """A matched line's and a now-settled instruction's other open items leave the queue."""
    conds = []
    if line.match_status == "matched":
        conds.append(ReconException.line_id == line.id)
    if match.complete:
        conds.append((ReconException.instruction_id == pay.instruction_id)
                     & ReconException.line_id.is_(None))
    for cond in conds:
        for other in session.execute(select(ReconException).where(
                cond, ReconException.status == "open")).scalars():
            _resolve(other, how="matched", match=match, at=at, actor=actor)


__all__ = ["ExceptionView", "view"]
