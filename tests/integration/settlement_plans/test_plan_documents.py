"""Settlement advices in each party's locale (Babel formatting), PDF, statement of account."""
from __future__ import annotations

import csv
import io
import re

import pytest
from babel.numbers import format_currency

from kernel.clock import FrozenClock, utc
from kernel.db import Database
from kernel.money import Money
from settlement.documents import (
    advice_for, render_advice_html, render_advice_pdf, statement_csv, statement_of_account,
)
from settlement.documents.advice import LOCALES
from settlement.plans import create_plan, get_plan, run_due
from settlement.plans.service import record_funds_received

from .conftest import ACTOR, CONFIG, TaxFilingGate, World, record_tax_filing
from .test_plans_worked_examples import _single, bring_in_terms


@pytest.fixture
def paid_upfront(db: Database, clock: FrozenClock, world: World, gate: TaxFilingGate) -> int:
    with db.transaction() as s:
        plan_id = create_plan(s, bring_in_terms(world), now=clock.now(), actor=ACTOR,
                              config=CONFIG).id
        record_tax_filing(s, "C-2026-0001", "TF-1", clock.now().date())
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    with db.transaction() as s:
        up = get_plan(s, plan_id).instructions[0]
        record_funds_received(s, up.id, up.payin, now=clock.now(), actor=ACTOR)
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    return plan_id


# Babel (CLDR) formats of USD 85,735.85 and the pay-in CNY 712,130.00 in each locale
EXPECTED_PAYOUT = {
    "en_US": "$85,735.85",
    "da_DK": "85.735,85\xa0US$",
    "nl_NL": "US$\xa085.735,85",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_payee_advice_renders_in_each_locale_with_babel_amounts(
        db: Database, paid_upfront: int, locale: str) -> None:
    with db.session() as s:
        up = get_plan(s, paid_upfront).instructions[0]
        advice = advice_for(s, up, "payee", locale=locale)
        html = render_advice_html(advice)
    payout = format_currency(Money("85735.85", "USD").amount, "USD", locale=locale)
    assert payout in html
    if locale in EXPECTED_PAYOUT:
        assert EXPECTED_PAYOUT[locale] in html
    assert advice.rf_printed in html and "STX-2026-" in html
    assert f'lang="{locale.replace("_", "-")}"' in html
    # the withholding line carries its rule and rate, the VAT line too
    assert "treaty" in html and "7%" in html.replace("\xa0", "").replace(" ", "")


def test_each_party_gets_its_own_locale_and_currency(db: Database, paid_upfront: int) -> None:
    with db.session() as s:
        up = get_plan(s, paid_upfront).instructions[0]
        payer = advice_for(s, up, "payer")
        payee = advice_for(s, up, "payee")
    # the domestic buyer: zh_CN, asked for CNY 712,130.00 at 7.1213
    assert (payer.locale, payer.currency, payer.headline) == ("zh_CN", "CNY", "¥712,130.00")
    assert payer.title == "付款通知" and payer.rate == "7.1213"
    # the Hong Kong seller (HK sub-centre): zh_HK, paid USD
    assert (payee.locale, payee.currency) == ("zh_HK", "USD")
    assert payee.headline == format_currency(Money("85735.85", "USD").amount, "USD",
                                             locale="zh_HK")


def test_krw_advice_has_no_decimals_in_korean(db: Database, clock: FrozenClock, world: World,
                                             gate: TaxFilingGate) -> None:
    with db.transaction() as s:
        plan = create_plan(s, _single(world, "D-KRW-DOC", world.seller_kr, "KRW", "70000000",
                                      "CNY", "KRW", "KR", "KR-1"), now=clock.now(), actor=ACTOR,
                           config=CONFIG)
        advice = advice_for(s, plan.instructions[0], "payee")
    assert advice.locale == "ko_KR"
    assert advice.headline == "₩58,033,962"  # ISO 4217: KRW has no minor unit


def test_the_advice_pdf_embeds_a_cjk_font(db: Database, paid_upfront: int) -> None:
    with db.session() as s:
        up = get_plan(s, paid_upfront).instructions[0]
        pdf = render_advice_pdf(advice_for(s, up, "payer"))
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf and len(pdf) > 2000


def test_statement_of_account_csv_for_the_buyer(db: Database, clock: FrozenClock, world: World,
                                                paid_upfront: int) -> None:
    with db.session() as s:
        st = statement_of_account(s, world.buyer_cn, utc(2026, 11, 1), utc(2026, 12, 1))
    (escrow,) = [sec for sec in st.sections if sec.purpose == "buyer_escrow"]
    # 712,130.00 in (credit), 712,130.00 released (debit): opening 0, closing 0
    assert escrow.opening == Money("0.00", "CNY") and escrow.closing == Money("0.00", "CNY")
    assert [(ln.credit, ln.debit) for ln in escrow.lines] == [
        (Money("712130.00", "CNY"), None), (None, Money("712130.00", "CNY"))]
    rows = list(csv.DictReader(io.StringIO(statement_csv(st))))
    assert [re.sub(r"^STX-\S+ ", "", r["description"]) for r in rows if r["purpose"] == "buyer_escrow"] == [
        "opening balance", "funds received", "released: fees, taxes, seller payable",
        "closing balance"]
    assert rows[1]["credit"] == "712130.00" and rows[1]["description"].startswith("STX-2026-")
