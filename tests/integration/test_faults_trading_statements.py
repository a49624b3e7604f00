"""Faults in trading and reconciliation: the server process dies (exit 137, what SIGKILL looks
like) in the middle of a bid, of an auction registration (its deposit hold written, nothing
else) and of a statement upload (the statement and its lines written, the audit event not),
or just after the commit. After the restart nothing is half-written, ``ledger check`` and
``audit verify`` pass, and the retried request with the same ``Idempotency-Key`` completes
exactly once: work that never committed runs again, work that committed is replayed.

On both databases (``fresh_db_url``), like the ledger fault tests in test_faults.py.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import requests
from moneyed import Money
from sqlalchemy import func, select

from kernel.db import Database
from tests.support import camt_builder as camt
from tests.support.faults import KILLED, Server, assert_sound, make_token

AMOUNT = "105000.00"


def _count(url: str, model: Any, *where: Any) -> int:
    db = Database(url)
    try:
        with db.session() as s:
            return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    finally:
        db.engine.dispose()


def _auction(url: str, *, registered: bool) -> tuple[int, str]:
    """An open auction (real time: the server runs on the system clock) and a funded buyer,
    registered or not; returns the auction id and the buyer's token."""
    from gateway.trading import auctions
    from kernel.parties import Organisation, SubCentre
    from tests.support.trading import buyer, fund, published_listing

    now = dt.datetime.now(dt.timezone.utc)
    db = Database(url)
    try:
        with db.transaction() as s:
            sc = SubCentre(code="US", name_zh="美国分中心", name_en="US Sub-centre", country="US",
                           home_currency="USD", locale="en_US", timezone="America/New_York", active=True)
            s.add(sc)
            s.flush()
            seller = Organisation(legal_name="Photonics Lab Inc.", legal_name_latin="Photonics Lab Inc.",
                                  country="US", org_type="company", tax_residency="US",
                                  subcentre_id=sc.id, created_at=now)
            s.add(seller)
            s.flush()
            listing = published_listing(s, {"us": sc.id, "seller_us": seller.id}, now)
            auction_id = auctions.create_auction(
                s, listing, starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=2),
                increment=Money("1000", "USD"), deposit=Money("10000", "USD"), now=now,
                actor="user:staff").id
            org = buyer(s, now, "Fault Tolerant Buyer Co")
            fund(s, org, "10000", now)
            if registered:
                auctions.register(s, auction_id, org, now=now, actor="test")
    finally:
        db.engine.dispose()
    return auction_id, make_token(url, email="buyer@faults.example", role="buyer", organisation_id=org)


def _die_during(url: str, point: str, send: Any) -> None:
    with Server(url, fail_at=point) as server:
        with pytest.raises(requests.ConnectionError):  # the process died mid-request
            send(server.base)
        assert server.proc.wait(timeout=30) == KILLED


def _retry_twice(url: str, send: Any, *, committed: bool) -> requests.Response:
    """Restarted, as a supervisor would: the retry completes (or replays what had committed),
    and a second retry replays the first."""
    with Server(url) as server:
        retried = send(server.base)
        assert retried.status_code == 201, retried.text
        assert (retried.headers.get("Idempotent-Replayed") == "true") is committed
        again = send(server.base)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == retried.json()
    return retried


@pytest.mark.parametrize("point, committed", [("trading.bid.inserted", False),
                                              ("gateway.after_commit", True)])
def test_a_bid_killed_mid_request_leaves_no_half_bid_and_the_retry_bids_once(
        fresh_db_url, point, committed) -> None:
    from gateway.trading.models import Auction, Bid
    from kernel.audit.models import AuditEvent

    url = fresh_db_url
    auction_id, token = _auction(url, registered=True)

    def send(base: str) -> requests.Response:
        return requests.post(f"{base}/api/v1/auctions/{auction_id}/bids",
                             json={"amount": {"amount": AMOUNT, "currency": "USD"}}, timeout=30,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "bid-1"})

    _die_during(url, point, send)
    assert _count(url, Bid) == (1 if committed else 0)
    assert _count(url, Auction, Auction.bid_count == (1 if committed else 0),
                  Auction.high_bid_id.is_(None) if not committed else Auction.high_bid_id.is_not(None)) == 1
    assert_sound(url)

    bid = _retry_twice(url, send, committed=committed).json()
    assert bid["seq"] == 1
    assert _count(url, Bid) == 1
    assert _count(url, Auction, Auction.bid_count == 1, Auction.high_bid_id == bid["id"],
                  Auction.high_minor == 10500000) == 1
    assert _count(url, AuditEvent, AuditEvent.action == "trading.bid_placed") == 1
    assert_sound(url)


def test_a_registration_killed_after_its_deposit_hold_leaves_no_hold_and_the_retry_holds_once(
        fresh_db_url) -> None:
    from gateway.trading.models import AuctionParticipant
    from settlement.ledger.models import Hold

    url = fresh_db_url
    auction_id, token = _auction(url, registered=False)

    def send(base: str) -> requests.Response:
        return requests.post(f"{base}/api/v1/auctions/{auction_id}/registrations", timeout=30,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "reg-1"})

    _die_during(url, "trading.registration.hold_placed", send)
    assert _count(url, Hold) == 0 and _count(url, AuctionParticipant) == 0
    assert_sound(url)

    _retry_twice(url, send, committed=False)
    assert _count(url, Hold) == 1 and _count(url, AuctionParticipant) == 1
    assert_sound(url)


# -- statement upload ---------------------------------------------------------------------------

IBAN = "DE89370400440532013000"


def _statement_file() -> bytes:
    """Two statements in one camt.053 file, so a death at the second leaves the first written
    (inside the still open transaction) too."""
    def stmt(n: int) -> camt.Stmt:
        return camt.Stmt(id=f"FAULT-{n}", opening_date=f"2024-03-0{n}", closing_date=f"2024-03-0{n + 1}",
                         entries=[camt.Entry(amount=f"{100 * n + k}.00", ref=f"B{n}-{k}") for k in range(3)])
    return camt.build(stmt(1), stmt(2))


def _finance(url: str) -> str:
    from settlement.reconciliation.importer import register_bank_account

    db = Database(url)
    try:
        with db.transaction() as s:
            register_bank_account(s, identifier=IBAN, currency="EUR", name="Main EUR",
                                  at=dt.datetime.now(dt.timezone.utc), actor="test")
    finally:
        db.engine.dispose()
    return make_token(url, email="finance@faults.example", role="finance")


@pytest.mark.parametrize("point, committed", [("reconciliation.import.lines_stored@2", False),
                                              ("gateway.after_commit", True)])
def test_a_statement_upload_killed_mid_import_leaves_no_statement_and_the_retry_imports_once(
        fresh_db_url, point, committed) -> None:
    from kernel.audit.models import AuditEvent
    from settlement.reconciliation.models import ImportedStatement, StatementLineRecord

    url = fresh_db_url
    token = _finance(url)
    data = _statement_file()

    def send(base: str) -> requests.Response:
        # a new multipart boundary on every attempt, as any client rebuilding the request makes
        return requests.post(f"{base}/api/v1/reconciliation/statements", timeout=60,
                             files={"file": ("statement.xml", io.BytesIO(data), "application/xml")},
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "upload-1"})

    _die_during(url, point, send)
    assert _count(url, ImportedStatement) == (2 if committed else 0)
    assert _count(url, StatementLineRecord) == (6 if committed else 0)
    assert_sound(url)

    result = _retry_twice(url, send, committed=committed).json()
    assert len(result["statement_ids"]) == 2 and result["line_count"] == 6
    assert _count(url, ImportedStatement) == 2 and _count(url, StatementLineRecord) == 6
    assert _count(url, AuditEvent, AuditEvent.action == "reconciliation.statement_imported") == 2
    assert_sound(url)
