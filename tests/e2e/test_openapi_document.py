"""The OpenAPI document describes the errors the API really sends (problem+json), per operation."""
from __future__ import annotations

from tests.e2e.routes import guarded_routes

PROBLEM = "application/problem+json"


def _document(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_every_error_response_is_a_problem_document_and_none_is_a_catch_all(client) -> None:
    doc = _document(client)
    assert "Problem" in doc["components"]["schemas"]
    assert "Error" not in doc["components"]["schemas"]  # flask-smorest's, which we never send
    responses = doc["components"]["responses"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert "default" not in op["responses"], f"{method} {path}"
            for status, resp in op["responses"].items():
                if int(status) < 400:
                    continue
                resp = responses[resp["$ref"].rsplit("/", 1)[1]] if "$ref" in resp else resp
                assert list(resp["content"]) == [PROBLEM], f"{method} {path} {status}"
            assert {"500", "503"} <= set(op["responses"]), f"{method} {path}"


def test_guarded_operations_document_401_and_403_and_public_ones_need_no_token(client, app) -> None:
    doc = _document(client)
    guarded = {(r.method.lower(), r.path.replace("<int:", "{").replace("<", "{").replace(">", "}"))
               for r in guarded_routes(app)}
    seen = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if (method, path) in guarded:
                assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
                seen += 1
    assert seen > 10
    sign_in = doc["paths"]["/api/v1/auth/token"]["post"]
    assert sign_in["security"] == [] and {"401", "429"} <= set(sign_in["responses"])


def test_idempotent_operations_document_the_header_and_its_refusals(client) -> None:
    op = _document(client)["paths"]["/api/v1/tokens"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op["parameters"])
    assert {"400", "409", "422"} <= set(op["responses"])


def test_an_id_beyond_64_bits_in_a_path_is_404_not_a_database_error(client, users) -> None:
    for url in ("/api/v1/organisations/99999999999999999999999",
                "/api/v1/compliance/cases/6199461926184921023935152128"):
        resp = client.get(url, headers=users["admin"]["headers"])
        assert resp.status_code == 404 and resp.mimetype == PROBLEM, url


def test_an_id_beyond_64_bits_in_a_body_is_422(client, users) -> None:
    resp = client.post("/api/v1/users", headers=users["admin"]["headers"], json={
        "email": "big@test.example", "display_name": "Big", "role": "buyer",
        "organisation_id": 10**30, "password": "a-long-enough-password"})
    assert resp.status_code == 422 and "organisation_id" in resp.get_json()["errors"]


def test_a_value_the_database_cannot_hold_is_a_422_problem(db, clock) -> None:
    from sqlalchemy import text

    from gateway.app import create_app
    from gateway.auth.access import public
    from gateway.db import db_session
    from tests.conftest import TEST_CONFIG

    app = create_app(dict(TEST_CONFIG), db=db, clock=clock)

    @public
    def too_big():
        db_session().execute(text("SELECT id FROM organisations WHERE id = :v"), {"v": 10**30})
        # PostgreSQL compares bigint with numeric happily; force the driver's range check
        db_session().execute(text("SELECT CAST(:v AS BIGINT)"), {"v": 10**30})
        return "unreachable"

    app.add_url_rule("/too-big", "too_big", too_big)
    resp = app.test_client().get("/too-big")
    assert resp.status_code == 422 and resp.mimetype == PROBLEM
    assert resp.get_json()["code"] == "value_out_of_range"
