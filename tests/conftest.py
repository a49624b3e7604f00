"""Test fixtures: both databases, a frozen clock, the app and its client, users with tokens.

Every database test runs on SQLite and on a real PostgreSQL started for the run. The schema
comes from Alembic (migrated once per database); each test runs inside a transaction that is
rolled back. ``fresh_db_url`` gives a database of its own to tests that need real commits.
``TEST_DATABASES=sqlite`` narrows a local run explicitly; CI always runs both.
"""
from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from alembic import command
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from kernel.clock import FrozenClock
from kernel.db import Database, make_engine
from tests.support.postgres import PostgresServer

BACKENDS = [b for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if b]
if os.environ.get("CI") and BACKENDS != ["sqlite", "postgresql"]:
    raise RuntimeError("CI runs every database test on SQLite and PostgreSQL")

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _collect_garbage_after_each_test() -> Iterator[None]:
    """Collect garbage once the test's other fixtures are finalised (an autouse fixture is set
    up first, so it is torn down last), before pytest reads the unraisable exceptions of the
    teardown: a database connection the test left open (a ResourceWarning, an error here) then
    fails the test that leaked it, not whichever later test the collector happened to run in."""
    yield
    gc.collect()


def migrate(url: str) -> None:
    from gateway.health import alembic_config

    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def template_urls(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One migrated database per backend, used as the template for every test."""
    urls: dict[str, str] = {}
    if "sqlite" in BACKENDS:
        path = tmp_path_factory.mktemp("sqlite") / "template.db"
        urls["sqlite"] = f"sqlite:///{path}"
        migrate(urls["sqlite"])
    if "postgresql" in BACKENDS:
        server: PostgresServer = request.getfixturevalue("pg_server")
        urls["postgresql"] = server.create_database("gw_template")
        migrate(urls["postgresql"])
    return urls


@pytest.fixture(scope="session")
def shared_engines(template_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
                   request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Engines on a working copy of each template (the template itself stays idle, so that
    ``CREATE DATABASE ... TEMPLATE`` never finds it in use)."""
    engines: dict[str, Any] = {}
    if "sqlite" in template_urls:
        dst = tmp_path_factory.mktemp("sqlite-work") / "work.db"
        shutil.copy(template_urls["sqlite"].removeprefix("sqlite:///"), dst)
        engines["sqlite"] = make_engine(f"sqlite:///{dst}")
    if "postgresql" in template_urls:
        server: PostgresServer = request.getfixturevalue("pg_server")
        _create_from_template(server, "gw_work")
        engines["postgresql"] = make_engine(server.url("gw_work"))
    yield engines
    for engine in engines.values():
        engine.dispose()


def _create_from_template(server: PostgresServer, name: str) -> None:
    server.create_database(name, template="gw_template")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db(backend: str, shared_engines: dict[str, Any]) -> Iterator[Database]:
    """A Database whose sessions all join one outer transaction, rolled back after the test."""
    conn = shared_engines[backend].connect()
    outer = conn.begin()
    try:
        yield Database(bind=conn)
    finally:
        outer.rollback()
        conn.close()


@contextmanager
def _pg_database_from_template(server: PostgresServer) -> Iterator[str]:
    name = f"gw_{uuid.uuid4().hex[:12]}"
    _create_from_template(server, name)
    try:
        yield server.url(name)
    finally:
        admin = make_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def fresh_db_url(backend: str, template_urls: dict[str, str], tmp_path: Path,
                 request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of the test's own, for tests that commit (threads, CLI, server)."""
    if backend == "sqlite":
        dst = tmp_path / "fresh.db"
        shutil.copy(template_urls["sqlite"].removeprefix("sqlite:///"), dst)
        yield f"sqlite:///{dst}"
        return
    with _pg_database_from_template(request.getfixturevalue("pg_server")) as url:
        yield url


@pytest.fixture
def pg_db_url(template_urls: dict[str, str], request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL database of the test's own, for proofs that need real concurrency (SQLite
    serialises writers, so these run on PostgreSQL only)."""
    if "postgresql" not in template_urls:
        pytest.skip("TEST_DATABASES leaves PostgreSQL out of this local run")
    with _pg_database_from_template(request.getfixturevalue("pg_server")) as url:
        yield url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "SESSION_COOKIE_SECURE": False,
    "LOG_LEVEL": "WARNING",
}


@pytest.fixture
def app(db: Database, clock: FrozenClock) -> Any:
    from gateway.app import create_app

    return create_app(dict(TEST_CONFIG), db=db, clock=clock)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


_PASSWORD_HASH: list[str] = []


@pytest.fixture
def parties(db: Database, clock: FrozenClock) -> dict[str, Any]:
    """Two sub-centres, and an organisation under each, plus a domestic buyer organisation."""
    from kernel.parties import Organisation, SubCentre

    with db.transaction() as s:
        us = SubCentre(code="US", name_zh="美国分中心", name_en="US Sub-centre", country="US",
                       home_currency="USD", locale="en_US", timezone="America/New_York", active=True)
        dk = SubCentre(code="DK", name_zh="丹麦分中心", name_en="Denmark Sub-centre", country="DK",
                       home_currency="DKK", locale="da_DK", timezone="Europe/Copenhagen", active=True)
        s.add_all([us, dk])
        s.flush()
        seller_us = Organisation(legal_name="Photonics Lab Inc.", legal_name_latin="Photonics Lab Inc.",
                                 country="US", org_type="company", tax_residency="US",
                                 subcentre_id=us.id, created_at=clock.now())
        seller_dk = Organisation(legal_name="Aarhus Bio ApS", legal_name_latin="Aarhus Bio ApS",
                                 country="DK", org_type="company", tax_residency="DK",
                                 subcentre_id=dk.id, created_at=clock.now())
        buyer = Organisation(legal_name="深圳智造科技有限公司", legal_name_latin="Shenzhen Zhizao Technology",
                             country="CN", org_type="company", tax_residency="CN", subcentre_id=None,
                             created_at=clock.now())
        s.add_all([seller_us, seller_dk, buyer])
        s.flush()
        return {"us": us.id, "dk": dk.id, "seller_us": seller_us.id, "seller_dk": seller_dk.id,
                "buyer_org": buyer.id}


@pytest.fixture
def make_user(db: Database, clock: FrozenClock) -> Callable[..., dict[str, Any]]:
    """Create a user (password ``PASSWORD``) with a token; returns ids, token and auth headers."""
    from gateway.auth.models import User
    from gateway.auth.service import issue_token

    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(generate_password_hash(PASSWORD, method="scrypt"))

    def make(role: str, *, subcentre_id: int | None = None, organisation_id: int | None = None,
             email: str | None = None) -> dict[str, Any]:
        with db.transaction() as s:
            user = User(email=email or f"{role}-{uuid.uuid4().hex[:8]}@test.example", display_name=role,
                        password_hash=_PASSWORD_HASH[0], role=role, subcentre_id=subcentre_id,
                        organisation_id=organisation_id, locale="en", active=True, failed_logins=0,
                        created_at=clock.now())
            s.add(user)
            s.flush()
            _token, plain = issue_token(s, user, name="test", now=clock.now(),
                                        valid_for=dt.timedelta(days=30), actor="test")
            return {"id": user.id, "email": user.email, "token": plain,
                    "headers": {"Authorization": f"Bearer {plain}"}}

    return make


@pytest.fixture
def users(parties: dict[str, Any], make_user: Callable[..., dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One user of every role, staff of the US and DK sub-centres."""
    return {
        "admin": make_user("admin"),
        "finance": make_user("finance"),
        "compliance": make_user("compliance_officer"),
        "staff_us": make_user("subcentre_staff", subcentre_id=parties["us"]),
        "staff_dk": make_user("subcentre_staff", subcentre_id=parties["dk"]),
        "buyer": make_user("buyer", organisation_id=parties["buyer_org"]),
        "seller_us": make_user("seller", organisation_id=parties["seller_us"]),
    }
