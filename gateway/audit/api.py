"""Reading the audit trail (compliance officers and administrators)."""
from __future__ import annotations

import json
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from gateway.auth.access import allow
from gateway.db import db_session
from gateway.pagination import paginate
from gateway.schemas import PageArgs, PageSchema
from kernel.audit import AuditEvent, chain_head

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="The audit trail")


class AuditFilterArgs(PageArgs):
    entity_type = fields.String(validate=validate.Length(max=64))
    entity_id = fields.String(validate=validate.Length(max=64))


class AuditEventSchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    payload = fields.Method("_payload")
    prev_hash = fields.String()
    hash = fields.String()

    def _payload(self, event: AuditEvent) -> Any:
        return json.loads(event.payload)


class AuditListSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema))


class ChainHeadSchema(Schema):
    seq = fields.Integer()
    hash = fields.String()


@blp.route("/events")
class AuditEvents(MethodView):
    @allow("compliance_officer", "admin")
    @blp.arguments(AuditFilterArgs, location="query")
    @blp.response(200, AuditListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Events in order, optionally for one entity."""
        stmt = select(AuditEvent)
        if args.get("entity_type"):
            stmt = stmt.where(AuditEvent.entity_type == args["entity_type"])
        if args.get("entity_id"):
            stmt = stmt.where(AuditEvent.entity_id == args["entity_id"])
        items, nxt = paginate(db_session(), stmt, AuditEvent.id, cursor=args.get("cursor"), limit=args["limit"])
        return {"items": items, "next": nxt}


@blp.route("/head")
class AuditHead(MethodView):
    @allow("compliance_officer", "admin")
    @blp.response(200, ChainHeadSchema)
    def get(self) -> dict[str, Any]:
        """The latest sequence number and hash, to record outside the database."""
        seq, digest = chain_head(db_session())
        return {"seq": seq, "hash": digest}
