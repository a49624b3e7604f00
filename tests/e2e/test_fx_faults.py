"""FX faults at the service: a request that needs a rate the store does not have (none loaded, or
only rates older than the staleness limit) is refused with a 503 problem document naming the
fault (``fx_no_rate``, ``fx_stale_rate``: ``fx load`` cures both), never a 500, and writes
nothing; once rates are loaded the same request goes through.

Striking a deal converts: signing the contract of an agreed negotiation strikes the deal and
creates its settlement plan, whose fee bounds and rate locks need today's rates (the buyer pays
in CNY for a USD price). Where a conversion only decorates a page (the finance FX exposure: "no
recent rate", test_web_finance.py) or narrows a search (a price range in another currency), a
missing rate is no error: a search leaves out the listings whose currency it cannot convert to,
and names those currencies (``unpriced_currencies``) so the buyer knows the list is partial.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from moneyed import Money
from sqlalchemy import delete, func, select

from gateway.core.models import OutboxMessage
from gateway.listings.models import Listing
from gateway.trading import negotiation
from gateway.trading.models import Deal
from kernel.audit import AuditEvent
from settlement.fx.models import FxRate, FxRateLock
from settlement.plans import SettlementPlan
from tests.support.trading import add_rates, buyer, published_listing

API = "/api/v1"


@pytest.fixture
def agreed(db, parties, clock) -> dict[str, int]:
    """A negotiation agreed at 180,000 USD between a CN buyer and a US seller, its (zero-day)
    notice over: the seller's sub-centre may sign the contract, which strikes the deal."""
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated")
        org = buyer(s, clock.now(), "Rate-less Buyer Co")
        n = negotiation.register_interest(s, listing.id, org, now=clock.now(), actor="test", notice_days=0)
        negotiation.make_offer(s, n.id, "seller", Money("180000.00", "USD"), {}, now=clock.now(), actor="test")
        negotiation.accept(s, n.id, "buyer", now=clock.now(), actor="test")
        return {"negotiation": n.id, "listing": listing.id}


def _written(db) -> dict[str, Any]:
    with db.session() as s:
        return {model.__tablename__: s.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (Deal, SettlementPlan, FxRateLock, OutboxMessage, AuditEvent)}


def _sign(client, users, agreed, clock) -> Any:
    return client.post(f"{API}/negotiations/{agreed['negotiation']}/contract",
                       headers=users["staff_us"]["headers"],
                       json={"signed_on": clock.now().date().isoformat()})


def _assert_refused_and_nothing_written(resp, code: str, before: dict[str, Any], db, client,
                                        users, agreed) -> dict[str, Any]:
    body = resp.get_json()
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json", body
    assert body["code"] == code and body["status"] == 503 and body["detail"]
    assert _written(db) == before  # no deal, plan, rate lock, outbox message or audit event
    n = client.get(f"{API}/negotiations/{agreed['negotiation']}", headers=users["staff_us"]["headers"])
    assert n.get_json()["state"] == "agreed" and n.get_json()["deal_id"] is None
    with db.session() as s:
        assert s.get(Listing, agreed["listing"]).state == "in_notice_period"
    return body


def test_a_deal_struck_with_no_rates_loaded_is_refused_503_and_nothing_is_written(
        client, db, users, agreed, clock) -> None:
    with db.transaction() as s:
        s.execute(delete(FxRate))
    before = _written(db)
    body = _assert_refused_and_nothing_written(_sign(client, users, agreed, clock), "fx_no_rate",
                                               before, db, client, users, agreed)
    assert "USD" in body["detail"]
    with db.transaction() as s:
        add_rates(s, clock.now())
    done = _sign(client, users, agreed, clock)
    assert done.status_code == 200 and done.get_json()["state"] == "final", done.get_json()
    assert _written(db)[Deal.__tablename__] == before[Deal.__tablename__] + 1
    with db.session() as s:
        assert s.get(Listing, agreed["listing"]).state == "deal_struck"


def test_a_deal_struck_on_stale_rates_is_refused_503_and_nothing_is_written(
        client, db, users, agreed, clock) -> None:
    clock.advance(days=14)  # the rates stored at the listing's publication are two weeks old
    before = _written(db)
    body = _assert_refused_and_nothing_written(_sign(client, users, agreed, clock), "fx_stale_rate",
                                               before, db, client, users, agreed)
    assert body["as_of"] == (clock.now() - dt.timedelta(days=14)).date().isoformat()
    assert isinstance(body["limit"], int)
    with db.transaction() as s:
        add_rates(s, clock.now())  # today's rates: the same request now goes through
    done = _sign(client, users, agreed, clock)
    assert done.status_code == 200 and done.get_json()["deal_id"], done.get_json()


def test_a_price_range_search_without_a_usable_rate_leaves_foreign_listings_out(
        client, db, users, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="fixed").id  # 250,000 USD
    b = users["buyer"]["headers"]

    def found() -> tuple[list[int], list[str]]:
        resp = client.get(f"{API}/listings/search?currency=CNY&price_min=1000000&price_max=3000000",
                          headers=b)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        return [item["id"] for item in body["items"]], body["unpriced_currencies"]

    assert found() == ([listing], [])  # about 1.78 million CNY at the day's rates
    clock.advance(days=14)
    # stale rates convert nothing: a 200 without the USD listing (never a 500) that says why
    assert found() == ([], ["USD"])
    with db.transaction() as s:
        s.execute(delete(FxRate))
    assert found() == ([], ["USD"])
    with db.transaction() as s:
        add_rates(s, clock.now())
    assert found() == ([listing], [])
    no_range = client.get(f"{API}/listings/search?q=image", headers=b).get_json()
    assert no_range["unpriced_currencies"] == []  # without a price range nothing is left out
