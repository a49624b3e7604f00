"""Sub-centres and organisations (the parties), with scope per role."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gateway.auth.access import AUTHENTICATED, allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from gateway.idempotency import idempotent
from gateway.pagination import paginate
from gateway.schemas import IdField, PageArgs, PageSchema
from kernel.audit import record_event
from kernel.errors import InvalidInput, NotFound, PermissionDenied
from kernel.parties import Organisation, Person, SubCentre
from kernel.parties.models import ORGANISATION_TYPES

blp = Blueprint("parties", __name__, url_prefix="/api/v1", description="Sub-centres and organisations")

ISO2 = validate.Regexp(r"^[A-Z]{2}$", error="an ISO 3166 alpha-2 code in capitals")


class SubCentreSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    country = fields.String()
    home_currency = fields.String()
    locale = fields.String()
    timezone = fields.String()
    active = fields.Boolean()


class SubCentreListSchema(Schema):
    items = fields.List(fields.Nested(SubCentreSchema))


def _partial_date(text: str) -> None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` naming a real day, not in the future."""
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        raise ValidationError("YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        day = dt.date(*parts[:3])
    except ValueError:
        raise ValidationError("not a real date") from None
    if day > get_clock().now().date() or day.year < 1900:
        raise ValidationError("a date of birth between 1900 and today")


class PersonSchema(Schema):
    id = fields.Integer(dump_only=True)
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    full_name_latin = fields.String(load_default=None, validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))
    email = fields.Email(load_default=None)
    nationality = fields.String(load_default=None, allow_none=True, validate=ISO2,
                                metadata={"description": "ISO 3166 alpha-2, as the person's "
                                                         "documents give it (screening uses it)"})
    date_of_birth = fields.String(load_default=None, allow_none=True, validate=_partial_date,
                                  metadata={"description": "YYYY, YYYY-MM or YYYY-MM-DD, as "
                                                           "precise as known"})


class OrganisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    legal_name = fields.String(required=True, validate=validate.Length(min=1, max=300),
                               metadata={"description": "in the original script"})
    legal_name_latin = fields.String(required=True, validate=validate.Length(min=1, max=300))
    country = fields.String(required=True, validate=ISO2)
    org_type = fields.String(required=True, validate=validate.OneOf(ORGANISATION_TYPES))
    tax_residency = fields.String(required=True, validate=ISO2)
    subcentre_id = IdField(load_default=None, allow_none=True)
    people = fields.List(fields.Nested(PersonSchema), dump_only=True)


class OrganisationListSchema(PageSchema):
    items = fields.List(fields.Nested(OrganisationSchema))


def can_see_organisation(principal: Principal, org: Organisation) -> bool:
    if principal.role in ("admin", "finance", "compliance_officer"):
        return True
    if principal.role == "subcentre_staff":
        return org.subcentre_id == principal.subcentre_id
    return org.id == principal.organisation_id


def _organisation_for(principal: Principal, org_id: int) -> Organisation:
    org = db_session().get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id}")
    if not can_see_organisation(principal, org):
        raise PermissionDenied("this organisation is outside your scope")
    return org


@blp.route("/subcentres")
class SubCentres(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, SubCentreListSchema)
    def get(self) -> dict[str, Any]:
        """The exchange's sub-centres (reference data)."""
        return {"items": db_session().execute(select(SubCentre).order_by(SubCentre.code)).scalars().all()}


@blp.route("/subcentres/<code>")
class SubCentreItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, SubCentreSchema)
    def get(self, code: str) -> SubCentre:
        """One sub-centre by its code."""
        sc = db_session().execute(select(SubCentre).where(SubCentre.code == code)).scalar_one_or_none()
        if sc is None:
            raise NotFound(f"no sub-centre {code}")
        return sc


@blp.route("/organisations")
class Organisations(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, OrganisationListSchema)
    def get(self, page: dict[str, Any]) -> dict[str, Any]:
        """Organisations in the caller's scope."""
        principal = require_principal()
        stmt = select(Organisation).options(selectinload(Organisation.people))  # one query, not one per row
        if principal.role == "subcentre_staff":
            stmt = stmt.where(Organisation.subcentre_id == principal.subcentre_id)
        elif principal.role in ("buyer", "seller"):
            stmt = stmt.where(Organisation.id == principal.organisation_id)
        items, nxt = paginate(db_session(), stmt, Organisation.id, cursor=page.get("cursor"), limit=page["limit"])
        return {"items": items, "next": nxt}

    @allow("subcentre_staff", "admin")
    @idempotent
    @blp.arguments(OrganisationSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, args: dict[str, Any]) -> Organisation:
        """Register an organisation; staff register it under their own sub-centre."""
        principal = require_principal()
        session = db_session()
        if principal.role == "subcentre_staff":
            if args["subcentre_id"] not in (None, principal.subcentre_id):
                raise PermissionDenied("staff register organisations for their own sub-centre only")
            args["subcentre_id"] = principal.subcentre_id
        elif args["subcentre_id"] is not None and session.get(SubCentre, args["subcentre_id"]) is None:
            raise InvalidInput(f"no sub-centre {args['subcentre_id']}", field="subcentre_id")
        now = get_clock().now()
        org = Organisation(created_at=now, **args)
        session.add(org)
        session.flush()
        record_event(session, actor=principal.actor, action="organisation.created",
                     entity_type="organisation", entity_id=org.id, at=now,
                     after={"country": org.country, "org_type": org.org_type,
                            "subcentre_id": org.subcentre_id})
        return org


@blp.route("/organisations/<int:org_id>")
class OrganisationItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, OrganisationSchema)
    def get(self, org_id: int) -> Organisation:
        """One organisation, with its people, if it is in the caller's scope."""
        return _organisation_for(require_principal(), org_id)


@blp.route("/organisations/<int:org_id>/people")
class OrganisationPeople(MethodView):
    @allow("subcentre_staff", "admin", "buyer", "seller")
    @idempotent
    @blp.arguments(PersonSchema)
    @blp.response(201, PersonSchema)
    def post(self, args: dict[str, Any], org_id: int) -> Person:
        """Add a person (contact, signatory...) to an organisation in the caller's scope."""
        principal = require_principal()
        org = _organisation_for(principal, org_id)
        session = db_session()
        person = Person(organisation_id=org.id, **args)
        session.add(person)
        session.flush()
        record_event(session, actor=principal.actor, action="person.added", entity_type="person",
                     entity_id=person.id, at=get_clock().now(),
                     after={"organisation_id": org.id, "role": person.role})
        return person
