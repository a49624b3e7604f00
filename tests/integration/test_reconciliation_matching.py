"""Matching rules in order, tolerances, never guessing and never matching twice; posting."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from moneyed import Money
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.models import (
    Allocation, Match, ReconException, StatementLineRecord,
)
from settlement.reconciliation.posting import post_matches
from tests.integration.reconciliation_fixtures import (  # noqa: F401
    ACTOR, bank, count, entry, exchange_balance, load, run,
)
from tests.support import camt_builder as camt
from tests.support.reconciliation import MemorySource, expected, human_ref, rf_for


def matches(db) -> list[Match]:
    with db.session() as s:
        return s.execute(select(Match).order_by(Match.id)).scalars().all()


def open_exceptions(db) -> list[ReconException]:
    """Open items about statement lines (unpaid instructions left out)."""
    with db.session() as s:
        return s.execute(select(ReconException).where(ReconException.status == "open",
                                                      ReconException.line_id.is_not(None))
                         .order_by(ReconException.id)).scalars().all()


def statuses(db) -> list[str]:
    with db.session() as s:
        return list(s.execute(select(StatementLineRecord.match_status)
                              .order_by(StatementLineRecord.id)).scalars())


def test_the_reference_in_end_to_end_id_matches_and_posts_bank_against_escrow(
        db, clock, bank) -> None:
    source = MemorySource([expected(1, "1000.00"), expected(2, "1000.00")])
    load(db, clock, entry("1000.00", e2e=human_ref(1, 1), dbtr_name="Somebody Else"))
    summary = run(db, clock, source)
    assert summary.by_rule == {"reference": 1}
    (m,) = matches(db)
    assert (m.instruction_id, m.rule, m.score, m.complete) == ("I1-1", "reference", 100, True)
    assert json.loads(m.parts)["field"] == "end_to_end_id"
    assert [n.instruction_id for n in source.received] == ["I1-1"]
    assert source.received[0].complete and source.received[0].amount == Money("1000.00", "EUR")
    assert exchange_balance(db, "bank") == "1000.00"
    assert exchange_balance(db, "suspense") == "1000.00"  # the source gave no escrow account


def test_the_structured_rf_reference_matches(db, clock, bank) -> None:
    source = MemorySource([expected(1, "250.00")])
    load(db, clock, entry("250.00", strd_ref=rf_for(1, 1)))
    assert run(db, clock, source).by_rule == {"reference": 1}


@pytest.mark.parametrize("text", [
    "payment stx 2026 000003 01 thank you",
    "INV 17 / STX2026-000003/01",
    "stx_2026.000003.01",
])
def test_a_human_reference_mangled_in_free_text_is_found(db, clock, bank, text) -> None:
    source = MemorySource([expected(3, "80.00")])
    load(db, clock, entry("80.00", ustrd=(text,)))
    assert run(db, clock, source).by_rule == {"reference": 1}


def test_an_rf_reference_spaced_in_free_text_is_found_but_a_mangled_one_is_not_trusted(
        db, clock, bank) -> None:
    good = rf_for(4, 1)
    spaced = " ".join(good[i:i + 4] for i in range(0, len(good), 4)).lower()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    source = MemorySource([expected(4, "10.00", name="Acme"), expected(5, "20.00", name="Acme")])
    source.add(dataclasses.replace(source.items["I5-1"], rf_reference=bad))
    load(db, clock, entry("10.00", ustrd=(f"ref {spaced}",), dbtr_name="Zeta"),
         entry("20.00", ref="B2", ustrd=(f"ref {bad}",), dbtr_name="Zeta"))
    summary = run(db, clock, source)
    assert summary.by_rule == {"reference": 1}
    assert [e.kind for e in open_exceptions(db)] == ["unmatched_line"]


def test_amount_value_date_window_and_a_similar_name_match_without_a_reference(
        db, clock, bank) -> None:
    source = MemorySource([
        expected(6, "4321.00", name="Shenzhen Zhizao Technology Co., Ltd.",
                 due=dt.date(2024, 2, 27)),
        expected(7, "4321.00", name="Aarhus Bio ApS", due=dt.date(2024, 2, 27)),
        expected(8, "4321.00", name="Shenzhen Zhizao Technology", due=dt.date(2024, 1, 2)),
    ])
    load(db, clock, entry("4321.00", dbtr_name="SHENZHEN ZHIZAO TECHNOLOGY CO LTD",
                          ustrd=("licence",)))
    assert run(db, clock, source).by_rule == {"amount_date_name": 1}
    (m,) = matches(db)
    parts = json.loads(m.parts)
    assert m.instruction_id == "I6-1" and parts["name"] == 100 and parts["days"] == 3


def test_one_line_paying_several_instructions_of_one_payer_is_split_by_subset_sum(
        db, clock, bank) -> None:
    source = MemorySource([expected(9, "100.00", n=1), expected(9, "250.00", n=2),
                           expected(9, "400.00", n=3), expected(10, "250.00", name="Other Co")])
    load(db, clock, entry("500.00", dbtr_name="Acme Robotics"))
    assert run(db, clock, source).by_rule == {"grouped_one_line": 1}
    got = sorted(m.instruction_id for m in matches(db))
    assert got == ["I9-1", "I9-3"] and all(m.complete for m in matches(db))
    with db.session() as s:
        assert sorted(s.execute(select(Allocation.amount_minor)).scalars()) == [10000, 40000]


def test_several_lines_paying_one_instruction_accumulate_as_partials(db, clock, bank) -> None:
    source = MemorySource([expected(11, "900.00"), expected(12, "5000.00", name="Other Co")])
    load(db, clock, entry("300.00", dbtr_name="Acme Robotics GmbH"),
         entry("600.00", ref="B2", dbtr_name="ACME ROBOTICS"))
    assert run(db, clock, source).by_rule == {"grouped_partials": 2}
    (m,) = matches(db)
    assert m.complete and m.settled_minor == 90000 and statuses(db) == ["matched", "matched"]


def test_partial_payments_with_a_reference_accumulate_across_statements(db, clock, bank) -> None:
    source = MemorySource([expected(13, "1000.00")])
    load(db, clock, entry("400.00", e2e=human_ref(13, 1)))
    run(db, clock, source)
    (m,) = matches(db)
    assert not m.complete and m.settled_minor == 40000
    assert not source.received[0].complete
    load(db, clock, entry("600.00", e2e=human_ref(13, 1), value="2024-03-05"), stmt_id="S2",
         opening="1400.00")
    run(db, clock, source)
    (m,) = matches(db)
    assert m.complete and m.settled_minor == 100000 and source.received[-1].complete
    assert exchange_balance(db, "suspense") == "1000.00"


def test_charges_within_the_limit_are_matched_and_posted_to_bank_charges(db, clock, bank) -> None:
    source = MemorySource([expected(14, "1000.00", charge_bearer="SHA")])
    load(db, clock, entry("985.00", e2e=human_ref(14, 1), charges=("15.00", "EUR")))
    assert run(db, clock, source).by_rule == {"reference": 1}
    (m,) = matches(db)
    assert (m.settled_minor, m.charges_minor, m.complete) == (98500, 1500, True)
    assert exchange_balance(db, "bank") == "985.00"
    assert exchange_balance(db, "bank_charges") == "15.00"
    assert exchange_balance(db, "suspense") == "1000.00"


def test_charges_beyond_the_limit_go_to_the_exceptions_queue(db, clock, bank) -> None:
    source = MemorySource([expected(15, "1000.00", charge_bearer="BEN")])
    load(db, clock, entry("920.00", e2e=human_ref(15, 1), charges=("80.00", "EUR")))
    run(db, clock, source)
    assert matches(db) == []
    (e,) = open_exceptions(db)
    assert e.kind == "difference" and e.instruction_id == "I15-1"
    assert json.loads(e.candidates)[0]["parts"]["fit"] == "short"
    assert exchange_balance(db, "bank_charges") == "0"


def test_an_fx_receipt_matches_through_the_instructed_amount_and_rate(db, clock, bank) -> None:
    source = MemorySource([expected(16, "1000.00", "USD", name="Photonics Lab Inc.")])
    load(db, clock, entry("920.00", tx_amount="920.00", instd=("1000.00", "USD"), rate="0.92",
                          dbtr_name="Photonics Lab Inc"))
    assert run(db, clock, source).by_rule == {"amount_date_name": 1}
    (m,) = matches(db)
    assert (m.currency, m.expected_currency, m.settled_minor) == ("EUR", "USD", 92000)
    assert source.received[0].instructed == Money("1000.00", "USD")


def test_an_fx_receipt_with_a_reference_and_charges_taken_matches(db, clock, bank) -> None:
    source = MemorySource([expected(17, "1000.00", "USD")])
    load(db, clock, entry("910.00", tx_amount="910.00", instd=("1000.00", "USD"), rate="0.92",
                          e2e=human_ref(17, 1)))
    run(db, clock, source)
    (m,) = matches(db)
    assert m.complete and m.charges_minor == 1000


def test_two_equally_good_candidates_go_to_exceptions_with_both(db, clock, bank) -> None:
    source = MemorySource([expected(18, "700.00", name="Acme Robotics"),
                           expected(19, "700.00", name="Acme Robotics")])
    load(db, clock, entry("700.00", dbtr_name="Acme Robotics"))
    run(db, clock, source)
    assert matches(db) == []
    (e,) = open_exceptions(db)
    assert e.kind == "ambiguous"
    cands = json.loads(e.candidates)
    assert {c["instruction_id"] for c in cands} == {"I18-1", "I19-1"}
    assert cands[0]["score"] == cands[1]["score"]


def test_two_lines_wanting_one_instruction_equally_both_go_to_exceptions(db, clock, bank) -> None:
    source = MemorySource([expected(20, "700.00", name="Acme Robotics")])
    load(db, clock, entry("700.00", dbtr_name="Acme Robotics"),
         entry("700.00", ref="B2", dbtr_name="Acme Robotics"))
    run(db, clock, source)
    assert matches(db) == [] and [e.kind for e in open_exceptions(db)] == ["ambiguous"] * 2


def test_an_instruction_is_never_matched_twice(db, clock, bank) -> None:
    source = MemorySource([expected(21, "50.00")])
    load(db, clock, entry("50.00", e2e=human_ref(21, 1)),
         entry("50.00", ref="B2", e2e=human_ref(21, 1)))
    run(db, clock, source, post=False)
    assert len(matches(db)) == 1
    (e,) = open_exceptions(db)
    assert e.kind == "already_matched" and e.instruction_id == "I21-1"
    # and the database refuses a second active match whatever the code does
    first = matches(db)[0]
    row = {c.name: getattr(first, c.name) for c in Match.__table__.columns if c.name != "id"}
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(insert(Match.__table__), [row])


def test_a_payment_already_settled_in_an_earlier_run_is_an_exception(db, clock, bank) -> None:
    source = MemorySource([expected(22, "50.00"), expected(23, "60.00")])
    load(db, clock, entry("50.00", e2e=human_ref(22, 1)))
    run(db, clock, source)
    # the plans still list it (they lag): the unique index keeps the second one out
    source.settled.clear()
    load(db, clock, entry("50.00", e2e=human_ref(22, 1)), stmt_id="S2", opening="1050.00")
    run(db, clock, source)
    assert len(matches(db)) == 1
    assert [e.kind for e in open_exceptions(db)] == ["already_matched"]


def test_posting_is_idempotent(db, clock, bank) -> None:
    source = MemorySource([expected(24, "75.00")])
    load(db, clock, entry("75.00", e2e=human_ref(24, 1)))
    run(db, clock, source)
    with db.transaction() as s:
        again = post_matches(s, source, at=clock.now(), actor=ACTOR)
    assert again.transfers == 0 and len(source.received) == 1
    assert exchange_balance(db, "bank") == "75.00"


def test_a_debit_pays_out_an_outgoing_instruction_with_our_charges(db, clock, bank) -> None:
    source = MemorySource([expected(25, "2000.00", direction="out", name="Aarhus Bio ApS")])
    load(db, clock, entry("2012.00", direction="DBIT", e2e=human_ref(25, 1)), opening="5000.00")
    run(db, clock, source)
    (m,) = matches(db)
    assert m.complete and m.charges_minor == 1200
    assert [n.instruction_id for n in source.paid_out] == ["I25-1"]
    assert exchange_balance(db, "bank") == "-2012.00"
    assert exchange_balance(db, "bank_charges") == "12.00"


def test_the_date_window_and_name_threshold_are_configuration(db, clock, bank) -> None:
    source = MemorySource([expected(26, "321.00", name="Acme Robotics",
                                    due=dt.date(2024, 2, 10))])
    load(db, clock, entry("321.00", dbtr_name="Acme Robotics"))
    run(db, clock, source, post=False)
    assert matches(db) == []
    with db.transaction() as s:
        s.execute(ReconException.__table__.delete())
    run(db, clock, source, cfg=ReconciliationConfig(date_window_days=30))
    assert [m.rule for m in matches(db)] == ["amount_date_name"]


def test_a_queued_line_matched_by_a_later_run_resolves_its_exception(db, clock, bank) -> None:
    source = MemorySource([])
    load(db, clock, entry("90.00", e2e=human_ref(27, 1)))
    run(db, clock, source)
    (queued,) = open_exceptions(db)
    source.add(expected(27, "90.00"))  # the instruction arrives after the statement
    assert run(db, clock, source).resolved_exceptions == 1
    with db.session() as s:
        done = s.get(ReconException, queued.id)
        assert (done.status, done.resolution, done.resolved_by) == ("resolved", "auto_matched",
                                                                   ACTOR)
        assert done.resolved_at == clock.now()
    assert statuses(db) == ["matched"]
