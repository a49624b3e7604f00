"""Demand matching: a buyer's demand (zh or en) ranks published listings of its direction with
the score's parts; the listing's sub-centre sees the demands a listing matches."""
from __future__ import annotations

from moneyed import Money

from gateway.trading.matching import (
    Doc,
    Query,
    budget_fit,
    ipc_overlap,
    score_candidates,
    trl_fit,
)
from tests.support.trading import published_listing

API = "/api/v1"


def test_score_parts() -> None:
    assert ipc_overlap(["G06N 3/08"], ["G06N 3/04"]) == 1.0
    assert ipc_overlap(["G06N 3/08"], ["G06N 20/00"]) == 0.7
    assert ipc_overlap(["G06N 3/08"], ["G06F 17/00"]) == 0.4
    assert ipc_overlap(["G06N"], ["H04W 72/04"]) == 0.0
    assert trl_fit(6, 5) == 1.0 and trl_fit(4, 7) == 0.0
    assert budget_fit(Money("100", "USD"), Money("710", "CNY"),
                      lambda m, c: Money(m.amount * 7, c)) == (1.0, None)
    over, _ = budget_fit(Money("150", "USD"), Money("700", "CNY"), lambda m, c: Money(m.amount * 7, c))
    assert over == 0.5  # 1050 against 700: half the budget over
    assert budget_fit(Money("1", "XAU"), Money("1", "USD"), lambda m, c: None)[0] == 0.5
    docs = [Doc(1, "锂电池 正极材料 lithium battery cathode", ("H01M 4/36",), 6, None, "new_energy"),
            Doc(2, "图像识别 深度学习 image recognition", ("G06V 10/82",), 6, None, "ai")]
    ranked = score_candidates(Query("电池正极", ("H01M",), 5), docs, lambda m, c: None)
    assert [m.doc_id for m in ranked] == [1, 2] and ranked[0].parts["text"] == 1.0


def test_matches_over_the_api(client, db, users, parties, clock) -> None:
    with db.transaction() as s:
        ai = published_listing(s, parties, clock.now(), mode="fixed_price").id
        battery = published_listing(
            s, parties, clock.now(), mode="fixed_price", technology_field="new_energy",
            title_zh="高能量密度锂电池正极材料", title_en="High energy density lithium battery cathode",
            abstract_zh="一种富镍正极材料及其制备方法。", abstract_en="A nickel-rich cathode material and its preparation.",
            ipc_classes=["H01M 4/36"], asking_price=Money("90000.00", "USD")).id
    b = users["buyer"]["headers"]
    r = client.post(f"{API}/demands", headers=b, json={
        "direction": "inbound", "title": "寻求工业质检用的图像识别技术",
        "description": "深度学习 缺陷检测", "technology_field": "ai", "ipc_classes": ["G06V 10/82"],
        "trl_min": 5, "budget": {"amount": "2000000.00", "currency": "CNY"}, "territory": ["CN"]})
    assert r.status_code == 201, r.get_json()
    did = r.get_json()["id"]
    items = client.get(f"{API}/demands/{did}/matches", headers=b).get_json()["items"]
    assert [i["listing_id"] for i in items] == [ai, battery]
    top = items[0]
    assert set(top["parts"]) == {"text", "ipc", "trl", "budget", "field"}
    assert top["parts"]["ipc"] == 1.0 and top["parts"]["budget"] == 1.0  # USD 250k < CNY 2m
    en = client.post(f"{API}/demands", headers=b, json={
        "direction": "inbound", "title": "lithium battery cathode material", "trl_min": 4})
    items = client.get(f"{API}/demands/{en.get_json()['id']}/matches", headers=b).get_json()["items"]
    assert items[0]["listing_id"] == battery
    # another buyer's demand is not visible; the sub-centre sees what a listing matches
    assert client.get(f"{API}/demands/{did}", headers=users["seller_us"]["headers"]).status_code == 403
    seen = client.get(f"{API}/listings/{ai}/matching-demands", headers=users["staff_us"]["headers"]).get_json()
    assert seen["items"][0]["demand_id"] == did
    assert client.get(f"{API}/listings/{ai}/matching-demands",
                      headers=users["staff_dk"]["headers"]).status_code == 404


def test_a_buyer_passes_on_a_match_with_a_reason_and_closes_its_demand(client, db, users, parties,
                                                                        clock, make_user) -> None:
    with db.transaction() as s:
        ai = published_listing(s, parties, clock.now(), mode="fixed_price").id
        other = published_listing(s, parties, clock.now(), mode="fixed_price",
                                  title_en="Image segmentation for medical scans").id
    b, staff = users["buyer"]["headers"], users["staff_us"]["headers"]
    rival = make_user("buyer", organisation_id=parties["buyer_org"])["headers"]  # same org
    stranger_org = parties["seller_dk"]
    stranger = make_user("buyer", organisation_id=stranger_org)["headers"]
    did = client.post(f"{API}/demands", headers=b, json={
        "direction": "inbound", "title": "image recognition for inspection",
        "ipc_classes": ["G06V 10/82"]}).get_json()["id"]
    items = client.get(f"{API}/demands/{did}/matches", headers=b).get_json()["items"]
    assert {i["listing_id"] for i in items} == {ai, other}

    r = client.post(f"{API}/listings/{ai}/passes", headers=b,
                    json={"reason": "price", "note": "over our budget this year", "demand_id": did})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["reason"], r.get_json()["demand_id"]) == ("price", did)
    assert client.post(f"{API}/listings/{ai}/passes", headers=b,
                       json={"reason": "too expensive"}).status_code == 422  # not a known reason
    assert client.post(f"{API}/listings/{ai}/passes", headers=stranger,  # not its demand
                       json={"reason": "price", "demand_id": did}).status_code == 422
    # a colleague passing again replaces the organisation's reason
    assert client.post(f"{API}/listings/{ai}/passes", headers=rival,
                       json={"reason": "too_early_stage"}).status_code == 201
    # the passed listing leaves the buyer's matches; the other stays
    items = client.get(f"{API}/demands/{did}/matches", headers=b).get_json()["items"]
    assert [i["listing_id"] for i in items] == [other]
    # the listing's sub-centre reads the reasons; another sub-centre and buyers do not
    seen = client.get(f"{API}/listings/{ai}/passes", headers=staff).get_json()
    assert seen["counts"]["too_early_stage"] == 1 and seen["counts"]["price"] == 0
    assert [(i["org_id"], i["reason"]) for i in seen["items"]] == [(parties["buyer_org"], "too_early_stage")]
    assert client.get(f"{API}/listings/{ai}/passes", headers=users["staff_dk"]["headers"]).status_code == 404
    assert client.get(f"{API}/listings/{ai}/passes", headers=b).status_code == 403
    demands = client.get(f"{API}/listings/{ai}/matching-demands", headers=staff).get_json()["items"]
    assert demands[0]["notes"]["passed"] == "too_early_stage"

    # closing: only the demand's own buyer; a closed demand matches nothing, either way
    assert client.post(f"{API}/demands/{did}/close", headers=stranger, json={}).status_code == 404
    r = client.post(f"{API}/demands/{did}/close", headers=b, json={"reason": "found a supplier"})
    assert r.status_code == 200 and r.get_json()["state"] == "closed"
    assert r.get_json()["closed_at"] and r.get_json()["close_reason"] == "found a supplier"
    assert client.post(f"{API}/demands/{did}/close", headers=b, json={}).status_code == 200
    assert client.get(f"{API}/demands/{did}/matches", headers=b).get_json()["items"] == []
    assert client.get(f"{API}/listings/{other}/matching-demands", headers=staff).get_json()["items"] == []
    # a listing no longer published is not passed on
    with db.transaction() as s:
        from gateway.listings import lifecycle
        from gateway.listings.models import Listing
        from tests.support.listings import Staff

        lifecycle.transition(s, s.get(Listing, other), "withdraw", Staff(parties["us"]),
                             now=clock.now(), reason="test")
    r = client.post(f"{API}/listings/{other}/passes", headers=b, json={"reason": "price"})
    assert r.status_code in (404, 409)


def test_pass_and_close_are_audited(db, parties, clock) -> None:
    from sqlalchemy import select

    from gateway.trading import demands, matching
    from kernel.audit.models import AuditEvent

    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="fixed_price")
        d = matching.create_demand(s, parties["buyer_org"], {"direction": "inbound", "title": "x"},
                                   now=clock.now(), actor="user:b")
        demands.pass_on_listing(s, listing, parties["buyer_org"], "benefit_unclear",
                                now=clock.now(), actor="user:b", demand_id=d.id)
        demands.pass_on_listing(s, listing, parties["buyer_org"], "description_unclear",
                                now=clock.now(), actor="user:b")
        demands.close_demand(s, d.id, now=clock.now(), actor="user:b")
        demands.close_demand(s, d.id, now=clock.now(), actor="user:b")  # no second event
        actions = list(s.execute(select(AuditEvent.action).where(AuditEvent.action.in_(
            ("trading.listing_passed", "trading.demand_closed"))).order_by(AuditEvent.id)).scalars())
        assert actions == ["trading.listing_passed", "trading.listing_passed", "trading.demand_closed"]
        assert demands.passes_for_listing(s, listing.id)["counts"]["description_unclear"] == 1
