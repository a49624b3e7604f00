"""Fixtures of the tests that talk to the core served over HTTP on loopback."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from gateway.core.server import create_core_app
from kernel.db import Database
from tests.support.core import TOKEN, FaultInjector
from tests.support.live_server import LiveServer


@pytest.fixture
def core_db(fresh_db_url: str) -> Iterator[Database]:
    """The core's own connection pool on the test's fresh database (its tables are its own)."""
    db = Database(fresh_db_url)
    yield db
    db.engine.dispose()


@pytest.fixture
def faults(core_db: Database, clock: Any) -> FaultInjector:
    """The embedded core's HTTP app, wrapped so a test can inject 503s, delays and drops."""
    return FaultInjector(create_core_app({"CORE_TOKEN": TOKEN}, db=core_db, clock=clock))


@pytest.fixture
def core_url(faults: FaultInjector) -> Iterator[str]:
    with LiveServer(faults) as server:
        yield server.url
