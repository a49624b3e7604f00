"""What the trading routes share: the blueprint, the role groups and the scope checks."""
from __future__ import annotations

from flask_smorest import Blueprint

from gateway.auth.principal import Principal
from gateway.db import db_session
from gateway.listings.access import owns
from gateway.listings.models import Listing
from kernel.errors import NotFound, PermissionDenied

blp = Blueprint("trading", __name__, url_prefix="/api/v1",
                description="Trading: auctions, deposits, negotiations, deals")

STAFF = ("subcentre_staff", "admin")
#: roles that read every deal and auction (oversight)
OVERSIGHT = frozenset({"admin", "finance", "compliance_officer"})


def _buyer_org(p: Principal) -> int:
    if p.organisation_id is None:
        raise PermissionDenied("your user is not linked to an organisation")
    return p.organisation_id


def _listing(listing_id: int) -> Listing:
    listing = db_session().get(Listing, listing_id)
    if listing is None:
        raise NotFound(f"no listing {listing_id}")
    return listing


def _staff_of(p: Principal, listing: Listing) -> bool:
    return p.role == "admin" or (p.role == "subcentre_staff" and owns(p, listing))


def _seller_side(p: Principal, listing: Listing) -> bool:
    return _staff_of(p, listing) or (p.role == "seller" and p.organisation_id == listing.seller_id)
