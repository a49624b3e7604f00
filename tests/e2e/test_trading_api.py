"""Trading over HTTP: roles and visibility (buyers never see other bidders), deposits recorded
by finance, bids with reasons, the close by the tick, the bid log for the seller's sub-centre,
the deal for its parties; a negotiation from interest to the final deal."""
from __future__ import annotations

import datetime as dt

from compliance.screening.service import screen_party
from gateway.trading.tick import tick
from kernel.parties import Organisation
from tests.support.trading import buyer, published_listing

API = "/api/v1"


def _money(x: str) -> dict:
    return {"amount": x, "currency": "USD"}


def test_an_auction_through_the_api(client, db, users, parties, clock, make_user) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now()).id
        screen_party(s, s.get(Organisation, parties["buyer_org"]), "test", clock.now(), "test")
        rival_org = buyer(s, clock.now(), "Rival Buyer Co")
    rival = make_user("buyer", organisation_id=rival_org)
    staff, b = users["staff_us"]["headers"], users["buyer"]["headers"]
    r = client.post(f"{API}/auctions", headers=users["staff_dk"]["headers"], json={
        "listing_id": listing, "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + dt.timedelta(hours=1)).isoformat(),
        "increment": _money("1000.00"), "deposit": _money("10000.00")})
    assert r.status_code == 403  # another sub-centre's listing
    r = client.post(f"{API}/auctions", headers=staff, json={
        "listing_id": listing, "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + dt.timedelta(hours=1)).isoformat(),
        "increment": _money("1000.00"), "deposit": _money("10000.00")})
    assert r.status_code == 201, r.get_json()
    auction = r.get_json()
    aid = auction["id"]
    assert auction["reserve"] == _money("120000.00")

    r = client.post(f"{API}/auctions/{aid}/registrations", headers=b)
    assert r.status_code == 409 and r.get_json()["code"] == "deposit_missing"
    r = client.post(f"{API}/auctions/{aid}/bids", headers=b, json={"amount": _money("100000.00")})
    assert r.status_code == 409 and r.get_json()["reason"] == "not_registered"
    for org in (parties["buyer_org"], rival_org):
        r = client.post(f"{API}/deposits", headers=users["finance"]["headers"],
                        json={"org_id": org, "amount": _money("10000.00"), "reference": f"BANK-{org}"})
        assert r.status_code == 201, r.get_json()
    assert client.post(f"{API}/deposits", headers=b, json={}).status_code == 403
    for h in (b, rival["headers"]):
        assert client.post(f"{API}/auctions/{aid}/registrations", headers=h).status_code == 201
    r = client.get(f"{API}/deposits?org_id={parties['buyer_org']}&currency=USD", headers=b)
    assert r.get_json()["available"] == _money("0.00") and r.get_json()["pending"] == _money("10000.00")

    assert client.post(f"{API}/auctions/{aid}/bids", headers=b,
                       json={"amount": _money("125000.00")}).status_code == 201
    r = client.post(f"{API}/auctions/{aid}/bids", headers=rival["headers"], json={"amount": _money("125500.00")})
    assert r.status_code == 409 and r.get_json()["reason"] == "increment_not_met"
    assert r.get_json()["minimum"] == "126000.00"
    assert client.post(f"{API}/auctions/{aid}/bids", headers=rival["headers"],
                       json={"amount": _money("126000.00")}).status_code == 201

    view = client.get(f"{API}/auctions/{aid}", headers=b).get_json()
    assert view["current_price"] == _money("126000.00") and view["leading"] is False
    assert view["reserve"] is None and view["reserve_met"] is True
    assert [x["amount"] for x in view["my_bids"]] == [_money("125000.00")]
    assert "bidder" not in str(view) and "org" not in "".join(view)  # no identities, no org keys
    mine = client.get(f"{API}/auctions/{aid}/bids", headers=b).get_json()["items"]
    assert {e["bidder_org_id"] for e in mine} == {parties["buyer_org"]}
    assert client.get(f"{API}/auctions/{aid}/bids", headers=staff).status_code == 403  # not closed yet

    clock.advance(hours=2)
    summary = tick(db, clock.now())
    assert summary.auctions_won == 1, summary
    body = client.get(f"{API}/auctions/{aid}/bids", headers=staff).get_json()
    assert [e["bidder_org_id"] for e in body["items"]] == [parties["buyer_org"], rival_org]
    # the refused bids are kept, with their reason, amount and time, beside the accepted ones
    assert [(e["bidder_org_id"], e["reason"], e["amount"]) for e in body["refused"]] == [
        (parties["buyer_org"], "not_registered", _money("100000.00")),
        (rival_org, "increment_not_met", _money("125500.00"))]
    assert all(e["attempted_at"] and e["detail"] for e in body["refused"])
    mine = client.get(f"{API}/auctions/{aid}/bids", headers=b).get_json()["refused"]
    assert [e["reason"] for e in mine] == ["not_registered"]  # a buyer sees its own only
    deal_id = client.get(f"{API}/auctions/{aid}", headers=staff).get_json()["deal_id"]
    assert client.get(f"{API}/deals/{deal_id}", headers=b).status_code == 404  # not the buyer
    deal = client.get(f"{API}/deals/{deal_id}", headers=rival["headers"]).get_json()
    assert deal["price"] == _money("126000.00") and deal["plan_id"]
    assert deal["deposit_applied"] == _money("10000.00")
    # the rival is a Chinese buyer: it pays in CNY the price less its deposit, at the rate
    # locked at the close (USD->CNY mid 7.1 x 1.003): 116,000.00 x 7.1213 = 826,070.80
    plan = client.get(f"{API}/deals/{deal['reference']}/settlement-plan",
                      headers=users["finance"]["headers"]).get_json()
    assert (plan["payin_currency"], plan["payout_currency"]) == ("CNY", "USD")
    up = plan["instructions"][0]
    assert up["deposit"] == _money("10000.00")
    assert up["payin"] == {"amount": "826070.80", "currency": "CNY"}
    r = client.post(f"{API}/deals/{deal_id}/contract", headers=staff, json={"signed_on": "2026-11-24"})
    assert r.get_json()["registration_due_on"] == "2027-01-23"


def test_a_negotiation_through_the_api(client, db, users, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated").id
        screen_party(s, s.get(Organisation, parties["buyer_org"]), "test", clock.now(), "test")
    b, staff, seller = (users["buyer"]["headers"], users["staff_us"]["headers"],
                        users["seller_us"]["headers"])
    r = client.post(f"{API}/negotiations", headers=b, json={"listing_id": listing, "notice_days": 0})
    assert r.status_code == 201, r.get_json()
    nid = r.get_json()["id"]
    assert client.get(f"{API}/negotiations/{nid}", headers=users["staff_dk"]["headers"]).status_code == 404
    assert client.post(f"{API}/negotiations/{nid}/offers", headers=b,
                       json={"amount": _money("150000.00")}).status_code == 201
    r = client.post(f"{API}/negotiations/{nid}/offers", headers=b, json={"amount": _money("160000.00")})
    assert r.status_code == 409 and r.get_json()["code"] == "negotiation_turn_refused"
    assert client.post(f"{API}/negotiations/{nid}/offers", headers=seller,
                       json={"amount": _money("180000.00")}).status_code == 201
    r = client.post(f"{API}/negotiations/{nid}/accept", headers=b)
    assert r.status_code == 200 and r.get_json()["state"] == "agreed"
    notices = client.get(f"{API}/notices", headers=b).get_json()["items"]
    assert notices[0]["agreed_price"] == _money("180000.00")
    r = client.post(f"{API}/negotiations/{nid}/contract", headers=staff, json={"signed_on": "2026-11-23"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "final" and r.get_json()["deal_id"]


def test_a_fixed_price_notice_through_the_api(client, db, users, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="fixed_price").id
        screen_party(s, s.get(Organisation, parties["buyer_org"]), "test", clock.now(), "test")
    staff, b = users["staff_us"]["headers"], users["buyer"]["headers"]
    r = client.post(f"{API}/notices/fixed-price", headers=staff, json={
        "listing_id": listing, "deposit": _money("5000.00"), "increment": _money("1000.00"),
        "working_days": 5})
    assert r.status_code == 201, r.get_json()
    nid = r.get_json()["id"]
    r = client.post(f"{API}/notices/fixed-price/{nid}/intents", headers=b)
    assert r.status_code == 409 and r.get_json()["code"] == "deposit_missing"
    client.post(f"{API}/deposits", headers=users["finance"]["headers"],
                json={"org_id": parties["buyer_org"], "amount": _money("5000.00"), "reference": "B-1"})
    r = client.post(f"{API}/notices/fixed-price/{nid}/intents", headers=b)
    assert r.status_code == 201 and r.get_json()["my_intent"] is True
    other = client.get(f"{API}/notices/fixed-price/{nid}", headers=users["seller_us"]["headers"]).get_json()
    assert other["intending_buyers"] == 1 and other["my_intent"] is False
    r = client.post(f"{API}/notices/fixed-price/{nid}/extend", headers=staff, json={"working_days": 5})
    assert r.status_code == 409  # it has not ended without a buyer


def test_a_buyer_on_the_wrong_side_of_the_border_is_refused(client, db, users, parties, clock,
                                                             make_user) -> None:
    """Bring in (inbound) sells to domestic buyers, go out (outbound) to overseas ones: the
    refusal is a 409 problem that names the rule and the buyer's country."""
    with db.transaction() as s:
        bring_in = published_listing(s, parties, clock.now(), mode="negotiated").id
        go_out = published_listing(s, parties, clock.now(), mode="negotiated", direction="outbound").id
        screen_party(s, s.get(Organisation, parties["buyer_org"]), "test", clock.now(), "test")
        overseas_org = buyer(s, clock.now(), "Overseas Buyer GmbH", country="DE")
    overseas = make_user("buyer", organisation_id=overseas_org)["headers"]
    domestic = users["buyer"]["headers"]
    for headers, listing, country, wanted in ((overseas, bring_in, "DE", "domestic"),
                                              (domestic, go_out, "CN", "overseas")):
        r = client.post(f"{API}/negotiations", headers=headers, json={"listing_id": listing})
        body = r.get_json()
        assert r.status_code == 409 and r.mimetype == "application/problem+json", body
        assert body["code"] == "buyer_not_eligible" and body["buyer_country"] == country
        assert wanted in body["detail"]
    for headers, listing in ((domestic, bring_in), (overseas, go_out)):
        r = client.post(f"{API}/negotiations", headers=headers, json={"listing_id": listing})
        assert r.status_code == 201, r.get_json()


def test_a_zero_deposit_is_refused_naming_the_field(client, db, users, parties, clock) -> None:
    with db.transaction() as s:
        auction_listing = published_listing(s, parties, clock.now()).id
        fixed_listing = published_listing(s, parties, clock.now(), mode="fixed_price").id
    staff = users["staff_us"]["headers"]
    r = client.post(f"{API}/auctions", headers=staff, json={
        "listing_id": auction_listing, "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + dt.timedelta(hours=1)).isoformat(),
        "increment": _money("1000.00"), "deposit": _money("0.00")})
    assert r.status_code == 422 and "deposit" in r.get_json()["errors"], r.get_json()
    r = client.post(f"{API}/notices/fixed-price", headers=staff, json={
        "listing_id": fixed_listing, "deposit": _money("0.00"), "increment": _money("1000.00")})
    assert r.status_code == 422 and "deposit" in r.get_json()["errors"], r.get_json()
