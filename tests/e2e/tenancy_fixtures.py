"""Fixtures for the tests that call every route as every tenant (imported by those modules).

``db`` is conftest's (one outer transaction, rolled back at the end) keeping its connection,
so that each call can run in a savepoint of its own (``isolated``) and leave nothing behind
for the next: an admin revoking someone's token must not sign that someone out of the matrix.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pytest

from kernel.db import Database
from tests.e2e.resources import Tenancy

TENANTS = ["admin", "finance", "compliance", "staff_us", "staff_dk", "buyer", "buyer2", "seller_us"]


@pytest.fixture
def db(backend: str, shared_engines: dict[str, Any]) -> Iterator[Database]:
    conn = shared_engines[backend].connect()
    outer = conn.begin()
    try:
        database = Database(bind=conn)
        database.test_connection = conn  # type: ignore[attr-defined]
        yield database
    finally:
        outer.rollback()
        conn.close()


@contextmanager
def isolated(db: Database) -> Iterator[None]:
    """Run a block in a savepoint that is rolled back afterwards."""
    savepoint = db.test_connection.begin_nested()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def tenancy(db: Database, clock: Any, parties: dict[str, Any], users: dict[str, Any],
            make_user: Callable[..., dict[str, Any]]) -> Tenancy:
    """Every role and scope: two sub-centres' staff, buyers of two organisations, a seller,
    finance, compliance and admin."""
    from gateway.auth.models import User
    from kernel.parties import Organisation

    with db.transaction() as s:
        other = Organisation(legal_name="杭州云芯半导体有限公司", legal_name_latin="Hangzhou Yunxin Semiconductor",
                             country="CN", org_type="company", tax_residency="CN", subcentre_id=None,
                             created_at=clock.now())
        s.add(other)
        s.flush()
        parties = {**parties, "buyer_org2": other.id}
    everyone = {**users, "buyer2": make_user("buyer", organisation_id=parties["buyer_org2"])}
    with db.session() as s:
        for key, u in everyone.items():
            row = s.get(User, u["id"])
            u.update(role=row.role, subcentre_id=row.subcentre_id, organisation_id=row.organisation_id)
    assert sorted(everyone) == sorted(TENANTS)
    return Tenancy(db=db, now=clock.now(), parties=parties, users=everyone)
