"""The listing API (thin: parse, check who, call one service, present)."""
from __future__ import annotations

import json
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gateway.api.spec import may_answer
from gateway.auth.access import AUTHENTICATED, allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from gateway.errors import problem
from gateway.idempotency import idempotent
from gateway.listings import bulk, lifecycle, service
from gateway.listings.access import can_edit, can_read, can_see_reserve, visible
from gateway.listings.codes import normalise_ipc_prefix
from gateway.listings.errors import InvalidListing
from gateway.listings.models import IpAsset, Listing
from gateway.listings.schemas import (
    ActionArgs,
    AssetSchema,
    EvidenceSchema,
    ImportResultSchema,
    ListingCreateSchema,
    ListingListArgs,
    ListingPageSchema,
    ListingPatchSchema,
    ListingSchema,
    ListingSearchPageSchema,
    PublicationChecksSchema,
    SearchArgs,
)
from gateway.listings.search import OPEN_STATES, SearchQuery, search_listings, unpriced_currencies
from gateway.listings.states import API_ACTIONS
from gateway.pagination import paginate
from kernel.errors import InvalidInput, NotFound, PermissionDenied
from kernel.money import parse_amount

blp = Blueprint("listings", __name__, url_prefix="/api/v1/listings",
                description="Technology listings: filing, rights confirmation, lifecycle, search")

STAFF = ("subcentre_staff", "admin")


def present(listing: Listing, principal: Principal) -> dict[str, Any]:
    """The listing as ``principal`` may see it: the reserve price only for its owners."""
    out = {name: getattr(listing, name) for name in ListingSchema().fields}
    out["attachments"] = listing.attachments
    if not can_see_reserve(principal, listing):
        del out["reserve_price"]
    return out


def summary(listing: Listing, score: float) -> dict[str, Any]:
    out = {name: getattr(listing, name) for name in
           ("id", "reference", "state", "direction", "title_zh", "title_en", "technology_field",
            "ipc_classes", "trl", "transaction_type", "territory", "pricing_mode", "headline_price",
            "licence_required")}
    out["score"] = score
    return out


def load_listing(listing_id: int, principal: Principal) -> Listing:
    listing = db_session().get(Listing, listing_id, options=[selectinload(Listing.assets)])
    if listing is None or not can_read(principal, listing):
        raise NotFound(f"no listing {listing_id}")
    return listing


def _etag(listing: Listing) -> dict[str, str]:
    return {"ETag": f'"{listing.version}"'}


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput("If-Match carries the listing's version, e.g. \"3\"", field="If-Match")
    return int(value)


@blp.route("")
class Listings(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(ListingListArgs, location="query")
    @blp.response(200, ListingPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Listings the caller may see, by id (buyers: public ones only)."""
        principal = require_principal()
        stmt = select(Listing).where(visible(principal))
        if args.get("state"):
            stmt = stmt.where(Listing.state == args["state"])
        items, nxt = paginate(db_session(), stmt.options(selectinload(Listing.territories)), Listing.id,
                              cursor=args.get("cursor"), limit=args["limit"])
        return {"items": [summary(i, 0.0) for i in items], "next": nxt}

    @allow(*STAFF)
    @idempotent
    @blp.arguments(ListingCreateSchema)
    @blp.response(201, ListingSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """File a draft listing for a seller the caller's sub-centre represents."""
        principal = require_principal()
        subcentre_id = args.pop("subcentre_id")
        if principal.role == "subcentre_staff":
            if subcentre_id not in (None, principal.subcentre_id):
                raise PermissionDenied("staff file listings for their own sub-centre only")
            subcentre_id = principal.subcentre_id
        elif subcentre_id is None:
            raise InvalidListing("admins name the filing sub-centre", field="subcentre_id")
        listing = service.create_listing(db_session(), args, subcentre_id=subcentre_id,
                                         actor=principal, now=get_clock().now())
        return present(listing, principal), 201, _etag(listing)


@blp.route("/search")
class ListingSearch(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, ListingSearchPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search listings open for business: filters, price range in `currency`, free text
        (zh or en), best match first."""
        principal = require_principal()
        currency = args.get("currency")
        bounds = {}
        for key in ("price_min", "price_max"):
            if args.get(key) is not None:
                if currency is None:
                    raise InvalidInput("a price range needs `currency`", field="currency")
                bounds[key] = parse_amount(args[key], currency, field=key)
        q = SearchQuery(
            text=args.get("q"), direction=args.get("direction"), technology_field=args.get("field"),
            ipc_prefix=normalise_ipc_prefix(args["ipc"]) if args.get("ipc") else None,
            trl_min=args.get("trl_min"), trl_max=args.get("trl_max"),
            transaction_type=args.get("transaction_type"), territory=args.get("territory"),
            states=args.get("state") or OPEN_STATES, **bounds)
        now = get_clock().now()
        rows, nxt = search_listings(db_session(), principal, q, now=now,
                                    cursor=args.get("cursor"), limit=args["limit"])
        return {"items": [summary(listing, score) for listing, score in rows], "next": nxt,
                "unpriced_currencies": unpriced_currencies(db_session(), q, now.date())}


@blp.route("/import")
class ListingImport(MethodView):
    @allow("subcentre_staff")
    @may_answer(415)
    @idempotent
    @blp.response(201, ImportResultSchema)
    @blp.doc(requestBody={"content": {"text/csv": {"schema": {"type": "string"}},
                                      "application/json": {"schema": {"type": "array"}}}})
    def post(self) -> Any:
        """Import drafts from CSV (text/csv) or JSON; all rows or none (422 lists every bad row
        and field as `rows.<n>.<field>`, rows numbered from 1)."""
        principal = require_principal()
        if request.mimetype == "text/csv":
            rows = bulk.rows_from_csv(request.get_data(as_text=True))
        elif request.is_json:
            try:
                rows = bulk.rows_from_json(json.loads(request.get_data(as_text=True)))
            except ValueError:
                raise InvalidInput("the body is not valid JSON") from None
        else:
            return problem(415, "Unsupported Media Type", "send text/csv or application/json",
                           code="unsupported_media_type")
        ids = bulk.import_listings(db_session(), rows, subcentre_id=principal.subcentre_id,
                                   actor=principal, now=get_clock().now())
        refs = db_session().execute(select(Listing.reference).where(Listing.id.in_(ids))
                                    .order_by(Listing.id)).scalars().all()
        return {"imported": len(ids), "ids": ids, "references": refs}, 201


@blp.route("/<int:listing_id>")
class ListingItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, ListingSchema)
    def get(self, listing_id: int) -> Any:
        """One listing; the ETag is its version (send it back as If-Match to edit)."""
        principal = require_principal()
        listing = load_listing(listing_id, principal)
        return present(listing, principal), 200, _etag(listing)

    @allow(*STAFF)
    @may_answer(428)
    @blp.arguments(ListingPatchSchema)
    @blp.response(200, ListingSchema)
    def patch(self, changes: dict[str, Any], listing_id: int) -> Any:
        """Edit a draft; needs the version read (If-Match or `version`), else 428."""
        principal = require_principal()
        listing = load_listing(listing_id, principal)
        expected = changes.pop("version", None)
        header = _if_match()
        expected = header if header is not None else expected
        if expected is None:
            return problem(428, "Precondition Required", "send If-Match or `version` with the "
                           "version you read", code="version_required")
        listing = service.update_listing(db_session(), listing, changes, actor=principal,
                                         now=get_clock().now(), expected_version=expected)
        return present(listing, principal), 200, _etag(listing)


@blp.route("/<int:listing_id>/publication-checks")
class ListingPublicationChecks(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, PublicationChecksSchema)
    def get(self, listing_id: int) -> dict[str, Any]:
        """What still stops the listing from being published (empty when ready)."""
        principal = require_principal()
        listing = load_listing(listing_id, principal)
        if not (can_edit(principal, listing) or principal.role == "compliance_officer"):
            raise PermissionDenied("publication checks are for the filing sub-centre and compliance")
        missing = lifecycle.publication_checks(listing, get_clock().now())
        return {"ready": not missing, "missing": missing}


@blp.route("/<int:listing_id>/<action>")
class ListingAction(MethodView):
    @allow("subcentre_staff", "seller", "compliance_officer", "admin")
    @blp.arguments(ActionArgs)
    @blp.response(200, ListingSchema)
    def post(self, args: dict[str, Any], listing_id: int, action: str) -> Any:
        """Move the listing through its lifecycle (submit, return, start_review, publish,
        withdraw, ...); 409 with the current state when the action is not allowed from it."""
        if action not in API_ACTIONS:
            raise NotFound(f"no listing action {action!r}; actions: {', '.join(API_ACTIONS)}")
        principal = require_principal()
        listing = load_listing(listing_id, principal)
        expected = _if_match()
        listing = lifecycle.transition(db_session(), listing, action, principal, now=get_clock().now(),
                                       reason=args["reason"],
                                       expected_version=expected if expected is not None else args["version"])
        return present(listing, principal), 200, _etag(listing)


@blp.route("/<int:listing_id>/assets")
class ListingAssets(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(AssetSchema)
    @blp.response(201, AssetSchema)
    def post(self, args: dict[str, Any], listing_id: int) -> IpAsset:
        """Add a patent, software copyright or know-how to a draft."""
        principal = require_principal()
        listing = load_listing(listing_id, principal)
        return service.add_asset(db_session(), listing, args, principal, get_clock().now())


@blp.route("/<int:listing_id>/assets/<int:asset_id>/ownership-evidence")
class AssetOwnershipEvidence(MethodView):
    @allow("subcentre_staff", "compliance_officer", "admin")
    @idempotent
    @blp.arguments(EvidenceSchema)
    @blp.response(201, EvidenceSchema)
    def post(self, args: dict[str, Any], listing_id: int, asset_id: int) -> Any:
        """Record the owner as registered and whether it matches the seller (rights
        confirmation); who checked and when are taken from the caller and the clock."""
        principal = require_principal()
        listing = load_listing(listing_id, principal)
        asset = db_session().get(IpAsset, asset_id)
        if asset is None or asset.listing_id != listing.id:
            raise NotFound(f"no asset {asset_id} on listing {listing_id}")
        return service.record_ownership_evidence(db_session(), listing, asset, args,
                                                 actor=principal, now=get_clock().now())
