"""Builders for listing tests: a valid draft body, and a listing taken to any state."""
from __future__ import annotations

import datetime as dt
from typing import Any

from moneyed import Money

from gateway.listings import lifecycle, service
from gateway.listings.access import SystemActor
from gateway.listings.models import Listing

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def draft_data(seller_id: int, **over: Any) -> dict[str, Any]:
    """Listing content as the schemas load it (prices as Money)."""
    data: dict[str, Any] = {
        "direction": "inbound", "seller_id": seller_id,
        "title_zh": "基于人工智能的图像识别", "title_en": "Image recognition based on artificial intelligence",
        "abstract_zh": "一种用于工业质检的深度学习图像识别方法。",
        "abstract_en": "A deep learning method for image recognition in industrial inspection.",
        "technology_field": "ai", "ipc_classes": ["G06V 10/82", "G06N 3/08"], "trl": 6,
        "transaction_type": "exclusive_licence", "territory": ["CN", "US"], "field_of_use": None,
        "pricing_mode": "fixed_price", "asking_price": Money("250000.00", "USD"),
        "starting_price": None, "reserve_price": None,
        "period_start": START, "period_end": START + dt.timedelta(days=90), "attachments": [],
    }
    data.update(over)
    return data


def draft_body(seller_id: int, **over: Any) -> dict[str, Any]:
    """The same as a JSON request body."""
    body = {k: v for k, v in draft_data(seller_id).items()}
    body["asking_price"] = {"amount": "250000.00", "currency": "USD"}
    body["period_start"] = START.isoformat()
    body["period_end"] = (START + dt.timedelta(days=90)).isoformat()
    body.update(over)
    return body


class Staff:
    """A stand-in actor for service-level tests (same attributes as a Principal)."""

    def __init__(self, subcentre_id: int | None, role: str = "subcentre_staff",
                 organisation_id: int | None = None, user_id: int = 1) -> None:
        self.actor = f"user:{user_id}"
        self.role = role
        self.subcentre_id = subcentre_id
        self.organisation_id = organisation_id


def make_publishable(session: Any, listing: Listing, actor: Any, now: dt.datetime) -> None:
    """Add a patent with matching ownership evidence (the register names the seller), and
    screen the seller (as submission does) so that publication's seller clearance holds."""
    from compliance.screening.service import screen_party
    from kernel.parties import Organisation

    seller = session.get_one(Organisation, listing.seller_id)
    screen_party(session, seller, "test", now, "system:test")
    asset = service.add_asset(session, listing, {
        "kind": "patent", "title": "Image recognition", "jurisdiction": "US", "number": "US10000001B2",
        "status": "granted", "expires_on": dt.date(2035, 1, 1)}, actor, now)
    service.record_ownership_evidence(session, listing, asset, {
        "registered_owner": seller.legal_name_latin, "source_uri": None, "note": None},
        actor=actor, now=now)
    session.refresh(listing)


def publish(session: Any, listing: Listing, actor: Any, now: dt.datetime) -> Listing:
    """draft -> submitted -> in_review -> cleared -> published."""
    make_publishable(session, listing, actor, now)
    lifecycle.transition(session, listing, "submit", actor, now=now)
    lifecycle.record_compliance_outcome(session, listing, "cleared", "system:test", "not controlled", now=now)
    lifecycle.transition(session, listing, "publish", actor, now=now)
    return listing


SYSTEM = SystemActor("system:test")
