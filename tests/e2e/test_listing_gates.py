"""A listing's way through compliance and to the shared core, over the API: submission screens
the seller and queues classification; the officer's classification moves the listing; a seller
under review cannot publish; publication reaches the core through the outbox; a withdrawal in
the core withdraws the listing here."""
from __future__ import annotations

from typing import Any

from gateway.core import dispatch, pull_events
from gateway.core.embedded import EmbeddedCore
from tests.support.compliance import HEADER, load_demo_catalogue, load_watch
from tests.support.listings import draft_body

API = "/api/v1/listings"
RECOMMENDER = {
    "direction": "outbound", "technology_field": "ai",
    "title_zh": "基于数据分析的个性化信息推送服务技术",
    "title_en": "Personalised recommendation based on data analysis",
    "abstract_zh": "面向电商平台的个性化信息推送。",
    "abstract_en": "Personalised recommendation of content for e-commerce platforms.",
}


def _filed_and_submitted(client, users, parties, **over: Any) -> dict[str, Any]:
    h = users["staff_us"]["headers"]
    listing = client.post(API, json=draft_body(parties["seller_us"], **over), headers=h).get_json()
    asset = client.post(f"{API}/{listing['id']}/assets", headers=h, json={
        "kind": "patent", "title": "Recommender patent", "jurisdiction": "US", "number": "US7654321B2",
        "status": "granted", "expires_on": "2037-01-01"}).get_json()
    client.post(f"{API}/{listing['id']}/assets/{asset['id']}/ownership-evidence", headers=h,
                json={"registered_owner": "Photonics Lab Inc.", "matches_seller": True})
    resp = client.post(f"{API}/{listing['id']}/submit", json={}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_restricted_export_is_classified_published_with_its_flag_and_reaches_the_core(
        client, users, parties, db, clock) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, clock.now())
    listing = _filed_and_submitted(client, users, parties, **RECOMMENDER)
    officer = users["compliance"]["headers"]
    queue = client.get("/api/v1/compliance/classifications?status=pending", headers=officer).get_json()["items"]
    mine = [c for c in queue if c["subject_type"] == "listing" and str(c["subject_id"]) == str(listing["id"])]
    assert mine, queue
    assert "086501X" in str(mine[0]["suggestions"])  # suggested from the zh and en text
    resp = client.post("/api/v1/compliance/classifications", headers=officer, json={
        "subject_type": "listing", "subject_id": str(listing["id"]), "direction": "export",
        "entry_code": "086501X", "reason": "personalised recommendation is restricted"})
    assert resp.status_code == 201, resp.get_json()
    now_state = client.get(f"{API}/{listing['id']}", headers=users["staff_us"]["headers"]).get_json()
    assert now_state["state"] == "licence_required" and now_state["licence_required"] is True

    published = client.post(f"{API}/{listing['id']}/publish", json={}, headers=users["staff_us"]["headers"])
    assert published.status_code == 200, published.get_json()
    core = EmbeddedCore(db, clock)
    dispatch(db, core, clock.now())  # the request may already have dispatched it after commit
    core_id = client.get(f"{API}/{listing['id']}", headers=users["staff_us"]["headers"]).get_json()["core_id"]
    assert core_id and core.listing(core_id)["payload"]["reference"] == listing["reference"]
    assert dispatch(db, core, clock.now()).delivered == 0  # delivered once

    core.withdraw_domestically(core_id, "sold through a domestic channel")
    pull_events(db, core, now=clock.now())
    after = client.get(f"{API}/{listing['id']}", headers=users["staff_us"]["headers"]).get_json()
    assert after["state"] == "withdrawn"


def test_a_prohibited_classification_blocks_the_listing(client, users, parties, db, clock) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, clock.now())
    listing = _filed_and_submitted(client, users, parties, **{**RECOMMENDER, "title_en": "Rare earth separation",
                                                              "title_zh": "稀土分离提炼技术"})
    resp = client.post("/api/v1/compliance/classifications", headers=users["compliance"]["headers"], json={
        "subject_type": "listing", "subject_id": str(listing["id"]), "direction": "export",
        "entry_code": "053201J", "reason": "rare earth processing is prohibited"})
    assert resp.status_code == 201
    state = client.get(f"{API}/{listing['id']}", headers=users["staff_us"]["headers"]).get_json()["state"]
    assert state == "blocked"
    refused = client.post(f"{API}/{listing['id']}/publish", json={}, headers=users["staff_us"]["headers"])
    assert refused.status_code == 409


def test_a_seller_under_screening_review_cannot_publish(client, users, parties, db, clock) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, clock.now())
        load_watch(s, HEADER + "W-1,Photonics Lab Inc,,entity,US,internal watch\n", clock.now(), name="WATCH")
    listing = _filed_and_submitted(client, users, parties, **RECOMMENDER)  # screening opens a case
    client.post("/api/v1/compliance/classifications", headers=users["compliance"]["headers"], json={
        "subject_type": "listing", "subject_id": str(listing["id"]), "direction": "export",
        "entry_code": None, "reason": "not controlled"})
    refused = client.post(f"{API}/{listing['id']}/publish", json={}, headers=users["staff_us"]["headers"])
    assert refused.status_code == 409
    codes = {m["code"] for m in refused.get_json()["missing"]}
    assert any(code.startswith("seller_") for code in codes), codes
