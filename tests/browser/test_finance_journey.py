"""Finance's reconciliation morning in Chromium, on each database: a settlement plan's upfront
instruction is due; the bank's camt.053 (built with tests/support/camt_builder.py) carries the
buyer's payment without any reference and under a name nobody expects, so it lands in the
exceptions queue with the instruction as the suggested candidate. Finance uploads the file,
reads the summary, opens the queue (one line), resolves it with one click, sees the instruction
funded, and reads the reconciliation report with its chart. Screenshots are saved at each
step; any console error or failed request fails the test (tests/browser/conftest.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.support import camt_builder as camt

pytestmark = pytest.mark.browser

PASSWORD = "a-finance-journey-password"
IBAN = "CN5510000000000001234567"


@pytest.fixture
def story(live_app: Any, live_server: Any, clock: Any, tmp_path: Path, backend: str) -> dict[str, Any]:
    """A due instruction (CNY 712,130.00), the exchange's CNY bank account, a finance user, and
    the statement file paying that instruction without a reference."""
    from gateway.auth.service import create_user
    from settlement.plans import SettlementInstruction, create_plan, run_due
    from settlement.reconciliation.importer import register_bank_account
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

    db = live_app.extensions["gateway.db"]
    now = clock.now()
    with db.transaction() as s:
        tax_filings.create(s.connection(), checkfirst=True)
        add_rates(s, now)
        w = add_world(s, now)
        plan = create_plan(s, bring_in_terms(w), now=now, actor=ACTOR, config=CONFIG)
        record_tax_filing(s, "C-2026-0001", "TF-9", now.date())
        upfront = plan.instructions[0].id
        register_bank_account(s, identifier=IBAN, currency="CNY", name="Exchange CNY", at=now, actor="test")
        create_user(s, email="finance@journey.example", password=PASSWORD, role="finance",
                    display_name="Finance", now=now, actor="test")
    run_due(db, now=now, gate=TaxFilingGate(), config=CONFIG)
    with db.session() as s:
        instr = s.get(SettlementInstruction, upfront)
        assert instr.status == "due" and str(instr.payin.amount) == "712130.00"
        ref = instr.ref
    day = now.date().isoformat()
    statement = camt.build(camt.Stmt(
        id=f"CNY-{day}", iban=IBAN, ccy="CNY", opening="0.00", opening_date=day, closing_date=day,
        created=f"{day}T18:00:00+08:00",
        entries=[camt.Entry(amount="712130.00", ccy="CNY", ref="CN-0001", value=day, booking=day,
                            txs=[camt.Tx(ccy="CNY", dbtr_name="Pearl River Trading Co",
                                         ustrd=("payment as agreed",))])]))
    path = tmp_path / "statement-cny.xml"
    path.write_bytes(statement)
    return {"url": live_server.url, "file": path, "db": db, "upfront": upfront, "ref": ref,
            "backend": backend}


def show_report(page: Page) -> None:
    page.get_by_label("Account").select_option(IBAN)
    page.get_by_label("Period").fill("2026-11")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#ageing-chart")).to_be_visible()


def test_finance_uploads_a_statement_resolves_the_exception_and_reads_the_report(page: Page, story) -> None:
    from settlement.plans import SettlementInstruction

    b = story["backend"]
    page.goto(story["url"] + "/login")
    page.get_by_label("Email").fill("finance@journey.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#role")).to_be_visible()

    page.get_by_role("link", name="Statement upload").click()
    page.get_by_label("Statement file (camt.053 XML or CSV)").set_input_files(str(story["file"]))
    page.get_by_label("Format").select_option("camt053")
    shot(page, f"finance-{b}-1-upload-form")
    page.get_by_role("button", name="Upload and match").click()
    summary = page.locator("#import-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#sum-entries")).to_have_text("1")
    expect(page.locator("#sum-matched")).to_have_text("0")
    expect(page.locator("#sum-exceptions")).to_have_text("1")
    shot(page, f"finance-{b}-2-import-summary")

    summary.get_by_role("link", name="Reconciliation report").click()
    show_report(page)
    expect(page.locator("table.figures")).to_contain_text("Unmatched lines")
    bars = page.locator("#ageing-chart rect.bar:not([height='0'])")
    expect(bars).to_have_count(1)  # the open line, in its age bucket
    shot(page, f"finance-{b}-2b-report-before")

    page.get_by_role("link", name="Exceptions queue").click()
    items = page.locator("#queue section.queue-item")
    expect(items).to_have_count(1)
    item = items.first
    expect(item).to_contain_text("Pearl River Trading Co")
    candidate = item.locator("table.candidates tbody tr", has_text=story["ref"])
    expect(candidate).to_be_visible()
    assert int(candidate.locator(".score").inner_text()) > 0  # the candidate's score is shown
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # readable on a phone
    shot(page, f"finance-{b}-3-queue-phone")
    page.set_viewport_size({"width": 1100, "height": 800})
    candidate.get_by_role("button", name=f"Match to {story['ref']}").click()  # one click
    expect(page.get_by_role("status")).to_contain_text("matched")
    expect(page.locator("#queue-empty")).to_be_visible()
    expect(page.locator("#resolved")).to_contain_text("matched")
    shot(page, f"finance-{b}-4-resolved")
    with story["db"].session() as s:
        assert s.get(SettlementInstruction, story["upfront"]).status == "funds_received"

    page.get_by_role("link", name="Reconciliation report").click()
    show_report(page)
    expect(page.locator("table.figures")).to_contain_text("1 · 712130.00")  # matched now
    shot(page, f"finance-{b}-5-report")

    page.get_by_role("link", name="Finance dashboard").click()
    expect(page.locator("#fx-exposure")).to_contain_text("CNY")
    shot(page, f"finance-{b}-6-dashboard")
    page.get_by_label("Language").select_option("zh_CN")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=2, name="外汇敞口")).to_be_visible()
    page.get_by_role("link", name="异常队列").click()
    expect(page.locator("#queue-empty")).to_be_visible()
    expect(page.locator("#resolved")).to_contain_text("已匹配")
    shot(page, f"finance-{b}-7-queue-zh")
