"""Fifty bids at once on a real PostgreSQL (rows really locked; SQLite serialises writers):
the accepted bids strictly increase by at least the increment, one winner, and every refused
bid says why and is stored. Two ticks closing the same auction at once strike one deal."""
from __future__ import annotations

import datetime as dt
import itertools
import random
import threading

from moneyed import Money
from sqlalchemy import select

from gateway.core.models import OutboxMessage
from gateway.trading import auctions
from gateway.trading.errors import BID_REFUSALS, BidRefused
from gateway.trading.models import Auction, AuctionParticipant, Bid, Deal
from gateway.trading.tick import TickSummary, tick
from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.parties import Organisation, SubCentre
from settlement.ledger import check_ledger
from tests.support.trading import buyer, fund, published_listing

THREADS = 50
BIDDERS = 10
INCREMENT = 1000
STARTING_PRICE = 100000


def _auction_with_bidders(db: Database, clock: FrozenClock) -> tuple[int, list[int]]:
    """A US listing's auction (starting price USD 100,000.00) with its reserve at the starting
    price, so that any accepted bid meets it; BIDDERS domestic buyers registered, deposits held."""
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
            actor="user:staff", starting_price=Money(STARTING_PRICE, "USD"),
            reserve=Money(STARTING_PRICE, "USD")).id
        bidders = []
        for i in range(BIDDERS):
            org = buyer(s, clock.now(), f"Concurrent Buyer {i}")
            fund(s, org, "10000", clock.now())
            auctions.register(s, auction_id, org, now=clock.now(), actor="test")
            bidders.append(org)
    return auction_id, bidders


def test_fifty_concurrent_bids(pg_db_url: str, clock: FrozenClock) -> None:
    db = Database(pg_db_url)
    try:
        auction_id, bidders = _auction_with_bidders(db, clock)

        rng = random.Random(5)
        # amounts from the starting price upwards, many colliding, some below the increment
        plan = [(bidders[k % BIDDERS], STARTING_PRICE + rng.randrange(0, 80) * 500)
                for k in range(THREADS)]
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
            assert rows[0].amount_minor >= STARTING_PRICE * 100
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
            # the reserve is the starting price: the highest accepted bid wins, whatever it is
            assert result.outcome == "won", result
            (deal,) = s.execute(select(Deal)).scalars()
            assert (deal.id, deal.buyer_org_id, deal.price_minor) == \
                (result.deal_id, rows[-1].bidder_org_id, rows[-1].amount_minor)
            assert check_ledger(s) == []
    finally:
        db.engine.dispose()


def test_two_ticks_closing_at_once_strike_one_deal(pg_db_url: str, clock: FrozenClock) -> None:
    """Two ticks (two threads, two connections) find the same auction due at the same moment:
    the auction's row lock lets one close it; the other finds it closed. One deal, one winner,
    one core report, each deposit applied or released once."""
    db = Database(pg_db_url)
    try:
        auction_id, bidders = _auction_with_bidders(db, clock)
        amount = STARTING_PRICE
        for org in bidders[:3]:
            with db.transaction() as s:
                auctions.place_bid(s, auction_id, org, Money(amount, "USD"), now=clock.now(),
                                   actor=f"org:{org}")
            amount += INCREMENT
        winner, price = bidders[2], amount - INCREMENT
        clock.advance(hours=2)

        barrier = threading.Barrier(2)
        summaries: list[TickSummary] = []
        crashed: list[BaseException] = []
        lock = threading.Lock()

        def run() -> None:
            try:
                barrier.wait(timeout=60)
                summary = tick(db, clock.now())
                with lock:
                    summaries.append(summary)
            except BaseException as exc:  # noqa: BLE001  (surfaced below)
                with lock:
                    crashed.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not crashed, crashed
        assert len(summaries) == 2 and all(not x.errors for x in summaries), summaries
        assert sorted(x.auctions_won for x in summaries) == [0, 1]
        assert sum(x.auctions_failed for x in summaries) == 0

        with db.session() as s:
            auction = s.get(Auction, auction_id)
            (deal,) = s.execute(select(Deal)).scalars()
            assert auction.state == "won" and auction.deal_id == deal.id
            assert (deal.buyer_org_id, deal.price_minor) == (winner, price * 100)
            states = dict(s.execute(select(AuctionParticipant.org_id, AuctionParticipant.state)
                                    .where(AuctionParticipant.auction_id == auction_id)).all())
            assert states == {org: "applied" if org == winner else "released" for org in bidders}
            reports = s.execute(select(OutboxMessage).where(OutboxMessage.kind == "report_deal")).scalars().all()
            assert [m.aggregate_id for m in reports] == [str(deal.id)]
            assert check_ledger(s) == []
    finally:
        db.engine.dispose()
