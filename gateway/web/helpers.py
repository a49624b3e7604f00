"""What the pages share: money and dates formatted by Babel, form errors from domain errors,
server-rendered SVG bar charts, and a buyer's display currency with stored FX rates."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import get_territory_currencies
from flask import g
from flask_babel import format_currency, format_date, format_datetime
from markupsafe import Markup, escape
from moneyed import Money

from kernel.errors import DomainError
from kernel.parties import Organisation, SubCentre
from settlement.fx import FxError, convert, find_rate
from settlement.fx.store import DbRateSource

#: FX rates older than this many business days are not used for display
DISPLAY_RATE_STALENESS_DAYS = 5
#: the zone of domestic users (buyers, finance, compliance at the exchange)
EXCHANGE_TIMEZONE = "Asia/Shanghai"


def money(value: Money | None) -> str:
    """An amount in the user's locale, with the ISO code where the symbol alone is ambiguous
    (en ``$250,000.00 USD`` and ``CN¥1,820,000.00``; zh ``US$250,000.00`` and ``¥1,820,000.00 CNY``)."""
    if value is None:
        return ""
    code = value.currency.code
    text = format_currency(value.amount, code)
    return text if code[:2] in text or code in text else f"{text} {code}"


def when(value: dt.datetime | dt.date | None) -> str:
    """A date-time in the user's locale and zone (the Babel timezone selector's zone)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "medium")
    return format_date(value, "medium")


def timezone_of(session: Any, principal: Any) -> str:
    """Staff see times in their sub-centre's zone; everyone else in the exchange's."""
    if principal is not None and principal.subcentre_id is not None:
        sc = session.get(SubCentre, principal.subcentre_id)
        if sc is not None and sc.timezone:
            try:
                ZoneInfo(sc.timezone)
                return sc.timezone
            except (KeyError, ValueError):
                pass
    return EXCHANGE_TIMEZONE


def form_errors(exc: DomainError) -> dict[str, list[str]]:
    """A domain error's messages keyed by field (``_form`` for what no field owns)."""
    errors = exc.extra.get("errors") if isinstance(exc.extra.get("errors"), dict) else None
    if errors:
        return {k: list(v) if isinstance(v, list) else [str(v)] for k, v in errors.items()}
    return {exc.field or "_form": [exc.detail]}


def marshmallow_errors(messages: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and all(isinstance(m, str) for m in value):
            out.setdefault(prefix.split(".")[0] or "_form", []).extend(value)
        else:
            out.setdefault(prefix.split(".")[0] or "_form", []).append(str(value))

    walk("", messages)
    return out


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 320, bar_height: int = 22) -> Markup:
    """A horizontal bar chart as inline SVG (scales with the page; a title and per-bar text for
    screen readers)."""
    gap, char_w = 6, 7  # about 7 units per character at font-size 12 (CJK counted twice)
    text_w = lambda t: sum(2 if ord(c) > 0x2E80 else 1 for c in t) * char_w + 10
    label_w = max((text_w(b.label) for b in bars), default=60)
    note_w = max((text_w(b.note or _num(b.value)) for b in bars), default=30)
    width = max(width, label_w + note_w + 120)
    height = max(1, len(bars)) * (bar_height + gap) + gap
    top = max((b.value for b in bars), default=0) or 1
    parts = [(f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
              f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
              f'<title>{escape(title)}</title>')]
    span = width - label_w - note_w
    for i, bar in enumerate(bars):
        y = gap + i * (bar_height + gap)
        w = max(1.0, span * bar.value / top) if bar.value else 0
        parts.append(
            f'<g><text x="0" y="{y + bar_height * 0.7:.1f}" font-size="12">{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="#0b6e4f">'
            f'<title>{escape(bar.label)}: {escape(bar.note or _num(bar.value))}</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="12">'
            f'{escape(bar.note or _num(bar.value))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:,.2f}"


def display_currency(session: Any, principal: Any, on: dt.date) -> str:
    """A buyer's currency: the home currency of their organisation's country (Babel's
    territory data), CNY for domestic buyers and whenever that is unknown."""
    if principal is not None and principal.organisation_id is not None:
        org = session.get(Organisation, principal.organisation_id)
        if org is not None and org.country:
            current = get_territory_currencies(org.country, on)  # [] for an unknown code
            if current:
                return current[0]
    return "CNY"


@dataclass(frozen=True)
class Converted:
    original: Money
    converted: Money | None  # None: no usable rate
    as_of: dt.date | None = None


def convert_for_display(session: Any, price: Money | None, to_ccy: str, on: dt.date,
                        cache: dict[str, Any] | None = None) -> Converted | None:
    """``price`` in ``to_ccy`` at the stored mid rate of ``on`` (or a recent day); the
    conversion is refused (``converted=None``) when no fresh rate exists."""
    if price is None:
        return None
    ccy = price.currency.code
    if ccy == to_ccy:
        return Converted(price, price, on)
    cache = {} if cache is None else cache
    if ccy not in cache:
        try:
            cache[ccy] = find_rate(DbRateSource(session), ccy, to_ccy, on, DISPLAY_RATE_STALENESS_DAYS)
        except FxError:
            cache[ccy] = None
    quote = cache[ccy]
    if quote is None:
        return Converted(price, None)
    return Converted(price, convert(price, to_ccy, quote), quote.as_of)


def principal() -> Any:
    return g.get("principal")


def refused(status: int) -> int:
    """The status of a page that answers a refused form: 200, as browsers expect of a form
    (Chromium logs a 4xx page as a console error), with the request's session rolled back
    first so that nothing half-done is committed. ``status`` is the refusal's HTTP status,
    kept for the reader; 200 passes through."""
    if status >= 400:
        from gateway.db import db_session

        db_session().rollback()
    return 200
