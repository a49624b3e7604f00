"""Sub-centre staff pages: listings by state, the draft form with inline errors, assets and
ownership evidence, submit and publish, and bulk import with its per-row report."""
from __future__ import annotations

import io
from typing import Any

from gateway.listings import lifecycle, service
from gateway.listings.models import Listing
from tests.support.listings import START, Staff, draft_data
from tests.support.web import post_form, sign_in

FORM = {
    "direction": "inbound", "title_zh": "基于人工智能的图像识别", "title_en": "AI image recognition",
    "abstract_zh": "工业质检。", "abstract_en": "Industrial inspection.", "technology_field": "ai",
    "ipc_classes": "G06V 10/82; G06N 3/08", "trl": "6", "transaction_type": "exclusive_licence",
    "territory": "CN, US", "pricing_mode": "fixed_price", "price": "250000", "currency": "USD",
    "period_start": "2026-11-23", "period_end": "2027-02-21",
}


def _draft(db, clock, parties, **over: Any) -> int:
    with db.transaction() as s:
        return service.create_listing(s, draft_data(parties["seller_us"], **over), subcentre_id=parties["us"],
                                      actor=Staff(parties["us"]), now=clock.now()).id


def test_staff_see_their_sub_centres_listings_by_state_with_a_chart(client, db, clock, users, parties) -> None:
    mine = _draft(db, clock, parties)
    with db.transaction() as s:
        other = service.create_listing(s, draft_data(parties["seller_dk"], title_en="Danish enzyme"),
                                       subcentre_id=parties["dk"], actor=Staff(parties["dk"]), now=clock.now())
        other_ref = other.reference
    sign_in(client, users["staff_us"]["email"])
    html = client.get("/staff/listings").get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html and "draft (1)" in html
    assert f"/staff/listings/{mine}" in html and other_ref not in html
    assert client.get("/staff/listings?state=published").get_data(as_text=True).count("<tr>") == 1  # header only
    sign_in(client, users["buyer"]["email"])
    assert client.get("/staff/listings").status_code == 403


def test_a_draft_with_an_error_comes_back_with_the_message_next_to_the_field(client, db, users, parties) -> None:
    sign_in(client, users["staff_us"]["email"])
    form = client.get("/staff/listings/new").get_data(as_text=True)
    assert '<label for="f-title_zh">' in form and f'value="{parties["seller_us"]}"' in form
    bad = post_form(client, "/staff/listings/new", {**FORM, "seller_id": parties["seller_us"], "price": "",
                                                     "ipc_classes": "not-a-class"})
    assert bad.status_code == 200  # the form comes back, as browsers expect
    html = bad.get_data(as_text=True)
    assert 'id="price-error"' in html and "asking price" in html
    assert 'id="ipc_classes-error"' in html and 'aria-invalid="true"' in html
    assert 'value="AI image recognition"' in html  # what was typed is kept
    with db.session() as s:
        assert s.query(Listing).count() == 0
    ok = post_form(client, "/staff/listings/new", {**FORM, "seller_id": parties["seller_us"]})
    assert ok.status_code == 302
    with db.session() as s:
        listing = s.query(Listing).one()
        assert listing.state == "draft" and listing.period_start.isoformat().startswith("2026-11-23T05:00")
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Add the patents" in page and "Submit for review" in page


def test_staff_of_another_sub_centre_cannot_edit_or_act_on_a_draft(client, db, clock, users, parties) -> None:
    listing_id = _draft(db, clock, parties)
    sign_in(client, users["staff_dk"]["email"])
    assert client.get(f"/staff/listings/{listing_id}/edit").status_code == 404
    assert post_form(client, f"/staff/listings/{listing_id}/submit").status_code == 404


def test_editing_a_draft_keeps_the_version_check(client, db, clock, users, parties) -> None:
    listing_id = _draft(db, clock, parties)
    sign_in(client, users["staff_us"]["email"])
    html = client.get(f"/staff/listings/{listing_id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in html and 'value="G06V 10/82; G06N 3/08"' in html
    resp = post_form(client, f"/staff/listings/{listing_id}/edit",
                     {**FORM, "seller_id": parties["seller_us"], "title_en": "Renamed", "version": "1"})
    assert resp.status_code == 302
    stale = post_form(client, f"/staff/listings/{listing_id}/edit",
                      {**FORM, "seller_id": parties["seller_us"], "title_en": "Again", "version": "1"})
    assert stale.status_code == 302  # back to the listing with the reason
    assert "version" in client.get(stale.headers["Location"]).get_data(as_text=True)
    with db.session() as s:
        assert s.get(Listing, listing_id).title_en == "Renamed"


def test_asset_evidence_submit_then_publish_once_cleared(client, db, clock, users, parties) -> None:
    listing_id = _draft(db, clock, parties)
    sign_in(client, users["staff_us"]["email"])
    base = f"/staff/listings/{listing_id}"
    bad = post_form(client, f"{base}/assets", {"kind": "patent", "title": "Vision patent"})
    assert "required for a patent" in bad.get_data(as_text=True)
    assert post_form(client, f"{base}/assets", {"kind": "patent", "title": "Vision patent", "jurisdiction": "us",
                                                "number": "US10000001B2", "status": "granted",
                                                "expires_on": "2035-01-01"}).status_code == 302
    with db.session() as s:
        asset_id = s.get(Listing, listing_id).assets[0].id
    assert post_form(client, f"{base}/assets/{asset_id}/evidence",
                     {"registered_owner": "Photonics Holdings Ltd"}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "does not match the seller" in page and "Mismatch accepted" not in page
    refused = post_form(client, f"{base}/assets/{asset_id}/evidence",
                        {"registered_owner": "Photonics Lab Inc.", "mismatch_reason": "subsidiary"})
    assert "there is no mismatch to accept" in refused.get_data(as_text=True)  # a refused form answers 200
    assert post_form(client, f"{base}/assets/{asset_id}/evidence",
                     {"registered_owner": "Photonics Holdings Ltd",
                      "mismatch_reason": "the seller is its subsidiary"}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Mismatch accepted by user:" in page and "the seller is its subsidiary" in page
    assert post_form(client, f"{base}/assets/{asset_id}/evidence",
                     {"registered_owner": "Photonics Lab Inc."}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "ownership_unconfirmed" not in page and "matches the seller" in page and "does not match" not in page
    refused = post_form(client, f"{base}/publish", {"version": "3"})
    assert "cannot publish a listing in state" in refused.get_data(as_text=True)
    assert post_form(client, f"{base}/submit").status_code == 302
    with db.transaction() as s:
        listing = s.get(Listing, listing_id)
        assert listing.state == "submitted"
        lifecycle.record_compliance_outcome(s, listing, "cleared", "system:test", "free", now=clock.now())
    page = client.get(base).get_data(as_text=True)
    assert 'id="ready"' in page and ">Publish<" in page
    assert post_form(client, f"{base}/publish").status_code == 302
    with db.session() as s:
        assert s.get(Listing, listing_id).state == "published"
    assert ">Withdraw<" in client.get(base).get_data(as_text=True)


def _status(client: Any, listing_id: int) -> str:
    html = client.get(f"/staff/listings/{listing_id}").get_data(as_text=True)
    return html[html.index('id="compliance-status"'):html.index("</dl>", html.index('id="compliance-status"'))]


def _item(status: str, element_id: str) -> str:
    start = status.index(f'id="{element_id}"')
    return status[status.rindex("<", 0, start):status.index("</dd>", start)]


def test_the_listing_page_shows_each_missing_item_ownership_screening_and_classification(
        client, db, clock, users, parties) -> None:
    import datetime as dt

    from compliance.screening.service import screen_party
    from kernel.parties import Organisation
    from tests.support.compliance import WATCH_V2, load_watch

    listing_id = _draft(db, clock, parties)
    with db.transaction() as s:
        listing = s.get(Listing, listing_id)
        staff = Staff(parties["us"])
        proven = service.add_asset(s, listing, {"kind": "patent", "title": "Vision patent", "jurisdiction": "US",
                                                "number": "US10000001B2", "status": "granted",
                                                "expires_on": dt.date(2035, 1, 1)}, staff, clock.now())
        service.record_ownership_evidence(s, listing, proven, {"registered_owner": "Photonics Lab Inc.",
                                                               "matches_seller": True}, actor=staff, now=clock.now())
        service.add_asset(s, listing, {"kind": "software_copyright", "title": "Inspection software"}, staff,
                          clock.now())
        load_watch(s, WATCH_V2, clock.now())  # "Kestrel Photonics Lab Inc.": a near miss of the seller
        screen_party(s, s.get(Organisation, parties["seller_us"]), "test", clock.now(), "system:test")
    sign_in(client, users["staff_us"]["email"])
    status = _status(client, listing_id)
    ownership = _item(status, "ownership-status")
    assert 'class="ok">patent Vision patent: the registered owner matches the seller' in ownership
    assert 'class="missing">software copyright Inspection software: no ownership evidence recorded' in ownership
    screening = _item(status, "seller-screening")
    assert 'class="missing"' in screening and "a screening case is under review" in screening
    assert "screening cases #" in screening and "/compliance/cases/" not in screening  # staff get no link
    assert "not classified yet" in _item(status, "classification-status")
    assert "letter_of_intent-status" not in status and "registration-status" not in status
    page = client.get(f"/staff/listings/{listing_id}").get_data(as_text=True)
    assert "No ownership evidence recorded for an asset.: Inspection software" in page
    sign_in(client, users["compliance"]["email"])
    assert '<a href="/compliance/cases/' in _item(_status(client, listing_id), "seller-screening")  # officers do
    post_form(client, "/language", {"locale": "zh_CN"})
    status = _status(client, listing_id)
    assert "有筛查案件正在审查" in status and "尚未记录权属证明" in status and "权属证明" in status


def test_a_restricted_listing_shows_whether_its_letter_of_intent_and_licence_are_valid(
        client, db, clock, users, parties) -> None:
    import datetime as dt

    from compliance.export_control.records import record_licence
    from compliance.export_control.service import SubjectRef, classify
    from tests.support.compliance import load_demo_catalogue

    listing_id = _draft(db, clock, parties, direction="outbound")
    subject = SubjectRef("listing", str(listing_id))
    today = clock.now().date()
    with db.transaction() as s:
        load_demo_catalogue(s, clock.now())
        classify(s, subject, "export", "181101X", "officer:test", "hybrid rice breeding", clock.now())
    sign_in(client, users["staff_us"]["email"])
    status = _status(client, listing_id)
    assert "restricted (181101X)" in _item(status, "classification-status")
    for kind in ("letter_of_intent", "licence"):
        item = _item(status, f"{kind}-status")
        assert 'class="missing"' in item and "not recorded yet" in item
    with db.transaction() as s:
        record_licence(s, subject, "export", "letter_of_intent", number="LOI-7", authority="MOFCOM",
                       scope="breeding", issued_on=today - dt.timedelta(days=40),
                       valid_from=today - dt.timedelta(days=40), valid_to=today + dt.timedelta(days=100),
                       now=clock.now(), actor="officer:test")
        record_licence(s, subject, "export", "licence", number="LIC-9", authority="MOFCOM", scope="breeding",
                       issued_on=today - dt.timedelta(days=30), valid_from=today - dt.timedelta(days=30),
                       valid_to=today - dt.timedelta(days=1), now=clock.now(), actor="officer:test")
    status = _status(client, listing_id)
    letter, licence = _item(status, "letter_of_intent-status"), _item(status, "licence-status")
    assert 'class="ok"' in letter and "LOI-7" in letter and "valid today" in letter
    assert 'class="missing"' in licence and "LIC-9" in licence and "not valid today" in licence
    assert "Letter of intent" in status and "Export or import licence" in status


def test_a_free_deal_shows_its_contract_registration_due_date_and_record(client, db, clock, users, parties) -> None:
    import datetime as dt

    from moneyed import Money

    from compliance.export_control.records import record_registration
    from compliance.export_control.service import SubjectRef
    from gateway.trading.deals import sign_contract, strike_deal
    from gateway.trading.fixed_price import open_notice
    from tests.support.trading import buyer, published_listing

    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="fixed_price")
        listing_id = listing.id
    sign_in(client, users["staff_us"]["email"])
    status = _status(client, listing_id)
    assert "free" in _item(status, "classification-status") and "registration-status" not in status  # no deal yet
    assert "letter_of_intent-status" not in status
    with db.transaction() as s:
        listing = s.get(Listing, listing_id)
        open_notice(s, listing, deposit=Money("10000.00", "USD"), increment=Money("1000.00", "USD"),
                    now=clock.now(), actor="test")
        deal = strike_deal(s, listing, buyer_org_id=buyer(s, clock.now(), "Deal Buyer"),
                           price=Money("250000.00", "USD"), channel="fixed_price", source_id=1,
                           now=clock.now(), actor="test")
        deal_id, ref = deal.id, deal.reference
    item = _item(_status(client, listing_id), "registration-status")
    assert ref in item and "due 60 days after the contract is signed (not signed yet)" in item
    assert 'class="missing"' in item and "not recorded yet" in item
    signed = clock.now().date()
    with db.transaction() as s:
        sign_contract(s, deal_id, signed, now=clock.now(), actor="test")
    item = _item(_status(client, listing_id), "registration-status")
    assert "due Jan 22, 2027" in item and "overdue" not in item  # signed Nov 23 + 60 days
    clock.advance(days=61)
    item = _item(_status(client, listing_id), "registration-status")
    assert "overdue" in item and 'class="missing"' in item
    with db.transaction() as s:
        record_registration(s, SubjectRef("listing", str(listing_id)), "import", ref, signed_on=signed,
                            registration_number="REG-2027-1", registered_on=clock.now().date(),
                            now=clock.now(), actor="officer:test")
    item = _item(_status(client, listing_id), "registration-status")
    assert 'class="ok"' in item and "confirmed REG-2027-1" in item and "overdue" not in item
    post_form(client, "/language", {"locale": "zh_CN"})
    assert "合同登记" in _status(client, listing_id)


CSV_HEADER = ("direction,seller_id,title_zh,title_en,technology_field,ipc_classes,trl,transaction_type,"
              "territory,pricing_mode,asking_price,currency,period_start,period_end\n")


def _csv(seller: int, trl: str = "5") -> bytes:
    return (CSV_HEADER
            + f"inbound,{seller},图像识别,Vision,ai,G06V 10/82,{trl},exclusive_licence,CN,fixed_price,1000,USD,"
              f"{START.isoformat()},2027-01-01T00:00:00+00:00\n"
            + f"inbound,{seller},,Second,ai,G06N 3/08,4,assignment,CN;US,negotiated,,,,\n").encode()


def test_bulk_import_reports_every_bad_row_or_imports_them_all(client, db, users, parties) -> None:
    sign_in(client, users["staff_us"]["email"])
    assert 'type="file"' in client.get("/staff/import").get_data(as_text=True)
    bad = post_form(client, "/staff/import", {"file": (io.BytesIO(_csv(parties["seller_us"], trl="12")), "l.csv")},
                    content_type="multipart/form-data")
    html = bad.get_data(as_text=True)
    assert 'id="import-errors"' in html and "row 1 · trl" in html and "Nothing was imported" in html
    ok = post_form(client, "/staff/import", {"file": (io.BytesIO(_csv(parties["seller_us"])), "l.csv")},
                   content_type="multipart/form-data")
    assert ok.status_code == 200 and "2 drafts imported" in ok.get_data(as_text=True)
    with db.session() as s:
        assert s.query(Listing).count() == 2
    sign_in(client, users["compliance"]["email"])
    assert client.get("/staff/import").status_code == 403


def test_staff_pages_speak_chinese_and_show_times_in_the_sub_centres_zone(client, db, clock, users, parties) -> None:
    listing_id = _draft(db, clock, parties)
    sign_in(client, users["staff_us"]["email"])
    post_form(client, "/language", {"locale": "zh_CN"})
    html = client.get(f"/staff/listings/{listing_id}").get_data(as_text=True)
    assert "草稿" in html and "提交审核" in html
    # 09:00 UTC is 04:00 in New York (EST)
    assert "04:00:00" in client.get("/staff/listings").get_data(as_text=True)


def test_page_forms_without_their_csrf_token_are_refused(client, db, users, parties) -> None:
    sign_in(client, users["staff_us"]["email"])
    resp = client.post("/staff/listings/new", data={**FORM, "seller_id": parties["seller_us"]})
    assert resp.status_code == 400
    with db.session() as s:
        assert s.query(Listing).count() == 0
