"""The schema comes from Alembic only, and it is exactly the models' schema."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from gateway.health import alembic_config
from gateway.schema import import_all_models, include_name
from kernel.db import make_engine


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        # the same filter as migrations/env.py: the one-database search objects are not modelled
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(ctx, import_all_models())
    engine.dispose()
    return diff


def test_there_is_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    for rev in script.walk_revisions():
        assert not isinstance(rev.down_revision, tuple), f"merge revision {rev.revision}"


def test_upgrade_head_gives_exactly_the_models_schema(fresh_db_url: str) -> None:
    assert _diff(fresh_db_url) == []


def test_downgrade_to_base_and_upgrade_again(fresh_db_url: str) -> None:
    cfg = alembic_config(fresh_db_url)
    command.downgrade(cfg, "base")
    engine = make_engine(fresh_db_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(cfg, "head")
    assert _diff(fresh_db_url) == []
