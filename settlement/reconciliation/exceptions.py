"""What finance does with the exceptions queue: match, split, unmatch, write off (the queue's
shared reads and allocation are in ``queue``).

Every action runs in the caller's transaction, locks what it changes (the line, the
instruction's active match), posts to the ledger through ``posting.post_matches`` with the
same idempotent keys as the automatic run, tells the expected-payment source, and writes one
audit event. Free-text reasons enter the audit chain as SHA-256 only (they may name people).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.money import from_minor, to_minor
from settlement.ledger import reverse_transfer
from settlement.ledger.models import Transfer
from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.errors import (
    AlreadyMatched, ExceptionNotFound, InvalidAllocation, MatchAlreadyReverted, MatchNotFound,
    ReversalPaysNothing, UnknownInstruction, WriteOffAboveLimit,
)
from settlement.reconciliation.expected import (
    IN, ExpectedPayment, ExpectedPaymentSource, ReversalNotice,
)
from settlement.reconciliation.models import Allocation, Match, ReconException
from settlement.reconciliation.posting import post_matches
from settlement.reconciliation.queue import (
    ExceptionView, _active_match, _allocate, _close_other_exceptions, _covered, _digest, _line,
    _open_exception, _payment, _post_write_off, _resolve, view,
)


def _paying(exc: ReconException) -> ReconException:
    """``exc``, unless it is a reversal or the entry one undoes: those pay no instruction."""
    if exc.kind == "reversal":
        raise ReversalPaysNothing(f"exception {exc.id} is a reversal (or the entry a reversal "
                                  "undoes): it pays no instruction", field="exception_id")
    return exc


def manual_match(session: Session, source: ExpectedPaymentSource, exception_id: int, *,
                 at: dt.datetime, actor: str, instruction_id: str | None = None,
                 line_id: int | None = None, config: ReconciliationConfig | None = None,
                 note: str | None = None) -> Match:
    """Match the exception's line to ``instruction_id`` (or, for an unpaid instruction, the
    line ``line_id`` to it). The line's unallocated amount goes to the instruction, up to what
    it still expects; a shortfall within the charges limit is taken as charges (SHA/BEN), a
    larger one leaves the match partial (open for more money or a write-off)."""
    cfg = config or ReconciliationConfig()
    exc = _paying(_open_exception(session, exception_id))
    iid = instruction_id if exc.line_id is not None else exc.instruction_id
    lid = exc.line_id if exc.line_id is not None else line_id
    if iid is None or lid is None:
        raise InvalidAllocation("say which instruction (for a line) or which line (for an "
                                "instruction) to match", field="instruction_id")
    pay = _payment(session, source, iid)
    line = _line(session, lid)
    free = line.amount_minor - line.allocated_minor
    active = _active_match(session, iid)
    if active is not None and active.complete:
        raise AlreadyMatched(f"instruction {iid} is already fully matched (match {active.id})",
                             match_id=active.id)
    remaining = to_minor(pay.amount) - _covered(active)
    charges = 0
    if pay.direction == IN:
        amount = min(free, remaining)
        short = remaining - amount
        if 0 < short <= cfg.charges_limit(line.currency) and pay.charge_bearer != "OUR":
            charges = short
    else:
        amount = free
        if free > remaining and free - remaining <= cfg.charges_limit(line.currency):
            charges = free - remaining
    match = _allocate(session, line, pay, amount, charges=charges, written_off=0, at=at,
                      actor=actor, parts={"exception": exc.id, "by": actor})
    _resolve(exc, how="matched", match=match, at=at, actor=actor)
    _close_other_exceptions(session, line, pay, at=at, actor=actor, match=match)
    post_matches(session, source, at=at, actor=actor, match_ids=[match.id])
    record_event(session, actor=actor, action="reconciliation.manual_match",
                 entity_type="recon_exception", entity_id=exc.id, at=at,
                 after={"match_id": match.id, "line_id": line.id, "instruction_id": iid,
                        "amount_minor": amount, "charges_minor": charges,
                        "complete": match.complete, "note_sha256": _digest(note)})
    return match


def split_line(session: Session, source: ExpectedPaymentSource, exception_id: int,
               parts: Sequence[tuple[str, Money]], *, at: dt.datetime, actor: str,
               note: str | None = None) -> list[Match]:
    """Split the exception's line over several instructions, ``(instruction_id, amount)`` each;
    the amounts must add up to the line's unallocated amount exactly. An amount short of what
    its instruction expects leaves that match partial."""
    exc = _paying(_open_exception(session, exception_id))
    if exc.line_id is None:
        raise InvalidAllocation("only a statement line can be split", field="exception_id")
    if len(parts) < 2:
        raise InvalidAllocation("a split needs two or more parts", field="parts")
    line = _line(session, exc.line_id)
    ids = [iid for iid, _m in parts]
    if len(set(ids)) != len(ids):
        raise InvalidAllocation("each instruction appears once in a split", field="parts")
    minors = []
    for _iid, money in parts:
        if money.currency.code != line.currency:
            raise InvalidAllocation(f"split amounts are in the line's currency {line.currency}",
                                    field="parts")
        minors.append(to_minor(money))
    free = line.amount_minor - line.allocated_minor
    if sum(minors) != free:
        raise InvalidAllocation(
            f"the parts add up to {from_minor(sum(minors), line.currency).amount}, the line "
            f"has {from_minor(free, line.currency).amount} {line.currency} to allocate",
            field="parts")
    pays = source.payments(session, ids)
    matches = []
    for iid, amount in zip(ids, minors):
        if iid not in pays:
            raise UnknownInstruction(f"no instruction {iid}", field="parts")
        matches.append(_allocate(session, line, pays[iid], amount, charges=0, written_off=0,
                                 at=at, actor=actor, parts={"exception": exc.id, "split": True}))
    _resolve(exc, how="split", match=matches[0], at=at, actor=actor)
    for match, iid in zip(matches, ids):
        _close_other_exceptions(session, line, pays[iid], at=at, actor=actor, match=match)
    post_matches(session, source, at=at, actor=actor, match_ids=[x.id for x in matches])
    record_event(session, actor=actor, action="reconciliation.split",
                 entity_type="recon_exception", entity_id=exc.id, at=at,
                 after={"line_id": line.id, "matches": [x.id for x in matches],
                        "parts": [[i, a] for i, a in zip(ids, minors)],
                        "note_sha256": _digest(note)})
    return matches


def write_off(session: Session, source: ExpectedPaymentSource, exception_id: int, *,
              at: dt.datetime, actor: str, config: ReconciliationConfig | None = None,
              reason: str | None = None) -> Match:
    """Accept a small shortfall on a receipt: the exception's line (a ``difference``) settles
    its instruction in full with the rest written off to bank charges, or the rest of a partly
    paid instruction (``unpaid_instruction``) is written off. Refused above the configured
    limit for the currency (``WriteOffAboveLimit``)."""
    cfg = config or ReconciliationConfig()
    exc = _paying(_open_exception(session, exception_id))
    if exc.line_id is not None:
        if not exc.instruction_id:
            raise InvalidAllocation("match the line to an instruction before writing off")
        pay = _payment(session, source, exc.instruction_id)
        line = _line(session, exc.line_id)
        free = line.amount_minor - line.allocated_minor
        remaining = to_minor(pay.amount) - _covered(_active_match(session, pay.instruction_id))
        diff = remaining - free
        _check_write_off(pay, diff, cfg)
        match = _allocate(session, line, pay, free, charges=0, written_off=diff, at=at,
                          actor=actor, parts={"exception": exc.id, "write_off": diff})
        _post_write_off(session, source, match, diff, at=at, actor=actor, notify=False)
        post_matches(session, source, at=at, actor=actor, match_ids=[match.id])
        _close_other_exceptions(session, line, pay, at=at, actor=actor, match=match)
    else:
        pay = _payment(session, source, exc.instruction_id or "")
        match = _active_match(session, pay.instruction_id)
        if match is None:
            raise InvalidAllocation("nothing was received for this instruction; there is no "
                                    "difference to write off", field="exception_id")
        diff = match.expected_minor - _covered(match)
        _check_write_off(pay, diff, cfg)
        match.written_off_minor += diff
        match.complete = True
        session.flush()
        _post_write_off(session, source, match, diff, at=at, actor=actor, notify=True)
    _resolve(exc, how="written_off", match=match, at=at, actor=actor)
    record_event(session, actor=actor, action="reconciliation.write_off",
                 entity_type="recon_exception", entity_id=exc.id, at=at,
                 after={"match_id": match.id, "written_off_minor": diff,
                        "currency": match.currency, "reason_sha256": _digest(reason)})
    return match


def _check_write_off(pay: ExpectedPayment, diff: int, cfg: ReconciliationConfig) -> None:
    if pay.direction != IN:
        raise InvalidAllocation("write-offs settle receipts short of the expected amount")
    if diff <= 0:
        raise InvalidAllocation("there is no shortfall to write off", field="exception_id")
    limit = cfg.write_off_limit(pay.currency)
    if diff > limit:
        raise WriteOffAboveLimit(
            f"the difference of {from_minor(diff, pay.currency).amount} {pay.currency} is "
            f"above the write-off limit of {from_minor(limit, pay.currency).amount}",
            difference=str(from_minor(diff, pay.currency).amount),
            limit=str(from_minor(limit, pay.currency).amount), currency=pay.currency)


def unmatch(session: Session, source: ExpectedPaymentSource, match_id: int, *, reason: str,
            at: dt.datetime, actor: str) -> Match:
    """Undo a match: reverse its ledger transfers, free its lines (back to the queue), tell the
    source. A reason is required."""
    if not reason or not reason.strip():
        raise InvalidAllocation("unmatching needs a reason", field="reason")
    match = session.execute(select(Match).where(Match.id == match_id).with_for_update()
                            ).scalar_one_or_none()
    if match is None:
        raise MatchNotFound(f"no match {match_id}")
    if match.status != "active":
        raise MatchAlreadyReverted(f"match {match_id} was already undone")
    allocs = session.execute(select(Allocation).where(Allocation.match_id == match.id)
                             .order_by(Allocation.id)).scalars().all()
    reversals = []
    transfers = [x.transfer_id for x in allocs if x.transfer_id is not None]
    wo = session.execute(select(Transfer.id).where(
        Transfer.key == f"recon:writeoff:{match.id}")).scalar_one_or_none()
    if wo is not None:
        transfers.append(wo)
    for tid in transfers:
        reversals.append(reverse_transfer(session, tid, key=f"recon:reverse:{tid}", at=at,
                                          actor=actor).id)
    for alloc in allocs:
        line = _line(session, alloc.line_id)
        line.allocated_minor -= alloc.amount_minor
        line.match_status = "partial" if line.allocated_minor else "exception"
        has_open = session.execute(select(ReconException.id).where(
            ReconException.line_id == line.id, ReconException.status == "open")).first()
        if has_open is None:
            session.add(ReconException(
                bank_account_id=line.bank_account_id, kind="unmatched_line", status="open",
                line_id=line.id, instruction_id=None, currency=line.currency,
                amount_minor=line.amount_minor - line.allocated_minor,
                item_date=line.value_date or line.booking_date,
                candidates=json.dumps([{"instruction_id": match.instruction_id,
                                        "reference": match.reference, "score": 0,
                                        "rule": "unmatched", "parts": {}}]),
                note=f"unmatched from match {match.id}", created_at=at))
    match.status = "reverted"
    match.reverted_at = at
    match.reverted_by = actor
    match.revert_reason = reason
    session.flush()
    if transfers:
        source.settlement_reverted(session, ReversalNotice(
            match.id, match.instruction_id, reason, tuple(reversals), actor))
    record_event(session, actor=actor, action="reconciliation.unmatch",
                 entity_type="recon_match", entity_id=match.id, at=at,
                 after={"reversals": reversals, "lines": [a.line_id for a in allocs],
                        "reason_sha256": _digest(reason)})
    return match


def unmatch_exception(session: Session, source: ExpectedPaymentSource, exception_id: int, *,
                      reason: str, at: dt.datetime, actor: str) -> Match:
    """Undo the match that resolved exception ``exception_id``."""
    exc = session.get(ReconException, exception_id)
    if exc is None:
        raise ExceptionNotFound(f"no exception {exception_id}")
    if exc.match_id is None:
        raise InvalidAllocation(f"exception {exception_id} was not resolved by a match",
                                field="exception_id")
    return unmatch(session, source, exc.match_id, reason=reason, at=at, actor=actor)


__all__ = ["ExceptionView", "manual_match", "split_line", "unmatch", "unmatch_exception",
           "view", "write_off"]
