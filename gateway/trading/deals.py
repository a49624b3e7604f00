"""Striking a deal: the one way every pricing mode ends.

``strike_deal`` checks compliance (party clearance of buyer and seller, the deal gate of the
listing's classification), records the deal, moves the listing to ``deal_struck``, creates the
settlement plan from the deal's terms (``DealTerms`` -> ``create_plan``, which takes the FX rate
locks; ``deal_currencies`` says who pays and is paid in what, and a deposit applied reduces the
upfront payment) and reports the deal to the shared core through the outbox -- all in the caller's
transaction, so either all of it happens or none. ``sign_contract`` records the contract's
signing date and its registration deadline (signing + 60 days).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, has_app_context
from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.gates import PartyRef, SubjectRef, deal_gate, party_clearance
from gateway.core.errors import CoreRejected
from gateway.core.outbox import Message, NotReady, enqueue, outbox_handlers, pending
from gateway.listings import lifecycle
from gateway.listings.access import SystemActor
from gateway.listings.models import Listing
from kernel.audit import record_event
from kernel.money import from_minor, parse_amount, to_minor
from kernel.parties import Organisation
from settlement.plans.config import PlanConfig
from settlement.plans.service import create_plan
from settlement.plans.terms import (
    DealTerms,
    Direction,
    Milestone,
    Schedule,
    TransactionType,
)

from .errors import BuyerNotEligible, DealRefused, InvalidTrading, TradingNotFound
from .models import Deal, DealSequence

TRADING_ACTOR = SystemActor("system:trading")
#: the contract must be registered within this many days of signing (DECISIONS.md)
REGISTRATION_DAYS = 60
#: days after the deal the upfront payment falls due unless the terms say otherwise
DEFAULT_UPFRONT_DUE_DAYS = 30

_TAX_TYPES = {
    "assignment": TransactionType.ASSIGNMENT,
    "exclusive_licence": TransactionType.LICENCE,
    "sole_licence": TransactionType.LICENCE,
    "non_exclusive_licence": TransactionType.LICENCE,
    "technical_service": TransactionType.TECHNOLOGY_SERVICE,
}


def _plan_config() -> PlanConfig:
    if has_app_context():
        return PlanConfig.from_mapping(current_app.config.get("SETTLEMENT") or {})
    return PlanConfig()


def _next_reference(session: Session, year: int) -> str:
    seq = session.execute(select(DealSequence).where(DealSequence.year == year)
                          .with_for_update()).scalar_one_or_none()
    if seq is None:
        seq = DealSequence(year=year, last_value=0)
        session.add(seq)
    seq.last_value += 1
    session.flush()
    return f"DL-{year}-{seq.last_value:06d}"


def check_buyer_eligible(session: Session, listing: Listing, buyer_org_id: int) -> Organisation:
    """The buyer organisation, if it may buy this listing: a "bring in" (``inbound``) listing
    sells to a domestic organisation (of the exchange's home country, ``SETTLEMENT.home_country``,
    CN), a "go out" (``outbound``) listing to an overseas one. ``BuyerNotEligible`` otherwise;
    ``InvalidTrading`` for an unknown organisation."""
    buyer = session.get(Organisation, buyer_org_id)
    if buyer is None:
        raise InvalidTrading(f"no organisation {buyer_org_id}", field="buyer_org_id")
    home = _plan_config().home_country
    domestic = buyer.country == home
    if domestic != (listing.direction == "inbound"):
        wanted = "a domestic" if listing.direction == "inbound" else "an overseas"
        mode = "bring-in (inbound)" if listing.direction == "inbound" else "go-out (outbound)"
        raise BuyerNotEligible(
            f"a {mode} listing is sold to {wanted} organisation (home country {home}); "
            f"this buyer is in {buyer.country}",
            direction=listing.direction, buyer_country=buyer.country, home_country=home)
    return buyer


def compliance_problems(session: Session, listing: Listing, buyer_org_id: int,
                        on: dt.date) -> list[dict[str, Any]]:
    """Everything compliance says against this deal now (empty when it may be struck)."""
    cfg = lifecycle.compliance_config()
    out: list[dict[str, Any]] = []
    for who, org_id in (("buyer", buyer_org_id), ("seller", listing.seller_id)):
        clearance = party_clearance(session, PartyRef("organisation", org_id), cfg)
        out += [{"party": who, **r.to_dict()} for r in clearance.reasons]
    gate = deal_gate(session, SubjectRef("listing", str(listing.id)), on,
                     direction="import" if listing.direction == "inbound" else "export", config=cfg)
    out += [{"party": "listing", **r.to_dict()} for r in gate.reasons]
    return out


def _schedule(price: Money, terms: dict[str, Any], on: dt.date) -> Schedule:
    """The payment schedule from the deal's terms: ``milestones`` (label, amount, due_on or
    event) adding up to the price, else the whole price upfront, due ``upfront_due_days``
    (default 30) after the deal."""
    ccy = price.currency.code
    if terms.get("milestones"):
        ms = []
        for i, m in enumerate(terms["milestones"]):
            due = m.get("due_on")
            ms.append(Milestone(label=str(m["label"]),
                                amount=parse_amount(m["amount"], ccy, field=f"terms.milestones.{i}"),
                                due_on=dt.date.fromisoformat(due) if due else None,
                                event=m.get("event")))
        return Schedule(milestones=tuple(ms))
    days = int(terms.get("upfront_due_days", DEFAULT_UPFRONT_DUE_DAYS))
    return Schedule(upfront=price, upfront_due_on=on + dt.timedelta(days=days))


def deal_currencies(buyer: Organisation, seller: Organisation, contract_currency: str,
                    terms: dict[str, Any], config: PlanConfig) -> tuple[str, str]:
    """The pay-in and payout currencies of a deal: as its terms name them (a negotiated
    offer may), else a domestic party (in the exchange's home country) pays in / is paid out
    in the home currency (CNY) and an overseas party in the contract currency (the listing's).
    The plan then locks the contract -> pay-in and contract -> payout rates at deal time."""
    def own(org: Organisation) -> str:
        return config.home_currency if org.country == config.home_country else contract_currency

    payin = str(terms.get("payin_currency") or own(buyer)).upper()
    payout = str(terms.get("payout_currency") or own(seller)).upper()
    return payin, payout


def strike_deal(session: Session, listing: Listing, *, buyer_org_id: int, price: Money,
                channel: str, source_id: int, now: dt.datetime, actor: str,
                terms: dict[str, Any] | None = None, deposit_applied: Money | None = None,
                signed_on: dt.date | None = None) -> Deal:
    """Strike the deal (see the module docstring). Raises ``DealRefused`` with ``reasons`` when
    compliance refuses; the caller decides what happens to the trading (an auction stays
    open for a retry by the tick, for instance) -- nothing is written then."""
    terms = dict(terms or {})
    check_buyer_eligible(session, listing, buyer_org_id)
    if price.currency.code != (listing.headline_price_currency or price.currency.code):
        raise InvalidTrading("the deal is in another currency than the listing", field="price")
    problems = compliance_problems(session, listing, buyer_org_id, now.date())
    if problems:
        raise DealRefused("compliance does not allow this deal now", reasons=problems)
    seller = session.get(Organisation, listing.seller_id)
    buyer = session.get(Organisation, buyer_org_id)
    if buyer is None or seller is None:
        raise InvalidTrading(f"no organisation {buyer_org_id if buyer is None else listing.seller_id}",
                             field="buyer_org_id")
    ccy = price.currency.code
    config = _plan_config()
    payin, payout = deal_currencies(buyer, seller, ccy, terms, config)
    deal = Deal(
        reference=_next_reference(session, now.year), listing_id=listing.id, channel=channel,
        source_id=source_id, state="struck", buyer_org_id=buyer_org_id,
        seller_org_id=listing.seller_id, subcentre_id=listing.subcentre_id,
        direction=listing.direction, currency=ccy, price_minor=to_minor(price),
        deposit_applied_minor=to_minor(deposit_applied) if deposit_applied else 0,
        transaction_type=terms.get("transaction_type") or listing.transaction_type,
        territory=list(terms.get("territory") or listing.territory),
        payment_terms=terms, struck_at=now, struck_by=actor)
    session.add(deal)
    session.flush()
    lifecycle.transition(session, listing, "strike_deal", TRADING_ACTOR, now=now,
                         reason=f"deal {deal.reference}")
    deal_terms = DealTerms(
        deal_id=deal.id, deal_ref=deal.reference, direction=Direction(listing.direction),
        buyer_org_id=buyer_org_id, seller_org_id=listing.seller_id,
        subcentre_id=listing.subcentre_id, contract_currency=ccy,
        payin_currency=payin, payout_currency=payout, price=price,
        schedule=_schedule(price, terms, now.date()),
        deposit_applied=deposit_applied if deal.deposit_applied_minor else None,
        transaction_type=_TAX_TYPES[deal.transaction_type],
        payee_tax_residency=seller.tax_residency or config.home_country,
        contract_ref=deal.reference,
        notes={"channel": channel, "listing": listing.reference,
               "deposit_applied": str(from_minor(deal.deposit_applied_minor, ccy).amount)})
    plan = create_plan(session, deal_terms, now=now, actor=actor, config=config)
    deal.plan_id = plan.id
    if signed_on is not None:
        _sign(deal, signed_on)
    enqueue(session, "report_deal", {
        "listing_core_id": listing.core_id, "deal_ref": deal.reference, "channel": channel,
        "buyer_org_id": buyer_org_id, "seller_org_id": listing.seller_id,
        "price": {"amount": str(price.amount), "currency": ccy},
        "transaction_type": deal.transaction_type, "territory": deal.territory,
        "struck_at": now.isoformat()},
        f"report_deal:{deal.reference}", aggregate_type="deal", aggregate_id=deal.id, now=now)
    session.flush()
    record_event(session, actor=actor, action="trading.deal_struck", entity_type="deal",
                 entity_id=deal.id, at=now,
                 after={"reference": deal.reference, "listing_id": listing.id, "channel": channel,
                        "buyer_org_id": buyer_org_id, "price": price, "plan_id": plan.id,
                        "payin_currency": payin, "payout_currency": payout,
                        "deposit_applied": deposit_applied})
    return deal


def _sign(deal: Deal, signed_on: dt.date) -> None:
    deal.contract_signed_on = signed_on
    deal.registration_due_on = signed_on + dt.timedelta(days=REGISTRATION_DAYS)
    deal.state = "contract_signed"


def sign_contract(session: Session, deal_id: int, signed_on: dt.date, *, now: dt.datetime,
                  actor: str) -> Deal:
    deal = get_deal(session, deal_id, lock=True)
    if deal.contract_signed_on is not None:
        if deal.contract_signed_on == signed_on:
            return deal
        raise InvalidTrading(f"the contract was signed on {deal.contract_signed_on}",
                             field="signed_on")
    if signed_on < deal.struck_at.date():
        raise InvalidTrading("a contract cannot be signed before the deal", field="signed_on")
    _sign(deal, signed_on)
    session.flush()
    record_event(session, actor=actor, action="trading.contract_signed", entity_type="deal",
                 entity_id=deal.id, at=now,
                 after={"signed_on": signed_on, "registration_due_on": deal.registration_due_on})
    return deal


def get_deal(session: Session, deal_id: int, *, lock: bool = False) -> Deal:
    q = select(Deal).where(Deal.id == deal_id)
    if lock:
        q = q.with_for_update()
    deal = session.execute(q).scalar_one_or_none()
    if deal is None:
        raise TradingNotFound(f"no deal {deal_id}")
    return deal


def deal_for_plan(session: Session, deal_ref: str) -> Deal | None:
    return session.execute(select(Deal).where(Deal.reference == deal_ref)).scalar_one_or_none()


@outbox_handlers.before_delivery("report_deal")
def _listing_core_id(session: Session, message: Message) -> dict[str, Any]:
    """The deal leaves with its listing's core id as it is at delivery: the deal may have been
    struck while the listing's publication to the core was still on its way (then
    ``listing_core_id`` was None when it was enqueued). It waits while that publication is
    pending, and fails if the listing never reached the core: the core never records a deal
    without its listing."""
    deal = session.get(Deal, int(message.aggregate_id)) if message.aggregate_type == "deal" else None
    if deal is None:
        return message.payload
    listing = session.get(Listing, deal.listing_id)
    if listing.core_id:
        return {**message.payload, "listing_core_id": listing.core_id}
    if pending(session, "listing", listing.id, "publish_listing"):
        raise NotReady(f"listing {listing.reference} is not yet published to the core")
    raise CoreRejected(f"listing {listing.reference} was never published to the core",
                       reason="not_published")


@outbox_handlers.on_delivered("report_deal")
def _core_deal_reported(session: Session, message: Any, result: str | None) -> None:
    """The core acknowledged the deal: keep its reference."""
    if result is None:
        return
    deal = session.get(Deal, int(message.aggregate_id)) if message.aggregate_type == "deal" else None
    if deal is not None and deal.core_deal_ref is None:
        deal.core_deal_ref = result
