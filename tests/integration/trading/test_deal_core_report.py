"""The deal reaches the core with its listing's core id, whatever the order of delivery: a deal
struck while the listing's publication is still pending waits for it, and a deal on a listing
that never reached the core is refused -- the core never records a deal without its listing."""
from __future__ import annotations

import datetime as dt
import json

from moneyed import Money
from sqlalchemy import select

from gateway.core.embedded import EmbeddedCore
from gateway.core.embedded_models import CoreDeal
from gateway.core.http import HttpCore
from gateway.core.models import OutboxMessage
from gateway.core.outbox import dispatch
from gateway.listings.models import Listing
from gateway.trading import negotiation as neg
from gateway.trading.models import Deal
from tests.support.core import CountingCore, dead_url
from tests.support.trading import buyer, published_listing


def _deal_before_publication(db, parties, clock) -> tuple[int, int]:
    """A negotiated deal struck on a listing whose publish message has not been delivered."""
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated")
        listing.core_id = None  # the publication is still in the outbox
        b = buyer(s, clock.now(), "Early Buyer")
        n = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u", notice_days=0)
        neg.make_offer(s, n.id, "seller", Money("150000", "USD"), {}, now=clock.now(), actor="u")
        neg.accept(s, n.id, "buyer", now=clock.now(), actor="u")
        neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        report = s.execute(select(OutboxMessage).where(OutboxMessage.kind == "report_deal")).scalar_one()
        assert json.loads(report.payload)["listing_core_id"] is None
        return listing.id, n.deal_id


def _message(db, kind: str) -> OutboxMessage:
    with db.session() as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalar_one()


def test_a_deal_struck_before_its_listing_reached_the_core_waits_for_it(db, parties, clock) -> None:
    listing_id, deal_id = _deal_before_publication(db, parties, clock)
    # the core is down when the publication first leaves: it backs off (10 s)
    first = dispatch(db, HttpCore(dead_url(), "t", retries=0), clock.now())
    assert first.deferred == 1 and first.stopped
    assert _message(db, "publish_listing").next_attempt_at > clock.now()
    # the core is back; the deal is due, the publication is not yet: the deal waits
    core = CountingCore(EmbeddedCore(db, clock))
    report = dispatch(db, core, clock.now())
    assert (report.delivered, report.deferred, report.stopped) == (0, 1, None)
    assert "not yet published" in report.results[0][2]
    assert not any(op == "deal" for op, _ in core.calls)
    waiting = _message(db, "report_deal")
    assert waiting.status == "pending" and waiting.next_attempt_at > clock.now()
    assert "not yet published" in waiting.last_error

    clock.advance(minutes=1)  # both are due again: the publication first (id order), then the deal
    report = dispatch(db, core, clock.now())
    assert [kind for _, kind, _ in report.results] == ["publish_listing", "report_deal"]
    assert report.delivered == 2
    with db.session() as s:
        core_id = s.get(Listing, listing_id).core_id
        assert core_id and core_id.startswith("CL")
        (recorded,) = s.execute(select(CoreDeal)).scalars()
        assert recorded.listing_core_id == core_id
        assert json.loads(recorded.payload)["listing_core_id"] == core_id
        # the deal keeps the core's reference; the stored message carries what was sent
        assert s.get(Deal, deal_id).core_deal_ref == recorded.core_deal_id
        assert json.loads(_message(db, "report_deal").payload)["listing_core_id"] == core_id


def test_a_deal_on_a_listing_published_in_time_carries_its_core_id(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated")
        listing.core_id = None
        listing_id = listing.id
    core = EmbeddedCore(db, clock)
    assert dispatch(db, core, clock.now()).delivered == 1  # the publication
    with db.transaction() as s:
        b = buyer(s, clock.now(), "Timely Buyer")
        n = neg.register_interest(s, listing_id, b, now=clock.now(), actor="u", notice_days=0)
        neg.make_offer(s, n.id, "seller", Money("150000", "USD"), {}, now=clock.now(), actor="u")
        neg.accept(s, n.id, "buyer", now=clock.now(), actor="u")
        neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        deal_id = n.deal_id
    assert dispatch(db, core, clock.now()).delivered == 1
    with db.session() as s:
        (recorded,) = s.execute(select(CoreDeal)).scalars()
        assert recorded.listing_core_id == s.get(Listing, listing_id).core_id is not None
        assert s.get(Deal, deal_id).core_deal_ref == recorded.core_deal_id


def test_a_deal_on_a_listing_that_never_reached_the_core_is_refused(db, parties, clock) -> None:
    _listing_id, deal_id = _deal_before_publication(db, parties, clock)
    with db.transaction() as s:  # the core refused the publication for good
        s.execute(select(OutboxMessage).where(OutboxMessage.kind == "publish_listing")).scalar_one() \
            .status = "failed"
    core = CountingCore(EmbeddedCore(db, clock))
    report = dispatch(db, core, clock.now() + dt.timedelta(minutes=1))
    assert report.failed == 1 and "never published" in report.results[0][2]
    assert core.calls == {}
    failed = _message(db, "report_deal")
    assert failed.status == "failed" and failed.last_error.startswith("not_published")
    with db.session() as s:
        assert s.execute(select(CoreDeal)).first() is None
        assert s.get(Deal, deal_id).core_deal_ref is None
