"""Settlement plans over HTTP: who sees a plan, finance's funds-received and payout-confirmed,
the licensee's royalty report, advices, and the run-due command."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from kernel.clock import FrozenClock, utc
from kernel.db import Database
from settlement.plans import create_plan, run_due
from tests.integration.settlement_plans.conftest import (
    ACTOR, CONFIG, TaxFilingGate, add_rates, add_world, record_tax_filing, tax_filings,
)
from tests.integration.settlement_plans.test_plans_worked_examples import bring_in_terms


@pytest.fixture
def deal(db: Database, clock: FrozenClock, make_user: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    with db.transaction() as s:
        tax_filings.create(s.connection(), checkfirst=True)
        add_rates(s, clock.now())
        w = add_world(s, clock.now())
        plan = create_plan(s, bring_in_terms(w), now=clock.now(), actor=ACTOR, config=CONFIG)
        record_tax_filing(s, "C-2026-0001", "TF-9", clock.now().date())
        ids = {"plan": plan.id, "upfront": plan.instructions[0].id}
    return {"w": w, **ids,
            "buyer": make_user("buyer", organisation_id=w.buyer_cn),
            "other_buyer": make_user("buyer", organisation_id=w.buyer_jp),
            "seller": make_user("seller", organisation_id=w.seller_hk),
            "staff_hk": make_user("subcentre_staff", subcentre_id=w.hk),
            "staff_dk": make_user("subcentre_staff", subcentre_id=w.dk),
            "finance": make_user("finance"), "admin": make_user("admin")}


def test_the_plan_is_seen_by_its_parties_their_staff_and_finance_only(client, deal) -> None:
    url = "/api/v1/deals/D-2026-0001/settlement-plan"
    for who in ("buyer", "seller", "staff_hk", "finance", "admin"):
        resp = client.get(url, headers=deal[who]["headers"])
        assert resp.status_code == 200, who
    body = resp.get_json()
    up = body["instructions"][0]
    assert up["ref"].startswith("STX-2026-") and up["rf_reference"].startswith("RF")
    assert up["payin"] == {"amount": "712130.00", "currency": "CNY"}
    assert up["payout"] == {"amount": "85735.85", "currency": "USD"}
    assert {ln["kind"]: ln["amount"]["amount"] for ln in up["lines"]}["withholding"] == "6603.77"
    for who in ("other_buyer", "staff_dk"):
        assert client.get(url, headers=deal[who]["headers"]).status_code == 403, who
    assert client.get("/api/v1/deals/NOPE/settlement-plan",
                      headers=deal["finance"]["headers"]).status_code == 404


def test_finance_moves_an_instruction_from_due_to_settled(client, db, clock, deal) -> None:
    fin = deal["finance"]["headers"]
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    due = client.get("/api/v1/settlement/instructions?status=due", headers=fin).get_json()
    assert [i["id"] for i in due["items"]] == [deal["upfront"]]
    base = f"/api/v1/settlement/instructions/{deal['upfront']}"
    wrong = client.post(f"{base}/funds-received", headers=fin,
                        json={"amount": {"amount": "712130.01", "currency": "CNY"}})
    assert wrong.status_code == 422
    ok = client.post(f"{base}/funds-received", headers={**fin, "Idempotency-Key": "fr-1"},
                     json={"amount": {"amount": "712130.00", "currency": "CNY"},
                           "bank_reference": "CAMT-77"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "funds_received"
    again = client.post(f"{base}/funds-received", headers={**fin, "Idempotency-Key": "fr-1"},
                        json={"amount": {"amount": "712130.00", "currency": "CNY"},
                              "bank_reference": "CAMT-77"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert client.post(f"{base}/payout-confirmed", headers=fin, json={}).status_code == 409
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    done = client.post(f"{base}/payout-confirmed", headers=fin, json={"bank_reference": "OUT-1"})
    assert done.status_code == 200 and done.get_json()["status"] == "settled"
    assert client.post(f"{base}/funds-received", headers=deal["buyer"]["headers"],
                       json={"amount": {"amount": "1.00", "currency": "CNY"}}).status_code == 403


def test_the_licensee_reports_royalties(client, clock, deal, make_user) -> None:
    clock.set(utc(2027, 4, 2, 9))
    # tokens issued now (those of the fixture expired meanwhile)
    deal["buyer"] = make_user("buyer", organisation_id=deal["w"].buyer_cn)
    deal["other_buyer"] = make_user("buyer", organisation_id=deal["w"].buyer_jp)
    url = f"/api/v1/settlement/plans/{deal['plan']}/royalty-reports"
    body = {"period_start": "2027-01-01", "period_end": "2027-03-31",
            "net_sales": {"amount": "150000.00", "currency": "USD"}}
    resp = client.post(url, headers=deal["buyer"]["headers"], json=body)
    assert resp.status_code == 201
    assert resp.get_json()["instruction"]["gross"] == {"amount": "7500.00", "currency": "USD"}
    assert client.post(url, headers=deal["buyer"]["headers"], json=body).status_code == 409
    assert client.post(url, headers=deal["other_buyer"]["headers"], json=body).status_code == 403
    bad = dict(body, net_sales={"amount": "1.001", "currency": "USD"})
    assert client.post(url, headers=deal["buyer"]["headers"], json=bad).status_code == 422


def test_advices_as_html_and_pdf(client, deal) -> None:
    base = f"/api/v1/settlement/instructions/{deal['upfront']}"
    html = client.get(f"{base}/advice.html?party=payer", headers=deal["buyer"]["headers"])
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "¥712,130.00" in html.get_data(as_text=True)
    pdf = client.get(f"{base}/advice.pdf?party=payee&locale=en_US", headers=deal["seller"]["headers"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    # a party reads its own advice only
    assert client.get(f"{base}/advice.html?party=payee",
                      headers=deal["buyer"]["headers"]).status_code == 403


def test_run_due_command_prints_progress_and_a_summary(app, deal) -> None:
    result = app.test_cli_runner().invoke(args=["settlement", "run-due"])
    assert result.exit_code == 0, result.output
    assert "1 due" in result.output and "settlement run-due:" in result.output
    assert "not wired in" not in result.output  # the app wires compliance's payment rules in


def test_the_apps_gate_is_compliance_and_fails_closed_without_a_classified_subject(
        client, app, db, clock, deal) -> None:
    """Funded money is released only through compliance's check_payment: with no classified
    technology behind the deal (this plan is not from a trading deal, so no listing) it is held."""
    from settlement.plans.models import SettlementInstruction

    fin = deal["finance"]["headers"]
    gate = app.extensions["settlement.payment_gate"]
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    base = f"/api/v1/settlement/instructions/{deal['upfront']}"
    client.post(f"{base}/funds-received", headers=fin,
                json={"amount": {"amount": "712130.00", "currency": "CNY"}, "bank_reference": "CAMT-78"})
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    with db.session() as s:
        held = s.get(SettlementInstruction, deal["upfront"])
        assert held.status == "held"
        assert "export_control_unknown" in held.held_reason, held.held_reason


def test_a_bank_statement_marks_the_instruction_funded_through_reconciliation(client, db, clock, deal) -> None:
    """The buyer pays CNY 712,130.00 quoting the RF reference with SHA charges of 30.00 deducted:
    finance uploads the camt.053; reconciliation books bank 712,100.00 + charges 30.00 against
    suspense, and the plans module moves 712,130.00 from suspense to the buyer's escrow."""
    import io

    from settlement.ledger import check_ledger, get_balance
    from settlement.ledger.models import Account
    from settlement.plans.models import SettlementInstruction
    from settlement.reconciliation.importer import register_bank_account
    from sqlalchemy import select
    from tests.support import camt_builder as camt

    fin = deal["finance"]["headers"]
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    with db.transaction() as s:
        register_bank_account(s, identifier="CN5510000000000001234567", currency="CNY",
                              name="Exchange CNY", at=clock.now(), actor="test")
        rf = s.get(SettlementInstruction, deal["upfront"]).rf_reference
    day = clock.now().date().isoformat()
    data = camt.build(camt.Stmt(
        id="CNY-2026-11-23", iban="CN5510000000000001234567", ccy="CNY", opening="0.00",
        opening_date=day, closing_date=day, created=f"{day}T18:00:00+08:00",
        entries=[camt.Entry(amount="712100.00", direction="CRDT", ref="CN-1", value=day, booking=day,
                            ccy="CNY", charges=("30.00", "CNY"),
                            txs=[camt.Tx(ccy="CNY", strd_ref=rf, dbtr_name="Shenzhen Zhizao Technology")])]))
    resp = client.post("/api/v1/reconciliation/statements", headers=fin,
                       data={"file": (io.BytesIO(data), "statement.xml")}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    with db.session() as s:
        instr = s.get(SettlementInstruction, deal["upfront"])
        assert instr.status == "funds_received"
        suspense = s.execute(select(Account.id).where(Account.purpose == "suspense",
                                                       Account.currency == "CNY")).scalar_one()
        assert get_balance(s, suspense).posted.amount == 0
        assert check_ledger(s) == []
