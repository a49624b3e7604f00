"""Settlement-plan fixtures: rates, parties on both sides of the border, and a real payment
gate written here in the test code.

The gate encodes FORMATS.md's rule: a single outbound payment for services or royalties above
USD 50,000 equivalent needs a tax filing record first; one filing per contract covers later
payments. Filings live in a table this test code owns (``test_tax_filings``, its own
MetaData, created inside the test's transaction): compliance's real rules and their tables
come from the compliance branch.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Column, Date, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import Money
from kernel.parties import Organisation, SubCentre
from settlement.fx import Rate
from settlement.fx.store import store_rates
from settlement.plans import FeeSchedule, PaymentDecision, PaymentRequest, PlanConfig

ACTOR = "user:test"
RATE_DAY = dt.date(2026, 11, 23)

# ECB-style rates (units per 1 EUR) chosen so the crosses are round:
# USD->CNY = 7.668 / 1.08 = 7.1, USD->KRW = 1512 / 1.08 = 1400, USD->JPY = 162 / 1.08 = 150,
# USD->KWD = 0.3348 / 1.08 = 0.31
ECB = {"USD": "1.08", "CNY": "7.668", "KRW": "1512", "JPY": "162", "KWD": "0.3348",
       "HKD": "8.424", "DKK": "7.4604"}

#: 2% fee, min USD 150.00, cap USD 5,000.00, split exchange:sub-centre:broker 60:30:10;
#: FX margin 30 bps
CONFIG = PlanConfig(spread_bps=Decimal(30), max_staleness_business_days=3, ref_prefix="STX",
                    fees={"default": FeeSchedule(Decimal("0.02"), Money("150.00", "USD"),
                                                 Money("5000.00", "USD"), (60, 30, 10))})

USD_50000_MINOR = 5_000_000

filings_metadata = MetaData()
tax_filings = Table("test_tax_filings", filings_metadata,
                    Column("contract_ref", String(64), primary_key=True),
                    Column("filing_no", String(64), nullable=False),
                    Column("filed_on", Date, nullable=False))


class TaxFilingGate:
    """Holds an outbound payment for services or royalties above USD 50,000 equivalent until
    the contract has a tax filing record; releases everything else."""

    NEEDS_FILING = ("royalty", "service")

    def __init__(self) -> None:
        self.checked: list[PaymentRequest] = []

    def check(self, session: Session, request: PaymentRequest) -> PaymentDecision:
        self.checked.append(request)
        if request.outbound and request.kind in self.NEEDS_FILING \
                and request.usd_equivalent_minor > USD_50000_MINOR:
            filed = session.execute(select(tax_filings.c.filing_no).where(
                tax_filings.c.contract_ref == request.contract_ref)).first()
            if filed is None:
                usd = Decimal(request.usd_equivalent_minor).scaleb(-2)
                return PaymentDecision("hold", (
                    f"outbound payment of USD {usd} equivalent is above USD 50,000.00: a tax "
                    f"filing record for contract {request.contract_ref} is needed first",))
        return PaymentDecision("release")


def record_tax_filing(session: Session, contract_ref: str, filing_no: str, on: dt.date) -> None:
    session.execute(insert(tax_filings).values(contract_ref=contract_ref, filing_no=filing_no,
                                               filed_on=on))


@dataclass
class World:
    hk: int
    dk: int
    us: int
    buyer_cn: int        # 深圳智造 (domestic buyer)
    seller_cn: int       # a domestic university selling abroad
    seller_hk: int
    seller_us: int
    seller_kr: int
    seller_kw: int
    buyer_dk: int
    buyer_jp: int
    broker: int


def add_rates(session: Session, now: dt.datetime) -> None:
    store_rates(session, [Rate("EUR", ccy, Decimal(v), RATE_DAY, "ECB") for ccy, v in ECB.items()],
                now=now, actor=ACTOR)


def add_world(session: Session, now: dt.datetime) -> World:
    def centre(code: str, country: str, ccy: str, locale: str, tz: str) -> int:
        sc = SubCentre(code=code, name_zh=f"{code}分中心", name_en=f"{code} Sub-centre",
                       country=country, home_currency=ccy, locale=locale, timezone=tz,
                       active=True)
        session.add(sc)
        session.flush()
        return sc.id

    def org(name: str, country: str, sc: int | None, kind: str = "company") -> int:
        o = Organisation(legal_name=name, legal_name_latin=name, country=country, org_type=kind,
                         tax_residency=country, subcentre_id=sc, created_at=now)
        session.add(o)
        session.flush()
        return o.id

    hk = centre("HK", "HK", "HKD", "zh_HK", "Asia/Hong_Kong")
    dk = centre("DK", "DK", "DKK", "da_DK", "Europe/Copenhagen")
    us = centre("US", "US", "USD", "en_US", "America/New_York")
    return World(
        hk=hk, dk=dk, us=us,
        buyer_cn=org("深圳智造科技有限公司", "CN", None),
        seller_cn=org("华南理工大学", "CN", None, "university"),
        seller_hk=org("Kowloon Optics Ltd", "HK", hk),
        seller_us=org("Photonics Lab Inc.", "US", us),
        seller_kr=org("Hanbit Materials Co.", "KR", None),
        seller_kw=org("Gulf Desalination KSC", "KW", None),
        buyer_dk=org("Aarhus Bio ApS", "DK", dk),
        buyer_jp=org("Osaka Robotics KK", "JP", None),
        broker=org("TechBridge Brokers Ltd", "CN", None))


@pytest.fixture
def world(db: Database, clock: FrozenClock) -> World:
    with db.transaction() as s:
        tax_filings.create(s.connection(), checkfirst=True)
        add_rates(s, clock.now())
        return add_world(s, clock.now())


@pytest.fixture
def gate() -> TaxFilingGate:
    return TaxFilingGate()


def mk(**kw: Any) -> dict[str, Any]:
    return kw
