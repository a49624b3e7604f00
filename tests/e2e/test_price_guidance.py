"""Price guidance: comparable past deals converted at their dates' rates, with the range;
buyers never see the comparables' parties. Relief from royalty with its steps."""
from __future__ import annotations

from moneyed import Money

from gateway.trading import negotiation as neg
from tests.support.trading import buyer, published_listing

API = "/api/v1"


def _deal(s, parties, clock, amount: Money, **over) -> None:
    listing = published_listing(s, parties, clock.now(), mode="negotiated", **over)
    b = buyer(s, clock.now(), f"Comparable buyer {listing.id}")
    n = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u", notice_days=0)
    neg.make_offer(s, n.id, "seller", amount, {}, now=clock.now(), actor="u")
    neg.accept(s, n.id, "buyer", now=clock.now(), actor="u")
    neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")


def test_comparables_and_range(client, db, users, parties, clock) -> None:
    with db.transaction() as s:
        _deal(s, parties, clock, Money("200000", "USD"))
        _deal(s, parties, clock, Money("100000", "EUR"))                       # USD 108,000
        _deal(s, parties, clock, Money("300000", "USD"), trl=9)                # another TRL band
        _deal(s, parties, clock, Money("300000", "USD"), ipc_classes=["H04W 72/04"])  # no shared IPC
        target = published_listing(s, parties, clock.now(), mode="fixed_price").id
    staff = client.get(f"{API}/listings/{target}/price-guidance", headers=users["staff_us"]["headers"])
    assert staff.status_code == 200, staff.get_json()
    g = staff.get_json()
    assert g["count"] == 2 and g["currency"] == "USD"
    assert g["range"]["minimum"] == {"amount": "108000.00", "currency": "USD"}
    assert g["range"]["median"] == {"amount": "154000.00", "currency": "USD"}
    assert g["range"]["maximum"] == {"amount": "200000.00", "currency": "USD"}
    assert {c["price"]["currency"] for c in g["comparables"]} == {"USD", "EUR"}
    assert all("buyer_org_id" in c and c["deal_reference"] for c in g["comparables"])
    assert g["remaining_patent_years"] == 8
    seen = client.get(f"{API}/listings/{target}/price-guidance", headers=users["buyer"]["headers"]).get_json()
    assert seen["range"] == g["range"]
    assert all(not ({"buyer_org_id", "seller_org_id", "deal_reference", "listing_id"} & set(c))
               for c in seen["comparables"])


PARTIES = {"buyer_org_id", "seller_org_id", "deal_reference", "listing_id"}


def test_only_the_exchanges_people_see_the_comparables_parties(client, db, users, parties,
                                                                 clock) -> None:
    """Staff of the listing's sub-centre, finance and admins see who dealt; the listing's own
    seller, a buyer and another sub-centre's staff see the same prices and range only;
    compliance officers are not offered price guidance."""
    with db.transaction() as s:
        _deal(s, parties, clock, Money("200000", "USD"))
        _deal(s, parties, clock, Money("150000", "USD"))
        target = published_listing(s, parties, clock.now(), mode="fixed_price").id
    url = f"{API}/listings/{target}/price-guidance"
    views = {}
    for who in ("staff_us", "finance", "admin", "seller_us", "buyer", "staff_dk"):
        r = client.get(url, headers=users[who]["headers"])
        assert r.status_code == 200, (who, r.get_json())
        views[who] = r.get_json()
    for who in ("staff_us", "finance", "admin"):
        assert len(views[who]["comparables"]) == 2
        assert all(PARTIES <= set(c) for c in views[who]["comparables"]), who
    for who in ("seller_us", "buyer", "staff_dk"):
        assert views[who]["range"] == views["staff_us"]["range"] and views[who]["count"] == 2
        assert [c["price"] for c in views[who]["comparables"]] == \
            [c["price"] for c in views["staff_us"]["comparables"]]
        assert all(not (PARTIES & set(c)) for c in views[who]["comparables"]), who
    assert client.get(url, headers=users["compliance"]["headers"]).status_code == 403


def test_relief_from_royalty_shows_its_steps(client, users) -> None:
    r = client.post(f"{API}/valuation/relief-from-royalty", headers=users["staff_us"]["headers"], json={
        "royalty_rate": "0.05", "discount_rate": "0.10", "first_year": 2027,
        "revenues": [{"amount": "1000000.00", "currency": "USD"}] * 3})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [s["royalty"]["amount"] for s in body["steps"]] == ["50000.00"] * 3
    assert [s["present_value"]["amount"] for s in body["steps"]] == ["45454.55", "41322.31", "37565.74"]
    assert body["value"] == {"amount": "124342.60", "currency": "USD"}
    assert body["steps"][0]["year"] == 2027
    assert client.post(f"{API}/valuation/relief-from-royalty", headers=users["buyer"]["headers"],
                       json={}).status_code == 403
