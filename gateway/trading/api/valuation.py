"""Price guidance from comparable deals; the relief-from-royalty calculator."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView

from gateway.auth.access import allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from gateway.listings.models import Listing
from kernel.errors import NotFound

from .. import valuation
from ..schemas import (
    PriceGuidanceSchema,
    RoyaltyArgs,
    RoyaltyValueSchema,
)
from .common import _listing, _staff_of, blp


def sees_parties(p: Principal, listing: Listing) -> bool:
    """Who sees the comparables' parties (their deals, listings, buyers and sellers): the
    exchange's people -- staff of the listing's sub-centre, finance and admins. Buyers and
    sellers (and staff of other sub-centres) see the prices and ranges only."""
    return p.role == "finance" or _staff_of(p, listing)


@blp.route("/listings/<int:listing_id>/price-guidance")
class PriceGuidance(MethodView):
    @allow("subcentre_staff", "admin", "finance", "seller", "buyer")
    @blp.response(200, PriceGuidanceSchema)
    def get(self, listing_id: int) -> dict[str, Any]:
        """Comparable past deals and their price range in the listing's currency. Staff of the
        listing's sub-centre, finance and admins see the comparables in full; buyers and
        sellers see the ranges and prices, never the parties."""
        from gateway.listings.access import can_read

        p = require_principal()
        listing = _listing(listing_id)
        if not can_read(p, listing):
            raise NotFound(f"no listing {listing_id}")
        guidance = valuation.comparables(db_session(), listing)
        guidance["remaining_patent_years"] = valuation.remaining_years(listing, get_clock().now().date())
        if not sees_parties(p, listing):
            guidance = valuation.for_buyers(guidance)
        return guidance


@blp.route("/valuation/relief-from-royalty")
class ReliefFromRoyalty(MethodView):
    @allow("subcentre_staff", "admin")
    @blp.arguments(RoyaltyArgs)
    @blp.response(200, RoyaltyValueSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Relief-from-royalty value with its inputs and every step."""
        return valuation.relief_from_royalty(**args)
