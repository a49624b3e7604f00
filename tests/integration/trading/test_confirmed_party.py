"""A party whose screening case an officer confirmed (a true list match) cannot strike a deal:
``strike_deal`` refuses for a blocked buyer or seller and writes nothing, and an auction whose
winner is blocked fails at the close with the refusal's reasons in its audit event."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from moneyed import Money
from sqlalchemy import select

from compliance.cases.service import confirm_case
from compliance.screening.service import screen_party
from gateway.listings.models import Listing
from gateway.trading import auctions, deals, deposits
from gateway.trading.errors import DealRefused
from gateway.trading.models import Deal
from kernel.audit import AuditEvent
from kernel.parties import Organisation
from settlement.plans.models import SettlementPlan
from tests.support.compliance import HEADER, load_watch
from tests.support.trading import buyer, fund, published_listing

OFFICER = "user:officer"
WATCH = HEADER + (
    "UEL-3,Shenzhen Lingyun Drone Co. Ltd.,,entity,CN,internal watch\n"
    "UEL-9,Photonics Lab Inc.,,entity,US,Entity List\n"
)


def _confirm(s, org_id: int, now: dt.datetime) -> int:
    """Screen the organisation against the loaded list and confirm the case that opens."""
    result = screen_party(s, s.get(Organisation, org_id), "rescreen", now, "system:test")
    assert result.case is not None, result
    confirm_case(s, result.case.id, OFFICER, "same entity: address and registry number match", now)
    return result.case.id


def _nothing_struck(s, listing: Listing) -> None:
    assert s.execute(select(Deal)).first() is None
    assert s.execute(select(SettlementPlan)).first() is None
    assert listing.state == "published"


@pytest.mark.parametrize("side", ["buyer", "seller"])
def test_a_confirmed_buyer_or_seller_cannot_strike_a_deal(db, parties, clock, side) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated")
        b = buyer(s, clock.now(), "Shenzhen Lingyun Drone Co., Ltd.")
        load_watch(s, WATCH, clock.now())
        case_id = _confirm(s, b if side == "buyer" else listing.seller_id, clock.now())
        with pytest.raises(DealRefused) as refused:
            deals.strike_deal(s, listing, buyer_org_id=b, price=Money("150000", "USD"),
                              channel="negotiation", source_id=1, now=clock.now(), actor="u")
        reasons = refused.value.extra["reasons"]
        assert {(r["party"], r["code"]) for r in reasons} == {(side, "party_blocked")}, reasons
        assert f"case {case_id}" in reasons[0]["detail"]
        _nothing_struck(s, listing)


def test_an_auction_won_by_a_confirmed_party_fails_and_the_audit_says_why(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now())
        a = auctions.create_auction(s, listing, starts_at=clock.now(),
                                    ends_at=clock.now() + dt.timedelta(hours=1),
                                    increment=Money("1000", "USD"), deposit=Money("10000", "USD"),
                                    now=clock.now(), actor="user:staff")
        b = buyer(s, clock.now(), "Shenzhen Lingyun Drone Co., Ltd.")
        fund(s, b, "10000", clock.now())
        auctions.register(s, a.id, b, now=clock.now(), actor="u")
        auctions.place_bid(s, a.id, b, Money("130000", "USD"), now=clock.now(), actor="u")
        # the list that names the bidder arrives before the close; an officer confirms the match
        load_watch(s, WATCH.replace("UEL-9,Photonics Lab Inc.,,entity,US,Entity List\n", ""),
                   clock.now())
        case_id = _confirm(s, b, clock.now())
        result = auctions.close_auction(s, a.id, now=clock.advance(hours=2))
        assert (result.outcome, result.reason) == ("failed", "deal_refused")
        assert [(r["party"], r["code"]) for r in result.refusal] == [("buyer", "party_blocked")]
        event = s.execute(select(AuditEvent).where(
            AuditEvent.action == "trading.auction_closed",
            AuditEvent.entity_id == str(a.id))).scalar_one()
        after = json.loads(event.payload)["after"]
        assert after["state"] == "failed" and after["reason"] == "deal_refused"
        assert [(r["party"], r["code"]) for r in after["refusal"]] == [("buyer", "party_blocked")]
        assert f"case {case_id}" in after["refusal"][0]["detail"]
        # the blocked winner's deposit is released, not applied; no deal, no plan
        assert deposits.deposit_balance(s, b, "USD", at=clock.now(), actor="u").available == Money("10000", "USD")
        assert s.execute(select(Deal)).first() is None
        assert s.execute(select(SettlementPlan)).first() is None
