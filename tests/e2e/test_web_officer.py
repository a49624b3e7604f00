"""Compliance officers' pages: a screening case with its hits side by side and a decision with
a reason; the classification queue with suggestions that moves a listing; the records lists."""
from __future__ import annotations

from compliance.cases.models import ScreeningCase
from gateway.listings import lifecycle, service
from gateway.listings.models import Listing
from tests.conftest import START
from tests.support.compliance import WATCH_V2, load_demo_catalogue, load_watch, make_org
from tests.support.listings import Staff, draft_data, make_publishable
from tests.support.web import post_form, sign_in


def test_an_officer_reads_a_case_side_by_side_and_clears_it_with_a_reason(client, db, clock, users, parties) -> None:
    from compliance.screening.service import screen_party

    with db.transaction() as s:
        load_watch(s, WATCH_V2, START)
        org = make_org(s, "Kestrel Photonics Lab Inc.", country="US", subcentre_id=parties["us"])
        case_id = screen_party(s, org, "test", clock.now(), "system:test").case.id
    sign_in(client, users["compliance"]["email"])
    assert f"/compliance/cases/{case_id}" in client.get("/compliance/cases").get_data(as_text=True)
    html = client.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    assert "side-by-side" in html and "Kestrel Photonics Lab Inc." in html and "UEL-4" in html
    assert "Score parts" in html
    no_reason = post_form(client, f"/compliance/cases/{case_id}/clear", {"reason": ""})
    assert no_reason.status_code == 200 and 'id="case-error"' in no_reason.get_data(as_text=True)
    assert post_form(client, f"/compliance/cases/{case_id}/clear",
                     {"reason": "different company, different address"}).status_code == 302
    with db.session() as s:
        assert s.get(ScreeningCase, case_id).status == "cleared"
    sign_in(client, users["admin"]["email"])
    assert client.get(f"/compliance/cases/{case_id}").status_code == 200  # admins read
    sign_in(client, users["staff_us"]["email"])
    assert client.get("/compliance/cases").status_code == 403


def test_the_classification_queue_suggests_entries_and_classifying_moves_the_listing(
        client, db, clock, users, parties) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        load_demo_catalogue(s, clock.now())
        listing = service.create_listing(s, draft_data(
            parties["seller_us"], direction="outbound", title_zh="基于数据分析的个性化信息推送服务技术",
            title_en="Personalised recommendation based on data analysis"),
            subcentre_id=parties["us"], actor=staff, now=clock.now())
        make_publishable(s, listing, staff, clock.now())
        lifecycle.transition(s, listing, "submit", staff, now=clock.now())
        listing_id = listing.id
    sign_in(client, users["compliance"]["email"])
    html = client.get("/compliance/classifications").get_data(as_text=True)
    assert "086501X" in html and listing.reference in html
    status = client.get(f"/staff/listings/{listing_id}").get_data(as_text=True)
    assert "waiting in the compliance queue" in status
    from compliance.export_control.models import Classification
    with db.session() as s:
        pending = s.query(Classification).filter_by(status="pending").one().id
    no_reason = post_form(client, f"/compliance/classifications/{pending}", {"entry_code": "086501X", "reason": ""})
    assert 'role="alert"' in no_reason.get_data(as_text=True)
    with db.session() as s:
        assert s.get(Listing, listing_id).state == "submitted"
    ok = post_form(client, f"/compliance/classifications/{pending}",
                   {"entry_code": "086501X", "reason": "personalised recommendation is restricted"})
    assert ok.status_code == 302
    with db.session() as s:
        got = s.get(Listing, listing_id)
        assert got.state == "licence_required" and got.licence_required
    assert "The queue is empty" in client.get("/compliance/classifications").get_data(as_text=True)
    status = client.get(f"/staff/listings/{listing_id}").get_data(as_text=True)
    assert "restricted (086501X)" in status and "Seller screening" in status


def test_the_records_page_lists_licences_and_registrations(client, users) -> None:
    sign_in(client, users["compliance"]["email"])
    html = client.get("/compliance/records").get_data(as_text=True)
    assert 'id="licences"' in html and 'id="registrations"' in html
    sign_in(client, users["finance"]["email"])
    assert client.get("/compliance/records").status_code == 403
