"""Trading through the pages: a buyer registers for an auction (deposit missing, then received
and held), bids on the live page and its JSON view (own bids only, extensions shown), wins after
the tick and finds the deal with its instalments; the seller's sub-centre reads the bid log only
after the close, another sub-centre not at all; a negotiation from interest to agreement between
the buyer's page and the staff page; an intent in a fixed-price notice."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from moneyed import Money
from sqlalchemy import func, select

from compliance.screening.service import screen_party
from gateway.trading import auctions, fixed_price
from gateway.trading.models import AuctionParticipant, Intent, Negotiation
from gateway.trading.tick import tick
from kernel.parties import Organisation
from tests.support.trading import buyer, fund, published_listing
from tests.support.web import csrf, post_form, sign_in


@pytest.fixture
def market(db, clock, parties, users, make_user) -> dict[str, Any]:
    """A published auction listing of the US sub-centre with an auction open for an hour, the
    buyer's organisation screened and a rival buyer with a user of its own."""
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now())
        screen_party(s, s.get(Organisation, parties["buyer_org"]), "test", clock.now(), "test")
        rival_org = buyer(s, clock.now(), "Rival Optics Co")
        auction = auctions.create_auction(
            s, listing, starts_at=clock.now(), ends_at=clock.now() + dt.timedelta(hours=1),
            increment=Money("1000.00", "USD"), deposit=Money("10000.00", "USD"), now=clock.now(),
            actor="test")
        ids = {"listing": listing.id, "auction": auction.id}
    return {**ids, "rival_org": rival_org, "rival": make_user("buyer", organisation_id=rival_org),
            "buyer": users["buyer"], "staff_us": users["staff_us"], "staff_dk": users["staff_dk"]}


def _live(client, auction_id: int) -> dict[str, Any]:
    resp = client.get(f"/auctions/{auction_id}/live.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def _participants(db, auction_id: int) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(AuctionParticipant)
                         .where(AuctionParticipant.auction_id == auction_id)).scalar_one()


def test_registering_for_an_auction_shows_the_deposit_missing_then_held(client, db, clock, parties, market) -> None:
    sign_in(client, market["buyer"]["email"])
    page = client.get(f"/catalogue/{market['listing']}").get_data(as_text=True)
    assert 'id="auction-deposit" data-status="missing"' in page and "Register for the auction" in page
    assert "$10,000.00 USD" in page  # the deposit required
    refused = post_form(client, f"/auctions/{market['auction']}/register")
    assert refused.status_code == 200
    assert "The deposit has not been received yet" in refused.get_data(as_text=True)
    assert _participants(db, market["auction"]) == 0

    with db.transaction() as s:
        fund(s, parties["buyer_org"], "10000.00", clock.now())
    assert 'data-status="received"' in client.get(f"/catalogue/{market['listing']}").get_data(as_text=True)
    done = post_form(client, f"/auctions/{market['auction']}/register")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/auctions/{market['auction']}")
    page = client.get(f"/catalogue/{market['listing']}").get_data(as_text=True)
    assert 'data-status="held"' in page and "Register for the auction" not in page
    assert _participants(db, market["auction"]) == 1


def test_a_form_without_its_csrf_token_registers_nothing(client, db, clock, parties, market) -> None:
    with db.transaction() as s:
        fund(s, parties["buyer_org"], "10000.00", clock.now())
    sign_in(client, market["buyer"]["email"])
    assert client.post(f"/auctions/{market['auction']}/register").status_code == 400
    assert _participants(db, market["auction"]) == 0


def _register_both(client, db, clock, parties, market) -> None:
    with db.transaction() as s:
        fund(s, parties["buyer_org"], "10000.00", clock.now())
        fund(s, market["rival_org"], "10000.00", clock.now())
    for who in ("rival", "buyer"):
        sign_in(client, market[who]["email"])
        assert post_form(client, f"/auctions/{market['auction']}/register").status_code == 302


def test_bidding_on_the_live_page_against_a_rival_and_winning(client, db, clock, parties, market) -> None:
    aid = market["auction"]
    _register_both(client, db, clock, parties, market)
    page = client.get(f"/auctions/{aid}").get_data(as_text=True)
    assert 'id="minimum-bid">$100,000.00 USD' in page and 'min="100000.00"' in page and 'step="0.01"' in page
    low = post_form(client, f"/auctions/{aid}/bid", {"amount": "99,000"})
    assert low.status_code == 200 and "at least the starting price" in low.get_data(as_text=True)
    assert post_form(client, f"/auctions/{aid}/bid", {"amount": "100,000.00"}).status_code == 302
    mine = _live(client, aid)
    assert mine["current_price"] == "$100,000.00 USD" and mine["leading"] is True
    assert mine["minimum_amount"] == "101000.00" and [b["amount"] for b in mine["my_bids"]] == ["$100,000.00 USD"]

    sign_in(client, market["rival"]["email"])
    assert post_form(client, f"/auctions/{aid}/bid", {"amount": "101000"}).status_code == 302
    rival_view = _live(client, aid)
    assert [b["amount"] for b in rival_view["my_bids"]] == ["$101,000.00 USD"]  # never the buyer's bids

    sign_in(client, market["buyer"]["email"])
    clock.advance(minutes=58)  # inside the last five minutes: the end moves
    assert post_form(client, f"/auctions/{aid}/bid", {"amount": "125000"}).status_code == 302
    mine = _live(client, aid)
    assert mine["extensions"] == 1 and mine["seconds_left"] == 300 and mine["bid_count"] == 3
    assert [b["amount"] for b in mine["my_bids"]] == ["$125,000.00 USD", "$100,000.00 USD"]
    assert "Rival" not in str(mine) and not any("org" in k or "bidder" in k for k in mine)
    page = client.get(f"/auctions/{aid}").get_data(as_text=True)
    assert "Rival Optics" not in page and 'id="extensions">1<' in page

    clock.advance(minutes=6)
    assert tick(db, clock.now()).auctions_won == 1
    won = _live(client, aid)
    assert won["state"] == "won" and won["won"] is True and won["deal_reference"].startswith("DL-2026-")
    deals = client.get("/deals").get_data(as_text=True)
    assert won["deal_reference"] in deals and "$125,000.00 USD" in deals
    assert "/api/v1/settlement/instructions/" in deals and "party=payer" in deals  # the advice
    assert "$10,000.00 USD" in deals  # the deposit applied to the price
    assert "upfront payment" in deals and "upfront fee" not in deals  # the kind, translatable

    sign_in(client, market["rival"]["email"])
    lost = _live(client, aid)
    assert lost["won"] is False and lost["deal_reference"] is None
    assert won["deal_reference"] not in client.get("/deals").get_data(as_text=True)


def test_the_seller_subcentre_reads_the_bid_log_after_the_close_and_no_one_else(client, db, clock, parties, market) -> None:
    aid = market["auction"]
    _register_both(client, db, clock, parties, market)
    low = post_form(client, f"/auctions/{aid}/bid", {"amount": "99000"})  # refused, and kept
    assert "at least the starting price" in low.get_data(as_text=True)
    assert post_form(client, f"/auctions/{aid}/bid", {"amount": "130000"}).status_code == 302
    url = f"/staff/listings/{market['listing']}/trading"
    sign_in(client, market["staff_us"]["email"])
    open_page = client.get(url).get_data(as_text=True)
    assert "opens to the sub-centre after the close" in open_page and 'class="log bid-log"' not in open_page
    assert "$120,000.00 USD" in open_page  # staff see the reserve
    sign_in(client, market["staff_dk"]["email"])
    assert client.get(url).status_code == 404
    sign_in(client, market["buyer"]["email"])
    assert client.get(url).status_code == 403

    clock.advance(hours=2)
    tick(db, clock.now())
    sign_in(client, market["staff_us"]["email"])
    closed = client.get(url).get_data(as_text=True)
    log = closed[closed.index('class="log bid-log"'):]
    assert "深圳智造科技有限公司" in log and "$130,000.00 USD" in log
    refused = closed[closed.index('class="log refused-bids"'):]
    assert "below the starting price" in refused and "$99,000.00 USD" in refused
    assert "Rival Optics Co" in closed  # registered, listed among the participants
    sign_in(client, market["staff_dk"]["email"])
    assert client.get(url).status_code == 404


def test_the_live_page_in_chinese(client, db, clock, parties, market) -> None:
    _register_both(client, db, clock, parties, market)
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf(client, "/")})
    page = client.get(f"/auctions/{market['auction']}").get_data(as_text=True)
    assert "实时拍卖" in page and "当前价格" in page and "US$100,000.00" in page
    assert "2026年11月23日" in page  # the end, in Shanghai time by Babel's Chinese format
    refused = post_form(client, f"/auctions/{market['auction']}/bid", {"amount": "1"})
    assert "首次出价不得低于起拍价" in refused.get_data(as_text=True)


def test_a_negotiation_between_the_buyer_page_and_the_staff_page(client, db, clock, parties, users, make_user) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), "negotiated",
                                    asking_price=Money("200000.00", "USD")).id
        screen_party(s, s.get(Organisation, parties["buyer_org"]), "test", clock.now(), "test")
        other_org = buyer(s, clock.now(), "Other Buyer Co")
    other = make_user("buyer", organisation_id=other_org)
    sign_in(client, users["buyer"]["email"])
    assert "Register interest and negotiate" in client.get(f"/catalogue/{listing}").get_data(as_text=True)
    assert post_form(client, f"/catalogue/{listing}/interest").status_code == 302
    with db.session() as s:
        nid = s.execute(select(Negotiation.id).where(Negotiation.listing_id == listing)).scalar_one()
    sent = post_form(client, f"/negotiations/{nid}/offer", {"amount": "150000", "transaction_type": "sole_licence",
                                                           "territory": "CN", "upfront_due_days": "45"})
    assert sent.status_code == 302
    again = post_form(client, f"/negotiations/{nid}/offer", {"amount": "160000"})
    assert again.status_code == 200 and "It is not your side" in again.get_data(as_text=True)
    bad = post_form(client, f"/negotiations/{nid}/offer", {"amount": "1", "territory": "China"})
    assert "two-letter country codes" in bad.get_data(as_text=True)

    sign_in(client, other["email"])
    assert post_form(client, f"/negotiations/{nid}/offer", {"amount": "1000"}).status_code == 404
    assert post_form(client, f"/negotiations/{nid}/accept").status_code == 404

    sign_in(client, users["staff_us"]["email"])
    staff_page = client.get(f"/staff/listings/{listing}/trading").get_data(as_text=True)
    assert "$150,000.00 USD" in staff_page and "sole licence" in staff_page and "45 days" in staff_page
    assert post_form(client, f"/staff/negotiations/{nid}/offer", {"amount": "180000"}).status_code == 302
    sign_in(client, users["staff_dk"]["email"])
    assert post_form(client, f"/staff/negotiations/{nid}/accept").status_code == 404

    sign_in(client, users["buyer"]["email"])
    page = client.get(f"/catalogue/{listing}").get_data(as_text=True)
    assert "Accept the seller's offer of $180,000.00 USD" in page
    assert post_form(client, f"/negotiations/{nid}/accept").status_code == 302
    page = client.get(f"/catalogue/{listing}").get_data(as_text=True)
    assert 'id="negotiation-state">agreed (public notice)' in page
    with db.session() as s:
        assert s.get(Negotiation, nid).state == "agreed"


def test_an_intent_in_a_fixed_price_notice(client, db, clock, parties, users) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), "fixed_price")
        screen_party(s, s.get(Organisation, parties["buyer_org"]), "test", clock.now(), "test")
        notice = fixed_price.open_notice(s, listing, deposit=Money("5000.00", "USD"),
                                         increment=Money("1000.00", "USD"), now=clock.now(), actor="test").id
        listing = listing.id
    sign_in(client, users["buyer"]["email"])
    page = client.get(f"/catalogue/{listing}").get_data(as_text=True)
    assert "Register intent to buy at $250,000.00 USD" in page and 'data-status="missing"' in page
    assert "sub-centre time</small>" not in page and "(sub-centre time: " in page
    assert "12:00:00\u202fAM)" in page or "12:00:00 AM)" in page  # the period ends at midnight in New York
    refused = post_form(client, f"/notices/{notice}/intent")
    assert "The deposit has not been received yet" in refused.get_data(as_text=True)
    with db.transaction() as s:
        fund(s, parties["buyer_org"], "5000.00", clock.now())
    assert post_form(client, f"/notices/{notice}/intent").status_code == 302
    page = client.get(f"/catalogue/{listing}").get_data(as_text=True)
    assert 'id="my-intent">registered' in page and 'data-status="held"' in page
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Intent).where(Intent.notice_id == notice)).scalar_one() == 1
    sign_in(client, users["staff_us"]["email"])
    staff = client.get(f"/staff/listings/{listing}/trading").get_data(as_text=True)
    registrations = staff[staff.index('class="registrations"'):]
    assert "深圳智造科技有限公司" in registrations


def test_only_buyers_open_the_live_auction_and_my_deals(client, market, users) -> None:
    for who in ("staff_us", "finance", "seller_us"):
        sign_in(client, users[who]["email"])
        assert client.get(f"/auctions/{market['auction']}").status_code == 403
        assert client.get(f"/auctions/{market['auction']}/live.json").status_code == 403
        assert client.get("/deals").status_code == 403
