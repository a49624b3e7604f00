"""A receipt matched on the statement against a real settlement instruction (the plans source,
not the in-memory one): the instruction is funded; unmatching undoes the receipt (due again, the
escrow credit reversed) while the money is still in the buyer's escrow, and is refused with the
reason once it has moved on."""
from __future__ import annotations

import io

from sqlalchemy import select

from settlement.ledger import check_ledger, get_balance
from settlement.ledger.models import Account
from settlement.plans import run_due
from settlement.plans.models import SettlementInstruction
from settlement.reconciliation.importer import register_bank_account
from settlement.reconciliation.models import Match
from tests.e2e.test_settlement_api import deal  # noqa: F401 - the fixture
from tests.integration.settlement_plans.conftest import CONFIG, TaxFilingGate
from tests.support import camt_builder as camt

CNY_IBAN = "CN5510000000000001234567"


def _balances(s, buyer: int) -> dict[str, str]:
    """The CNY balances the receipt moves: the exchange's bank and suspense, the buyer's escrow."""
    out = {}
    for owner_type, owner, purpose in (("exchange", 0, "bank"), ("exchange", 0, "suspense"),
                                       ("organisation", buyer, "buyer_escrow")):
        acct = s.execute(select(Account.id).where(
            Account.owner_type == owner_type, Account.owner_id == owner, Account.purpose == purpose,
            Account.currency == "CNY")).scalar_one_or_none()
        out[purpose] = "0.00" if acct is None else f"{get_balance(s, acct).posted.amount:.2f}"
    return out


def _pay_in(client, db, clock, deal, stmt_id: str) -> int:  # noqa: F811
    """Upload a statement on which the buyer pays the upfront instruction (its RF reference);
    returns the match."""
    with db.session() as s:
        rf = s.get(SettlementInstruction, deal["upfront"]).rf_reference
    day = clock.now().date().isoformat()
    data = camt.build(camt.Stmt(
        id=stmt_id, iban=CNY_IBAN, ccy="CNY", opening="0.00", opening_date=day, closing_date=day,
        created=f"{day}T18:00:00+08:00",
        entries=[camt.Entry(amount="712130.00", direction="CRDT", ref=f"{stmt_id}-1", value=day,
                            booking=day, ccy="CNY",
                            txs=[camt.Tx(ccy="CNY", strd_ref=rf, dbtr_name="Shenzhen Zhizao Technology")])]))
    resp = client.post("/api/v1/reconciliation/statements", headers=deal["finance"]["headers"],
                       data={"file": (io.BytesIO(data), "statement.xml")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    with db.session() as s:
        return s.execute(select(Match.id).where(Match.status == "active")).scalar_one()


def test_unmatching_a_receipt_undoes_it_until_the_money_moves_on(client, db, clock, deal) -> None:  # noqa: F811
    fin = deal["finance"]["headers"]
    buyer = deal["w"].buyer_cn
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    with db.transaction() as s:
        register_bank_account(s, identifier=CNY_IBAN, currency="CNY", name="Exchange CNY",
                              at=clock.now(), actor="test")
    first = _pay_in(client, db, clock, deal, "CNY-1")
    with db.session() as s:
        instr = s.get(SettlementInstruction, deal["upfront"])
        assert (instr.status, instr.received_bank_ref) == ("funds_received", f"recon-match-{first}")
        assert _balances(s, buyer) == {"bank": "712130.00", "suspense": "0.00",
                                       "buyer_escrow": "712130.00"}
    undo = client.post(f"/api/v1/reconciliation/matches/{first}/unmatch", headers=fin,
                       json={"reason": "the payer's bank recalled it"})
    assert undo.status_code == 200, undo.get_json()
    with db.session() as s:
        instr = s.get(SettlementInstruction, deal["upfront"])
        assert (instr.status, instr.funds_received_at, instr.received_bank_ref) == ("due", None, None)
        # the bank line's booking and the escrow credit are both reversed: nothing is left over
        assert _balances(s, buyer) == {"bank": "0.00", "suspense": "0.00", "buyer_escrow": "0.00"}
        assert check_ledger(s) == []
    # the buyer pays again: the instruction is funded again (its receipt booked afresh)
    second = _pay_in(client, db, clock, deal, "CNY-2")
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    with db.session() as s:
        instr = s.get(SettlementInstruction, deal["upfront"])
        assert instr.status not in ("due", "funds_received", "held"), instr.status  # released
        assert instr.received_bank_ref == f"recon-match-{second}"
        assert check_ledger(s) == []
    # the money has left the escrow: unmatching is refused with the reason, and nothing changes
    refused = client.post(f"/api/v1/reconciliation/matches/{second}/unmatch", headers=fin,
                          json={"reason": "late recall"})
    assert refused.status_code == 409, refused.get_json()
    assert "cannot be undone" in refused.get_json()["detail"]
    assert instr.status in refused.get_json()["detail"]
    with db.session() as s:
        assert s.get(Match, second).status == "active"
        assert s.get(SettlementInstruction, deal["upfront"]).status == instr.status
