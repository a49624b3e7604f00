"""``flask --app wsgi trading tick``: closes due auctions, expires negotiations and holds and
listings whose period ended; a second run finds nothing to do."""
from __future__ import annotations

import datetime as dt

from moneyed import Money

from gateway.listings.models import Listing
from gateway.trading import auctions, negotiation
from gateway.trading.models import Auction, Negotiation
from tests.support.trading import buyer, fund, published_listing


def test_tick_closes_due_auctions_and_expires_what_is_due(app, db, parties, clock) -> None:
    with db.transaction() as s:
        won = published_listing(s, parties, clock.now())
        unsold = published_listing(s, parties, clock.now())
        talk = published_listing(s, parties, clock.now(), mode="negotiated")
        old = published_listing(s, parties, clock.now(), mode="fixed_price",
                                period_end=clock.now() + dt.timedelta(days=1))
        a1 = auctions.create_auction(s, won, starts_at=clock.now(), ends_at=clock.now() + dt.timedelta(hours=1),
                                     increment=Money("1000", "USD"), deposit=Money("5000", "USD"),
                                     now=clock.now(), actor="u").id
        a2 = auctions.create_auction(s, unsold, starts_at=clock.now(), ends_at=clock.now() + dt.timedelta(hours=1),
                                     increment=Money("1000", "USD"), deposit=Money("5000", "USD"),
                                     now=clock.now(), actor="u").id
        b = buyer(s, clock.now(), "Tick Buyer")
        fund(s, b, "10000", clock.now())
        auctions.register(s, a1, b, now=clock.now(), actor="u")
        auctions.place_bid(s, a1, b, Money("130000", "USD"), now=clock.now(), actor="u")
        n = negotiation.register_interest(s, talk.id, b, now=clock.now(), actor="u", valid_days=1).id
        ids = (won.id, unsold.id, talk.id, old.id)
    clock.advance(days=2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["trading", "tick"])
    assert result.exit_code == 0, result.output
    assert f"auction {a1}: won" in result.output and f"auction {a2}: failed (no_bids)" in result.output
    assert "auctions won 1, failed 1; negotiations expired 1" in result.output, result.output
    assert f"listing {ids[3]}: expired" in result.output
    with db.session() as s:
        assert [s.get(Listing, i).state for i in ids] == ["deal_struck", "published", "published", "expired"]
        assert s.get(Auction, a1).state == "won" and s.get(Negotiation, n).state == "expired"
    again = runner.invoke(args=["trading", "tick", "--quiet"])
    assert again.exit_code == 0
    assert "notices sold 0, auctioned 0, without buyer 0; auctions won 0, failed 0; negotiations "\
        "expired 0; holds expired 0" in again.output, again.output
