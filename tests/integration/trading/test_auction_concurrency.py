"""Fifty bids at once on a real PostgreSQL (rows really locked; SQLite serialises writers):
the accepted bids strictly increase by at least the increment, one winner, and every refused
bid says why and is stored."""
from __future__ import annotations

import datetime as dt
import itertools
import random
import threading

from moneyed import Money
from sqlalchemy import select

from gateway.trading import auctions
from gateway.trading.errors import BID_REFUSALS, BidRefused
from gateway.trading.models import Auction, Bid, Deal
from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.parties import Organisation, SubCentre
from settlement.ledger import check_ledger
from tests.support.trading import buyer, fund, published_listing

THREADS = 50
BIDDERS = 10
INCREMENT = 1000


def test_fifty_concurrent_bids(pg_db_url: str, clock: FrozenClock) -> None:
    db = Database(pg_db_url)
    try:
        with db.transaction() as s:
            sc = SubCentre(code="US", name_zh="美国分中心", name_en="US Sub-centre", country="US",
                           home_currency="USD", locale="en_US", timezone="America/New_York",
                           active=True)
            s.add(sc)
            s.flush()
            seller = Organisation(legal_name="Photonics Lab Inc.", legal_name_latin="Photonics Lab Inc.",
                                  country="US", org_type="company", tax_residency="US",
                                  subcentre_id=sc.id, created_at=clock.now())
            s.add(seller)
            s.flush()
            listing = published_listing(s, {"us": sc.id, "seller_us": seller.id}, clock.now())
            auction_id = auctions.create_auction(
                s, listing, starts_at=clock.now(), ends_at=clock.now() + dt.timedelta(hours=1),
                increment=Money(INCREMENT, "USD"), deposit=Money("10000", "USD"), now=clock.now(),
                actor="user:staff").id
            bidders = []
            for i in range(BIDDERS):
                org = buyer(s, clock.now(), f"Concurrent Buyer {i}")
                fund(s, org, "10000", clock.now())
                auctions.register(s, auction_id, org, now=clock.now(), actor="test")
                bidders.append(org)

        rng = random.Random(5)
        # amounts from the starting price upwards, many colliding, some below the increment
        plan = [(bidders[k % BIDDERS], 100000 + rng.randrange(0, 80) * 500) for k in range(THREADS)]
        barrier = threading.Barrier(THREADS)
        accepted: list[tuple[int, int]] = []
        refused: list[BidRefused] = []
        crashed: list[BaseException] = []
        lock = threading.Lock()

        def bid(org: int, amount: int) -> None:
            try:
                barrier.wait(timeout=60)
                with db.transaction() as s:
                    b = auctions.bid(db, s, auction_id, org, Money(amount, "USD"),
                                     now=clock.now(), actor=f"org:{org}")
                    seq = b.seq
                with lock:
                    accepted.append((seq, amount))
            except BidRefused as exc:
                with lock:
                    refused.append(exc)
            except BaseException as exc:  # noqa: BLE001  (surfaced below)
                with lock:
                    crashed.append(exc)

        threads = [threading.Thread(target=bid, args=p) for p in plan]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not crashed, crashed
        assert len(accepted) + len(refused) == THREADS
        assert accepted, "no bid was accepted"
        assert all(r.reason in BID_REFUSALS and r.detail for r in refused)
        print(f"accepted {len(accepted)}, refused {len(refused)}: "
              f"{sorted({r.reason for r in refused})}")

        with db.session() as s:
            rows = list(s.execute(select(Bid).where(Bid.auction_id == auction_id)
                                  .order_by(Bid.seq)).scalars())
            auction = s.get(Auction, auction_id)
            assert [b.seq for b in rows] == list(range(1, len(rows) + 1)) == sorted(a for a, _ in accepted)
            assert rows[0].amount_minor >= 100000 * 100
            for before, after in itertools.pairwise(rows):
                assert after.amount_minor - before.amount_minor >= INCREMENT * 100
                assert after.bidder_org_id != before.bidder_org_id
            assert auction.high_bid_id == rows[-1].id and auction.bid_count == len(rows)
            # every refusal was stored (its own transaction) with the reason it was given
            stored = auctions.refusal_log(s, auction)
            assert sorted(r["reason"] for r in stored) == sorted(r.reason for r in refused)
            assert len(stored) == len(refused)

        clock.advance(hours=2)
        with db.transaction() as s:
            result = auctions.close_auction(s, auction_id, now=clock.now())
        with db.transaction() as s:  # a second close (the tick again) does nothing
            assert auctions.close_auction(s, auction_id, now=clock.now()) is None
        with db.session() as s:
            deals = list(s.execute(select(Deal)).scalars())
            winner = rows[-1].bidder_org_id
            if rows[-1].amount_minor >= 120000 * 100:
                assert result.outcome == "won"
                assert len(deals) == 1 and deals[0].buyer_org_id == winner
            else:
                assert result.outcome == "failed" and deals == []
            assert check_ledger(s) == []
    finally:
        db.engine.dispose()
