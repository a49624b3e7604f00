"""Probes, the OpenAPI document, request ids and cursor pagination."""
from __future__ import annotations

import json

from gateway.app import FRAMEWORK_PUBLIC_ENDPOINTS
from tests.e2e.routes import all_routes


def test_healthz_and_readyz(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    assert ready.get_json()["screening"]["active_lists"] == []
    assert "no watch list is loaded" in ready.get_json()["screening"]["warning"]


def test_readyz_names_the_active_watch_lists(client, db, clock) -> None:
    from tests.support.compliance import load_watch

    with db.transaction() as s:
        load_watch(s, "id,name,entity_type,country,date,programs\nE-1,Nordic Drone Systems ApS,entity,DK,,x\n",
                   clock.now(), name="INTERNAL")
    screening = client.get("/readyz").get_json()["screening"]
    assert screening == {"active_lists": ["INTERNAL"]}


def test_readyz_fails_when_migrations_are_not_at_head(fresh_db_url) -> None:
    from sqlalchemy import text

    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url})
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    with app.extensions["gateway.db"].transaction() as s:
        s.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["code"] == "migrations_pending"
    app.extensions["gateway.db"].engine.dispose()


def test_openapi_document_covers_every_api_route(client, app) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    for route in all_routes(app):
        if not route.path.startswith("/api/v1/") or route.endpoint in FRAMEWORK_PUBLIC_ENDPOINTS:
            continue
        path = route.path.replace("<int:", "{").replace("<", "{").replace(">", "}")
        assert (path, route.method) in documented, f"{route.method} {path} missing from OpenAPI"
    signin = doc["paths"]["/api/v1/auth/token"]["post"]
    assert signin["security"] == []
    assert signin["requestBody"]["content"]["application/json"]["schema"]
    assert client.get("/api/docs").status_code == 200


def test_request_ids_are_echoed_or_made(client) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert made != "bad id with spaces" and len(made) == 32


def test_request_logs_are_json_lines(client, capfd) -> None:
    import logging

    from gateway.observability import JsonFormatter

    record = logging.LogRecord("gateway.request", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"request_id": "r1", "status": 200}
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "r1" and line["status"] == 200 and line["ts"].endswith("Z")


def test_cursor_pagination_walks_every_item_once(client, users) -> None:
    for i in range(7):
        body = {"legal_name": f"Org {i}", "legal_name_latin": f"Org {i}", "country": "US",
                "org_type": "company", "tax_residency": "US"}
        assert client.post("/api/v1/organisations", json=body, headers=users["admin"]["headers"]).status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/organisations?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=users["admin"]["headers"]).get_json()
        seen += [o["id"] for o in page["items"]]
        pages += 1
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 10 and seen == sorted(seen)
    assert pages == -(-len(seen) // 3)
