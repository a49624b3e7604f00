"""Buyers' demands (posted, read, closed) and their matches; the demands a listing matches;
why buyers pass on a listing (recorded by the buyer, read by the listing's sub-centre)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView

from gateway.auth.access import allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from gateway.idempotency import idempotent
from kernel.errors import NotFound

from gateway.listings.access import can_read

from .. import demands, matching
from ..models import Demand
from ..schemas import (
    DemandCloseArgs,
    DemandCreateSchema,
    DemandMatchPageSchema,
    DemandSchema,
    ListingMatchPageSchema,
    ListingPassPageSchema,
    ListingPassSchema,
    PassArgs,
)
from .common import OVERSIGHT, _buyer_org, _listing, _staff_of, blp


def _load_demand(demand_id: int, p: Principal) -> Demand:
    demand = db_session().get(Demand, demand_id)
    if demand is None or not (p.role in OVERSIGHT or p.role == "subcentre_staff"
                              or (p.role == "buyer" and p.organisation_id == demand.org_id)):
        raise NotFound(f"no demand {demand_id}")
    return demand


@blp.route("/demands")
class Demands(MethodView):
    @allow("buyer")
    @idempotent
    @blp.arguments(DemandCreateSchema)
    @blp.response(201, DemandSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Post a technology demand for the caller's organisation."""
        p = require_principal()
        return matching.create_demand(db_session(), _buyer_org(p), args, now=get_clock().now(),
                                      actor=p.actor), 201


@blp.route("/demands/<int:demand_id>")
class DemandItem(MethodView):
    @allow("buyer", "subcentre_staff", "admin", "finance", "compliance_officer")
    @blp.response(200, DemandSchema)
    def get(self, demand_id: int) -> Demand:
        return _load_demand(demand_id, require_principal())


@blp.route("/demands/<int:demand_id>/matches")
class DemandMatches(MethodView):
    @allow("buyer", "subcentre_staff", "admin", "finance", "compliance_officer")
    @blp.response(200, ListingMatchPageSchema)
    def get(self, demand_id: int) -> dict[str, Any]:
        """Published listings of the demand's direction, best first, with the score's parts."""
        p = require_principal()
        s = db_session()
        demand = _load_demand(demand_id, p)
        ranked = matching.matches_for_demand(s, demand, on=get_clock().now().date())
        return {"items": [{"listing_id": x.id, "reference": x.reference, "title_zh": x.title_zh,
                           "title_en": x.title_en, "headline_price": x.headline_price,
                           "trl": x.trl, "score": m.score, "parts": m.parts, "notes": m.notes}
                          for x, m in ranked]}


@blp.route("/listings/<int:listing_id>/matching-demands")
class ListingDemands(MethodView):
    @allow("subcentre_staff", "admin")
    @blp.response(200, DemandMatchPageSchema)
    def get(self, listing_id: int) -> dict[str, Any]:
        """For the listing's sub-centre: the open demands the listing matches."""
        p = require_principal()
        listing = _listing(listing_id)
        if not _staff_of(p, listing):
            raise NotFound(f"no listing {listing_id}")
        ranked = matching.demands_for_listing(db_session(), listing, on=get_clock().now().date())
        return {"items": [{"demand_id": d.id, "title": d.title, "org_id": d.org_id,
                           "score": m.score, "parts": m.parts, "notes": m.notes}
                          for d, m in ranked]}


@blp.route("/demands/<int:demand_id>/close")
class CloseDemand(MethodView):
    @allow("buyer")
    @blp.arguments(DemandCloseArgs)
    @blp.response(200, DemandSchema)
    def post(self, args: dict[str, Any], demand_id: int) -> Demand:
        """Close one of the caller's organisation's demands: it matches nothing any more."""
        p = require_principal()
        demand = _load_demand(demand_id, p)
        if demand.org_id != _buyer_org(p):
            raise NotFound(f"no demand {demand_id}")
        return demands.close_demand(db_session(), demand.id, now=get_clock().now(),
                                    actor=p.actor, reason=args["reason"])


@blp.route("/listings/<int:listing_id>/passes")
class ListingPasses(MethodView):
    @allow("buyer")
    @idempotent
    @blp.arguments(PassArgs)
    @blp.response(201, ListingPassSchema)
    def post(self, args: dict[str, Any], listing_id: int) -> Any:
        """Pass on a published listing for the caller's organisation, saying why (too early
        stage, benefit unclear, commercial route unclear, description unclear, price, other);
        it leaves the organisation's demand matches. Passing again replaces the reason."""
        p = require_principal()
        listing = _listing(listing_id)
        if not can_read(p, listing):
            raise NotFound(f"no listing {listing_id}")
        return demands.pass_on_listing(db_session(), listing, _buyer_org(p), args["reason"],
                                       now=get_clock().now(), actor=p.actor, note=args["note"],
                                       demand_id=args["demand_id"]), 201

    @allow("subcentre_staff", "admin")
    @blp.response(200, ListingPassPageSchema)
    def get(self, listing_id: int) -> dict[str, Any]:
        """For the listing's sub-centre: why buyers passed on it, each pass and the count per
        reason."""
        p = require_principal()
        listing = _listing(listing_id)
        if not _staff_of(p, listing):
            raise NotFound(f"no listing {listing_id}")
        return demands.passes_for_listing(db_session(), listing.id)
