"""The listing API over HTTP: roles and scope, reserve hidden, optimistic edits, transitions
with 409 and the current state, rights confirmation, imports and search."""
from __future__ import annotations

from typing import Any

from tests.support.listings import draft_body

API = "/api/v1/listings"


def _create(client, users, parties, **over) -> dict[str, Any]:
    resp = client.post(API, json=draft_body(parties["seller_us"], **over), headers=users["staff_us"]["headers"])
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _act(client, users, who: str, listing_id: int, action: str, **body) -> Any:
    return client.post(f"{API}/{listing_id}/{action}", json=body, headers=users[who]["headers"])


def _publish(client, users, parties, db, clock, **over) -> dict[str, Any]:
    from gateway.listings import lifecycle
    from gateway.listings.models import Listing

    listing = _create(client, users, parties, **over)
    h = users["staff_us"]["headers"]
    asset = client.post(f"{API}/{listing['id']}/assets", headers=h, json={
        "kind": "patent", "title": "Recognition patent", "jurisdiction": "US", "number": "US1234567B2",
        "status": "granted", "expires_on": "2036-05-01"}).get_json()
    ev = client.post(f"{API}/{listing['id']}/assets/{asset['id']}/ownership-evidence", headers=h,
                     json={"registered_owner": "Photonics Lab Inc.", "matches_seller": True})
    assert ev.status_code == 201 and ev.get_json()["checked_by"] == f"user:{users['staff_us']['id']}"
    assert _act(client, users, "staff_us", listing["id"], "submit").status_code == 200
    with db.transaction() as s:  # compliance's classification, through its seam
        lifecycle.record_compliance_outcome(s, s.get(Listing, listing["id"]), "cleared", "user:7",
                                            "not controlled", now=clock.now())
    resp = _act(client, users, "staff_us", listing["id"], "publish")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_staff_file_a_draft_for_their_sub_centre_only(client, users, parties) -> None:
    listing = _create(client, users, parties)
    assert listing["state"] == "draft" and listing["subcentre_id"] == parties["us"]
    assert listing["reference"].startswith("LST-2026-") and listing["ipc_classes"] == ["G06V 10/82", "G06N 3/08"]
    body = draft_body(parties["seller_dk"])  # not represented by the US sub-centre
    resp = client.post(API, json=body, headers=users["staff_us"]["headers"])
    assert resp.status_code == 422 and "seller_id" in resp.get_json()["errors"]
    assert client.post(API, json=draft_body(parties["seller_us"]), headers=users["buyer"]["headers"]).status_code == 403


def test_drafts_are_hidden_from_buyers_sellers_of_others_and_other_sub_centres(client, users, parties) -> None:
    listing = _create(client, users, parties)
    url = f"{API}/{listing['id']}"
    for who in ("buyer", "staff_dk", "finance"):
        assert client.get(url, headers=users[who]["headers"]).status_code == 404, who
        items = client.get(API, headers=users[who]["headers"]).get_json()["items"]
        assert listing["id"] not in [i["id"] for i in items], who
    for who in ("staff_us", "seller_us", "compliance", "admin"):
        assert client.get(url, headers=users[who]["headers"]).status_code == 200, who
    patch = client.patch(url, json={"title_en": "Hijack", "version": 1}, headers=users["staff_dk"]["headers"])
    assert patch.status_code == 404


def test_the_reserve_price_never_reaches_a_buyer(client, users, parties, db, clock) -> None:
    published = _publish(client, users, parties, db, clock, pricing_mode="auction", asking_price=None,
                         starting_price={"amount": "100000.00", "currency": "USD"},
                         reserve_price={"amount": "150000.00", "currency": "USD"})
    url = f"{API}/{published['id']}"
    as_buyer = client.get(url, headers=users["buyer"]["headers"])
    assert as_buyer.status_code == 200 and "reserve_price" not in as_buyer.get_json()
    assert "150000" not in as_buyer.get_data(as_text=True)
    search = client.get(f"{API}/search?q=image", headers=users["buyer"]["headers"])
    assert "150000" not in search.get_data(as_text=True) and search.get_json()["items"]
    for who in ("staff_us", "seller_us", "compliance", "admin"):
        assert client.get(url, headers=users[who]["headers"]).get_json()["reserve_price"] == {
            "amount": "150000.00", "currency": "USD"}, who
    assert "reserve_price" not in client.get(url, headers=users["staff_dk"]["headers"]).get_json()


def test_edits_need_the_version_read_and_only_drafts_are_edited(client, users, parties) -> None:
    listing = _create(client, users, parties)
    url, h = f"{API}/{listing['id']}", users["staff_us"]["headers"]
    assert client.patch(url, json={"title_en": "New"}, headers=h).status_code == 428
    resp = client.patch(url, json={"title_en": "Image recognition v2", "ipc_classes": ["H04W 72/04"]},
                        headers={**h, "If-Match": '"1"'})
    assert resp.status_code == 200 and resp.get_json()["version"] == 2 and resp.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"title_en": "Lost update", "version": 1}, headers=h)
    assert stale.status_code == 409 and stale.get_json()["current_version"] == 2
    bad = client.patch(url, json={"ipc_classes": ["H04W-72"], "version": 2}, headers=h)
    assert bad.status_code == 422 and "ipc_classes" in bad.get_json()["errors"]
    assert _act(client, users, "staff_us", listing["id"], "submit").status_code == 200
    assert client.patch(url, json={"title_en": "x", "version": 3}, headers=h).status_code == 409


def test_a_wrong_transition_is_409_with_the_current_state(client, users, parties) -> None:
    listing = _create(client, users, parties)
    resp = _act(client, users, "staff_us", listing["id"], "publish")
    body = resp.get_json()
    assert resp.status_code == 409 and body["state"] == "draft" and body["allowed_actions"] == ["submit", "withdraw"]
    assert _act(client, users, "staff_us", listing["id"], "clear").status_code == 404  # compliance's seam only
    assert _act(client, users, "staff_us", listing["id"], "submit").status_code == 200
    assert _act(client, users, "staff_dk", listing["id"], "return").status_code == 404
    assert _act(client, users, "buyer", listing["id"], "withdraw").status_code == 403
    back = _act(client, users, "compliance", listing["id"], "return", reason="add the English abstract")
    assert back.status_code == 200 and back.get_json()["state"] == "draft"


def test_publication_checks_list_what_is_missing(client, users, parties, db, clock) -> None:
    listing = _create(client, users, parties, title_en=None, abstract_en=None)
    checks = client.get(f"{API}/{listing['id']}/publication-checks", headers=users["staff_us"]["headers"]).get_json()
    assert not checks["ready"]
    assert {c["code"] for c in checks["missing"]} == {"compliance_not_cleared", "text_missing", "no_ip_assets"}


def test_publishing_refused_then_allowed_and_the_buyer_finds_it(client, users, parties, db, clock) -> None:
    published = _publish(client, users, parties, db, clock)
    assert published["state"] == "published" and published["core_id"] is None
    found = client.get(f"{API}/search?q=人工智能", headers=users["buyer"]["headers"]).get_json()["items"]
    assert [i["id"] for i in found] == [published["id"]]
    assert client.get(f"{API}/{published['id']}", headers=users["staff_dk"]["headers"]).status_code == 200
    assert _act(client, users, "seller_us", published["id"], "withdraw").get_json()["state"] == "withdrawn"


def test_search_arguments_are_validated(client, users) -> None:
    h = users["buyer"]["headers"]
    assert client.get(f"{API}/search?ipc=Z99", headers=h).status_code == 422
    assert client.get(f"{API}/search?price_min=10", headers=h).status_code == 422
    assert client.get(f"{API}/search?price_min=10.001&currency=USD", headers=h).status_code == 422
    assert client.get(f"{API}/search?cursor=garbage", headers=h).status_code == 422
    ok = client.get(f"{API}/search?price_min=10&currency=USD&trl_min=3&ipc=H04W", headers=h)
    assert ok.status_code == 200 and ok.get_json() == {"items": [], "next": None, "unpriced_currencies": []}


def test_import_json_and_csv_all_or_nothing(client, users, parties) -> None:
    h = users["staff_us"]["headers"]
    good, bad = draft_body(parties["seller_us"]), draft_body(parties["seller_us"], trl=10, ipc_classes=["X"])
    rejected = client.post(f"{API}/import", json={"rows": [good, bad]}, headers=h)
    body = rejected.get_json()
    assert rejected.status_code == 422 and rejected.mimetype == "application/problem+json"
    assert set(body["errors"]) == {"rows.2.trl", "rows.2.ipc_classes"}
    assert client.get(API, headers=h).get_json()["items"] == []
    done = client.post(f"{API}/import", json=[good, good], headers=h)
    assert done.status_code == 201 and done.get_json()["imported"] == 2
    csv_text = ("direction,seller_id,title_en,technology_field,ipc_classes,trl,transaction_type,territory,"
                f"pricing_mode,asking_price,currency\ninbound,{parties['seller_us']},Lidar,transport,G01S 17/89,7,"
                "sole_licence,CN;HK,negotiated,,\n"
                f"inbound,{parties['seller_us']},Radar,transport,G01S,11,sole_licence,CN,negotiated,,\n")
    resp = client.post(f"{API}/import", data=csv_text, content_type="text/csv", headers=h)
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"rows.2.trl"}
    resp = client.post(f"{API}/import", data=csv_text.replace(",11,", ",5,"), content_type="text/csv", headers=h)
    assert resp.status_code == 201 and resp.get_json()["imported"] == 2
    assert client.post(f"{API}/import", json=[good], headers=users["staff_dk"]["headers"]).status_code == 422
    assert client.post(f"{API}/import", data="x", content_type="text/plain", headers=h).status_code == 415


def test_import_reports_bad_assets_of_every_row_with_a_422(client, users, parties) -> None:
    h = users["staff_us"]["headers"]
    patent = {"kind": "patent", "title": "Recognition", "jurisdiction": "US", "number": "US1234567B2",
              "status": "granted", "expires_on": "2036-05-01"}
    rows = [draft_body(parties["seller_us"], assets=[patent]),
            draft_body(parties["seller_us"], assets=[{**patent, "expires_on": None}]),
            draft_body(parties["seller_us"], assets=[patent, {**patent, "jurisdiction": "ZZ"}])]
    resp = client.post(f"{API}/import", json=rows, headers=h)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"] == {"rows.2.assets.0.expires_on": ["required for a patent"],
                                         "rows.3.assets.1.jurisdiction": ["'ZZ' is not an ISO 3166-1 alpha-2 country code"]}
    assert client.get(API, headers=h).get_json()["items"] == []
    created = client.post(API, json=draft_body(parties["seller_us"], assets=[{**patent, "number": None}]), headers=h)
    assert created.status_code == 422 and created.get_json()["errors"] == {"assets.0.number": ["required for a patent"]}


def test_ownership_evidence_is_compared_with_the_seller_by_the_gateway(client, users, parties) -> None:
    h = users["staff_us"]["headers"]
    listing = _create(client, users, parties)
    asset = client.post(f"{API}/{listing['id']}/assets", headers=h,
                        json={"kind": "know_how", "title": "Training recipe"}).get_json()
    url = f"{API}/{listing['id']}/assets/{asset['id']}/ownership-evidence"
    # without matches_seller (it is the gateway's finding now), and with it as older clients send it
    same = client.post(url, headers=h, json={"registered_owner": "PHOTONICS LAB, INC"})
    assert same.status_code == 201 and same.get_json()["matches_seller"] is True
    other = client.post(url, headers=h, json={"registered_owner": "Photonics Holdings Ltd", "matches_seller": True})
    assert other.status_code == 201
    assert (other.get_json()["matches_seller"], other.get_json()["mismatch_reason"]) == (False, None)
    checks = client.get(f"{API}/{listing['id']}/publication-checks", headers=h).get_json()["missing"]
    assert {"code": "ownership_mismatch", "asset_id": asset["id"]}.items() <= next(
        c for c in checks if c["code"] == "ownership_mismatch").items()
    refused = client.post(url, headers=h, json={"registered_owner": "Photonics Lab Inc.", "mismatch_reason": "sub"})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"mismatch_reason"}
    accepted = client.post(url, headers=h, json={"registered_owner": "Photonics Holdings Ltd",
                                                 "mismatch_reason": "the seller is its wholly owned subsidiary"})
    assert accepted.status_code == 201
    assert accepted.get_json()["mismatch_reason"] == "the seller is its wholly owned subsidiary"
    checks = client.get(f"{API}/{listing['id']}/publication-checks", headers=h).get_json()["missing"]
    assert "ownership_mismatch" not in {c["code"] for c in checks}
    seller = client.post(url, headers=users["seller_us"]["headers"],
                         json={"registered_owner": "Photonics Holdings Ltd", "mismatch_reason": "mine"})
    assert seller.status_code == 403
