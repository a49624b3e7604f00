"""Payments for a trading deal are checked against its listing's classification: the gate's
resolver maps the plan's contract reference to the deal's listing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from moneyed import Money

from compliance.config import ComplianceConfig
from compliance.gates import SubjectRef
from gateway.settlement.gate import CompliancePaymentGate, deal_subject
from gateway.trading import negotiation as neg
from gateway.trading.models import Deal
from settlement.plans import PaymentRequest
from tests.support.trading import buyer, published_listing


def _request(ref: str, seller: int, buyer_org: int) -> PaymentRequest:
    return PaymentRequest(contract_ref=ref, payee_party=seller, amount_minor=100, currency="USD",
                          usd_equivalent_minor=100, usd_rate=Decimal(1), kind="licence_fee",
                          on=dt.date(2026, 11, 23), instruction_ref="X-1", payer_party=buyer_org,
                          outbound=True)


def test_the_gate_finds_the_deals_listing(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = published_listing(s, parties, clock.now(), mode="negotiated")
        b = buyer(s, clock.now(), "Paying Buyer")
        n = neg.register_interest(s, listing.id, b, now=clock.now(), actor="u", notice_days=0)
        neg.make_offer(s, n.id, "seller", Money("1000", "USD"), {}, now=clock.now(), actor="u")
        neg.accept(s, n.id, "buyer", now=clock.now(), actor="u")
        neg.sign_contract(s, n.id, clock.now().date(), now=clock.now(), actor="u")
        deal = s.get(Deal, n.deal_id)
        req = _request(deal.reference, listing.seller_id, b)
        assert deal_subject(s, req) == SubjectRef("listing", str(listing.id))
        assert deal_subject(s, _request("NO-SUCH", listing.seller_id, b)) is None
        decision = CompliancePaymentGate(ComplianceConfig(), clock, subject_for=deal_subject).check(s, req)
        # the listing is classified free: what remains is the contract's registration
        assert decision.outcome == "hold"
        assert not any("export_control_unknown" in r for r in decision.reasons), decision.reasons
        assert any("registration_missing" in r for r in decision.reasons), decision.reasons
