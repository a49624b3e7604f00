"""Compliance officers record licences, contract registrations and technology contract
certifications through the records page (the same services as the API); a refusal is shown
on the form, translated, and writes nothing; admins read; other roles are refused."""
from __future__ import annotations

from typing import Any

import pytest

from compliance.export_control.models import (
    ContractRegistration,
    Licence,
    TechnologyContractCertification,
)
from compliance.export_control.service import SubjectRef, classify
from kernel.audit.models import AuditEvent
from tests.conftest import START
from tests.support.compliance import load_demo_catalogue
from tests.support.web import csrf, post_form, sign_in

LICENCE = {"subject": "listing:11:export", "kind": "licence", "number": "L-11", "authority": "MOFCOM",
           "scope": "recommendation model", "issued_on": "2027-01-02", "valid_from": "2027-01-02",
           "valid_to": "2027-12-31"}


@pytest.fixture
def classified(db: Any) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, START)
        classify(s, SubjectRef("listing", "11"), "export", "086501X", "officer", "recommendation", START)
        classify(s, SubjectRef("listing", "12"), "export", None, "officer", "not in the catalogue", START)


def count(db: Any, model: Any) -> int:
    with db.session() as s:
        return s.query(model).count()


def test_an_officer_records_a_letter_of_intent_then_the_licence(client, db, users, classified) -> None:
    sign_in(client, users["compliance"]["email"])
    page = client.get("/compliance/records").get_data(as_text=True)
    assert 'id="licence-form"' in page and 'value="listing:11:export"' in page
    assert 'value="listing:12:export"' in page  # the free one, for the registration form
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf(client, "/")})
    out_of_order = post_form(client, "/compliance/records/licences", LICENCE)
    html = out_of_order.get_data(as_text=True)
    assert out_of_order.status_code == 200 and "记录的先后顺序不符合规则。" in html
    assert 'value="L-11"' in html  # the form keeps what was typed
    assert count(db, Licence) == 0
    loi = {**LICENCE, "kind": "letter_of_intent", "number": "LOI-11", "issued_on": "2026-12-01",
           "valid_from": "2026-12-01"}
    assert post_form(client, "/compliance/records/licences", loi).status_code == 302
    assert post_form(client, "/compliance/records/licences", LICENCE).status_code == 302
    assert count(db, Licence) == 2
    bad_date = post_form(client, "/compliance/records/licences", {**LICENCE, "valid_to": "2027-13-01"})
    assert 'id="lic-valid_to-error"' in bad_date.get_data(as_text=True)


def test_a_registration_needs_free_technology_and_a_certification_is_a_separate_record(
        client, db, users, classified) -> None:
    sign_in(client, users["compliance"]["email"])
    wrong = post_form(client, "/compliance/records/registrations", {
        "subject": "listing:11:export", "contract_ref": "C-11", "signed_on": "2026-12-01"})
    assert "The subject is not classified for this record" in wrong.get_data(as_text=True)
    assert count(db, ContractRegistration) == 0
    ok = post_form(client, "/compliance/records/registrations", {
        "subject": "listing:12:export", "contract_ref": "C-12", "signed_on": "2026-12-01",
        "registration_number": "R-12", "registered_on": "2026-12-20"})
    assert ok.status_code == 302
    cert = {"contract_ref": "C-12", "certificate_number": "JS-2026-0042", "authority": "Shenzhen STB",
            "certified_on": "2026-12-03"}
    assert post_form(client, "/compliance/records/certifications", cert).status_code == 302
    again = post_form(client, "/compliance/records/certifications", cert)
    assert "This record was recorded already." in again.get_data(as_text=True)
    assert 'id="cert-certificate_number-error"' in again.get_data(as_text=True)
    assert count(db, TechnologyContractCertification) == 1 and count(db, ContractRegistration) == 1
    page = client.get("/compliance/records").get_data(as_text=True)
    assert "JS-2026-0042" in page and "R-12" in page
    with db.session() as s:
        actions = {a for (a,) in s.query(AuditEvent.action).all()}
    assert {"contract_registration.recorded", "contract_certification.recorded"} <= actions


def test_admins_read_the_records_but_only_officers_record(client, db, users, classified) -> None:
    sign_in(client, users["admin"]["email"])
    page = client.get("/compliance/records")
    assert page.status_code == 200 and 'id="licence-form"' not in page.get_data(as_text=True)
    assert post_form(client, "/compliance/records/certifications", {"contract_ref": "C"}).status_code == 403
    for role in ("finance", "buyer", "staff_us", "seller_us"):
        sign_in(client, users[role]["email"])
        assert client.get("/compliance/records").status_code == 403
        for form in ("licences", "registrations", "certifications"):
            assert post_form(client, f"/compliance/records/{form}", LICENCE).status_code == 403
    assert count(db, Licence) == 0
