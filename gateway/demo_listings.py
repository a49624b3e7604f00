"""Demo listings for `make run`: a few "bring in" listings filed by the US and Danish
sub-centres, taken through the real steps (assets, ownership evidence, submission with seller
screening, an officer's classification, publication) so the buyers' catalogue is not empty,
and one Korean listing sold by ascending auction, open for a week, with the demo buyer's deposit
already received so the live auction page can be tried at once.
Idempotent: listings are found by title before anything is created."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.export_control.service import SubjectRef, classify
from compliance.screening.service import screen_party
from gateway.listings import lifecycle, service
from gateway.listings.links import apply_classification
from gateway.listings.models import Listing
from gateway.trading import auctions, deposits
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


# the auction: Korean sub-centre, Hanbit Semiconductor, bid for by the demo buyer (Shenzhen)
AUCTION = ("KR", "Hanbit Semiconductor Co., Ltd.", "氮化镓功率器件外延工艺", "GaN power device epitaxy process",
           "semiconductors", ["H01L 29/778"], 6, "KR1023456780B1")
AUCTION_START, AUCTION_RESERVE = Money("300000.00", "USD"), Money("350000.00", "USD")
AUCTION_INCREMENT, AUCTION_DEPOSIT = Money("5000.00", "USD"), Money("30000.00", "USD")
DEMO_BUYER = "Shenzhen Zhizao Technology Co., Ltd."


def load_demo_listings(session: Session, now: dt.datetime) -> int:
    created = 0
    for code, seller_name, title_zh, title_en, field, ipc, trl, price, patent in DEMO:
        if not _exists(session, title_en):
            _publish(session, now, code, seller_name, title_zh, title_en, field, ipc, trl, patent,
                     {"pricing_mode": "fixed_price", "asking_price": price})
            created += 1
    code, seller_name, title_zh, title_en, field, ipc, trl, patent = AUCTION
    if not _exists(session, title_en):
        listing = _publish(session, now, code, seller_name, title_zh, title_en, field, ipc, trl, patent,
                           {"pricing_mode": "auction", "starting_price": AUCTION_START,
                            "reserve_price": AUCTION_RESERVE})
        auctions.create_auction(session, listing, starts_at=now, ends_at=now + dt.timedelta(days=7),
                                increment=AUCTION_INCREMENT, deposit=AUCTION_DEPOSIT, now=now,
                                actor="system:demo")
        buyer = session.execute(select(Organisation).where(
            Organisation.legal_name_latin == DEMO_BUYER)).scalar_one()
        screen_party(session, buyer, "demo", now, "system:demo")  # buyers trade once cleared
        deposits.record_receipt(session, buyer.id, AUCTION_DEPOSIT, key=f"demo-deposit-{listing.id}",
                                at=now, actor="system:demo", reference="demo deposit")
        created += 1
    return created


def _exists(session: Session, title_en: str) -> bool:
    return session.execute(select(Listing.id).where(Listing.title_en == title_en)).first() is not None


def _publish(session: Session, now: dt.datetime, code: str, seller_name: str, title_zh: str,
             title_en: str, field: str, ipc: list[str], trl: int, patent: str,
             pricing: dict) -> Listing:
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
        "asking_price": None, "starting_price": None, "reserve_price": None, **pricing,
        "period_start": now, "period_end": now + dt.timedelta(days=120),
        "attachments": []}, subcentre_id=sc.id, actor=staff, now=now)
    asset = service.add_asset(session, listing, {
        "kind": "patent", "title": title_en, "jurisdiction": patent[:2], "number": patent,
        "status": "granted", "expires_on": dt.date(2038, 6, 30)}, staff, now)
    service.record_ownership_evidence(session, listing, asset, {
        "registered_owner": seller_name, "source_uri": None, "note": "demo"},
        actor=staff, now=now)
    lifecycle.transition(session, listing, "submit", staff, now=now)
    row = classify(session, SubjectRef("listing", str(listing.id)), "import", None,
                   "system:demo-officer", "not in the import catalogue (demo)", now)
    apply_classification(session, row, now=now)
    lifecycle.transition(session, listing, "publish", staff, now=now)
    return listing
