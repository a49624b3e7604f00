"""Builders for trading tests: a published listing in each pricing mode, screened buyer
organisations, deposits received."""
from __future__ import annotations

import datetime as dt
from typing import Any

from moneyed import Money

from compliance.screening.service import screen_party
from gateway.listings import service
from gateway.listings.models import Listing
from gateway.trading import deposits
from kernel.parties import Organisation
from tests.support.listings import Staff, draft_data, publish


def published_listing(s: Any, parties: dict, now: dt.datetime, mode: str = "auction",
                      **over: Any) -> Listing:
    if mode == "auction":
        over = {"pricing_mode": "auction", "asking_price": None,
                "starting_price": Money("100000.00", "USD"),
                "reserve_price": Money("120000.00", "USD"), **over}
    elif mode == "negotiated":
        over = {"pricing_mode": "negotiated", "asking_price": None, **over}
    staff = Staff(parties["us"])
    listing = service.create_listing(s, draft_data(parties["seller_us"], **over),
                                     subcentre_id=parties["us"], actor=staff, now=now)
    publish(s, listing, staff, now)
    listing.core_id = f"core-{listing.id}"
    s.flush()
    classify_free(s, listing, now)
    add_rates(s, now)
    return listing


def classify_free(s: Any, listing: Listing, now: dt.datetime) -> None:
    """An officer's decision that the listing's technology is not controlled (the deal gate
    needs a decided classification for the listing's direction)."""
    from sqlalchemy import select

    from compliance.export_control.catalogue import parse_catalogue_csv
    from compliance.export_control.models import Catalogue
    from compliance.export_control.service import classify, load_catalogue
    from compliance.gates import SubjectRef
    from tests.support.compliance import DEMO_CATALOGUE

    direction = "import" if listing.direction == "inbound" else "export"
    if s.execute(select(Catalogue.id).where(Catalogue.direction == direction)).first() is None:
        load_catalogue(s, parse_catalogue_csv(DEMO_CATALOGUE.read_bytes(), direction), now, "test")
    classify(s, SubjectRef("listing", str(listing.id)), direction, None, "officer:test",
             "not controlled", now)


def add_rates(s: Any, now: dt.datetime) -> None:
    """ECB-style reference rates of the day (the plan's fee bounds and rate locks need them)."""
    from decimal import Decimal

    from settlement.fx import Rate
    from settlement.fx.models import FxRate  # noqa: F401  (the store's table)
    from settlement.fx.store import store_rates

    ecb = {"USD": "1.08", "CNY": "7.668", "DKK": "7.4604", "HKD": "8.424"}
    store_rates(s, [Rate("EUR", c, Decimal(v), now.date(), "ECB") for c, v in ecb.items()],
                now=now, actor="test")


def buyer(s: Any, now: dt.datetime, name: str, *, country: str = "CN") -> int:
    org = Organisation(legal_name=name, legal_name_latin=name, country=country, org_type="company",
                       tax_residency=country, subcentre_id=None, created_at=now)
    s.add(org)
    s.flush()
    screen_party(s, org, "test", now, "system:test")
    return org.id


def fund(s: Any, org_id: int, amount: str, now: dt.datetime, currency: str = "USD") -> None:
    deposits.record_receipt(s, org_id, Money(amount, currency), key=f"t-{org_id}-{amount}",
                            at=now, actor="user:finance")
