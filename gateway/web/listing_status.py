"""What a listing still needs, item by item, for its staff page: ownership evidence per asset,
the seller's screening, the technology classification, and what the classification asks for
next -- for restricted technology the letter of intent and the licence (recorded? valid
today?), for free technology with a deal the contract registration and its due date.

Nothing is decided here: ``publication_checks`` (listings), ``party_clearance``,
``licence_standing`` and ``registration_of`` (compliance) decide; this module reads them
together for the page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.export_control.models import Classification, ContractRegistration
from compliance.export_control.service import current_classification
from compliance.gates import (
    Clearance,
    RecordStanding,
    SubjectRef,
    licence_standing,
    party_clearance,
    registration_of,
)
from gateway.listings import lifecycle
from gateway.listings.links import CATALOGUE_DIRECTION, seller_clearance_problems
from gateway.listings.models import IpAsset, Listing
from gateway.trading.deals import REGISTRATION_DAYS
from gateway.trading.models import Deal
from kernel.parties import Organisation


@dataclass(frozen=True)
class AssetOwnership:
    """An asset and its ownership evidence: ``matches``, ``mismatch`` or ``missing``."""

    asset: IpAsset
    state: str


@dataclass(frozen=True)
class DealRegistration:
    """A free-technology deal's contract registration: due ``due_on`` (``None`` until the
    contract is signed: then signing + ``due_days``), the registration recorded under the
    deal's reference if any, and whether the due date has passed without a confirmed one."""

    deal: Deal
    due_on: dt.date | None
    due_days: int
    registration: ContractRegistration | None
    overdue: bool

    @property
    def confirmed(self) -> bool:
        return self.registration is not None and self.registration.status == "confirmed"


@dataclass(frozen=True)
class ListingStatus:
    missing: list[dict[str, Any]]
    ownership: list[AssetOwnership]
    clearance: Clearance
    classification: Classification | None
    classification_pending: bool
    licences: tuple[RecordStanding, ...]
    registration: DealRegistration | None


def _ownership(asset: IpAsset) -> AssetOwnership:
    ev = asset.evidence
    return AssetOwnership(asset, "missing" if ev is None else "matches" if ev.matches_seller else "mismatch")


def _registration(session: Session, listing: Listing, today: dt.date) -> DealRegistration | None:
    deal = session.execute(select(Deal).where(Deal.listing_id == listing.id)).scalar_one_or_none()
    if deal is None:
        return None
    reg = registration_of(session, deal.reference)
    due = deal.registration_due_on or (reg.due_on if reg is not None else None)
    confirmed = reg is not None and reg.status == "confirmed"
    return DealRegistration(deal, due, REGISTRATION_DAYS, reg,
                            overdue=due is not None and not confirmed and due < today)


def listing_status(session: Session, listing: Listing, now: dt.datetime) -> ListingStatus:
    """Everything the staff page shows about what ``listing`` still needs at ``now``."""
    config = lifecycle.compliance_config()
    missing = lifecycle.publication_checks(listing, now)
    if listing.state in lifecycle.PUBLISHABLE:
        missing += seller_clearance_problems(session, listing, config)
    clearance = party_clearance(session, session.get(Organisation, listing.seller_id), config)
    direction = CATALOGUE_DIRECTION[listing.direction]
    subject = SubjectRef("listing", str(listing.id))
    classification = current_classification(session, subject, direction)
    pending = session.execute(select(func.count()).select_from(Classification).where(
        Classification.subject_type == subject.type, Classification.subject_id == subject.id,
        Classification.status == "pending")).scalar_one() > 0
    outcome = classification.outcome if classification is not None else None
    return ListingStatus(
        missing=missing, ownership=[_ownership(a) for a in listing.assets], clearance=clearance,
        classification=classification, classification_pending=pending,
        licences=licence_standing(session, subject, direction, now.date()),
        registration=_registration(session, listing, now.date()) if outcome == "free" else None)
