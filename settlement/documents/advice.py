"""The settlement advice: what one party of an instruction needs to read, in its locale and
currency. The payer's advice asks for the pay-in amount and the reference to quote (less any deposit
applied, shown as its own row); the
payee's shows gross, fees, taxes (each with its rule and rate) and the payout with its rate."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import re

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape
from moneyed import Money
from sqlalchemy.orm import Session

from kernel.errors import InvalidInput
from kernel.money import minor_units
from kernel.parties import Organisation
from settlement.plans.models import SettlementInstruction
from settlement.plans.references import print_rf

from .labels import labels_for

LOCALES = ("zh_CN", "en_US", "en_CA", "nl_NL", "da_DK", "ko_KR", "zh_HK")
_COUNTRY_LOCALE = {"CN": "zh_CN", "HK": "zh_HK", "KR": "ko_KR", "DK": "da_DK", "NL": "nl_NL",
                   "CA": "en_CA", "US": "en_US"}
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class AdviceRow:
    key: str
    label: str
    amount: str          # formatted in the party's locale
    rule: str = ""
    rate: str = ""


@dataclass(frozen=True)
class Advice:
    party: str           # "payer" or "payee"
    locale: str
    currency: str        # the currency the party pays or is paid in
    title: str
    labels: dict[str, str]
    party_name: str
    deal_ref: str
    ref: str
    rf_printed: str
    due: str
    status: str
    rows: tuple[AdviceRow, ...]
    headline_label: str
    headline: str
    rate: str


def party_locale(org: Organisation) -> str:
    """The organisation's sub-centre's locale, else one for its country, else en_US."""
    if org.subcentre is not None and org.subcentre.locale in LOCALES:
        return org.subcentre.locale
    return _COUNTRY_LOCALE.get(org.country, "en_US")


def money(m: Money, locale: str) -> str:
    """Babel's currency format for the locale, with exactly the currency's ISO 4217 decimals
    (from ``kernel.currencies``, not CLDR's, which differ for a few currencies): the locale's
    pattern with its fraction part rewritten to that many digits."""
    digits = minor_units(m.currency.code)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    pattern = re.sub(r"0\.0+", "0" + ("." + "0" * digits if digits else ""), pattern)
    return format_currency(m.amount, m.currency.code, format=pattern, locale=locale,
                           currency_digits=False)


def _rate(rate: Decimal | None, locale: str) -> str:
    return "" if rate is None else format_decimal(rate, format="#,##0.##########", locale=locale)


def advice_for(session: Session, instr: SettlementInstruction, party: str,
               locale: str | None = None) -> Advice:
    """Build the advice of ``party`` ("payer" or "payee") for ``instr``."""
    if party not in ("payer", "payee"):
        raise InvalidInput("party is payer or payee", field="party")
    org = session.get(Organisation, instr.payer_org_id if party == "payer" else instr.payee_org_id)
    assert org is not None
    loc = locale or party_locale(org)
    if loc not in LOCALES:
        raise InvalidInput(f"advice locales are {', '.join(LOCALES)}", field="locale")
    words = labels_for(loc)
    plan = instr.plan
    rows: list[AdviceRow] = []
    if party == "payer":
        currency = instr.payin_currency
        gross = instr.line("gross")
        assert gross is not None
        rows.append(AdviceRow("gross", words["gross"], money(gross.amount, loc)))
        if instr.deposit_minor:
            # the deposit the exchange already holds: not asked for again
            rows.append(AdviceRow("deposit_applied", words["deposit_applied"],
                                  money(-instr.deposit, loc),
                                  rule=(f"= {money(instr.deposit_booked, loc)}"
                                        if instr.deposit_booked_minor is not None
                                        and instr.payin_currency != instr.gross_currency
                                        else "")))
        headline_label = words["amount_to_pay"]
        headline = money(instr.payin, loc) if instr.payin_minor is not None else "-"
        rate = (_rate(instr.payin_rate, loc)
                if instr.payin_currency != instr.gross_currency else "")
    else:
        currency = instr.payout_currency
        for ln in instr.lines:
            if ln.kind == "fx_margin":
                continue
            rows.append(AdviceRow(
                ln.kind, words.get(ln.kind, ln.kind), money(ln.amount, loc), ln.rule,
                format_percent(ln.rate, "#,##0.##%", locale=loc)
                if ln.rate is not None and ln.kind in ("vat", "withholding") else ""))
        headline_label = words["payout"]
        headline = money(instr.payout, loc) if instr.payout_minor is not None else "-"
        rate = (_rate(instr.payout_rate, loc)
                if instr.payout_currency != instr.gross_currency else "")
    due = format_date(instr.due_on, format="long", locale=loc) if instr.due_on else \
        (instr.due_event or "")
    return Advice(party=party, locale=loc, currency=currency,
                  title=words["title_payer" if party == "payer" else "title_payee"],
                  labels=words, party_name=org.legal_name, deal_ref=plan.deal_ref, ref=instr.ref,
                  rf_printed=print_rf(instr.rf_reference), due=due, status=instr.status,
                  rows=tuple(rows), headline_label=headline_label, headline=headline, rate=rate)


def render_advice_html(advice: Advice) -> str:
    return _ENV.get_template("advice.html").render(a=advice, generated=dt.date.today())
