"""Signing in through the pages and reading CSRF tokens, for the page tests."""
from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD


def csrf(client: Any, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client: Any, email: str) -> Any:
    """A fresh session signed in as ``email`` (the client's cookie jar is reused)."""
    client.post("/logout", data={"csrf_token": csrf(client)})
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


def post_form(client: Any, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf(client, "/"), **(data or {})}, **kw)
