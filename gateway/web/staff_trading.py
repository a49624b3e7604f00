"""Sub-centre staff: the trading on one of their listings -- auctions with the bid log (bidders
named) once closed, negotiations with every offer (and the seller side's counter-offer and
acceptance, through the same service the API calls), fixed-price notices with the buyers who
registered, and the deal. Staff of another sub-centre are told the listing does not exist."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.listings.access import owns
from gateway.listings.api import load_listing
from gateway.listings.models import TRANSACTION_TYPES, Listing
from gateway.trading import negotiation
from gateway.web.helpers import money, refused
from gateway.web.trading_forms import offer_values, submit_offer
from gateway.web.trading_labels import refusal_text
from gateway.web.trading_state import staff_trading
from gateway.web.views import bp
from kernel.errors import DomainError, NotFound

STAFF = ("subcentre_staff", "admin")


def _own_listing(listing_id: int) -> Listing:
    p = require_principal()
    listing = load_listing(listing_id, p)
    if not (p.role == "admin" or owns(p, listing)):
        raise NotFound(f"no listing {listing_id}")
    return listing


def _page(listing: Listing, error: str | None = None, status: int = 200,
          values: dict[str, str] | None = None, negotiation_id: int | None = None) -> ResponseReturnValue:
    status = refused(status)
    return render_template("staff/trading.html", listing=listing, t=staff_trading(db_session(), listing),
                           error=error, error_for=negotiation_id, values=values or {},
                           transaction_types=TRANSACTION_TYPES), status


@bp.get("/staff/listings/<int:listing_id>/trading")
@allow(*STAFF)
def staff_listing_trading(listing_id: int) -> ResponseReturnValue:
    return _page(_own_listing(listing_id))


def _seller_negotiation(negotiation_id: int) -> tuple[int, Listing]:
    n = negotiation.get_negotiation(db_session(), negotiation_id)
    return n.id, _own_listing(n.listing_id)


@bp.post("/staff/negotiations/<int:negotiation_id>/offer")
@allow(*STAFF)
def staff_offer(negotiation_id: int) -> ResponseReturnValue:
    """A counter-offer from the seller side."""
    p = require_principal()
    nid, listing = _seller_negotiation(negotiation_id)
    values = offer_values(request.form)
    try:
        amount = submit_offer(db_session(), nid, "seller", listing, request.form,
                              now=get_clock().now(), actor=p.actor)
    except ValueError as exc:
        return _page(listing, str(exc), 422, values, nid)
    except DomainError as exc:
        return _page(listing, refusal_text(exc), 409, values, nid)
    flash(_("The seller side's offer of %(amount)s is sent to the buyer.", amount=money(amount)))
    return redirect(url_for("web.staff_listing_trading", listing_id=listing.id))


@bp.post("/staff/negotiations/<int:negotiation_id>/accept")
@allow(*STAFF)
def staff_accept(negotiation_id: int) -> ResponseReturnValue:
    p = require_principal()
    nid, listing = _seller_negotiation(negotiation_id)
    try:
        negotiation.accept(db_session(), nid, "seller", now=get_clock().now(), actor=p.actor)
    except DomainError as exc:
        return _page(listing, refusal_text(exc), 409, None, nid)
    flash(_("The buyer's offer is accepted: the agreed price is under public notice."))
    return redirect(url_for("web.staff_listing_trading", listing_id=listing.id))
