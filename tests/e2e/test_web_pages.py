"""Sign-in pages: CSRF on every form, cookie flags, language switch, lock-out, safe redirects."""
from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _csrf(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_sign_in_page_is_labelled_and_carries_a_csrf_token(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="email">' in html and 'id="email"' in html
    assert '<label for="password">' in html and 'name="csrf_token"' in html


def test_a_form_posted_without_its_csrf_token_is_refused(client, users) -> None:
    resp = client.post("/login", data={"email": users["buyer"]["email"], "password": PASSWORD})
    assert resp.status_code == 400
    assert "/" == client.get("/").request.path and "Sign in" in client.get("/").get_data(as_text=True)


def test_signing_in_and_out(client, users) -> None:
    token = _csrf(client)
    resp = client.post("/login", data={"email": users["buyer"]["email"], "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert 'id="role"' in home and "buyer" in home
    me = client.get("/api/v1/me")  # the browser's session also reaches the API for reading
    assert me.status_code == 200 and me.get_json()["email"] == users["buyer"]["email"]
    out = client.post("/logout", data={"csrf_token": _csrf(client, "/")})
    assert out.status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_api_writes_riding_on_the_cookie_need_the_csrf_header(client, users) -> None:
    token = _csrf(client)
    client.post("/login", data={"email": users["buyer"]["email"], "password": PASSWORD, "csrf_token": token})
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code == 403
    ok = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRFToken": _csrf(client, "/")})
    assert ok.status_code == 201


def test_session_cookie_is_httponly_samesite_and_secure_by_default(db, clock, users) -> None:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SESSION_COOKIE_SECURE": True}, db=db, clock=clock)
    client = app.test_client()
    html = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"email": users["buyer"]["email"], "password": PASSWORD, "csrf_token": token},
                       base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert resp.status_code == 302
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_wrong_password_shows_the_reason_and_locks_after_five(client, users) -> None:
    for _ in range(5):
        resp = client.post("/login", data={"email": users["seller_us"]["email"], "password": "nope",
                                           "csrf_token": _csrf(client)})
        assert resp.status_code == 200 and "email or password is wrong" in resp.get_data(as_text=True)
    resp = client.post("/login", data={"email": users["seller_us"]["email"], "password": PASSWORD,
                                       "csrf_token": _csrf(client)})
    assert resp.status_code == 200 and "locked" in resp.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


def test_pages_speak_chinese_when_asked(client, users) -> None:
    html = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "登录" in html and 'lang="zh-CN"' in html
    token = _csrf(client)
    client.post("/language", data={"locale": "zh_CN", "next": "/login", "csrf_token": token})
    resp = client.post("/login", data={"email": users["buyer"]["email"], "password": "nope",
                                       "csrf_token": _csrf(client)})
    assert "邮箱或密码错误" in resp.get_data(as_text=True)
    client.post("/language", data={"locale": "en", "csrf_token": _csrf(client)})
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_sign_in_never_redirects_off_site(client, users) -> None:
    for target in ("https://evil.example/", "//evil.example", "/\\evil"):
        resp = client.post(f"/login?next={target}", data={
            "email": users["buyer"]["email"], "password": PASSWORD, "csrf_token": _csrf(client)})
        assert resp.status_code == 302
        assert not resp.headers["Location"].startswith(("http", "//")), resp.headers["Location"]
        client.post("/logout", data={"csrf_token": _csrf(client, "/")})


def test_a_signed_out_visitor_is_sent_to_sign_in_from_a_page(client) -> None:
    resp = client.post("/logout", data={"csrf_token": _csrf(client)})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
