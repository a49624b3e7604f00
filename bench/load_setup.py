"""Data the load benchmark's trading and finance endpoints need, on top of the demo data:
a few hot auctions on published auction listings of the US sub-centre, each with registered
bidders (funded deposit, a token each), and a bank statement whose lines wait in the finance
exceptions queue. Used by bench/load.py only.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from moneyed import Money
from sqlalchemy import select

HOT_AUCTIONS = 3
BIDDERS_PER_AUCTION = 6
START_MINOR = 10_000_000  # USD 100,000.00
INCREMENT_MINOR = 10_000  # USD 100.00
IBAN = "DE89370400440532013000"


def bidder_token(n: int) -> str:
    return f"tt_bench_bidder_token_{n:014d}"


def prepare_trading(url: str) -> dict[str, Any]:
    """Create the auctions, bidders and statement; return what the workload addresses."""
    from gateway.auth.models import ApiToken
    from gateway.auth.service import create_user, hash_token
    from gateway.listings.models import Listing
    from gateway.trading import auctions
    from kernel.db import Database
    from kernel.parties import Organisation, SubCentre
    from settlement.reconciliation.importer import import_statement, register_bank_account
    from tests.support import camt_builder as camt
    from tests.support.trading import buyer, fund, published_listing

    now = dt.datetime.now(dt.timezone.utc)
    db = Database(url)
    out: dict[str, Any] = {"auctions": [], "tokens": {}, "bidders": {}}
    try:
        with db.transaction() as s:
            us = s.execute(select(SubCentre).where(SubCentre.code == "US")).scalar_one()
            seller = s.execute(select(Organisation).where(Organisation.subcentre_id == us.id)
                               .order_by(Organisation.id)).scalars().first()
            n = 0
            for a in range(HOT_AUCTIONS):
                listing = published_listing(s, {"us": us.id, "seller_us": seller.id}, now,
                                            title_en=f"Hot auction {a}")
                auction = auctions.create_auction(
                    s, listing, starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=3),
                    increment=Money(INCREMENT_MINOR / 100, "USD"), deposit=Money("1000", "USD"),
                    starting_price=Money(START_MINOR / 100, "USD"), now=now, actor="bench")
                out["auctions"].append(auction.id)
                names = []
                for b in range(BIDDERS_PER_AUCTION):
                    n += 1
                    org = buyer(s, now, f"Bench Bidder {n} Co")
                    fund(s, org, "1000", now)
                    auctions.register(s, auction.id, org, now=now, actor="bench")
                    user = create_user(s, email=f"bidder{n}@bench.example", password="bench-password-2026",
                                       role="buyer", display_name=f"Bidder {n}", now=now, actor="bench",
                                       organisation_id=org)
                    token = bidder_token(n)
                    s.add(ApiToken(user_id=user.id, name="bench", token_hash=hash_token(token),
                                   prefix=token[:10], created_at=now,
                                   expires_at=now + dt.timedelta(days=2)))
                    out["tokens"][f"bidder{n}"] = token
                    names.append(f"bidder{n}")
                out["bidders"][auction.id] = names
            out["listings"] = s.execute(select(Listing.id).where(Listing.state == "published")
                                        .order_by(Listing.id)).scalars().all()
            register_bank_account(s, identifier=IBAN, currency="EUR", name="Main EUR", at=now, actor="bench")
            entries = [camt.Entry(amount=f"{100 + k}.00", ref=f"BENCH-{k}",
                                  txs=[camt.Tx(e2e=f"E2E-{k}", dbtr_name=f"Payer {k}")]) for k in range(40)]
            import_statement(s, camt.build(camt.Stmt(id="BENCH-1", entries=entries)), "camt053",
                             at=now, actor="bench")
    finally:
        db.engine.dispose()
    return out
