"""Deals: read by their parties, the sub-centre and oversight; contract signing."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView

from gateway.auth.access import AUTHENTICATED, allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from kernel.errors import NotFound

from .. import deals
from ..models import Deal
from ..schemas import (
    ContractSigningArgs,
    DealSchema,
)
from .common import OVERSIGHT, STAFF, blp


def _load_deal(deal_id: int, p: Principal) -> Deal:
    deal = db_session().get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"no deal {deal_id}")
    ok = (p.role in OVERSIGHT
          or (p.role == "subcentre_staff" and p.subcentre_id == deal.subcentre_id)
          or (p.role == "buyer" and p.organisation_id == deal.buyer_org_id)
          or (p.role == "seller" and p.organisation_id == deal.seller_org_id))
    if not ok:
        raise NotFound(f"no deal {deal_id}")
    return deal


@blp.route("/deals/<int:deal_id>")
class DealItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, DealSchema)
    def get(self, deal_id: int) -> Deal:
        """A deal, for its parties, the sub-centre and oversight roles."""
        return _load_deal(deal_id, require_principal())


@blp.route("/deals/<int:deal_id>/contract")
class DealContract(MethodView):
    @allow(*STAFF)
    @blp.arguments(ContractSigningArgs)
    @blp.response(200, DealSchema)
    def post(self, args: dict[str, Any], deal_id: int) -> Deal:
        """Record the contract's signing date (registration due 60 days later)."""
        p = require_principal()
        deal = _load_deal(deal_id, p)
        return deals.sign_contract(db_session(), deal.id, args["signed_on"],
                                   now=get_clock().now(), actor=p.actor)
