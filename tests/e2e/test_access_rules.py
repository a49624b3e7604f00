"""Every route declares who may call it; callers get 401 without credentials, 403 outside
their role or scope."""
from __future__ import annotations

import datetime as dt
import re

from gateway.auth.models import ROLES
from tests.e2e.routes import all_routes, guarded_routes, is_framework_public

ROLE_USER = {"admin": "admin", "finance": "finance", "compliance_officer": "compliance",
             "subcentre_staff": "staff_us", "buyer": "buyer", "seller": "seller_us"}


def test_every_route_in_the_url_map_declares_an_access_rule(app) -> None:
    table = []
    missing = []
    for route in all_routes(app):
        if route.rule is None and not is_framework_public(route):
            missing.append(f"{route.method} {route.path} ({route.endpoint})")
        who = "framework (public)" if route.rule is None else route.rule.describe()
        table.append(f"{route.method:6} {route.path:45} {who}")
    print("\n" + "\n".join(table))
    assert not missing, "routes without an access rule: " + ", ".join(missing)
    assert len(table) > 10


def test_guarded_routes_refuse_callers_without_credentials(client, app) -> None:
    for route in guarded_routes(app):
        resp = client.open(route.url(), method=route.method, json={})
        if route.endpoint.startswith("web."):
            # pages: a form without its CSRF token is refused first, a page sends you to sign in
            assert resp.status_code in (302, 400), f"{route.method} {route.path} gave {resp.status_code}"
            if resp.status_code == 302:
                assert "/login" in resp.headers["Location"]
            continue
        assert resp.status_code == 401, f"{route.method} {route.path} gave {resp.status_code}"
        assert resp.mimetype == "application/problem+json"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def _csrf_token(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_guarded_routes_refuse_roles_they_do_not_name(client, app, users) -> None:
    refused = 0
    token = _csrf_token(client)
    for route in guarded_routes(app):
        if "*" in route.rule.roles:
            continue
        for role in ROLES:
            if role in route.rule.roles:
                continue
            # page forms carry their CSRF token, so that the role check is what refuses them
            body = {"data": {"csrf_token": token}} if route.endpoint.startswith("web.") \
                and route.method != "GET" else {"json": {}}
            resp = client.open(route.url(), method=route.method, headers=users[ROLE_USER[role]]["headers"],
                               **body)
            assert resp.status_code == 403, f"{role} on {route.method} {route.path}: {resp.status_code}"
            refused += 1
    assert refused > 0


def test_a_garbage_or_wrong_scheme_authorization_header_is_401(client) -> None:
    for header in ("Bearer nope", "Basic dXNlcjpwYXNz", "Bearer ", "tt_abc"):
        resp = client.get("/api/v1/me", headers={"Authorization": header})
        assert resp.status_code == 401, header


def test_revoked_and_expired_tokens_are_refused(client, users, clock) -> None:
    buyer = users["buyer"]
    assert client.get("/api/v1/me", headers=buyer["headers"]).status_code == 200
    clock.advance(days=31)  # tokens in the fixtures live 30 days
    assert client.get("/api/v1/me", headers=buyer["headers"]).status_code == 401
    clock.set(clock.now() - dt.timedelta(days=31))
    staff = users["staff_us"]
    tokens = client.get("/api/v1/tokens", headers=staff["headers"]).get_json()["items"]
    resp = client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=staff["headers"])
    assert resp.status_code == 200 and resp.get_json()["revoked_at"]
    assert client.get("/api/v1/me", headers=staff["headers"]).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client, users) -> None:
    theirs = client.get("/api/v1/tokens", headers=users["buyer"]["headers"]).get_json()["items"][0]
    resp = client.delete(f"/api/v1/tokens/{theirs['id']}", headers=users["staff_us"]["headers"])
    assert resp.status_code == 403
    assert client.get("/api/v1/me", headers=users["buyer"]["headers"]).status_code == 200
    resp = client.delete(f"/api/v1/tokens/{theirs['id']}", headers=users["admin"]["headers"])
    assert resp.status_code == 200


def test_staff_see_only_their_own_sub_centres_organisations(client, users, parties) -> None:
    listed = client.get("/api/v1/organisations", headers=users["staff_us"]["headers"]).get_json()["items"]
    assert [o["id"] for o in listed] == [parties["seller_us"]]
    assert client.get(f"/api/v1/organisations/{parties['seller_dk']}",
                      headers=users["staff_us"]["headers"]).status_code == 403
    assert client.get(f"/api/v1/organisations/{parties['seller_us']}",
                      headers=users["staff_us"]["headers"]).status_code == 200


def test_buyers_see_only_their_own_organisation(client, users, parties) -> None:
    listed = client.get("/api/v1/organisations", headers=users["buyer"]["headers"]).get_json()["items"]
    assert [o["id"] for o in listed] == [parties["buyer_org"]]
    assert client.get(f"/api/v1/organisations/{parties['seller_us']}",
                      headers=users["buyer"]["headers"]).status_code == 403


def test_staff_cannot_register_an_organisation_for_another_sub_centre(client, users, parties) -> None:
    body = {"legal_name": "Novo Tech A/S", "legal_name_latin": "Novo Tech A/S", "country": "DK",
            "org_type": "company", "tax_residency": "DK", "subcentre_id": parties["dk"]}
    assert client.post("/api/v1/organisations", json=body,
                       headers=users["staff_us"]["headers"]).status_code == 403
    body["subcentre_id"] = None
    created = client.post("/api/v1/organisations", json=body, headers=users["staff_us"]["headers"])
    assert created.status_code == 201
    assert created.get_json()["subcentre_id"] == parties["us"]


def test_a_person_is_filed_with_the_facts_screening_compares(client, users, parties) -> None:
    url = f"/api/v1/organisations/{parties['seller_us']}/people"
    headers = users["staff_us"]["headers"]
    for bad, why in (("1971-13", "not a real date"), ("71-04-02", "YYYY"), ("2999", "between 1900 and today")):
        refused = client.post(url, json={"full_name": "Dmitri Koslovsky", "role": "signatory",
                                         "date_of_birth": bad}, headers=headers)
        assert refused.status_code == 422, bad
        assert why in str(refused.get_json()), refused.get_json()
    refused = client.post(url, json={"full_name": "A B", "role": "signatory", "nationality": "ru"},
                          headers=headers)
    assert refused.status_code == 422 and "nationality" in str(refused.get_json())
    filed = client.post(url, json={"full_name": "Dmitri Koslovsky", "role": "signatory",
                                   "nationality": "RU", "date_of_birth": "1971-04"}, headers=headers)
    assert filed.status_code == 201
    assert filed.get_json() | {"id": 0} == {"id": 0, "full_name": "Dmitri Koslovsky", "full_name_latin": None,
                                           "role": "signatory", "email": None, "nationality": "RU",
                                           "date_of_birth": "1971-04"}
    assert client.post(f"/api/v1/organisations/{parties['seller_dk']}/people", headers=headers,
                       json={"full_name": "X Y", "role": "signatory"}).status_code in (403, 404)
