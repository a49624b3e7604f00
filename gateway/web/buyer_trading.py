"""Buyers trading through the pages: register interest and make or accept offers (negotiated
price), register for an auction (deposit held) and bid on its live page, register intent in a
fixed-price notice, and read their deals with the instalments due and the advices.

Every step calls the service the API calls (``gateway.trading.negotiation``, ``auctions``,
``fixed_price``) for the caller's own organisation; a refusal comes back on the page in the
reader's words, with nothing written."""
from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock, get_db
from gateway.listings.models import Listing
from gateway.trading import auctions, fixed_price, negotiation
from gateway.trading.models import Auction, Negotiation
from gateway.web import trading_labels
from gateway.web.buyer import catalogue_item, listing_page
from gateway.web.helpers import money, refused
from gateway.web.trading_forms import offer_values, submit_offer, typed_amount
from gateway.web.trading_labels import refusal_text
from gateway.web.trading_state import amount_step, buyer_deals, live_auction, when_in
from gateway.web.views import bp
from kernel.errors import DomainError, NotFound, PermissionDenied

#: how often the live auction page asks for the latest figures
POLL_SECONDS = 2


@bp.app_context_processor
def _trading_words() -> dict[str, Any]:
    return {**trading_labels.context(), "fmt_when_in": when_in}


def _org() -> int:
    p = require_principal()
    if p.organisation_id is None:
        raise PermissionDenied("your user is not linked to an organisation")
    return p.organisation_id


def _back(listing_id: int, message: str) -> ResponseReturnValue:
    flash(message)
    return redirect(url_for("web.catalogue_listing", listing_id=listing_id) + "#trading")


# -- negotiated price ----------------------------------------------------------------------------

@bp.post("/catalogue/<int:listing_id>/interest")
@allow("buyer")
def buyer_register_interest(listing_id: int) -> ResponseReturnValue:
    p = require_principal()
    listing = catalogue_item(listing_id)
    try:
        negotiation.register_interest(db_session(), listing.id, _org(), now=get_clock().now(), actor=p.actor)
    except DomainError as exc:
        return listing_page(listing, refusal_text(exc), 409)
    return _back(listing.id, _("Your interest is registered: you may now make an offer."))


def _own_negotiation(negotiation_id: int) -> tuple[Negotiation, Listing]:
    n = negotiation.get_negotiation(db_session(), negotiation_id)
    if n.buyer_org_id != _org():
        raise NotFound(f"no negotiation {negotiation_id}")
    return n, catalogue_item(n.listing_id)


@bp.post("/negotiations/<int:negotiation_id>/offer")
@allow("buyer")
def buyer_offer(negotiation_id: int) -> ResponseReturnValue:
    p = require_principal()
    n, listing = _own_negotiation(negotiation_id)
    values = offer_values(request.form)
    try:
        amount = submit_offer(db_session(), n.id, "buyer", listing, request.form,
                              now=get_clock().now(), actor=p.actor)
    except ValueError as exc:
        return listing_page(listing, str(exc), 422, values)
    except DomainError as exc:
        return listing_page(listing, refusal_text(exc), 409, values)
    return _back(listing.id, _("Your offer of %(amount)s is sent to the seller.", amount=money(amount)))


@bp.post("/negotiations/<int:negotiation_id>/accept")
@allow("buyer")
def buyer_accept(negotiation_id: int) -> ResponseReturnValue:
    p = require_principal()
    n, listing = _own_negotiation(negotiation_id)
    try:
        negotiation.accept(db_session(), n.id, "buyer", now=get_clock().now(), actor=p.actor)
    except DomainError as exc:
        return listing_page(listing, refusal_text(exc), 409)
    return _back(listing.id, _("You accepted the seller's offer: the agreed price is under public notice."))


@bp.post("/negotiations/<int:negotiation_id>/withdraw")
@allow("buyer")
def buyer_withdraw(negotiation_id: int) -> ResponseReturnValue:
    p = require_principal()
    n, listing = _own_negotiation(negotiation_id)
    try:
        negotiation.withdraw(db_session(), n.id, "buyer", now=get_clock().now(), actor=p.actor,
                             reason="withdrawn by the buyer")
    except DomainError as exc:
        return listing_page(listing, refusal_text(exc), 409)
    return _back(listing.id, _("You withdrew from the negotiation."))


# -- fixed price ---------------------------------------------------------------------------------

@bp.post("/notices/<int:notice_id>/intent")
@allow("buyer")
def buyer_register_intent(notice_id: int) -> ResponseReturnValue:
    p = require_principal()
    notice = fixed_price.get_notice(db_session(), notice_id)
    listing = catalogue_item(notice.listing_id)
    try:
        fixed_price.register_intent(db_session(), notice.id, _org(), now=get_clock().now(), actor=p.actor)
    except DomainError as exc:
        return listing_page(listing, refusal_text(exc), 409)
    return _back(listing.id, _("Your intent to buy is registered and your deposit is held."))


# -- auctions ------------------------------------------------------------------------------------

def _auction(auction_id: int) -> tuple[Auction, Listing]:
    a = auctions.get_auction(db_session(), auction_id)
    return a, catalogue_item(a.listing_id)


@bp.post("/auctions/<int:auction_id>/register")
@allow("buyer")
def buyer_auction_register(auction_id: int) -> ResponseReturnValue:
    p = require_principal()
    a, listing = _auction(auction_id)
    try:
        auctions.register(db_session(), a.id, _org(), now=get_clock().now(), actor=p.actor)
    except DomainError as exc:
        return listing_page(listing, refusal_text(exc), 409)
    flash(_("You are registered for the auction and your deposit is held."))
    return redirect(url_for("web.buyer_auction", auction_id=a.id))


def _auction_page(a: Auction, listing: Listing, error: str | None = None, status: int = 200,
                  amount: str | None = None) -> ResponseReturnValue:
    status = refused(status)
    live = live_auction(db_session(), a, _org(), get_clock().now())
    return render_template("buyer/auction.html", auction=a, listing=listing, live=live, error=error,
                           amount=amount if amount is not None else live["minimum_amount"],
                           step=amount_step(a.currency), poll_ms=POLL_SECONDS * 1000), status


@bp.get("/auctions/<int:auction_id>")
@allow("buyer")
def buyer_auction(auction_id: int) -> ResponseReturnValue:
    a, listing = _auction(auction_id)
    return _auction_page(a, listing)


@bp.get("/auctions/<int:auction_id>/live.json")
@allow("buyer")
def buyer_auction_live(auction_id: int) -> ResponseReturnValue:
    """The live page's figures (polled by its script): what ``auctions.buyer_view`` gives the
    caller's organisation, formatted for the caller's locale."""
    a, _listing = _auction(auction_id)
    resp = jsonify(live_auction(db_session(), a, _org(), get_clock().now()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/auctions/<int:auction_id>/bid")
@allow("buyer")
def buyer_bid(auction_id: int) -> ResponseReturnValue:
    p = require_principal()
    a, listing = _auction(auction_id)
    raw = request.form.get("amount", "")
    try:
        # ``bid`` keeps a refused bid (reason, amount, time) in the auction's log
        bid = auctions.bid(get_db(), db_session(), a.id, _org(), typed_amount(raw, a.currency),
                           now=get_clock().now(), actor=p.actor)
    except DomainError as exc:
        return _auction_page(a, listing, refusal_text(exc), 409, raw)
    flash(_("Your bid of %(amount)s is in.", amount=money(bid.amount)))
    return redirect(url_for("web.buyer_auction", auction_id=a.id))


# -- deals ---------------------------------------------------------------------------------------

@bp.get("/deals")
@allow("buyer")
def buyer_deals_page() -> ResponseReturnValue:
    return render_template("buyer/deals.html", deals=buyer_deals(db_session(), _org()),
                           today=get_clock().now().date())
