"""`demo load` (what `make run` does) is idempotent and leaves a usable, consistent demo."""
from __future__ import annotations

from sqlalchemy import func, select

from gateway.listings.models import Listing
from gateway.trading.models import Auction
from kernel.audit import verify_chain
from settlement.ledger import check_ledger


def test_demo_load_twice_creates_once_and_publishes_listings(fresh_db_url: str, clock) -> None:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url}, clock=clock)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "listings +4" in first.output
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "users +0" in again.output and "listings +0" in again.output
    db = app.extensions["gateway.db"]
    with db.session() as s:
        published = s.execute(select(func.count()).select_from(Listing)
                              .where(Listing.state == "published")).scalar_one()
        assert published == 3
        auction = s.execute(select(Auction)).scalar_one()
        assert auction.state == "open"
        assert s.get(Listing, auction.listing_id).title_en.startswith("GaN")
        assert verify_chain(s).ok and check_ledger(s) == []
    client = app.test_client()
    found = client.get("/api/v1/listings/search?q=激光雷达",
                       headers={"Authorization": "Bearer tt_demo_buyer_token_000000000000004"})
    assert found.status_code == 200 and len(found.get_json()["items"]) == 1
    # the demo buyer's deposit is received, so registering for the auction places a hold on it
    buyer = {"Authorization": "Bearer tt_demo_buyer_token_000000000000004"}
    registered = client.post(f"/api/v1/auctions/{auction.id}/registrations", headers=buyer)
    assert registered.status_code in (200, 201), registered.get_json()
    db.engine.dispose()
