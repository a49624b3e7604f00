"""Hostile files through the operator commands, into the database: ``compliance load-list``
(generic CSV, UN XML, OFAC SDN), ``compliance load-catalogue`` and ``reconcile import`` (CSV
statement, camt.053).

tests/unit/test_file_input_fuzzing.py proves the parsers parse or refuse; this proves the rest
of the way: what a parser lets through also loads (no value the database cannot hold, no
traceback out of the command), and what it refuses leaves the data as it was (a list's last
good version stays in force, no statement or line is written). Every run of a command ends with
exit 0 or a clean exit 1 naming the fault. Bounded by example count, derandomised, both
databases.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from compliance.screening.models import ListEntryRecord, ListVersion
from settlement.reconciliation.importer import register_bank_account
from settlement.reconciliation.models import ImportedStatement, StatementLineRecord
from tests.support import camt_builder as camt
from tests.support.compliance import DEMO_CATALOGUE
from tests.unit.compliance import test_screening_loaders as lists
from tests.unit.settlement import test_statement_csv as statements
from tests.unit.test_file_input_fuzzing import CSV_TOKENS, XML_TOKENS, mutated

EXAMPLES = 40  # per command and database (each run is a whole command with its transaction)

CAMT = camt.build(camt.Stmt(id="FUZZ-1", entries=[
    camt.Entry(amount="250.00", ref="B-1", txs=[camt.Tx(e2e="E2E-1", dbtr_name="Acme GmbH")]),
    camt.Entry(amount="75.10", direction="DBIT", ref="B-2")]))


def _counts(db: Any, *models: Any) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(s.execute(select(func.count()).select_from(m)).scalar_one() for m in models)


def _active_versions(db: Any) -> list[tuple[Any, ...]]:
    with db.session() as s:
        return s.execute(select(ListVersion.id, ListVersion.version_id)
                         .where(ListVersion.status == "active").order_by(ListVersion.id)).all()


# name -> (seed, tokens, file name, command args before the path, state read before and after)
COMMANDS: dict[str, tuple[bytes, list[bytes], str, list[str], Callable[[Any], Any]]] = {
    "load-list csv": (lists.GENERIC.encode(), CSV_TOKENS, "list.csv",
                      ["compliance", "load-list", "--format", "csv", "--name", "FUZZ-LIST"],
                      lambda db: (_active_versions(db), _counts(db, ListEntryRecord))),
    "load-list un": (lists.UN_XML.encode(), XML_TOKENS, "un.xml",
                     ["compliance", "load-list", "--format", "un"],
                     lambda db: (_active_versions(db), _counts(db, ListEntryRecord))),
    "load-list ofac": (lists.SDN.encode("latin-1"), CSV_TOKENS, "sdn.csv",
                       ["compliance", "load-list", "--format", "ofac"],
                       lambda db: (_active_versions(db), _counts(db, ListEntryRecord))),
    "load-catalogue": (b"\n".join(DEMO_CATALOGUE.read_bytes().splitlines()[:8]) + b"\n", CSV_TOKENS,
                       "catalogue.csv", ["compliance", "load-catalogue", "--direction", "export"],
                       lambda db: None),
    "reconcile import csv": (statements.GENERIC_CSV.encode(), CSV_TOKENS, "statement.csv",
                             ["reconcile", "import", "--profile", "generic", "--account", "US-ACC-1",
                              "--opening", "1000.00", "--closing", "2249.50"],
                             lambda db: _counts(db, ImportedStatement, StatementLineRecord)),
    "reconcile import camt": (CAMT, XML_TOKENS, "statement.xml", ["reconcile", "import"],
                              lambda db: _counts(db, ImportedStatement, StatementLineRecord)),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_hostile_file_loads_whole_or_is_refused_leaving_the_data_as_it_was(
        app, db, clock, tmp_path: Path, name: str) -> None:
    seed, tokens, file_name, args, state = COMMANDS[name]
    with db.transaction() as s:
        register_bank_account(s, identifier="US-ACC-1", currency="USD", name="US", at=clock.now(), actor="t")
        register_bank_account(s, identifier=camt.Stmt().iban, currency="EUR", name="EU", at=clock.now(),
                              actor="t")
    runner = app.test_cli_runner()
    path = tmp_path / file_name
    path.write_bytes(seed)
    first = runner.invoke(args=[*args, str(path)])
    assert first.exit_code == 0, first.output  # the seed loads
    outcomes = {"loaded": 0, "refused": 0}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(mutated(seed, tokens))
    def fuzz(data: bytes) -> None:
        path.write_bytes(data)
        before = state(db)
        result = runner.invoke(args=[*args, str(path)])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{name} crashed on {data[:300]!r}") from result.exception
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 0:
            outcomes["loaded"] += 1
        else:
            assert "FAILED" in result.output or "nothing imported" in result.output, result.output
            assert state(db) == before, f"a refused {name} changed the data"
            outcomes["refused"] += 1

    fuzz()
    assert outcomes["refused"] > 0, outcomes
