"""RF references typed with one slip: repaired by their check digits, never guessed."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from settlement.reconciliation.matching.references import is_valid_rf
from settlement.reconciliation.models import Match, ReconException
from tests.integration.reconciliation_fixtures import bank, entry, load, run  # noqa: F401
from tests.support.reconciliation import MemorySource, expected, rf_for


def _matches(db) -> list[Match]:
    with db.session() as s:
        return s.execute(select(Match).order_by(Match.id)).scalars().all()


def _exceptions(db) -> list[ReconException]:
    with db.session() as s:
        return s.execute(select(ReconException).where(ReconException.line_id.is_not(None))
                         .order_by(ReconException.id)).scalars().all()


def _swap(rf: str, i: int) -> str:
    return rf[:i] + rf[i + 1] + rf[i] + rf[i + 2:]


@pytest.mark.parametrize("how", ["substitution", "transposition", "dropped", "doubled"])
def test_an_rf_typed_with_one_slip_is_repaired_when_the_amount_settles_it(
        db, clock, bank, how) -> None:
    good = rf_for(41, 1)
    typed = {"substitution": good[:9] + ("7" if good[9] != "7" else "8") + good[10:],
             "transposition": _swap(good, 8) if good[8] != good[9] else _swap(good, 6),
             "dropped": good[:10] + good[11:],
             "doubled": good[:10] + good[10] + good[10:]}[how]
    assert not is_valid_rf(typed)
    source = MemorySource([expected(41, "640.00"), expected(42, "640.00", name="Other Co")])
    spaced = " ".join(typed[i:i + 4] for i in range(0, len(typed), 4)).lower()
    load(db, clock, entry("640.00", ustrd=(f"licence fee {spaced} thanks",),
                          dbtr_name="Someone Unknown"))
    assert run(db, clock, source).by_rule == {"reference_repaired": 1}
    (m,) = _matches(db)
    parts = json.loads(m.parts)
    assert (m.instruction_id, m.rule, m.score) == ("I41-1", "reference_repaired", 90)
    assert parts["ref"] == good and parts["typed"] != good
    assert [n.instruction_id for n in source.received] == ["I41-1"]


def test_a_repaired_rf_whose_amount_does_not_settle_goes_to_finance(db, clock, bank) -> None:
    good = rf_for(43, 1)
    typed = good[:-1] + ("0" if good[-1] != "0" else "1")
    source = MemorySource([expected(43, "500.00")])
    load(db, clock, entry("500.01", ustrd=(f"ref {typed}",), dbtr_name="A Stranger"))
    assert run(db, clock, source).matched_lines == 0
    (exc,) = _exceptions(db)
    assert exc.kind == "difference"
    assert json.loads(exc.candidates)[0]["instruction_id"] == "I43-1"
    assert _matches(db) == []


def _one_slip_from_two() -> tuple[str, int]:
    """An invalid RF one slip from both rf_for(44, 1) and rf_for(44, n); and that n."""
    a, b = rf_for(44, 1), None
    for n in range(2, 99):
        other = rf_for(44, n)
        diff = [i for i in range(len(a)) if a[i] != other[i]]
        if len(other) == len(a) and len(diff) == 2:
            b, i, _j = other, *diff
            break
    assert b is not None
    typed = a[:i] + b[i] + a[i + 1:]  # takes one difference from each: one slip from both
    assert not is_valid_rf(typed) and typed not in (a, b)
    return typed, n


def test_a_slip_one_edit_from_two_open_references_is_ambiguous(db, clock, bank) -> None:
    typed, n = _one_slip_from_two()
    source = MemorySource([expected(44, "300.00", n=1), expected(44, "300.00", n=n)])
    load(db, clock, entry("300.00", ustrd=(f"ref {typed}",), dbtr_name="A Stranger"))
    assert run(db, clock, source).matched_lines == 0
    (exc,) = _exceptions(db)
    assert exc.kind == "ambiguous"
    assert {c["instruction_id"] for c in json.loads(exc.candidates)} == {"I44-1", f"I44-{n}"}


def test_of_two_references_one_slip_away_the_one_the_amount_settles_is_taken(
        db, clock, bank) -> None:
    typed, n = _one_slip_from_two()
    source = MemorySource([expected(44, "300.00", n=1), expected(44, "999.00", n=n)])
    load(db, clock, entry("999.00", ustrd=(f"ref {typed}",), dbtr_name="A Stranger"))
    assert run(db, clock, source).by_rule == {"reference_repaired": 1}
    (m,) = _matches(db)
    assert m.instruction_id == f"I44-{n}"
    others = json.loads(m.parts)["others_one_slip_away"]
    assert [c["instruction_id"] for c in others] == ["I44-1"]


def test_a_valid_rf_is_never_repaired_into_another(db, clock, bank) -> None:
    # a valid RF one inserted character away from ours is somebody else's reference
    ours = rf_for(45, 1)
    theirs = next(t for k in range(4, len(ours)) for ch in "0123456789"
                  if is_valid_rf(t := ours[:k] + ch + ours[k:]))
    source = MemorySource([expected(45, "70.00")])
    load(db, clock, entry("70.00", ustrd=(f"ref {theirs}",), dbtr_name="A Stranger"))
    assert run(db, clock, source).matched_lines == 0
    assert _matches(db) == []
