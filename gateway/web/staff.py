"""Sub-centre staff pages: listings by state, the draft form, a listing's page (assets,
ownership evidence, what is missing, lifecycle buttons) and bulk import.

Every write calls the same service as the API (``gateway.listings.service``, ``lifecycle``,
``bulk``); the pages only turn form fields into the shapes those services take and show their
errors next to the fields.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, select

from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.listings import bulk, lifecycle, service
from gateway.listings.access import can_edit
from gateway.listings.api import load_listing
from gateway.listings.codes import TECHNOLOGY_FIELDS
from gateway.listings.errors import ImportRejected, InvalidListing, ListingError
from gateway.listings.models import (
    ASSET_KINDS,
    DIRECTIONS,
    PATENT_STATUSES,
    PRICING_MODES,
    TRANSACTION_TYPES,
    IpAsset,
    Listing,
)
from gateway.listings.schemas import (
    AssetSchema,
    EvidenceSchema,
    ListingCreateSchema,
    ListingPatchSchema,
)
from gateway.listings.states import STATES, actions_from
from gateway.web.helpers import (
    Bar,
    bar_chart,
    form_errors,
    marshmallow_errors,
    refused,
    timezone_of,
)
from gateway.web.labels import STATE_LABELS
from gateway.web.listing_status import listing_status
from gateway.web.views import bp
from kernel.errors import DomainError, NotFound
from kernel.parties import Organisation

STAFF = ("subcentre_staff", "admin")
#: lifecycle actions offered as buttons on the listing page (when the state table allows them)
PAGE_ACTIONS = ("submit", "publish", "withdraw")
PRICE_FIELDS = {"asking_price": "price", "starting_price": "price", "reserve_price": "reserve"}


def _own_listings_clause(principal: Any) -> Any:
    return Listing.subcentre_id == principal.subcentre_id if principal.role == "subcentre_staff" \
        else Listing.id.isnot(None)


@bp.get("/staff/listings")
@allow(*STAFF)
def staff_listings() -> ResponseReturnValue:
    principal = require_principal()
    session = db_session()
    scope = _own_listings_clause(principal)
    counts = dict(session.execute(select(Listing.state, func.count()).where(scope)
                                  .group_by(Listing.state)).all())
    chosen = request.args.get("state") or None
    if chosen not in STATES:
        chosen = None
    stmt = select(Listing).where(scope)
    if chosen:
        stmt = stmt.where(Listing.state == chosen)
    listings = session.execute(stmt.order_by(Listing.updated_at.desc(), Listing.id.desc()).limit(200)).scalars().all()
    chart = bar_chart([Bar(str(STATE_LABELS[s]), counts.get(s, 0)) for s in STATES if counts.get(s)],
                      title=_("Listings by state"))
    return render_template("staff/listings.html", counts=counts, chosen=chosen, listings=listings,
                           chart=chart, states=STATES)


def _sellers(principal: Any) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.legal_name)
    if principal.role == "subcentre_staff":
        stmt = stmt.where(Organisation.subcentre_id == principal.subcentre_id)
    else:
        stmt = stmt.where(Organisation.subcentre_id.isnot(None))
    return list(db_session().execute(stmt).scalars())


def _split(raw: str) -> list[str]:
    return [p.strip() for p in raw.replace("；", ";").replace(",", ";").replace("，", ";").split(";") if p.strip()]


def _day_start(raw: str, zone: str) -> str | None:
    """A date field as the start of that day in the sub-centre's zone (ISO 8601 with offset)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return raw  # the schema reports it next to the field
    return dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).isoformat()


def body_from_form(form: Any, zone: str) -> dict[str, Any]:
    """The listing form as the JSON body ``POST /listings`` takes (empty fields are absent)."""
    body: dict[str, Any] = {}
    for name in ("direction", "title_zh", "title_en", "abstract_zh", "abstract_en", "technology_field",
                 "transaction_type", "field_of_use", "pricing_mode"):
        value = form.get(name, "").strip()
        body[name] = value or None
    for name in ("direction", "technology_field", "transaction_type", "pricing_mode"):
        if body[name] is None:
            del body[name]
    for name in ("seller_id", "trl"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    body["ipc_classes"] = _split(form.get("ipc_classes", ""))
    body["territory"] = [t.upper() for t in _split(form.get("territory", ""))]
    currency = form.get("currency", "").strip().upper()
    price, reserve = form.get("price", "").strip(), form.get("reserve", "").strip()
    mode = body.get("pricing_mode")
    body["asking_price"] = body["starting_price"] = body["reserve_price"] = None
    if price:
        body["starting_price" if mode == "auction" else "asking_price"] = {"amount": price, "currency": currency}
    if reserve:
        body["reserve_price"] = {"amount": reserve, "currency": currency}
    body["period_start"] = _day_start(form.get("period_start", ""), zone)
    body["period_end"] = _day_start(form.get("period_end", ""), zone)
    return body


def _to_form_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, messages in errors.items():
        out.setdefault(PRICE_FIELDS.get(field, field), []).extend(messages)
    return out


def form_values(listing: Listing | None, zone: str) -> dict[str, str]:
    if listing is None:
        return {"direction": "outbound", "pricing_mode": "fixed_price", "trl": "", "currency": "USD"}
    price = listing.asking_price or listing.starting_price
    day = lambda v: v.astimezone(ZoneInfo(zone)).date().isoformat() if v else ""
    return {
        "direction": listing.direction, "seller_id": str(listing.seller_id),
        "title_zh": listing.title_zh or "", "title_en": listing.title_en or "",
        "abstract_zh": listing.abstract_zh or "", "abstract_en": listing.abstract_en or "",
        "technology_field": listing.technology_field, "ipc_classes": "; ".join(listing.ipc_classes or []),
        "trl": str(listing.trl), "transaction_type": listing.transaction_type,
        "territory": ", ".join(listing.territory or []), "field_of_use": listing.field_of_use or "",
        "pricing_mode": listing.pricing_mode, "price": str(price.amount) if price else "",
        "reserve": str(listing.reserve_price.amount) if listing.reserve_price else "",
        "currency": price.currency.code if price else "USD",
        "period_start": day(listing.period_start), "period_end": day(listing.period_end),
    }


def _render_form(listing: Listing | None, values: dict[str, str], errors: dict[str, list[str]],
                 status: int = 200) -> ResponseReturnValue:
    principal = require_principal()
    status = refused(status)
    return render_template("staff/listing_form.html", listing=listing, values=values, errors=errors,
                           sellers=_sellers(principal), fields=TECHNOLOGY_FIELDS, directions=DIRECTIONS,
                           transaction_types=TRANSACTION_TYPES, pricing_modes=PRICING_MODES), status


@bp.route("/staff/listings/new", methods=["GET", "POST"])
@allow("subcentre_staff")
def staff_listing_new() -> ResponseReturnValue:
    principal = require_principal()
    session = db_session()
    zone = timezone_of(session, principal)
    if request.method == "GET":
        return _render_form(None, form_values(None, zone), {})
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        data = ListingCreateSchema().load({**body_from_form(request.form, zone)})
    except ValidationError as exc:
        return _render_form(None, values, _to_form_errors(marshmallow_errors(exc.messages)), 422)
    data.pop("subcentre_id", None)
    try:
        listing = service.create_listing(session, data, subcentre_id=principal.subcentre_id,
                                         actor=principal, now=get_clock().now())
    except InvalidListing as exc:
        return _render_form(None, values, _to_form_errors(form_errors(exc)), 422)
    flash(_("Draft %(ref)s saved.", ref=listing.reference))
    return redirect(url_for("web.staff_listing", listing_id=listing.id))


@bp.route("/staff/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def staff_listing_edit(listing_id: int) -> ResponseReturnValue:
    principal = require_principal()
    session = db_session()
    listing = load_listing(listing_id, principal)
    if not can_edit(principal, listing):
        raise NotFound(f"no listing {listing_id}")
    zone = timezone_of(session, principal)
    if request.method == "GET":
        return _render_form(listing, form_values(listing, zone), {})
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        changes = ListingPatchSchema().load(body_from_form(request.form, zone))
    except ValidationError as exc:
        return _render_form(listing, values, _to_form_errors(marshmallow_errors(exc.messages)), 422)
    version = request.form.get("version", "")
    try:
        service.update_listing(session, listing, changes, actor=principal, now=get_clock().now(),
                               expected_version=int(version) if version.isdigit() else None)
    except InvalidListing as exc:
        return _render_form(listing, values, _to_form_errors(form_errors(exc)), 422)
    except ListingError as exc:
        flash(exc.detail)
        return redirect(url_for("web.staff_listing", listing_id=listing.id))
    flash(_("Draft %(ref)s saved.", ref=listing.reference))
    return redirect(url_for("web.staff_listing", listing_id=listing.id))


def _listing_page(listing: Listing, errors: dict[str, Any] | None = None, status: int = 200) -> ResponseReturnValue:
    principal = require_principal()
    status = refused(status)
    session = db_session()
    allowed = [a for a in actions_from(listing.state) if a in PAGE_ACTIONS]
    return render_template("staff/listing.html", listing=listing, actions=allowed,
                           status=listing_status(session, listing, get_clock().now()),
                           editable=can_edit(principal, listing),
                           seller=session.get(Organisation, listing.seller_id), errors=errors or {},
                           asset_kinds=ASSET_KINDS, patent_statuses=PATENT_STATUSES), status


@bp.get("/staff/listings/<int:listing_id>")
@allow("subcentre_staff", "compliance_officer", "admin")
def staff_listing(listing_id: int) -> ResponseReturnValue:
    principal = require_principal()
    return _listing_page(load_listing(listing_id, principal))


@bp.post("/staff/listings/<int:listing_id>/assets")
@allow(*STAFF)
def staff_listing_add_asset(listing_id: int) -> ResponseReturnValue:
    principal = require_principal()
    listing = load_listing(listing_id, principal)
    raw = {k: request.form.get(k, "").strip() or None
           for k in ("kind", "title", "jurisdiction", "number", "status", "expires_on")}
    raw["jurisdiction"] = raw["jurisdiction"].upper() if raw["jurisdiction"] else None
    try:
        data = AssetSchema().load({k: v for k, v in raw.items() if v is not None})
        service.add_asset(db_session(), listing, data, principal, get_clock().now())
    except ValidationError as exc:
        return _listing_page(listing, {"asset": marshmallow_errors(exc.messages)}, 422)
    except InvalidListing as exc:
        return _listing_page(listing, {"asset": form_errors(exc)}, 422)
    flash(_("Asset added."))
    return redirect(url_for("web.staff_listing", listing_id=listing.id))


@bp.post("/staff/listings/<int:listing_id>/assets/<int:asset_id>/evidence")
@allow("subcentre_staff", "compliance_officer", "admin")
def staff_listing_evidence(listing_id: int, asset_id: int) -> ResponseReturnValue:
    principal = require_principal()
    listing = load_listing(listing_id, principal)
    asset = db_session().get(IpAsset, asset_id)
    if asset is None or asset.listing_id != listing.id:
        raise NotFound(f"no asset {asset_id} on listing {listing_id}")
    # the gateway compares the owner with the seller itself; a reason accepts a mismatch
    raw = {k: request.form.get(k, "").strip() or None
           for k in ("registered_owner", "source_uri", "note", "mismatch_reason")}
    raw["registered_owner"] = raw["registered_owner"] or ""
    try:
        data = EvidenceSchema().load(raw)
        service.record_ownership_evidence(db_session(), listing, asset, data, actor=principal,
                                          now=get_clock().now())
    except ValidationError as exc:
        return _listing_page(listing, {f"evidence-{asset_id}": marshmallow_errors(exc.messages)}, 422)
    except InvalidListing as exc:
        return _listing_page(listing, {f"evidence-{asset_id}": form_errors(exc)}, 422)
    flash(_("Ownership evidence recorded."))
    return redirect(url_for("web.staff_listing", listing_id=listing.id))


@bp.post("/staff/listings/<int:listing_id>/submit", defaults={"action": "submit"})
@bp.post("/staff/listings/<int:listing_id>/publish", defaults={"action": "publish"})
@bp.post("/staff/listings/<int:listing_id>/withdraw", defaults={"action": "withdraw"})
@allow(*STAFF)
def staff_listing_action(listing_id: int, action: str) -> ResponseReturnValue:
    principal = require_principal()
    listing = load_listing(listing_id, principal)
    version = request.form.get("version", "")
    try:
        lifecycle.transition(db_session(), listing, action, principal, now=get_clock().now(),
                             reason=request.form.get("reason", "").strip() or None,
                             expected_version=int(version) if version.isdigit() else None)
    except DomainError as exc:
        errors = {"action": [exc.detail] + [m.get("detail", "") for m in exc.extra.get("missing", [])]}
        return _listing_page(listing, errors, 409)
    flash(_("The listing is now %(state)s.", state=STATE_LABELS[listing.state]))
    return redirect(url_for("web.staff_listing", listing_id=listing.id))


@bp.route("/staff/import", methods=["GET", "POST"])
@allow("subcentre_staff")
def staff_import() -> ResponseReturnValue:
    principal = require_principal()
    if request.method == "GET":
        return render_template("staff/import.html", rows=None, refs=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("staff/import.html", rows={"file": [_("Choose a CSV file.")]}, refs=None), refused(422)
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return render_template("staff/import.html", rows={"file": [_("The file is not UTF-8 text.")]},
                               refs=None), refused(422)
    session = db_session()
    try:
        ids = bulk.import_listings(session, bulk.rows_from_csv(text), subcentre_id=principal.subcentre_id,
                                   actor=principal, now=get_clock().now())
    except ImportRejected as exc:
        status = refused(422)
        return render_template("staff/import.html", rows=_rows_report(exc), summary=exc.detail, refs=None), status
    refs = session.execute(select(Listing.reference).where(Listing.id.in_(ids)).order_by(Listing.id)).scalars().all()
    return render_template("staff/import.html", rows=None, refs=refs)


def _rows_report(exc: ImportRejected) -> dict[str, list[str]]:
    """``rows.N.field`` -> messages, as 'row N, field' for the table."""
    out: dict[str, list[str]] = {}
    for key, messages in form_errors(exc).items():
        parts = key.split(".")
        label = key if parts[0] != "rows" else " · ".join(
            [_("row %(n)s", n=parts[1])] + ([".".join(parts[2:])] if len(parts) > 2 else []))
        out.setdefault(label, []).extend(messages)
    return out
