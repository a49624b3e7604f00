"""Marshmallow schemas of the listing API (shapes only; the domain rules are in rules.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate

from gateway.listings.codes import TECHNOLOGY_FIELDS
from gateway.listings.models import (
    ASSET_KINDS,
    ATTACHMENT_KINDS,
    DIRECTIONS,
    PATENT_STATUSES,
    PRICING_MODES,
    TRANSACTION_TYPES,
)
from gateway.listings.states import STATES
from gateway.schemas import MoneyField, PageArgs, PageSchema

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="a SHA-256 digest in lowercase hex (64 characters)")
URI = validate.Regexp(r"^[a-z][a-z0-9+.-]*://\S+$", error="an absolute URI (https://, s3://, ...)")


class AttachmentSchema(Schema):
    uri = fields.String(required=True, validate=[validate.Length(max=1000), URI])
    sha256 = fields.String(required=True, validate=SHA256)
    kind = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_KINDS))


class EvidenceSchema(Schema):
    registered_owner = fields.String(required=True, validate=validate.Length(min=1, max=300),
                                     metadata={"description": "the owner as the register shows it"})
    matches_seller = fields.Boolean(load_default=None, metadata={
        "description": "the gateway's finding: whether the registered owner is the seller (by "
                       "legal name, case, punctuation, width and legal form aside). Sending it is "
                       "optional: false flags a mismatch the comparison missed; true is not taken "
                       "on trust"})
    mismatch_reason = fields.String(load_default=None, validate=validate.Length(min=1, max=2000),
                                    metadata={"description": "staff accept a registered owner that "
                                              "is not the seller only with a reason (an assignment "
                                              "chain, a subsidiary...); refused when the owner matches"})
    source_uri = fields.String(load_default=None, validate=[validate.Length(max=1000), URI])
    note = fields.String(load_default=None, validate=validate.Length(max=4000))
    checked_by = fields.String(dump_only=True)
    checked_at = fields.AwareDateTime(dump_only=True)


class AssetSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(ASSET_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    jurisdiction = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{2}$"),
                                 metadata={"description": "patents: ISO 3166 country or EP/WO/EA/AP/OA/GC"})
    number = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    status = fields.String(load_default=None, validate=validate.OneOf(PATENT_STATUSES))
    expires_on = fields.Date(load_default=None)
    evidence = fields.Nested(EvidenceSchema, dump_only=True, allow_none=True)


def _content_fields(required: bool) -> dict[str, fields.Field]:
    """The listing's content fields; ``required`` for creation, all optional for an edit."""
    def need(make: Callable[..., fields.Field], **kw: Any) -> fields.Field:
        return make(required=True, **kw) if required else make(**kw)

    def opt(make: Callable[..., fields.Field], **kw: Any) -> fields.Field:
        return make(allow_none=True, **({"load_default": None} if required else {}), **kw)

    text = validate.Length(max=300)
    return {
        "direction": need(fields.String, validate=validate.OneOf(DIRECTIONS),
                          metadata={"description": "inbound: bring in; outbound: go out"}),
        "seller_id": need(fields.Integer, metadata={"description": "an organisation the sub-centre represents"}),
        "title_zh": opt(fields.String, validate=text),
        "title_en": opt(fields.String, validate=text),
        "abstract_zh": opt(fields.String, validate=validate.Length(max=20000)),
        "abstract_en": opt(fields.String, validate=validate.Length(max=20000)),
        "technology_field": need(fields.String, validate=validate.OneOf(TECHNOLOGY_FIELDS)),
        "ipc_classes": need(fields.List, cls_or_instance=fields.String(),
                            metadata={"description": "IPC symbols like 'H04W 72/04'"}),
        "trl": need(fields.Integer, validate=validate.Range(min=1, max=9)),
        "transaction_type": need(fields.String, validate=validate.OneOf(TRANSACTION_TYPES)),
        "territory": need(fields.List, cls_or_instance=fields.String(),
                          metadata={"description": "ISO 3166 alpha-2 codes"}),
        "field_of_use": opt(fields.String, validate=validate.Length(max=4000)),
        "pricing_mode": need(fields.String, validate=validate.OneOf(PRICING_MODES)),
        "asking_price": opt(MoneyField),
        "starting_price": opt(MoneyField),
        "reserve_price": opt(MoneyField, metadata={"description": "auctions; never shown to buyers"}),
        "period_start": opt(fields.AwareDateTime),
        "period_end": opt(fields.AwareDateTime),
        "attachments": fields.List(fields.Nested(AttachmentSchema),
                                   **({"load_default": list} if required else {})),
    }


ListingCreateSchema = Schema.from_dict({
    **_content_fields(required=True),
    "subcentre_id": fields.Integer(load_default=None, metadata={"description": "admins only"}),
    "assets": fields.List(fields.Nested(AssetSchema), load_default=list),
}, name="ListingCreate")

ListingPatchSchema = Schema.from_dict({
    **_content_fields(required=False),
    "version": fields.Integer(metadata={"description": "the version read (or send If-Match)"}),
}, name="ListingPatch")


ListingSchema = Schema.from_dict({
    **_content_fields(required=False),
    "id": fields.Integer(),
    "reference": fields.String(metadata={"description": "human reference, e.g. LST-2026-000123"}),
    "state": fields.String(),
    "subcentre_id": fields.Integer(),
    "version": fields.Integer(metadata={"description": "send it back (or If-Match) to edit"}),
    "headline_price": MoneyField(allow_none=True),
    "licence_required": fields.Boolean(),
    "core_id": fields.String(allow_none=True),
    "created_at": fields.AwareDateTime(),
    "updated_at": fields.AwareDateTime(),
    "assets": fields.List(fields.Nested(AssetSchema)),
}, name="Listing")

ImportRowSchema = Schema.from_dict({
    **_content_fields(required=True),
    "assets": fields.List(fields.Nested(AssetSchema), load_default=list),
}, name="ListingImportRow")


class ListingSummarySchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    state = fields.String()
    direction = fields.String()
    title_zh = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    technology_field = fields.String()
    ipc_classes = fields.List(fields.String())
    trl = fields.Integer()
    transaction_type = fields.String()
    territory = fields.List(fields.String())
    pricing_mode = fields.String()
    headline_price = MoneyField(allow_none=True)
    licence_required = fields.Boolean()
    score = fields.Float(metadata={"description": "relevance (higher first); 0 without text"})


class ListingPageSchema(PageSchema):
    items = fields.List(fields.Nested(ListingSummarySchema))


class ListingSearchPageSchema(ListingPageSchema):
    unpriced_currencies = fields.List(fields.String(), metadata={"description": (
        "with a price range: the listing currencies left out because no recent exchange rate "
        "converts the range into them (their listings could not be compared)")})


class ListingListArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(STATES))


class SearchArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "free text, zh or en"})
    direction = fields.String(validate=validate.OneOf(DIRECTIONS))
    field = fields.String(validate=validate.OneOf(TECHNOLOGY_FIELDS))
    ipc = fields.String(metadata={"description": "IPC prefix: H, H04, H04W, H04W 72, H04W 72/04"})
    trl_min = fields.Integer(validate=validate.Range(min=1, max=9))
    trl_max = fields.Integer(validate=validate.Range(min=1, max=9))
    transaction_type = fields.String(validate=validate.OneOf(TRANSACTION_TYPES))
    territory = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"))
    price_min = fields.String(metadata={"description": "in `currency`"})
    price_max = fields.String(metadata={"description": "in `currency`"})
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"),
                             metadata={"description": "the caller's currency for the price range"})
    state = fields.List(fields.String(validate=validate.OneOf(STATES)),
                        metadata={"description": "staff and compliance: states to include"})


class ActionArgs(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))
    version = fields.Integer(load_default=None)


class PublicationCheckSchema(Schema):
    code = fields.String()
    detail = fields.String()
    field = fields.String()
    asset_id = fields.Integer()


class PublicationChecksSchema(Schema):
    ready = fields.Boolean()
    missing = fields.List(fields.Nested(PublicationCheckSchema))


class ImportResultSchema(Schema):
    imported = fields.Integer()
    ids = fields.List(fields.Integer())
    references = fields.List(fields.String())
