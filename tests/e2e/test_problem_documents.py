"""Bad input gets a problem+json 4xx naming the field, never a 500 or a stack trace."""
from __future__ import annotations

import pytest

from tests.e2e.routes import all_routes
from tests.e2e.test_access_rules import ROLE_USER

WRITE_METHODS = {"POST", "PUT", "PATCH"}


def _api_write_routes(app):
    return [r for r in all_routes(app)
            if r.method in WRITE_METHODS and r.path.startswith("/api/") and r.rule is not None]


def _caller(route, users):
    if route.rule.public:
        return {}
    role = "admin" if ("*" in route.rule.roles or "admin" in route.rule.roles) else sorted(route.rule.roles)[0]
    return users[ROLE_USER[role]]["headers"]


def _assert_problem(resp, route, what):
    assert 400 <= resp.status_code < 500, f"{what} to {route.method} {route.path}: {resp.status_code} {resp.data[:300]}"
    assert resp.mimetype == "application/problem+json", f"{what} to {route.path}: {resp.mimetype}"
    body = resp.get_json()
    assert {"type", "title", "status"} <= set(body) and body["status"] == resp.status_code
    assert "Traceback" not in resp.get_data(as_text=True)
    return body


BAD_BODIES = {
    "malformed JSON": dict(data='{"legal_name": "x",', content_type="application/json"),
    "a JSON array": dict(json=[1, 2, 3]),
    "a JSON string": dict(json="hello"),
    "wrong types": dict(json={"name": 5, "email": 7, "legal_name": [], "full_name": {}, "password": 1}),
    "unknown fields": dict(json={"surprise": "field", "another": 1}),
    "bad currency codes": dict(json={"price": {"amount": "1.00", "currency": "XXQ"},
                                     "amount": {"amount": "1.00", "currency": "usd"},
                                     "asking_price": {"amount": "1.00", "currency": "EURO"}}),
    "not JSON at all": dict(data="a=1&b=2", content_type="application/x-www-form-urlencoded"),
    "an oversize body": dict(data='{"name": "' + "x" * (3 * 1024 * 1024) + '"}', content_type="application/json"),
}


@pytest.mark.parametrize("what", sorted(BAD_BODIES))
def test_every_write_route_answers_bad_bodies_with_a_problem_document(client, app, users, what) -> None:
    routes = _api_write_routes(app)
    assert routes
    for route in routes:
        resp = client.open(route.url(), method=route.method, headers=_caller(route, users), **BAD_BODIES[what])
        _assert_problem(resp, route, what)


def test_unknown_fields_are_named(client, users) -> None:
    resp = client.post("/api/v1/tokens", json={"name": "x", "colour": "blue"}, headers=users["buyer"]["headers"])
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"colour": ["Unknown field."]}


def test_validation_errors_name_each_field(client, users) -> None:
    resp = client.post("/api/v1/organisations", headers=users["staff_us"]["headers"],
                       json={"legal_name": "X", "legal_name_latin": "X", "country": "usa",
                             "org_type": "pirate", "tax_residency": "US"})
    body = resp.get_json()
    assert resp.status_code == 422
    assert set(body["errors"]) == {"country", "org_type"}


def test_oversize_body_is_413(client, users) -> None:
    resp = client.post("/api/v1/tokens", data="x" * (3 * 1024 * 1024), content_type="application/json",
                       headers=users["buyer"]["headers"])
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"


def test_unknown_routes_and_methods_are_problems(client, users) -> None:
    resp = client.get("/api/v1/nothing-here", headers=users["buyer"]["headers"])
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    resp = client.put("/api/v1/me", headers=users["buyer"]["headers"])
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]


def test_bad_query_arguments_are_named(client, users) -> None:
    resp = client.get("/api/v1/organisations?limit=100000", headers=users["admin"]["headers"])
    assert resp.status_code == 422 and "query.limit" in resp.get_json()["errors"]
    resp = client.get("/api/v1/organisations?cursor=%%%", headers=users["admin"]["headers"])
    assert resp.status_code == 422 and resp.get_json()["errors"] == {"cursor": ["the cursor is not one this API gave out"]}


def test_an_unexpected_error_is_a_500_problem_without_a_stack_trace(db, clock) -> None:
    from gateway.app import create_app
    from gateway.auth.access import public
    from tests.conftest import TEST_CONFIG

    app = create_app(dict(TEST_CONFIG), db=db, clock=clock)

    @public
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", explode)
    resp = app.test_client().get("/boom")
    assert resp.status_code == 500 and resp.mimetype == "application/problem+json"
    text = resp.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text


def test_money_fields_refuse_bad_currencies_and_excess_decimals() -> None:
    from marshmallow import Schema, ValidationError

    from gateway.schemas import MoneyField

    class PriceSchema(Schema):
        price = MoneyField(required=True)

    schema = PriceSchema()
    assert str(schema.load({"price": {"amount": "1234.50", "currency": "USD"}})["price"].amount) == "1234.50"
    for bad, field in [({"amount": "1.00", "currency": "XXQ"}, "currency"),
                       ({"amount": "1.001", "currency": "USD"}, "amount"),
                       ({"amount": "10.5", "currency": "JPY"}, "amount"),
                       ({"amount": 1.5, "currency": "USD"}, "amount"),
                       ({"amount": "1.00"}, "currency"),
                       ({"amount": "1", "currency": "USD", "x": 1}, "x")]:
        with pytest.raises(ValidationError) as err:
            schema.load({"price": bad})
        assert field in err.value.messages["price"], (bad, err.value.messages)
