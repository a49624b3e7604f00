"""A deal struck through a domestic channel (the core's feed) ends the gateway's trading on
the listing: the auction is cancelled with every deposit released, the listing withdrawn."""
from __future__ import annotations

import datetime as dt

from moneyed import Money

from gateway.core.embedded import EmbeddedCore
from gateway.core.feed import pull_events
from gateway.core.outbox import dispatch
from gateway.listings.models import Listing
from gateway.trading import auctions, deposits, events  # noqa: F401  (registers the handler)
from gateway.trading.models import Auction
from tests.support.trading import buyer, fund, published_listing


def test_a_domestic_deal_cancels_the_auction_and_withdraws_the_listing(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now())
        listing.core_id = None  # let the real publication reach the core
        listing_id = listing.id
    core = EmbeddedCore(db, clock)
    dispatch(db, core, clock.now())
    with db.transaction() as s:
        listing = s.get(Listing, listing_id)
        assert listing.core_id
        core_id = listing.core_id
        a = auctions.create_auction(s, listing, starts_at=clock.now(),
                                    ends_at=clock.now() + dt.timedelta(hours=1),
                                    increment=Money("1000", "USD"), deposit=Money("5000", "USD"),
                                    now=clock.now(), actor="u")
        b = buyer(s, clock.now(), "Domestic Loser")
        fund(s, b, "5000", clock.now())
        auctions.register(s, a.id, b, now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b, Money("100000", "USD"), now=clock.now(), actor="u")
        auction_id = a.id
    core.strike_domestic_deal(core_id, {"price": {"amount": "1", "currency": "CNY"}})
    pull_events(db, core, now=clock.now())
    with db.session() as s:
        assert s.get(Listing, listing_id).state == "withdrawn"
        assert s.get(Auction, auction_id).state == "cancelled"
        assert deposits.deposit_balance(s, b, "USD", at=clock.now(), actor="u").available == Money("5000", "USD")
