"""Reversals (camt.053 ``RvslInd``): never matched as a payment, queued as ``reversal`` with the
entry they undo and, when that entry's money went to an instruction, the match to unmatch."""
from __future__ import annotations

import dataclasses
import json

import pytest
from moneyed import Money
from sqlalchemy import select

from settlement.reconciliation.errors import ReversalPaysNothing
from settlement.reconciliation.exceptions import manual_match, split_line, unmatch, write_off
from settlement.reconciliation.models import Match, ReconException, StatementLineRecord
from tests.integration.reconciliation_fixtures import (  # noqa: F401
    ACTOR, bank, entry, exchange_balance, load, run,
)
from tests.support.reconciliation import MemorySource, expected, human_ref


def reversal(amount: str, **kw) -> object:
    """A reversal entry: ISO 20022 gives it the direction of its own movement (a returned
    credit is a debit) with RvslInd true."""
    return dataclasses.replace(entry(amount, direction="DBIT", **kw), reversal=True)


def lines(db) -> dict[int, StatementLineRecord]:
    with db.session() as s:
        return {x.id: x for x in s.execute(select(StatementLineRecord)).scalars()}


def queue(db) -> list[ReconException]:
    with db.session() as s:
        return s.execute(select(ReconException).where(ReconException.status == "open")
                         .order_by(ReconException.id)).scalars().all()


def line_items(db) -> dict[int, ReconException]:
    """The open items about statement lines, by line."""
    return {x.line_id: x for x in queue(db) if x.line_id is not None}


def active_matches(db) -> list[Match]:
    with db.session() as s:
        return s.execute(select(Match).where(Match.status == "active")
                         .order_by(Match.id)).scalars().all()


def test_the_reversal_of_a_matched_receipt_is_queued_naming_the_match_it_undoes(
        db, clock, bank) -> None:
    source = MemorySource([expected(1, "500.00")])
    load(db, clock, entry("500.00", e2e=human_ref(1, 1), ref="B-IN-1"))
    run(db, clock, source)
    (original,) = active_matches(db)
    assert original.instruction_id == "I1-1" and original.rule == "reference"
    # the next day's statement: the bank returns the payment, quoting the same reference
    load(db, clock, reversal("500.00", e2e=human_ref(1, 1), ref="B-RV-1"), stmt_id="S2")
    summary = run(db, clock, source)
    assert summary.matched_lines == 0 and summary.exceptions == {"reversal": 1}
    assert [m.id for m in active_matches(db)] == [original.id]  # nothing new was matched
    assert len(source.received) == 1 and exchange_balance(db, "bank") == "500.00"
    (item,) = queue(db)
    by_ref = {x.entry_ref: x for x in lines(db).values()}
    rev, orig = by_ref["B-RV-1"], by_ref["B-IN-1"]
    assert (item.kind, item.line_id, item.instruction_id) == ("reversal", rev.id, "I1-1")
    assert (rev.reversal, rev.match_status) == (True, "exception")
    (cand,) = json.loads(item.candidates)
    assert cand["rule"] == "reversed_match" and cand["instruction_id"] == "I1-1"
    assert cand["parts"] == {"original_line_id": orig.id, "match_id": original.id}
    assert f"line {orig.id}" in item.note and f"match {original.id}" in item.note
    # finance cannot book the reversal as a payment, by any of the queue's actions
    with db.transaction() as s, pytest.raises(ReversalPaysNothing):
        manual_match(s, source, item.id, instruction_id="I1-1", at=clock.now(), actor=ACTOR)
    with db.transaction() as s, pytest.raises(ReversalPaysNothing):
        split_line(s, source, item.id, [("I1-1", Money("250.00", "EUR")),
                                        ("I1-1", Money("250.00", "EUR"))],
                   at=clock.now(), actor=ACTOR)
    with db.transaction() as s, pytest.raises(ReversalPaysNothing):
        write_off(s, source, item.id, at=clock.now(), actor=ACTOR, reason="returned")
    # finance unmatches the receipt the bank took back: the next run does not match it again
    with db.transaction() as s:
        unmatch(s, source, original.id, reason="returned by the bank", at=clock.now(), actor=ACTOR)
    assert exchange_balance(db, "bank") == "0.00"
    run(db, clock, source)
    assert active_matches(db) == []
    items = {x.line_id: x for x in queue(db)}
    assert items.pop(None).kind == "unpaid_instruction"  # the money came back: I1-1 is unpaid
    assert {lid: x.kind for lid, x in items.items()} == {rev.id: "reversal", orig.id: "reversal"}
    assert items[orig.id].note == f"reversed by line {rev.id}: not a payment that stands"
    # the reversal's item now says what it undoes stands unmatched
    assert items[rev.id].note == f"reverses line {orig.id}, not matched: the two cancel out"
    assert items[rev.id].instruction_id is None and json.loads(items[rev.id].candidates) == []


def test_a_reversal_is_not_matched_even_where_reference_and_amount_fit_a_payment(
        db, clock, bank) -> None:
    """A returned credit is a debit that quotes an outgoing instruction's reference and amount:
    the reference rule would take it for that payout. It is queued instead."""
    source = MemorySource([expected(2, "300.00", direction="out")])
    load(db, clock, reversal("300.00", e2e=human_ref(2, 1), ref="B-RV-2"))
    summary = run(db, clock, source)
    assert summary.matched_lines == 0 and active_matches(db) == [] and source.paid_out == []
    (item,) = line_items(db).values()
    assert item.kind == "reversal" and item.instruction_id is None
    assert json.loads(item.candidates) == []
    assert item.note == "reversal of an entry not found on this account: not a payment"


def test_a_receipt_and_its_reversal_on_one_statement_are_both_queued(db, clock, bank) -> None:
    """The amount, date and name rule would match the receipt; reversed on the same statement,
    it pays nothing, and the pair waits in the queue, each saying what the other is."""
    source = MemorySource([expected(3, "700.00", name="Acme Robotics GmbH")])
    load(db, clock, entry("700.00", e2e="PAY-77", dbtr_name="Acme Robotics GmbH", ref="B-IN-3"),
         reversal("700.00", e2e="PAY-77", ref="B-RV-3"),
         entry("700.00", e2e="PAY-78", dbtr_name="Somebody Else", ref="B-IN-4"))
    run(db, clock, source)
    by_ref = {x.entry_ref: x for x in lines(db).values()}
    assert active_matches(db) == [] and source.received == []
    items = line_items(db)
    rev, orig, other = by_ref["B-RV-3"], by_ref["B-IN-3"], by_ref["B-IN-4"]
    assert items[rev.id].kind == "reversal" and items[orig.id].kind == "reversal"
    assert items[rev.id].note == f"reverses line {orig.id}, not matched: the two cancel out"
    assert items[orig.id].note == f"reversed by line {rev.id}: not a payment that stands"
    # a credit of the same amount with another reference is no original of this reversal
    assert items[other.id].kind == "unmatched_line"
