"""Negotiated price: interest, offers, acceptance, withdrawal, signing; the public notices of agreed prices."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from gateway.auth.access import AUTHENTICATED, allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from gateway.idempotency import idempotent
from gateway.listings.models import Listing
from kernel.errors import NotFound, PermissionDenied

from .. import negotiation
from ..models import Negotiation
from ..schemas import (
    ContractSigningArgs,
    NegotiationCreateSchema,
    NegotiationSchema,
    NegotiationWithdrawArgs,
    OfferArgs,
    OfferSchema,
    PriceNoticePageSchema,
)
from .common import OVERSIGHT, STAFF, _buyer_org, _listing, _staff_of, blp


def _load_negotiation(negotiation_id: int, p: Principal) -> tuple[Negotiation, Listing, str | None]:
    """The negotiation and the side the caller acts for (None: read only)."""
    n = negotiation.get_negotiation(db_session(), negotiation_id)
    listing = _listing(n.listing_id)
    side = None
    if p.role == "buyer" and p.organisation_id == n.buyer_org_id:
        side = "buyer"
    elif _staff_of(p, listing) or (p.role == "seller" and p.organisation_id == listing.seller_id):
        side = "seller"
    elif p.role not in OVERSIGHT:
        raise NotFound(f"no negotiation {negotiation_id}")
    return n, listing, side


def _side(p: Principal, negotiation_id: int) -> str:
    _n, _l, side = _load_negotiation(negotiation_id, p)
    if side is None:
        raise PermissionDenied("you are not a party to this negotiation")
    return side


@blp.route("/negotiations")
class Negotiations(MethodView):
    @allow("buyer")
    @idempotent
    @blp.arguments(NegotiationCreateSchema)
    @blp.response(201, NegotiationSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register the caller's organisation's interest in a negotiated-price listing."""
        p = require_principal()
        return negotiation.register_interest(db_session(), args["listing_id"], _buyer_org(p),
                                             now=get_clock().now(), actor=p.actor,
                                             notice_days=args["notice_days"]), 201


@blp.route("/negotiations/<int:negotiation_id>")
class NegotiationItem(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin", "finance", "compliance_officer")
    @blp.response(200, NegotiationSchema)
    def get(self, negotiation_id: int) -> Negotiation:
        n, _l, _s = _load_negotiation(negotiation_id, require_principal())
        return n


@blp.route("/negotiations/<int:negotiation_id>/offers")
class Offers(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin")
    @blp.arguments(OfferArgs)
    @blp.response(201, OfferSchema)
    def post(self, args: dict[str, Any], negotiation_id: int) -> Any:
        """An offer or counter-offer from the caller's side, in turn."""
        p = require_principal()
        return negotiation.make_offer(db_session(), negotiation_id, _side(p, negotiation_id),
                                      args["amount"], args["terms"], now=get_clock().now(),
                                      actor=p.actor), 201


@blp.route("/negotiations/<int:negotiation_id>/accept")
class Accept(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin")
    @blp.response(200, NegotiationSchema)
    def post(self, negotiation_id: int) -> Negotiation:
        """Accept the other side's latest offer: agreed; the public notice starts."""
        p = require_principal()
        return negotiation.accept(db_session(), negotiation_id, _side(p, negotiation_id),
                                  now=get_clock().now(), actor=p.actor)


@blp.route("/negotiations/<int:negotiation_id>/withdraw")
class Withdraw(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin")
    @blp.arguments(NegotiationWithdrawArgs)
    @blp.response(200, NegotiationSchema)
    def post(self, args: dict[str, Any], negotiation_id: int) -> Negotiation:
        p = require_principal()
        return negotiation.withdraw(db_session(), negotiation_id, _side(p, negotiation_id),
                                    now=get_clock().now(), actor=p.actor, reason=args["reason"])


@blp.route("/negotiations/<int:negotiation_id>/contract")
class NegotiationContract(MethodView):
    @allow(*STAFF)
    @blp.arguments(ContractSigningArgs)
    @blp.response(200, NegotiationSchema)
    def post(self, args: dict[str, Any], negotiation_id: int) -> Negotiation:
        """After the notice period: the contract is signed and the deal struck."""
        p = require_principal()
        if _side(p, negotiation_id) != "seller":
            raise PermissionDenied("staff of the listing's sub-centre record the signing")
        return negotiation.sign_contract(db_session(), negotiation_id, args["signed_on"],
                                         now=get_clock().now(), actor=p.actor)


@blp.route("/notices")
class Notices(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, PriceNoticePageSchema)
    def get(self) -> dict[str, Any]:
        """Agreed negotiated prices under public notice: the achievement and the price."""
        s = db_session()
        rows = s.execute(select(Negotiation).where(Negotiation.state == "agreed")
                         .order_by(Negotiation.id).limit(200)).scalars()
        return {"items": [negotiation.public_notice(s, n) for n in rows]}
