"""Where listings meet compliance and the shared core.

- Submission screens the seller and queues the listing for technology classification (export
  catalogue for "go out", import catalogue for "bring in") in the submitting transaction.
- An officer's classification of a listing moves it: prohibited -> blocked, restricted ->
  licence required, free -> cleared (``apply_classification``, called by the compliance API).
- Publication also needs the seller cleared by screening (no open or confirmed case).
- Publication and withdrawal reach the core through the transactional outbox; the core id comes
  back when the publish message is delivered, and a listing the core reports withdrawn (sold or
  withdrawn through a domestic channel) is withdrawn here too.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.config import ComplianceConfig
from compliance.export_control.errors import NoActiveCatalogue
from compliance.export_control.models import Classification
from compliance.export_control.service import SubjectRef, request_classification
from compliance.gates import party_clearance
from compliance.screening.service import screen_party
from gateway.core import CoreEvent, enqueue, event_handlers, outbox_handlers
from gateway.core.outbox import Message
from gateway.listings.models import Listing
from kernel.audit import record_event
from kernel.money import money_to_json
from kernel.parties import Organisation

CATALOGUE_DIRECTION = {"outbound": "export", "inbound": "import"}
OUTCOME_FOR_CLASSIFICATION = {"prohibited": "blocked", "restricted": "licence_required", "free": "cleared"}
SYSTEM_CORE = "system:core"


def on_submitted(session: Session, listing: Listing, *, actor: str, now: dt.datetime,
                 config: ComplianceConfig | None = None) -> None:
    """Screen the seller and queue the classification, in the submitting transaction."""
    seller = session.get(Organisation, listing.seller_id)
    screen_party(session, seller, "listing submitted", now, actor, config)
    text = " ".join(filter(None, (listing.title_zh, listing.title_en, listing.abstract_zh, listing.abstract_en)))
    try:
        request_classification(session, SubjectRef("listing", listing.id), CATALOGUE_DIRECTION[listing.direction],
                               text, now, actor, field=listing.technology_field,
                               ipc_classes=listing.ipc_classes or ())
    except NoActiveCatalogue as exc:
        # the listing waits in "submitted" until a catalogue is loaded and an officer classifies it
        record_event(session, actor=actor, action="listing.classification_deferred", entity_type="listing",
                     entity_id=listing.id, at=now, data={"reason": exc.code})


def apply_classification(session: Session, classification: Classification, *, now: dt.datetime) -> Listing | None:
    """Move the classified listing by the outcome (no-op for other subjects or finished listings)."""
    from gateway.listings.lifecycle import record_compliance_outcome

    if classification.subject_type != "listing" or classification.outcome is None:
        return None
    listing = session.get(Listing, int(classification.subject_id))
    if listing is None or listing.state not in ("submitted", "in_review"):
        return None
    return record_compliance_outcome(
        session, listing, OUTCOME_FOR_CLASSIFICATION[classification.outcome], classification.officer or "system:compliance",
        f"classification {classification.id}: {classification.outcome}", now=now)


def seller_clearance_problems(session: Session, listing: Listing,
                              config: ComplianceConfig | None = None) -> list[dict[str, Any]]:
    """Publication checks that need the database: the seller must pass screening."""
    clearance = party_clearance(session, session.get(Organisation, listing.seller_id), config)
    return [{"code": f"seller_{r.code}", "detail": r.detail} for r in clearance.reasons] if not clearance.allowed else []


def core_payload(listing: Listing) -> dict[str, Any]:
    """What the shared core is told about a published listing (plain JSON, money as strings)."""
    prices = {name: money_to_json(getattr(listing, name))
              for name in ("asking_price", "starting_price") if getattr(listing, name, None) is not None}
    return {
        "reference": listing.reference, "direction": listing.direction,
        "title": {"zh": listing.title_zh, "en": listing.title_en},
        "technology_field": listing.technology_field, "ipc_classes": list(listing.ipc_classes or ()),
        "trl": listing.trl, "transaction_type": listing.transaction_type,
        "pricing_mode": listing.pricing_mode, "prices": prices,
        "licence_required": bool(listing.licence_required),
    }


def enqueue_publication(session: Session, listing: Listing, *, now: dt.datetime) -> None:
    enqueue(session, "publish_listing", core_payload(listing), f"publish:{listing.reference}",
            aggregate_type="listing", aggregate_id=listing.id, now=now)


def enqueue_withdrawal(session: Session, listing: Listing, reason: str, *, now: dt.datetime) -> None:
    enqueue(session, "withdraw_listing", {"reason": reason}, aggregate_type="listing",
            aggregate_id=listing.id, now=now, core_id=listing.core_id)


@outbox_handlers.on_delivered("publish_listing")
def _store_core_id(session: Session, message: Message, core_id: str | None) -> None:
    listing = session.get(Listing, int(message.aggregate_id))
    if listing is not None and core_id and listing.core_id != core_id:
        listing.core_id = core_id


@event_handlers.on("listing.withdrawn")
def _withdrawn_in_core(session: Session, event: CoreEvent, now: dt.datetime) -> None:
    if event.data.get("origin") == "gateway":
        return  # our own withdrawal coming back
    from gateway.listings.access import SystemActor
    from gateway.listings.lifecycle import transition
    from gateway.listings.states import actions_from

    listing = session.execute(select(Listing).where(Listing.core_id == event.data.get("core_id"))).scalar_one_or_none()
    if listing is None or "withdraw" not in actions_from(listing.state):
        return
    transition(session, listing, "withdraw", SystemActor(SYSTEM_CORE), now=now,
               reason=f"withdrawn in the shared core: {event.data.get('reason', '')}")
