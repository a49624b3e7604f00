"""Payouts matched on the statement: the plans module sends a payout into transit (suspense);
the statement debit settles the instruction and books bank against suspense, once."""
from __future__ import annotations

import io

from sqlalchemy import select

from settlement.ledger import check_ledger, get_balance
from settlement.ledger.models import Account
from settlement.plans import run_due
from settlement.plans.models import SettlementInstruction
from settlement.reconciliation.importer import register_bank_account
from settlement.reconciliation.models import Match, ReconException
from tests.e2e.test_settlement_api import deal  # noqa: F401 - the fixture
from tests.integration.settlement_plans.conftest import CONFIG, TaxFilingGate
from tests.support import camt_builder as camt

USD_IBAN = "US64SVBKUS6S3300958879"


def _exchange(s, purpose: str, ccy: str) -> str:
    acct = s.execute(select(Account.id).where(Account.owner_type == "exchange",
                                              Account.purpose == purpose,
                                              Account.currency == ccy)).scalar_one()
    return str(get_balance(s, acct).posted.amount)


def _paid_out(client, db, clock, deal) -> SettlementInstruction:  # noqa: F811
    fin = deal["finance"]["headers"]
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    base = f"/api/v1/settlement/instructions/{deal['upfront']}"
    assert client.post(f"{base}/funds-received", headers=fin,
                       json={"amount": {"amount": "712130.00", "currency": "CNY"}}
                       ).status_code == 200
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    with db.transaction() as s:
        register_bank_account(s, identifier=USD_IBAN, currency="USD", name="Exchange USD",
                              at=clock.now(), actor="test")
        instr = s.get(SettlementInstruction, deal["upfront"])
        assert instr.status == "paid_out"
        assert _exchange(s, "suspense", "USD") == "85735.85"  # in transit (owed to the bank)
        return instr


def _statement(day: str, ref: str, amount: str = "85735.85", stmt_id: str = "USD-1") -> bytes:
    return camt.build(camt.Stmt(
        id=stmt_id, iban=USD_IBAN, ccy="USD", opening="100000.00", opening_date=day,
        closing_date=day, created=f"{day}T18:00:00+00:00",
        entries=[camt.Entry(amount=amount, direction="DBIT", ref="OUT-1", value=day,
                            booking=day, ccy="USD",
                            txs=[camt.Tx(ccy="USD", e2e=ref, cdtr_name="Seller HK Ltd")])]))


def _upload(client, fin, data: bytes):
    return client.post("/api/v1/reconciliation/statements", headers=fin,
                       data={"file": (io.BytesIO(data), "statement.xml")},
                       content_type="multipart/form-data")


def test_the_statement_debit_settles_the_payout_and_books_it_out_of_transit(
        client, db, clock, deal) -> None:  # noqa: F811
    instr = _paid_out(client, db, clock, deal)
    fin = deal["finance"]["headers"]
    resp = _upload(client, fin, _statement(clock.now().date().isoformat(), instr.ref))
    assert resp.status_code == 201, resp.get_json()
    with db.session() as s:
        done = s.get(SettlementInstruction, deal["upfront"])
        assert done.status == "settled" and done.payout_bank_ref.startswith("recon-match-")
        (m,) = s.execute(select(Match).where(Match.direction == "out")).scalars()
        assert (m.instruction_id, m.rule, m.complete) == (f"{instr.id}/out", "reference", True)
        assert _exchange(s, "suspense", "USD") == "0.00"
        assert _exchange(s, "bank", "USD") == "-85735.85"
        assert check_ledger(s) == []
    # the same payout seen again (another statement): not booked twice, finance is asked
    later = _upload(client, fin, _statement(clock.now().date().isoformat(), instr.ref,
                                            stmt_id="USD-2"))
    assert later.status_code == 201, later.get_json()
    with db.session() as s:
        assert _exchange(s, "bank", "USD") == "-85735.85"
        kinds = s.execute(select(ReconException.kind).where(
            ReconException.status == "open", ReconException.line_id.is_not(None))).scalars()
        assert list(kinds) == ["unmatched_line"]
        assert check_ledger(s) == []


def test_finance_confirming_a_payout_by_hand_books_it_out_of_transit(
        client, db, clock, deal) -> None:  # noqa: F811
    _paid_out(client, db, clock, deal)
    base = f"/api/v1/settlement/instructions/{deal['upfront']}"
    done = client.post(f"{base}/payout-confirmed", headers=deal["finance"]["headers"],
                       json={"bank_reference": "OUT-1"})
    assert done.status_code == 200 and done.get_json()["status"] == "settled"
    with db.session() as s:
        assert _exchange(s, "suspense", "USD") == "0.00"
        assert _exchange(s, "bank", "USD") == "-85735.85"
        assert check_ledger(s) == []


def test_a_payout_confirmed_by_hand_cannot_be_matched_to_a_line_again(
        client, db, clock, deal) -> None:  # noqa: F811
    instr = _paid_out(client, db, clock, deal)
    fin = deal["finance"]["headers"]
    base = f"/api/v1/settlement/instructions/{deal['upfront']}"
    assert client.post(f"{base}/payout-confirmed", headers=fin,
                       json={"bank_reference": "OUT-1"}).status_code == 200
    assert _upload(client, fin, _statement(clock.now().date().isoformat(), instr.ref)
                   ).status_code == 201
    with db.session() as s:
        (item,) = s.execute(select(ReconException.id).where(
            ReconException.status == "open", ReconException.line_id.is_not(None))).scalars()
    resp = client.post(f"/api/v1/reconciliation/exceptions/{item}/match", headers=fin,
                       json={"instruction_id": f"{instr.id}/out"})
    assert resp.status_code == 404, resp.get_json()
    with db.session() as s:
        assert _exchange(s, "bank", "USD") == "-85735.85"
        assert check_ledger(s) == []
