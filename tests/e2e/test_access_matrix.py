"""The access matrix: every role and scope calls every guarded route with every tenant's ids.

Everyone signs in with their password (two sub-centres' staff, buyers of two organisations, a
seller, finance, compliance, admin), twice: for an API token, and through the sign-in page for a
browser session. API routes are called with the token; pages with the session cookie, and every
form POST carries the session's CSRF token as a browser would, so that a refused form is refused
by the access rule or the scope check and never by the CSRF guard (a 400 CSRF refusal fails the
test: it would hide whether the scope check works). Each tenant owns resources made by the
factories in resources.py, keyed by URL parameter name; the routes come from the URL map. A call is
*forbidden* when the caller's role is not admitted by the route's rule, or when the resource is
outside the caller's scope (not shared, role not global for the kind, no common scope); every
forbidden call must be refused with 401, 403 or 404. No call may end in a 5xx. Writes that take
a body carry a valid one (found by Schemathesis as a caller who may make the change), so that a
refusal comes from the scope check rather than from body validation.

Every call runs in a savepoint rolled back afterwards. The matrix is printed as a table
(``pytest -s``), and no token, session cookie or password appears in any log record of the run.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from gateway.auth.access import AUTHENTICATED
from gateway.db import SAFE_METHODS
from tests.conftest import PASSWORD
from tests.e2e.resources import EXAMPLE_BODIES, RESOURCES, Owned, Tenancy
from tests.e2e.routes import Route, guarded_routes
from tests.e2e.tenancy_fixtures import TENANTS, db, isolated, tenancy  # noqa: F401 - fixtures
from tests.support.web import csrf, sign_in

REFUSED = {401, 403, 404}
BODY_METHODS = {"POST", "PUT", "PATCH"}
_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _admitted(route: Route, role: str) -> bool:
    return route.rule.public or AUTHENTICATED in route.rule.roles or role in route.rule.roles


def _fill(route: Route, owned: dict[str, Owned]) -> str:
    return _PARAM.sub(lambda m: str(owned[m.group(1)].value), route.path)


@dataclass(frozen=True)
class Credentials:
    """How a tenant calls: a Bearer token for the API, a session cookie and its CSRF token for
    the pages."""

    api: dict[str, str]
    web: dict[str, str]
    csrf_token: str


def _sign_in_everyone(app: Any, client: Any, ctx: Tenancy) -> dict[str, Credentials]:
    """Fresh tokens and sessions through the password sign-ins, so passwords travel through the
    requests."""
    from gateway.auth.models import User

    out = {}
    with ctx.db.session() as s:
        emails = {key: s.get(User, u["id"]).email for key, u in ctx.users.items()}
    for key in TENANTS:
        resp = client.post("/api/v1/auth/token", json={"email": emails[key], "password": PASSWORD,
                                                        "name": "matrix"})
        assert resp.status_code == 201, (key, resp.get_json())
        token = resp.get_json()["token"]
        ctx.users[key]["signed_in_token"] = token
        browser = sign_in(app.test_client(), emails[key])
        csrf_token = csrf(browser, "/")  # binds the CSRF secret to the session
        cookie = browser.get_cookie("session")
        ctx.users[key]["session_cookie"] = cookie.value
        out[key] = Credentials(api={"Authorization": f"Bearer {token}"},
                               web={"Cookie": f"session={cookie.value}"}, csrf_token=csrf_token)
    return out


def _is_page(route: Route) -> bool:
    return route.endpoint.startswith("web.")


def _call(client: Any, route: Route, url: str, creds: Credentials, body: Any) -> Any:
    """One call as a tenant: an API call with the token and a JSON body, or a page with the
    session cookie (each call starts from the signed-in session; what a call does to it, such as
    signing out, is not kept) and, for a form POST, the CSRF token."""
    if not _is_page(route):
        return client.open(url, method=route.method, headers=creds.api,
                           json=body if body is not None else {})
    data = {"csrf_token": creds.csrf_token} if route.method not in SAFE_METHODS else None
    return client.open(url, method=route.method, headers=creds.web, data=data)


class BodyFinder:
    """A valid body for a write route: generated from the OpenAPI document by Schemathesis and
    kept once a caller allowed to make the change gets a 2xx with it."""

    def __init__(self, app: Any, db: Any) -> None:
        self.schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        self.db = db
        self.found: dict[tuple[str, str], Any] = {}

    def body(self, route: Route, url: str, headers: dict[str, str], owned: dict[str, Owned]) -> Any:
        key = (route.method, route.path)
        if key in self.found:
            return self.found[key]
        if not route.path.startswith("/api/"):
            return None  # a web form, not an API operation
        template = _PARAM.sub(r"{\1}", route.path)
        try:
            op = self.schema[template][route.method]
        except KeyError:
            return None  # not an API operation (a web form)
        bodies: list[Any] = []

        @settings(max_examples=25, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(headers=dict(headers),
                                   path_parameters={p: o.value for p, o in owned.items()}))
        def search(case: Any) -> None:
            if bodies:
                return
            with isolated(self.db):
                if 200 <= case.call().status_code < 300:
                    bodies.append(case.body)

        search()
        self.found[key] = bodies[0] if bodies else None
        return self.found[key]


def required_query(doc: dict[str, Any], route: Route) -> str:
    """A query string with a valid value for every required query parameter the OpenAPI
    document names, so that a refusal comes from the access check, not from validation."""
    op = doc["paths"].get(_PARAM.sub(r"{\1}", route.path), {}).get(route.method.lower(), {})
    pairs = []
    for param in op.get("parameters", []):
        if param.get("in") == "query" and param.get("required"):
            schema = param.get("schema", {})
            value = (schema.get("enum") or [schema.get("default") or schema.get("example") or "x"])[0]
            pairs.append(f"{param['name']}={value}")
    return ("?" + "&".join(pairs)) if pairs else ""


def test_every_forbidden_call_is_refused_and_the_matrix_is_printed(app, client, db, tenancy,
                                                                   caplog) -> None:
    caplog.set_level(logging.DEBUG)
    ctx: Tenancy = tenancy
    creds = _sign_in_everyone(app, client, ctx)
    pages = app.test_client(use_cookies=False)  # each page call carries its caller's cookie
    finder = BodyFinder(app, db)
    routes = [r for r in guarded_routes(app)]
    missing = sorted({p for r in routes for p in _PARAM.findall(r.path) if p not in RESOURCES})
    assert not missing, (f"route parameters without a resource factory in tests/e2e/resources.py: "
                         f"{missing}; register one with @resource(...)")

    doc = client.get("/api/v1/openapi.json").get_json()
    cells: dict[tuple[str, str], list[str]] = defaultdict(list)
    leaks: list[str] = []
    errors: list[str] = []
    csrf_refusals: list[str] = []
    forbidden_calls = 0
    for route in routes:
        params = _PARAM.findall(route.path)
        kinds = [RESOURCES[p] for p in params]
        for caller in TENANTS:
            role = ctx.role(caller)
            owners = TENANTS if params else [None]
            for owner in owners:
                owned: dict[str, Owned] = {}
                if owner is not None:
                    for kind in kinds:
                        got = kind.owned_by(ctx, owner)
                        if got is not None:
                            owned[kind.param] = got
                    if len(owned) < len(kinds):
                        continue  # this tenant owns no such resource
                reachable = all(k.reachable(ctx, caller, owned[k.param]) for k in kinds)
                forbidden = not _admitted(route, role) or not reachable
                url = _fill(route, owned) + required_query(doc, route)
                body = None
                if route.method in BODY_METHODS and forbidden and _admitted(route, role):
                    # a valid body, found as someone who may make this change to this resource
                    allowed = next((c for c in TENANTS if _admitted(route, ctx.role(c)) and
                                    all(k.reachable(ctx, c, owned[k.param]) for k in kinds)), None)
                    body = EXAMPLE_BODIES.get((route.method, route.path))
                    if body is None and allowed is not None:
                        body = finder.body(route, url, creds[allowed].api, owned)
                with isolated(db):
                    resp = _call(pages if _is_page(route) else client, route, url, creds[caller], body)
                status = resp.status_code
                label = "own" if owner is None or owner == caller else "other"
                cells[(f"{route.method} {route.path}", caller)].append(
                    f"{label}:{status}" + ("!" if forbidden else ""))
                where = f"{caller} ({role}) {route.method} {url} [owner {owner}]"
                if status >= 500:
                    errors.append(f"{where}: {status}")
                if status == 400 and "CSRF" in resp.get_data(as_text=True):
                    csrf_refusals.append(where)
                if forbidden:
                    forbidden_calls += 1
                    if status not in REFUSED:
                        leaks.append(f"{where}: {status} {resp.get_data(as_text=True)[:200]}")

    _print_matrix(cells)
    assert forbidden_calls > 50
    assert not errors, "server errors:\n" + "\n".join(errors)
    assert not csrf_refusals, "calls refused by the CSRF guard:\n" + "\n".join(csrf_refusals)
    assert not leaks, "forbidden calls that were not refused:\n" + "\n".join(leaks)
    _assert_no_secrets_logged(caplog, ctx)


def _print_matrix(cells: dict[tuple[str, str], list[str]]) -> None:
    """One row per route, one column per caller; ``!`` marks calls that had to be refused."""
    routes = sorted({r for r, _ in cells})
    width = max(len(r) for r in routes)
    lines = ["", f"{'route':{width}}  " + "  ".join(f"{c:>18}" for c in TENANTS)]
    for r in routes:
        row = []
        for c in TENANTS:
            summary: dict[str, int] = defaultdict(int)
            for entry in cells.get((r, c), []):
                summary[entry] += 1
            row.append(" ".join(f"{k}" + (f"x{n}" if n > 1 else "") for k, n in sorted(summary.items())))
        lines.append(f"{r:{width}}  " + "  ".join(f"{x:>18}" for x in row))
    print("\n".join(lines))


def _assert_no_secrets_logged(caplog: Any, ctx: Tenancy) -> None:
    secrets = [PASSWORD]
    for u in ctx.users.values():
        secrets += [u["token"], u["signed_in_token"], u["session_cookie"]]
    logged = "\n".join(
        f"{r.getMessage()} {getattr(r, 'fields', '')!r} {r.exc_text or ''}" for r in caplog.records)
    assert "request" in logged
    for secret in secrets:
        assert secret not in logged, "a token or password reached the logs"
