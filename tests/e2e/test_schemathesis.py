"""Schemathesis against our own OpenAPI document: no 5xx, every status documented, every body
and content type as documented.

Every operation in the document is exercised once with the most privileged role it admits
(admin wherever admin is admitted; public operations anonymously), with generated valid
requests and a few invalid ones; then each other role exercises a fixed sample of operations.
Budgets are example counts and every run is derandomised, so CI runs the same requests each
time (DECISIONS.md: bounded by examples, not time). Operations come from the document itself,
so routes merged later are covered without touching this file.

Each operation runs inside a savepoint rolled back afterwards, so one operation's side effects
(an admin revoking a token, a case confirmed) never change what the next one sees.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection, response_schema_conformance,
    status_code_conformance,
)

from gateway.auth.access import AUTHENTICATED, rule_for
from kernel.db import Database
from tests.conftest import TEST_CONFIG
from tests.e2e.resources import RESOURCES, Tenancy
from tests.e2e.tenancy_fixtures import TENANTS, db, isolated, tenancy  # noqa: F401 - fixtures
from tests.e2e.test_access_rules import ROLE_USER

POSITIVE_EXAMPLES = 12  # per operation, most privileged role
NEGATIVE_EXAMPLES = 4   # invalid requests per operation: must be refused with a documented 4xx
SAMPLE_EXAMPLES = 4     # per sampled operation, other roles
SAMPLE_SIZE = 5         # operations sampled per other role
OTHER_ROLES = ["finance", "compliance", "staff_us", "staff_dk", "buyer", "buyer2", "seller_us"]
RESPONSE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance]


@pytest.fixture
def app(db: Database, clock: Any) -> Any:
    from gateway.app import create_app

    # the sign-in rate limit stays on: 429 is part of what the document must describe
    return create_app(dict(TEST_CONFIG), db=db, clock=clock)


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 20, "the OpenAPI document lists fewer operations than expected"
    return ops


def _rule(app: Any, op: Any) -> Any:
    """The access rule of the view behind a documented operation (matched through the URL map)."""
    adapter = app.url_map.bind("localhost")
    endpoint, _args = adapter.match(re.sub(r"\{[^}]+\}", "1", op.path), method=op.method.upper())
    return rule_for(app.view_functions[endpoint], op.method.upper())


def _primary_role(rule: Any) -> str | None:
    """The most privileged role an operation admits (None: public, call it anonymously)."""
    if rule.public:
        return None
    if AUTHENTICATED in rule.roles or "admin" in rule.roles:
        return "admin"
    return sorted(rule.roles)[0]


def _admits(rule: Any, role: str) -> bool:
    return rule.public or AUTHENTICATED in rule.roles or role in rule.roles


class Exercise:
    """Runs one operation's generated cases, collecting failures instead of stopping."""

    def __init__(self, db: Database, users: dict[str, Any]) -> None:
        self.db = db
        self.users = users
        self.failures: list[str] = []
        self.table: list[str] = []

    def run(self, op: Any, user_key: str | None, mode: GenerationMode, examples: int,
            path_parameters: dict[str, Any] | None = None) -> None:
        headers = self.users[user_key]["headers"] if user_key else {}
        seen: Counter[int] = Counter()
        checks = RESPONSE_CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate, Phase.target],
                  suppress_health_check=list(HealthCheck))
        # the Authorization header is fixed (ours), so negative cases never mutate it
        @given(case=op.as_strategy(generation_mode=mode, headers=dict(headers),
                                   path_parameters=path_parameters))
        def exercise(case: Any) -> None:
            response = case.call_and_validate(checks=checks)
            seen[response.status_code] += 1

        try:
            with isolated(self.db):
                exercise()
        except Unsatisfiable:
            return  # nothing in this operation's inputs can be made invalid
        except Exception as exc:  # noqa: BLE001 - gathered and reported together below
            self.failures.append(f"{op.method.upper()} {op.path} as {user_key or 'anonymous'} "
                                 f"({mode.value}):\n{exc}")
        statuses = " ".join(f"{s}x{n}" for s, n in sorted(seen.items()))
        ids = "existing ids" if path_parameters else ""
        self.table.append(f"{op.method.upper():6} {op.path:48} {user_key or 'anonymous':11} "
                          f"{mode.value:8} {ids:12} {statuses}")

    def report(self) -> None:
        print("\n" + "\n".join(self.table))
        assert not self.failures, "\n\n".join(self.failures)


def _existing_ids(ctx: Tenancy, op: Any, caller: str) -> dict[str, Any] | None:
    """Path parameters naming resources that exist and that ``caller`` may reach (from the
    resource factories), or None when the operation has none or a parameter has no factory."""
    params = re.findall(r"\{([^}]+)\}", op.path)
    if not params or any(p not in RESOURCES for p in params):
        return None
    for owner in TENANTS:
        owned = {p: RESOURCES[p].owned_by(ctx, owner) for p in params}
        if all(o is not None and RESOURCES[p].reachable(ctx, caller, o) for p, o in owned.items()):
            return {p: o.value for p, o in owned.items()}
    return None


def test_every_operation_conforms_for_its_most_privileged_role(app, db, tenancy) -> None:
    run = Exercise(db, tenancy.users)
    for op in _operations(app):
        role = _primary_role(_rule(app, op))
        user_key = None if role is None else ROLE_USER.get(role, role)
        run.run(op, user_key, GenerationMode.POSITIVE, POSITIVE_EXAMPLES)
        run.run(op, user_key, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
        existing = _existing_ids(tenancy, op, user_key) if user_key else None
        if existing:  # generated ids rarely exist: once more with ids that do
            run.run(op, user_key, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, existing)
    run.report()


def test_a_sample_of_operations_conforms_for_every_other_role(app, db, tenancy) -> None:
    run = Exercise(db, tenancy.users)
    ops = _operations(app)
    role_of = {key: tenancy.role(key) for key in OTHER_ROLES}
    for key in OTHER_ROLES:
        rng = random.Random(f"schemathesis-sample-{key}")  # fixed: the same sample every run
        admitted = [op for op in ops if _admits(_rule(app, op), role_of[key])]
        refused = [op for op in ops if not _admits(_rule(app, op), role_of[key])]
        sample = rng.sample(admitted, min(SAMPLE_SIZE - 1, len(admitted)))
        sample += rng.sample(refused, min(1, len(refused)))  # and one it must be refused
        for op in sample:
            run.run(op, key, GenerationMode.POSITIVE, SAMPLE_EXAMPLES,
                    _existing_ids(tenancy, op, key))
    run.report()
