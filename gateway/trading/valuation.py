"""Price guidance for a listing: comparable past deals, and a relief-from-royalty calculator.

Comparables are deals struck on listings with the same technology field and transaction type,
a TRL in the same band (1-3, 4-6, 7-9), and at least one IPC subclass in common. Each deal's
price is converted into the listing's currency (its sub-centre's home currency when it has
no price) at the rate of the deal's date (the stored
reference rates; a deal no rate converts is listed, unconverted, and left out of the range).
The range is the minimum, lower quartile, median, upper quartile and maximum. Buyers see the
range and the comparables' prices, dates and shared traits, never their parties or listings;
so do sellers (the API's ``sees_parties``: only the exchange's people see the parties).

Relief from royalty: value = sum over the remaining years t = 1..n of
rate x revenue_t / (1 + discount)^t (end-of-year discounting), every step returned.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.listings.models import Listing
from kernel.errors import DomainError
from kernel.money import from_minor, quantize, to_minor

from .errors import InvalidTrading
from .models import Deal


def trl_band(trl: int) -> str:
    return "1-3" if trl <= 3 else "4-6" if trl <= 6 else "7-9"


def _subclasses(ipc: list[str] | tuple[str, ...]) -> set[str]:
    return {s.replace(" ", "")[:4] for s in ipc}


def _quartile(sorted_minor: list[int], q: Decimal) -> int:
    """Linear interpolation between closest ranks (the 'inclusive' method)."""
    if len(sorted_minor) == 1:
        return sorted_minor[0]
    pos = q * (len(sorted_minor) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_minor) - 1)
    value = Decimal(sorted_minor[lo]) + (Decimal(sorted_minor[hi]) - sorted_minor[lo]) * (pos - lo)
    return int(value.quantize(Decimal(1), ROUND_HALF_EVEN))


def comparables(session: Session, listing: Listing, *, max_staleness_business_days: int = 5,
                limit: int = 50) -> dict[str, Any]:
    from kernel.parties import SubCentre
    from settlement.fx.convert import convert, find_rate
    from settlement.fx.store import DbRateSource

    ccy = listing.headline_price_currency or session.get(SubCentre, listing.subcentre_id).home_currency
    mine = _subclasses(listing.ipc_classes or ())
    band = trl_band(listing.trl)
    rows = session.execute(
        select(Deal, Listing).join(Listing, Listing.id == Deal.listing_id).where(
            Listing.technology_field == listing.technology_field,
            Deal.transaction_type == listing.transaction_type,
            Deal.listing_id != listing.id).order_by(Deal.struck_at.desc())).all()
    source = DbRateSource(session)
    out, converted = [], []
    for deal, other in rows:
        shared = sorted(mine & _subclasses(other.ipc_classes or ()))
        if not shared or trl_band(other.trl) != band:
            continue
        value: Money | None = deal.price
        if deal.currency != ccy:
            try:
                quote = find_rate(source, deal.currency, ccy, deal.struck_at.date(),
                                  max_staleness_business_days)
                value = convert(deal.price, ccy, quote)
            except DomainError:
                value = None
        if value is not None:
            converted.append(to_minor(value))
        out.append({"deal_reference": deal.reference, "listing_id": other.id,
                    "buyer_org_id": deal.buyer_org_id, "seller_org_id": deal.seller_org_id,
                    "struck_on": deal.struck_at.date(), "price": deal.price, "converted": value,
                    "trl": other.trl, "shared_ipc": shared, "channel": deal.channel})
        if len(out) >= limit:
            break
    converted.sort()
    price_range = None
    if converted:
        price_range = {name: from_minor(_quartile(converted, Decimal(q)), ccy) for name, q in
                       (("minimum", 0), ("lower_quartile", "0.25"), ("median", "0.5"),
                        ("upper_quartile", "0.75"), ("maximum", 1))}
    return {"listing_id": listing.id, "currency": ccy, "criteria": {
        "technology_field": listing.technology_field, "transaction_type": listing.transaction_type,
        "trl_band": band, "ipc_subclasses": sorted(mine)}, "count": len(converted),
        "range": price_range, "comparables": out}


def for_buyers(guidance: dict[str, Any]) -> dict[str, Any]:
    """The same guidance without the comparables' parties and listings (what buyers and
    sellers see)."""
    hidden = ("deal_reference", "listing_id", "buyer_org_id", "seller_org_id")
    return {**guidance, "comparables": [{k: v for k, v in c.items() if k not in hidden}
                                        for c in guidance["comparables"]]}


def relief_from_royalty(*, royalty_rate: Decimal, revenues: list[Money], discount_rate: Decimal,
                        first_year: int | None = None) -> dict[str, Any]:
    """Present value of the royalties saved by owning the technology (see the module
    docstring); ``revenues`` are the projected net sales of each remaining year of patent
    life, in one currency."""
    if not revenues:
        raise InvalidTrading("give the projected revenue of each remaining year", field="revenues")
    if not Decimal(0) < royalty_rate < Decimal(1):
        raise InvalidTrading("the royalty rate is a fraction between 0 and 1", field="royalty_rate")
    if not Decimal(0) <= discount_rate < Decimal(1):
        raise InvalidTrading("the discount rate is a fraction between 0 and 1", field="discount_rate")
    ccy = revenues[0].currency.code
    if any(r.currency.code != ccy for r in revenues):
        raise InvalidTrading("all revenues in one currency", field="revenues")
    steps, total = [], Decimal(0)
    for t, revenue in enumerate(revenues, start=1):
        royalty = revenue.amount * royalty_rate
        factor = Decimal(1) / (Decimal(1) + discount_rate) ** t
        pv = royalty * factor
        total += pv
        steps.append({"year": (first_year + t - 1) if first_year else t, "revenue": revenue,
                      "royalty": quantize(royalty, ccy), "discount_factor": factor.quantize(Decimal("0.000001")),
                      "present_value": quantize(pv, ccy)})
    return {"inputs": {"royalty_rate": royalty_rate, "discount_rate": discount_rate,
                       "years": len(revenues), "currency": ccy},
            "formula": "sum over t of royalty_rate x revenue_t / (1 + discount_rate)^t",
            "steps": steps, "value": quantize(total, ccy)}


def remaining_years(listing: Listing, today: dt.date) -> int | None:
    """Whole years of patent life left (the latest expiry among the listing's patents)."""
    expiries = [a.expires_on for a in listing.assets if a.kind == "patent" and a.expires_on]
    if not expiries:
        return None
    return max(0, (max(expiries) - today).days // 365)
