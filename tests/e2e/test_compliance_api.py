"""The compliance API through the test client: officers decide, staff see their scope only."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from compliance.export_control.service import SubjectRef, request_classification
from kernel.audit import AuditEvent
from kernel.db import Database
from tests.conftest import START
from tests.support.compliance import WATCH_V2, load_demo_catalogue, load_watch, make_org

API = "/api/v1/compliance"


def _flagged_org(db: Database, parties: dict[str, Any]) -> int:
    with db.transaction() as s:
        load_watch(s, WATCH_V2, START)
        return make_org(s, "Kestrel Photonics Lab Inc.", country="US", subcentre_id=parties["us"]).id


def test_an_officer_screens_reviews_and_clears_a_case(client, db, users, parties) -> None:
    org_id = _flagged_org(db, parties)
    officer = users["compliance"]["headers"]
    resp = client.post(f"{API}/screenings", json={"organisation_id": org_id}, headers=officer)
    assert resp.status_code == 201, resp.json
    screening = resp.json
    assert screening["decision"] in ("review", "block") and screening["case_id"]
    assert screening["list_versions"][0][0] == "CN-UEL" and screening["matcher_version"]
    # an organisation is screened with its country: the answer says what it rested on
    assert screening["evidence"] == ["name", "country"] and screening["review_from"] == "0.86"
    assert screening["explanation"][0] == "name compared with country"
    case_id = screening["case_id"]

    listed = client.get(f"{API}/cases?status=open", headers=officer).json
    assert [c["id"] for c in listed["items"]] == [case_id] and listed["next"] is None
    assert client.get(f"{API}/cases?status=cleared", headers=officer).json["items"] == []
    detail = client.get(f"{API}/cases/{case_id}", headers=officer).json
    assert detail["party_facts"]["names"] == ["Kestrel Photonics Lab Inc."]
    hit = detail["hits"][0]
    assert hit["entry_id"] == "UEL-4" and hit["entry"]["primary_name"] == "Kestrel Photonics Lab Inc."
    assert hit["hit"]["score"]["final_score"] >= 0.88

    status = client.get(f"{API}/organisations/{org_id}/status", headers=users["staff_us"]["headers"])
    assert status.status_code == 200
    assert status.json["allowed"] is False
    assert [r["code"] for r in status.json["reasons"]] == ["party_under_review"]

    no_reason = client.post(f"{API}/cases/{case_id}/clear", json={}, headers=officer)
    assert no_reason.status_code == 422 and no_reason.mimetype == "application/problem+json"
    cleared = client.post(f"{API}/cases/{case_id}/clear",
                          json={"reason": "different company: registry number differs"}, headers=officer)
    assert cleared.status_code == 200 and cleared.json["status"] == "cleared"
    again = client.post(f"{API}/cases/{case_id}/confirm", json={"reason": "oops"}, headers=officer)
    assert again.status_code == 409 and again.json["code"] == "case_already_decided"
    status = client.get(f"{API}/organisations/{org_id}/status", headers=users["staff_us"]["headers"])
    assert status.json["allowed"] is True and status.json["last_decision"] == screening["decision"]

    with db.transaction() as s:
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert {"screening.performed", "screening_case.opened", "screening_case.cleared"} <= actions


def test_staff_see_only_their_sub_centre_and_other_roles_are_refused(client, db, users, parties) -> None:
    org_id = _flagged_org(db, parties)
    assert client.get(f"{API}/organisations/{org_id}/status",
                      headers=users["staff_dk"]["headers"]).status_code == 403
    for role in ("buyer", "seller_us", "finance"):
        assert client.get(f"{API}/organisations/{org_id}/status",
                          headers=users[role]["headers"]).status_code == 403
    for role in ("staff_us", "buyer"):
        assert client.get(f"{API}/cases", headers=users[role]["headers"]).status_code == 403
        resp = client.post(f"{API}/screenings", json={"organisation_id": org_id},
                           headers=users[role]["headers"])
        assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
    # admins read, but decisions are the compliance officer's
    assert client.get(f"{API}/cases", headers=users["admin"]["headers"]).status_code == 200
    assert client.post(f"{API}/cases/1/clear", json={"reason": "x" * 5},
                       headers=users["admin"]["headers"]).status_code == 403
    assert client.get(f"{API}/organisations/999999/status",
                      headers=users["compliance"]["headers"]).status_code == 404


def test_classification_licence_registration_and_tax_filing_records(client, db, users) -> None:
    officer = users["compliance"]["headers"]
    with db.transaction() as s:
        load_demo_catalogue(s, START)
        request_classification(s, SubjectRef("listing", "11"), "export",
                               "个性化推荐 personalised recommendation", START, "staff")
    queue = client.get(f"{API}/classifications?status=pending", headers=officer).json["items"]
    assert len(queue) == 1 and queue[0]["suggestions"][0]["code"] == "086501X"

    body = {"subject_type": "listing", "subject_id": "11", "direction": "export",
            "entry_code": "086501X", "reason": "recommendation engine for e-commerce"}
    headers = {**officer, "Idempotency-Key": "cls-11"}
    first = client.post(f"{API}/classifications", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["requirement"] == "licence_required" and first.json["id"] == queue[0]["id"]
    replay = client.post(f"{API}/classifications", json=body, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json == first.json
    assert client.get(f"{API}/classifications?status=pending", headers=officer).json["items"] == []

    licence = {"subject_type": "listing", "subject_id": "11", "direction": "export",
               "kind": "licence", "number": "L-11", "authority": "MOFCOM", "scope": "model",
               "issued_on": "2027-01-02", "valid_from": "2027-01-02", "valid_to": "2027-12-31"}
    out_of_order = client.post(f"{API}/licences", json=licence, headers=officer)
    assert out_of_order.status_code == 409 and out_of_order.json["code"] == "record_out_of_order"
    loi = {**licence, "kind": "letter_of_intent", "number": "LOI-11", "issued_on": "2026-12-01",
           "valid_from": "2026-12-01"}
    assert client.post(f"{API}/licences", json=loi, headers=officer).status_code == 201
    assert client.post(f"{API}/licences", json=licence, headers=officer).status_code == 201

    free = {"subject_type": "listing", "subject_id": "12", "direction": "export",
            "entry_code": None, "reason": "not in the catalogue"}
    assert client.post(f"{API}/classifications", json=free, headers=officer).json["outcome"] == "free"
    reg = client.post(f"{API}/registrations", headers=officer, json={
        "subject_type": "listing", "subject_id": "12", "direction": "export", "contract_ref": "C-12",
        "signed_on": "2026-12-01", "registration_number": "R-12", "registered_on": "2026-12-20"})
    assert reg.status_code == 201 and reg.json["status"] == "confirmed"
    assert reg.json["due_on"] == "2027-01-30" and reg.json["late"] is False

    filing = {"contract_ref": "C-12", "filing_number": "TF-12", "authority": "Shenzhen Tax",
              "filed_on": "2026-12-21"}
    assert client.post(f"{API}/tax-filings", json=filing, headers=officer).status_code == 201
    dup = client.post(f"{API}/tax-filings", json=filing, headers=officer)
    assert dup.status_code == 409 and dup.json["code"] == "tax_filing_exists"
    missing = client.post(f"{API}/tax-filings", json={"contract_ref": "C-13"}, headers=officer)
    assert missing.status_code == 422


def test_a_technology_contract_certification_is_recorded_once_by_officers_only(client, db, users) -> None:
    from compliance.export_control.models import ContractRegistration, TechnologyContractCertification

    cert = {"contract_ref": "C-12", "certificate_number": "JS-2026-0042", "authority": "Shenzhen STB",
            "certified_on": "2026-12-03"}
    made = client.post(f"{API}/certifications", json=cert, headers=users["compliance"]["headers"])
    assert made.status_code == 201, made.json
    assert made.json["vat_exempt"] is True and made.json["certificate_number"] == "JS-2026-0042"
    dup = client.post(f"{API}/certifications", json={**cert, "contract_ref": "C-99"},
                      headers=users["compliance"]["headers"])
    assert dup.status_code == 409 and dup.json["code"] == "record_duplicate"
    blank = client.post(f"{API}/certifications", json={**cert, "certificate_number": " "},
                        headers=users["compliance"]["headers"])
    assert blank.status_code == 422
    for role in ("admin", "finance", "staff_us", "buyer", "seller_us"):
        assert client.post(f"{API}/certifications", json=cert, headers=users[role]["headers"]).status_code == 403
    with db.session() as s:
        assert s.query(TechnologyContractCertification).count() == 1
        assert s.query(ContractRegistration).count() == 0  # a different record from a registration
