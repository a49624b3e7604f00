"""Demo listings for `make run`: a few "bring in" listings filed by the US and Danish
sub-centres, taken through the real steps (assets, ownership evidence, submission with seller
screening, an officer's classification, publication) so the buyers' catalogue is not empty.
Idempotent: listings are found by title before anything is created."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.export_control.service import SubjectRef, classify
from gateway.listings import lifecycle, service
from gateway.listings.links import apply_classification
from gateway.listings.models import Listing
from kernel.parties import Organisation, SubCentre


@dataclass(frozen=True)
class DemoStaff:
    """The filing sub-centre's staff member, as the listing services expect an actor."""

    subcentre_id: int
    actor: str = "system:demo"
    role: str = "subcentre_staff"
    organisation_id: int | None = None


DEMO = [
    # sub-centre, seller (latin name), zh title, en title, field, IPC, TRL, price, patent no.
    ("US", "Massachusetts Photonics Institute", "用于自动驾驶的固态激光雷达", "Solid-state lidar for autonomous driving",
     "ai", ["G01S 17/93"], 6, Money("1800000.00", "USD"), "US11223344B2"),
    ("US", "Massachusetts Photonics Institute", "基于深度学习的工业视觉质检", "Deep-learning visual inspection for manufacturing",
     "ai", ["G06V 10/82"], 7, Money("650000.00", "USD"), "US10987654B2"),
    ("DK", "Aarhus BioMaterials ApS", "可降解医用植入材料", "Biodegradable materials for medical implants",
     "new_materials", ["A61L 27/58"], 5, Money("2400000.00", "DKK"), "EP3456789B1"),
]


def load_demo_listings(session: Session, now: dt.datetime) -> int:
    created = 0
    for code, seller_name, title_zh, title_en, field, ipc, trl, price, patent in DEMO:
        if session.execute(select(Listing.id).where(Listing.title_en == title_en)).first():
            continue
        sc = session.execute(select(SubCentre).where(SubCentre.code == code)).scalar_one()
        seller = session.execute(select(Organisation).where(
            Organisation.legal_name_latin == seller_name)).scalar_one()
        staff = DemoStaff(sc.id)
        listing = service.create_listing(session, {
            "direction": "inbound", "seller_id": seller.id, "title_zh": title_zh, "title_en": title_en,
            "abstract_zh": f"{title_zh}：由{sc.name_zh}推荐的海外技术，可独占许可。",
            "abstract_en": f"{title_en}: overseas technology offered through the {sc.name_en}, for exclusive licence.",
            "technology_field": field, "ipc_classes": ipc, "trl": trl,
            "transaction_type": "exclusive_licence", "territory": ["CN"], "field_of_use": None,
            "pricing_mode": "fixed_price", "asking_price": price, "starting_price": None,
            "reserve_price": None, "period_start": now, "period_end": now + dt.timedelta(days=120),
            "attachments": []}, subcentre_id=sc.id, actor=staff, now=now)
        asset = service.add_asset(session, listing, {
            "kind": "patent", "title": title_en, "jurisdiction": patent[:2], "number": patent,
            "status": "granted", "expires_on": dt.date(2038, 6, 30)}, staff, now)
        service.record_ownership_evidence(session, listing, asset, {
            "registered_owner": seller_name, "matches_seller": True, "source_uri": None, "note": "demo"},
            actor=staff, now=now)
        lifecycle.transition(session, listing, "submit", staff, now=now)
        row = classify(session, SubjectRef("listing", str(listing.id)), "import", None,
                       "system:demo-officer", "not in the import catalogue (demo)", now)
        apply_classification(session, row, now=now)
        lifecycle.transition(session, listing, "publish", staff, now=now)
        created += 1
    return created
