"""Domestic buyers' pages: the "bring in" catalogue (filters, zh/en search, prices in the
buyer's currency next to the original), a listing's detail (never the reserve price), and the
settlement instructions they have to pay with links to their advices."""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.listings.api import load_listing
from gateway.listings.codes import TECHNOLOGY_FIELDS, normalise_ipc_prefix
from gateway.listings.models import TRANSACTION_TYPES, Listing
from gateway.listings.search import SearchQuery, search_listings
from gateway.web.helpers import convert_for_display, display_currency, refused
from gateway.web.trading_state import buyer_trading
from gateway.web.views import bp
from kernel.errors import DomainError, NotFound
from settlement.plans import SettlementInstruction

BUYERS = ("buyer", "admin")
PAGE_SIZE = 20
#: instructions a payer still has to act on or wait for
OPEN_FOR_PAYER = ("scheduled", "due", "funds_received", "held")


def _int(raw: str | None, lo: int, hi: int) -> int | None:
    if raw and raw.strip().isdigit() and lo <= int(raw) <= hi:
        return int(raw)
    return None


@bp.get("/catalogue")
@allow(*BUYERS)
def catalogue() -> ResponseReturnValue:
    principal = require_principal()
    session = db_session()
    args = request.args
    values = {k: args.get(k, "") for k in ("q", "field", "ipc", "trl_min", "trl_max", "transaction_type")}
    errors: dict[str, list[str]] = {}
    ipc = None
    if values["ipc"].strip():
        try:
            ipc = normalise_ipc_prefix(values["ipc"])
        except DomainError as exc:
            errors["ipc"] = [exc.detail]
    q = SearchQuery(text=values["q"].strip() or None, direction="inbound",
                    technology_field=values["field"] if values["field"] in TECHNOLOGY_FIELDS else None,
                    ipc_prefix=ipc, trl_min=_int(values["trl_min"], 1, 9), trl_max=_int(values["trl_max"], 1, 9),
                    transaction_type=values["transaction_type"] if values["transaction_type"] in TRANSACTION_TYPES else None)
    rows: list[Any] = []
    nxt = None
    if not errors:
        try:
            rows, nxt = search_listings(session, principal, q, now=get_clock().now(),
                                        cursor=args.get("cursor") or None, limit=PAGE_SIZE)
        except DomainError as exc:
            errors[exc.field or "q"] = [exc.detail]
    ccy = display_currency(session, principal, get_clock().now().date())
    cache: dict[str, Any] = {}
    today = get_clock().now().date()
    items = [(listing, convert_for_display(session, listing.headline_price, ccy, today, cache)) for listing, _ in rows]
    next_args = {**{k: v for k, v in values.items() if v}, "cursor": nxt} if nxt else None
    return render_template("buyer/catalogue.html", items=items, values=values, errors=errors, currency=ccy,
                           next_args=next_args, fields=TECHNOLOGY_FIELDS, transaction_types=TRANSACTION_TYPES)


@bp.get("/catalogue/<int:listing_id>")
@allow(*BUYERS)
def catalogue_listing(listing_id: int) -> ResponseReturnValue:
    return listing_page(catalogue_item(listing_id))


def catalogue_item(listing_id: int) -> Listing:
    """A listing of the bring-in catalogue the caller may read (404 otherwise)."""
    listing = load_listing(listing_id, require_principal())
    if listing.direction != "inbound":
        raise NotFound(f"no listing {listing_id} in the bring-in catalogue")
    return listing


def listing_page(listing: Listing, error: str | None = None, status: int = 200,
                 values: dict[str, str] | None = None) -> ResponseReturnValue:
    """A listing's page with its trading for the caller's organisation; ``error``: why the
    last step was refused (the page answers 200, with the step rolled back)."""
    principal = require_principal()
    status = refused(status)
    session = db_session()
    now = get_clock().now()
    ccy = display_currency(session, principal, now.date())
    price = convert_for_display(session, listing.headline_price, ccy, now.date())
    org = principal.organisation_id if principal.role == "buyer" else None
    return render_template("buyer/listing.html", listing=listing, price=price, currency=ccy,
                           trading=buyer_trading(session, listing, org, now), error=error,
                           values=values or {}, transaction_types=TRANSACTION_TYPES), status


@bp.get("/payments")
@allow("buyer")
def buyer_payments() -> ResponseReturnValue:
    principal = require_principal()
    instructions = db_session().execute(
        select(SettlementInstruction)
        .where(SettlementInstruction.payer_org_id == principal.organisation_id,
               SettlementInstruction.status.in_(OPEN_FOR_PAYER))
        .order_by(SettlementInstruction.due_on.is_(None), SettlementInstruction.due_on, SettlementInstruction.id)
    ).scalars().all()
    return render_template("buyer/payments.html", instructions=instructions, today=get_clock().now().date())
