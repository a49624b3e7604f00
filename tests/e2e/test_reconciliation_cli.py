"""``flask reconcile import``: progress and a summary; a refused file writes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.reconciliation.source import KEY
from settlement.reconciliation.importer import register_bank_account
from settlement.reconciliation.models import (
    ImportedStatement, Match, ReconException, StatementLineRecord,
)
from tests.integration.reconciliation_fixtures import IBAN, entry
from tests.support import camt_builder as camt
from tests.support.reconciliation import MemorySource, expected, human_ref


@pytest.fixture
def source(app, db, clock) -> MemorySource:
    with db.transaction() as s:
        register_bank_account(s, identifier=IBAN, currency="EUR", name="Main", at=clock.now(),
                              actor="test")
    src = MemorySource([expected(1, "500.00"), expected(2, "300.00", name="Acme")])
    app.extensions[KEY] = src
    return src


def _counts(db) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(s.execute(select(func.count()).select_from(model)).scalar_one()
                     for model in (ImportedStatement, StatementLineRecord, Match,
                                   ReconException))


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


GOOD = camt.build(camt.Stmt(entries=[
    entry("500.00", e2e=human_ref(1, 1)),
    entry("300.00", ref="B2", dbtr_name="ACME", ustrd=("invoice",)),
    entry("42.00", ref="B3", dbtr_name="Mystery Payer"),
]))


def test_import_shows_progress_then_a_summary_and_posts(app, db, source, tmp_path) -> None:
    runner = app.test_cli_runner()
    out = runner.invoke(args=["reconcile", "import", _write(tmp_path, "s.xml", GOOD)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "parsed 1 statement(s), 3 lines" in lines
    assert "  stored 3/3 lines" in lines
    assert "imported 3 lines from 1 statement(s) (camt.053.001.08)" in lines
    assert "matching 3 lines against 2 open payments" in lines
    assert "matched 2/3 lines in 2 new matches" in lines
    assert "  reference: 1 lines" in lines and "  amount_date_name: 1 lines" in lines
    assert "exceptions: unmatched_line 1" in lines
    assert "posted 2 ledger transfers for 2 matches" in lines
    assert [n.instruction_id for n in source.received] == ["I1-1", "I2-1"]
    assert _counts(db) == (1, 3, 2, 1)


@pytest.mark.parametrize("case, data, says", [
    ("balance", camt.build(camt.Stmt(entries=[entry("1.00")], closing="5.00")),
     "nothing imported: statement STMT-2024-03-01: opening 1000.00 + booked movements gives "
     "1001.00 EUR, the closing balance is 5.00 EUR (difference -996.00) (Stmt[1], line 8)"),
    ("late fault", GOOD.replace(b"<Amt Ccy=\"EUR\">42.00</Amt>", b"<Amt Ccy=\"EUR\">4x2</Amt>"),
     "nothing imported: '4x2' is not a non-negative decimal amount"),
    ("account", camt.build(camt.Stmt(entries=[entry("1.00")], iban="GB33BUKB20201555555555")),
     "nothing imported: no bank account GB33BUKB20201555555555 in EUR is registered"),
])
def test_a_refused_file_writes_nothing(app, db, source, tmp_path, case, data, says) -> None:
    before = _counts(db)
    out = app.test_cli_runner().invoke(args=["reconcile", "import",
                                             _write(tmp_path, f"{case}.xml", data)])
    assert out.exit_code == 1, out.output
    assert says in out.output
    assert "imported" not in out.output.replace("nothing imported", "")
    assert _counts(db) == before
    assert source.received == []


def test_the_same_statement_twice_is_refused_and_writes_nothing(app, db, source,
                                                                tmp_path) -> None:
    runner = app.test_cli_runner()
    path = _write(tmp_path, "s.xml", GOOD)
    assert runner.invoke(args=["reconcile", "import", path, "--no-match"]).exit_code == 0
    before = _counts(db)
    again = runner.invoke(args=["reconcile", "import", path])
    assert again.exit_code == 1 and "was already imported as import" in again.output
    assert _counts(db) == before
