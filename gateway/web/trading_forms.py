"""Trading forms as the services take them: an amount typed by a person (grouping commas
allowed, then parsed exactly in the currency) and an offer's terms."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from moneyed import Money

from gateway.listings.models import TRANSACTION_TYPES, Listing
from gateway.trading import negotiation
from kernel.money import parse_amount

OFFER_FIELDS = ("amount", "transaction_type", "territory", "upfront_due_days")


def typed_amount(raw: str, currency: str) -> Money:
    """A typed amount: grouping commas and spaces are dropped, then parsed exactly."""
    cleaned = "".join(c for c in raw if c not in ", \u00a0，")
    return parse_amount(cleaned, currency)


def offer_terms(form: Any, listing: Listing) -> tuple[dict[str, Any], dict[str, str]]:
    """An offer's terms from the form (transaction type, territory, days until the upfront
    payment falls due), with the form's values to show again."""
    values = offer_values(form)
    tx = values["transaction_type"] if values["transaction_type"] in TRANSACTION_TYPES else listing.transaction_type
    territory = [t.strip().upper() for t in values["territory"].replace("，", ",").replace(";", ",").split(",")
                 if t.strip()] or list(listing.territory)
    if any(len(t) != 2 or not t.isalpha() for t in territory):
        raise ValueError(_("Territory: two-letter country codes separated by commas."))
    days = values["upfront_due_days"] or "30"
    if not days.isdigit() or not 0 <= int(days) <= 365:
        raise ValueError(_("Days until the payment is due: a whole number from 0 to 365."))
    return {"transaction_type": tx, "territory": territory, "upfront_due_days": int(days)}, values


def offer_currency(listing: Listing, form: Any) -> str:
    return listing.headline_price_currency or form.get("currency", "").strip().upper() or "USD"


def offer_values(form: Any) -> dict[str, str]:
    """The offer form's fields as typed, to show again beside an error."""
    return {k: form.get(k, "").strip() for k in OFFER_FIELDS}


def submit_offer(session: Any, negotiation_id: int, side: str, listing: Listing, form: Any, *,
                 now: dt.datetime, actor: str) -> Money:
    """Parse the offer form and make the offer for ``side``; ValueError for a form a person
    must correct, the service's DomainError for a refusal. Returns the amount offered."""
    terms, values = offer_terms(form, listing)
    amount = typed_amount(values["amount"], offer_currency(listing, form))
    negotiation.make_offer(session, negotiation_id, side, amount, terms, now=now, actor=actor)
    return amount
