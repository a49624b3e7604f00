"""Finance's queue: manual match, split, unmatch with a reason, write-offs within and above the
limit, unpaid instructions, all audited; and the report's totals and ageing."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from moneyed import Money
from sqlalchemy import select

from kernel.audit.models import AuditEvent
from settlement.ledger.models import Transfer
from settlement.reconciliation.errors import (
    AlreadyMatched, InvalidAllocation, MatchAlreadyReverted, WriteOffAboveLimit,
)
from settlement.reconciliation.exceptions import manual_match, split_line, unmatch, write_off
from settlement.reconciliation.models import Match, ReconException, StatementLineRecord
from settlement.reconciliation.report import build_report, parse_period, report_csv
from tests.integration.reconciliation_fixtures import (  # noqa: F401
    ACTOR, bank, entry, exchange_balance, load, run,
)
from tests.support.reconciliation import MemorySource, expected, human_ref


def queue(db, kind: str | None = None) -> list[ReconException]:
    with db.session() as s:
        stmt = select(ReconException).where(ReconException.status == "open")
        if kind:
            stmt = stmt.where(ReconException.kind == kind)
        return s.execute(stmt.order_by(ReconException.id)).scalars().all()


def actions(db) -> list[str]:
    with db.session() as s:
        return list(s.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())


def _event(s, action: str) -> dict:
    """The payload of the one audit event of ``action``."""
    return json.loads(s.execute(select(AuditEvent.payload).where(AuditEvent.action == action)
                                ).scalar_one())


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def unmatched(db, clock, bank):
    """A line nothing matched automatically, and two instructions finance knows it pays."""
    source = MemorySource([expected(1, "600.00", name="Acme"), expected(2, "400.00", name="Acme"),
                           expected(3, "1000.00", name="Acme")])
    load(db, clock, entry("1000.00", dbtr_name="Unknown Payer Ltd"))
    run(db, clock, source)
    (exc,) = queue(db, "unmatched_line")
    return source, exc


def test_an_unmatched_line_is_queued_with_suggested_candidates(db, clock, unmatched) -> None:
    _source, exc = unmatched
    cands = json.loads(exc.candidates)
    assert cands[0]["instruction_id"] == "I3-1" and cands[0]["parts"]["amount"] == "equal"
    assert exc.amount_minor == 100000 and exc.item_date == dt.date(2024, 3, 1)


def test_finance_matches_a_line_by_hand(db, clock, unmatched) -> None:
    source, exc = unmatched
    with db.transaction() as s:
        match = manual_match(s, source, exc.id, instruction_id="I3-1", at=clock.now(),
                             actor=ACTOR, note="phoned the payer")
    assert match.rule == "manual" and match.complete
    assert queue(db, "unmatched_line") == [] and source.received[-1].instruction_id == "I3-1"
    assert exchange_balance(db, "bank") == "1000.00"
    assert "reconciliation.manual_match" in actions(db)
    with db.session() as s:
        event = s.execute(select(AuditEvent).where(
            AuditEvent.action == "reconciliation.manual_match")).scalar_one()
    assert "phoned" not in event.payload and "note_sha256" in event.payload


def test_finance_splits_a_line_over_two_instructions(db, clock, unmatched) -> None:
    source, exc = unmatched
    with db.transaction() as s, pytest.raises(InvalidAllocation):
        split_line(s, source, exc.id, [("I1-1", Money("600.00", "EUR")),
                                       ("I2-1", Money("300.00", "EUR"))], at=clock.now(),
                   actor=ACTOR)
    with db.transaction() as s:
        got = split_line(s, source, exc.id, [("I1-1", Money("600.00", "EUR")),
                                             ("I2-1", Money("400.00", "EUR"))],
                         at=clock.now(), actor=ACTOR, note="remittance advice by e-mail")
    assert [m.complete for m in got] == [True, True]
    assert {n.instruction_id for n in source.received} == {"I1-1", "I2-1"}
    with db.session() as s:
        line_id, status = s.execute(select(StatementLineRecord.id,
                                           StatementLineRecord.match_status)).one()
        assert status == "matched"
        event = _event(s, "reconciliation.split")
    assert event["actor"] == ACTOR and event["entity"] == {"type": "recon_exception", "id": str(exc.id)}
    assert event["after"] == {"line_id": line_id, "matches": [m.id for m in got],
                              "parts": [["I1-1", 60000], ["I2-1", 40000]],
                              "note_sha256": _sha256("remittance advice by e-mail")}
    assert "e-mail" not in json.dumps(event)


def test_unmatch_needs_a_reason_reverses_the_ledger_and_requeues_the_line(
        db, clock, bank) -> None:
    source = MemorySource([expected(4, "250.00")])
    load(db, clock, entry("250.00", e2e=human_ref(4, 1)))
    run(db, clock, source)
    with db.session() as s:
        match_id = s.execute(select(Match.id)).scalar_one()
    with db.transaction() as s, pytest.raises(InvalidAllocation):
        unmatch(s, source, match_id, reason=" ", at=clock.now(), actor=ACTOR)
    with db.transaction() as s:
        undone = unmatch(s, source, match_id, reason="wrong customer", at=clock.now(),
                         actor=ACTOR)
    assert undone.status == "reverted" and undone.revert_reason == "wrong customer"
    assert exchange_balance(db, "bank") == "0.00" and exchange_balance(db, "suspense") == "0.00"
    with db.session() as s:
        line_id = s.execute(select(StatementLineRecord.id)).scalar_one()
        reversal_ids = list(s.execute(select(Transfer.id).where(Transfer.key.like("recon:reverse:%"))
                                      .order_by(Transfer.id)).scalars())
        event = _event(s, "reconciliation.unmatch")
    assert reversal_ids and event["entity"] == {"type": "recon_match", "id": str(match_id)}
    assert event["after"] == {"reversals": reversal_ids, "lines": [line_id],
                              "reason_sha256": _sha256("wrong customer")}
    assert source.reverted[0].instruction_id == "I4-1"
    assert [e.kind for e in queue(db) if e.line_id] == ["unmatched_line"]
    with db.transaction() as s, pytest.raises(MatchAlreadyReverted):
        unmatch(s, source, match_id, reason="again", at=clock.now(), actor=ACTOR)
    # the instruction can be matched again, to the right line
    (exc,) = [e for e in queue(db) if e.line_id]
    with db.transaction() as s:
        again = manual_match(s, source, exc.id, instruction_id="I4-1", at=clock.now(),
                             actor=ACTOR)
    assert again.complete and exchange_balance(db, "bank") == "250.00"


def test_a_small_shortfall_is_written_off_to_bank_charges(db, clock, bank) -> None:
    source = MemorySource([expected(5, "1000.00", charge_bearer="OUR", partial_allowed=False)])
    load(db, clock, entry("992.00", e2e=human_ref(5, 1)))
    run(db, clock, source)
    (exc,) = queue(db, "difference")
    with db.transaction() as s:
        match = write_off(s, source, exc.id, at=clock.now(), actor=ACTOR, reason="fees")
    assert match.complete and match.written_off_minor == 800
    assert exchange_balance(db, "bank") == "992.00"
    assert exchange_balance(db, "bank_charges") == "8.00"
    assert exchange_balance(db, "suspense") == "1000.00"
    assert source.received[-1].complete and "reconciliation.write_off" in actions(db)


def test_a_write_off_above_the_limit_is_refused(db, clock, bank) -> None:
    source = MemorySource([expected(6, "1000.00", charge_bearer="OUR")])
    load(db, clock, entry("950.00", e2e=human_ref(6, 1), charges=("50.00", "EUR")))
    run(db, clock, source)
    (exc,) = queue(db, "difference")
    with db.transaction() as s, pytest.raises(WriteOffAboveLimit) as err:
        write_off(s, source, exc.id, at=clock.now(), actor=ACTOR)
    assert err.value.extra["limit"] == "10.00" and err.value.extra["difference"] == "50.00"
    assert exchange_balance(db, "bank") == "0.00"


def test_the_rest_of_a_partly_paid_overdue_instruction_is_written_off(db, clock, bank) -> None:
    source = MemorySource([expected(7, "1000.00", charge_bearer="OUR")])
    load(db, clock, entry("500.00", e2e=human_ref(7, 1)),
         entry("495.00", ref="B2", e2e=human_ref(7, 1)))
    run(db, clock, source)
    (exc,) = queue(db, "unpaid_instruction")
    assert exc.instruction_id == "I7-1" and exc.amount_minor == 500
    with db.transaction() as s:
        match = write_off(s, source, exc.id, at=clock.now(), actor=ACTOR)
    assert match.complete and match.written_off_minor == 500
    assert exchange_balance(db, "suspense") == "1000.00"


def test_a_manual_match_of_a_settled_instruction_is_refused(db, clock, bank) -> None:
    source = MemorySource([expected(8, "10.00")])
    load(db, clock, entry("10.00", e2e=human_ref(8, 1)), entry("10.00", ref="B2",
                                                               dbtr_name="Nobody"))
    run(db, clock, source)
    (exc,) = [e for e in queue(db) if e.line_id]
    with db.transaction() as s, pytest.raises(AlreadyMatched):
        manual_match(s, source, exc.id, instruction_id="I8-1", at=clock.now(), actor=ACTOR)


def test_the_report_gives_balances_totals_and_ageing(db, clock, bank) -> None:
    source = MemorySource([expected(9, "300.00", due=dt.date(2024, 3, 20)),
                           expected(10, "80.00", due=dt.date(2023, 12, 1))])
    load(db, clock, entry("300.00", e2e=human_ref(9, 1), value="2024-03-20"),
         entry("45.00", ref="B2", value="2024-03-25", dbtr_name="X"),
         entry("20.00", ref="B3", direction="DBIT", value="2024-02-10", dbtr_name="Y"))
    run(db, clock, source)
    start, end = parse_period("2024-03")
    with db.session() as s:
        report = build_report(s, bank, start, end, as_of=dt.date(2024, 3, 31),
                              ledger_at=clock.now())
    assert report.statement_opening == Money("1000.00", "EUR")
    assert report.statement_closing == Money("1325.00", "EUR")
    assert report.ledger_balance == Money("300.00", "EUR")
    assert report.matched.count == 1 and report.matched.amount == Money("300.00", "EUR")
    # lines booked in February are outside the period's counts but still age
    assert report.unmatched.count == 1 and report.unmatched.amount == Money("45.00", "EUR")
    assert report.ageing_lines["0-7"].count == 1
    assert report.ageing_lines["31-90"].amount == Money("20.00", "EUR")
    assert report.ageing_instructions["90+"].count == 1
    assert report.ageing_instructions["90+"].amount == Money("80.00", "EUR")
    text = report_csv(report)
    assert "balance,ledger_balance,,300.00,EUR" in text
    assert "ageing_lines,31-90,1,20.00,EUR" in text
