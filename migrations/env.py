"""Alembic environment: the URL from the config (tests) or DATABASE_URL, the models' metadata."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from gateway.config import DEFAULTS
from gateway.schema import import_all_models, include_name
from kernel.db import make_engine

import os

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = import_all_models()


def database_url() -> str:
    return (config.get_main_option("sqlalchemy.url")
            or os.environ.get("GATEWAY_DATABASE_URL")
            or os.environ.get("DATABASE_URL")
            or DEFAULTS["DATABASE_URL"])


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
