"""Finance's dashboard: instructions due and overdue by currency (a chart), held payments with
their reasons, and recording funds received through the page."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kernel.clock import FrozenClock
from kernel.db import Database
from settlement.plans import SettlementInstruction, create_plan, run_due
from tests.integration.settlement_plans.conftest import (
    ACTOR,
    CONFIG,
    TaxFilingGate,
    add_rates,
    add_world,
    record_tax_filing,
    tax_filings,
)
from tests.integration.settlement_plans.test_plans_worked_examples import bring_in_terms
from tests.support.web import post_form, sign_in


@pytest.fixture
def deal(db: Database, clock: FrozenClock, make_user: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    with db.transaction() as s:
        tax_filings.create(s.connection(), checkfirst=True)
        add_rates(s, clock.now())
        w = add_world(s, clock.now())
        plan = create_plan(s, bring_in_terms(w), now=clock.now(), actor=ACTOR, config=CONFIG)
        record_tax_filing(s, "C-2026-0001", "TF-9", clock.now().date())
        upfront = plan.instructions[0].id
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    return {"upfront": upfront, "finance": make_user("finance"), "buyer": make_user("buyer", organisation_id=w.buyer_cn)}


def test_finance_sees_due_and_overdue_by_currency_as_a_chart(client, clock, deal) -> None:
    sign_in(client, deal["finance"]["email"])
    html = client.get("/finance").get_data(as_text=True)
    assert 'id="due-chart"' in html and "<svg" in html and "CNY due" in html
    assert "712,130.00" in html
    clock.advance(days=60)
    later = client.get("/finance").get_data(as_text=True)
    assert "CNY overdue" in later
    sign_in(client, deal["buyer"]["email"])
    assert client.get("/finance").status_code == 403


def test_recording_funds_through_the_page_uses_the_settlement_service(client, app, db, clock, deal) -> None:
    sign_in(client, deal["finance"]["email"])
    url = f"/finance/instructions/{deal['upfront']}/funds-received"
    wrong = post_form(client, url, {"amount": "712130.01", "bank_reference": "CAMT-1"})
    assert wrong.status_code == 200 and "Not recorded" in wrong.get_data(as_text=True)  # refused, said why
    ok = post_form(client, url, {"amount": "712130.00", "bank_reference": "CAMT-1"})
    assert ok.status_code == 302
    with db.session() as s:
        assert s.get(SettlementInstruction, deal["upfront"]).status == "funds_received"
    # the app's gate (compliance) holds it: no classified technology behind this deal
    run_due(db, now=clock.now(), gate=app.extensions["settlement.payment_gate"], config=CONFIG)
    html = client.get("/finance").get_data(as_text=True)
    assert 'id="held"' in html and "export_control_unknown" in html


def test_a_payout_cannot_be_confirmed_before_it_is_paid_out(client, deal) -> None:
    sign_in(client, deal["finance"]["email"])
    resp = post_form(client, f"/finance/instructions/{deal['upfront']}/payout-confirmed", {"bank_reference": "X"})
    assert resp.status_code == 200 and "Not recorded" in resp.get_data(as_text=True)


def test_fx_exposure_shows_open_instructions_with_cny_and_usd_equivalents(client, db, clock, deal) -> None:
    from decimal import Decimal

    from moneyed import Money

    from settlement.fx import convert, find_rate
    from settlement.fx.store import DbRateSource

    sign_in(client, deal["finance"]["email"])
    html = client.get("/finance").get_data(as_text=True)
    assert 'id="fx-exposure"' in html and 'id="fx-chart"' in html
    with db.session() as s:
        open_ = [i for i in s.query(SettlementInstruction).all() if i.status not in ("settled", "cancelled")]
        cny = sum((i.payin or i.gross).amount for i in open_ if (i.payin or i.gross).currency.code == "CNY")
        quote = find_rate(DbRateSource(s), "CNY", "USD", clock.now().date(), 5)
    assert cny > Decimal(0)
    row = html[html.index('id="fx-exposure"'):]
    row = row[row.index("<td>CNY</td>"):].split("</tr>")[0]
    from babel.numbers import format_currency
    assert format_currency(cny, "CNY", locale="en") in row
    usd = convert(Money(cny, "CNY"), "USD", quote).amount
    assert format_currency(usd, "USD", locale="en") in row  # at the latest stored rate
    # a stale rate is not used: the equivalent says so instead of guessing
    clock.advance(days=30)
    later = client.get("/finance").get_data(as_text=True)
    assert "no recent rate" in later


def test_a_refused_step_is_explained_in_chinese(client, deal) -> None:
    from tests.support.web import csrf

    sign_in(client, deal["finance"]["email"])
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf(client, "/")})
    resp = post_form(client, f"/finance/instructions/{deal['upfront']}/payout-confirmed", {"bank_reference": "X"})
    html = resp.get_data(as_text=True)
    assert "该指令当前状态不允许此操作。" in html and 'lang="en"' in html  # the service's words kept beside
