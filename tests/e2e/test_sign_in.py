"""Sign-in: tokens for API clients, lock-out after repeated failures, rate limits, no secrets
in logs."""
from __future__ import annotations

import logging
from typing import Any

from tests.conftest import PASSWORD


def test_password_sign_in_returns_a_token_that_works_once_shown(client, users) -> None:
    resp = client.post("/api/v1/auth/token", json={"email": users["buyer"]["email"], "password": PASSWORD})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["token"].startswith("tt_") and body["prefix"] == body["token"][:10]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["role"] == "buyer"
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {body['token']}"}).get_json()
    assert all("token" not in t for t in listed["items"])


def test_wrong_password_is_401_and_unknown_user_looks_the_same(client, users) -> None:
    wrong = client.post("/api/v1/auth/token", json={"email": users["buyer"]["email"], "password": "nope"})
    unknown = client.post("/api/v1/auth/token", json={"email": "ghost@test.example", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_repeated_failures_lock_the_account_until_the_lockout_ends(client, users, clock) -> None:
    email = users["finance"]["email"]
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"email": email, "password": "guess"}).status_code == 401
    locked = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert locked.status_code == 401 and "locked" in locked.get_json()["detail"]
    clock.advance(minutes=16)
    assert client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).status_code == 201


def test_the_lock_out_is_audited(client, users, db) -> None:
    from sqlalchemy import select

    from kernel.audit import AuditEvent

    for _ in range(5):
        client.post("/api/v1/auth/token", json={"email": users["finance"]["email"], "password": "guess"})
    with db.session() as s:
        actions = s.execute(select(AuditEvent.action).where(AuditEvent.entity_id == str(users["finance"]["id"]))).scalars().all()
    assert "user.locked" in actions


def test_sign_in_is_rate_limited_per_address(db, clock, users) -> None:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "LOGIN_RATE_LIMIT": "3 per minute"}, db=db, clock=clock)
    client = app.test_client()
    codes = [client.post("/api/v1/auth/token", json={"email": "a@b.example", "password": "x"},
                         environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    other = client.post("/api/v1/auth/token", json={"email": "a@b.example", "password": "x"},
                        environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert other.status_code == 401
    limited = client.post("/api/v1/auth/token", json={"email": "a@b.example", "password": "x"},
                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert limited.mimetype == "application/problem+json"


def test_the_sign_in_page_is_rate_limited_per_address(db, clock, users) -> None:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG
    from tests.support.web import csrf

    app = create_app({**TEST_CONFIG, "LOGIN_RATE_LIMIT": "3 per minute"}, db=db, clock=clock)
    client = app.test_client()
    email = users["buyer"]["email"]

    def attempt(password: str, address: str) -> Any:
        return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(client)},
                           environ_base={"REMOTE_ADDR": address})

    codes = [attempt("guess", "192.0.2.7").status_code for _ in range(3)]
    assert codes == [200, 200, 200]  # the form comes back with the reason
    limited = attempt(PASSWORD, "192.0.2.7")  # even the right password waits out the limit
    assert limited.status_code == 429 and limited.mimetype == "text/html"
    assert client.get("/api/v1/me").status_code == 401  # and signs no one in
    # showing the form is not limited; another address is counted apart
    assert client.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert attempt(PASSWORD, "192.0.2.8").status_code == 302


def test_failures_on_the_page_lock_the_account_everywhere_until_the_lockout_ends(client, users,
                                                                                  clock) -> None:
    from tests.support.web import csrf

    email = users["seller_us"]["email"]
    for _ in range(5):
        client.post("/login", data={"email": email, "password": "guess", "csrf_token": csrf(client)})
    page = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)})
    assert page.status_code == 200 and "locked" in page.get_data(as_text=True)
    api = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert api.status_code == 401 and "locked" in api.get_json()["detail"]
    clock.advance(minutes=16)
    page = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)})
    assert page.status_code == 302
    assert client.get("/api/v1/me").get_json()["id"] == users["seller_us"]["id"]


def test_issuing_tokens_is_rate_limited_per_user(db, clock, users) -> None:
    from sqlalchemy import func, select

    from gateway.app import create_app
    from gateway.auth.models import ApiToken
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "TOKEN_RATE_LIMIT": "2 per minute"}, db=db, clock=clock)
    client = app.test_client()

    def issue(key: str, address: str) -> Any:
        return client.post("/api/v1/tokens", json={"name": "ci"}, headers=users[key]["headers"],
                           environ_base={"REMOTE_ADDR": address})

    def tokens_of(key: str) -> int:
        with db.session() as s:
            return s.execute(select(func.count()).select_from(ApiToken)
                             .where(ApiToken.user_id == users[key]["id"])).scalar_one()

    before = tokens_of("finance")
    assert [issue("finance", "192.0.2.7").status_code for _ in range(2)] == [201, 201]
    limited = issue("finance", "192.0.2.9")  # the user is counted, whatever their address
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert tokens_of("finance") == before + 2
    assert issue("buyer", "192.0.2.7").status_code == 201  # another user from the same address


def test_a_token_in_the_query_string_signs_no_one_in(client, users) -> None:
    """Only the Authorization header carries a token: a URL ends up in proxies' and servers' logs."""
    token = users["buyer"]["token"]
    for name in ("token", "access_token", "api_key"):
        resp = client.get(f"/api/v1/me?{name}={token}")
        assert resp.status_code == 401 and resp.mimetype == "application/problem+json", name
    assert client.get("/api/v1/me", headers=users["buyer"]["headers"]).status_code == 200


def test_tokens_and_passwords_never_reach_the_logs(client, users, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    token = users["buyer"]["token"]
    client.get(f"/api/v1/me?token={token}", headers=users["buyer"]["headers"])
    client.post("/api/v1/auth/token", json={"email": users["buyer"]["email"], "password": PASSWORD})
    client.post("/api/v1/auth/token", json={"email": users["buyer"]["email"], "password": "wrong-Secret-1"})
    logged = "\n".join(r.getMessage() + repr(getattr(r, "fields", "")) for r in caplog.records)
    assert "request" in logged
    for secret in (token, PASSWORD, "wrong-Secret-1"):
        assert secret not in logged


def test_admin_creates_users_with_scopes(client, users, parties) -> None:
    resp = client.post("/api/v1/users", headers=users["admin"]["headers"], json={
        "email": "new.staff@test.example", "display_name": "New", "role": "subcentre_staff",
        "subcentre": "DK", "password": "a-long-enough-password"})
    assert resp.status_code == 201 and resp.get_json()["subcentre_id"] == parties["dk"]
    resp = client.post("/api/v1/users", headers=users["admin"]["headers"], json={
        "email": "lost@test.example", "display_name": "Lost", "role": "buyer",
        "password": "a-long-enough-password"})
    assert resp.status_code == 422 and "organisation_id" in resp.get_json()["errors"]
    dup = client.post("/api/v1/users", headers=users["admin"]["headers"], json={
        "email": "NEW.staff@test.example", "display_name": "Again", "role": "finance",
        "password": "a-long-enough-password"})
    assert dup.status_code == 409
