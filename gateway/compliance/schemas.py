"""Request and response schemas of the compliance API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.schemas import IdField, PageArgs, PageSchema

REASON = fields.String(required=True, validate=validate.Length(min=3, max=4000),
                       metadata={"description": "the officer's reason, in words"})
DIRECTION = fields.String(required=True, validate=validate.OneOf(("export", "import")))


class CaseFilterArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(("open", "cleared", "confirmed")))
    kind = fields.String(validate=validate.OneOf(("screening", "structuring")))


class PartySchema(Schema):
    type = fields.String()
    id = fields.Integer()


class CaseSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    severity = fields.String()
    party = fields.Nested(PartySchema)
    summary = fields.String()
    screening_record_id = fields.Integer(allow_none=True)
    opened_at = fields.DateTime()
    officer = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class CaseListSchema(PageSchema):
    items = fields.List(fields.Nested(CaseSchema))


class PartyFactsSchema(Schema):
    type = fields.String()
    id = fields.Integer()
    names = fields.List(fields.String())
    country = fields.String(allow_none=True)
    entity_type = fields.String()


class CaseHitSchema(Schema):
    list_name = fields.String()
    list_version = fields.String()
    entry_id = fields.String()
    entry_hash = fields.String()
    score = fields.String()
    hit = fields.Dict(metadata={"description": "the matcher's hit: matched name, score parts"})
    entry = fields.Dict(metadata={"description": "the list entry as loaded"})


class CaseDetailSchema(CaseSchema):
    party_facts = fields.Nested(PartyFactsSchema)
    hits = fields.List(fields.Nested(CaseHitSchema))
    detail = fields.Dict()


class DecisionArgs(Schema):
    reason = REASON


class ScreeningArgs(Schema):
    organisation_id = IdField(required=True)
    purpose = fields.String(load_default="officer_request", validate=validate.Length(min=1, max=64))


class ScreeningSchema(Schema):
    id = fields.Integer()
    decision = fields.String()
    top_score = fields.String()
    hits = fields.List(fields.Dict())
    list_versions = fields.List(fields.List(fields.String()))
    matcher_version = fields.String()
    evidence = fields.List(fields.String(), metadata={
        "description": "what the decision rests on: name, plus country / date_of_birth / "
                       "identifier when given"})
    review_from = fields.String(allow_none=True, metadata={
        "description": "the score reviewed from (lower for individuals screened on the name alone)"})
    explanation = fields.List(fields.String())
    case_id = fields.Integer(allow_none=True)
    new_hits = fields.Integer()


class ReasonSchema(Schema):
    code = fields.String()
    detail = fields.String()


class ClearanceSchema(Schema):
    organisation_id = fields.Integer()
    allowed = fields.Boolean()
    reasons = fields.List(fields.Nested(ReasonSchema))
    open_cases = fields.List(fields.Integer())
    confirmed_cases = fields.List(fields.Integer())
    last_screening_id = fields.Integer(allow_none=True)
    last_screened_at = fields.DateTime(allow_none=True)
    last_decision = fields.String(allow_none=True)


class ClassificationFilterArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(("pending", "decided", "superseded")))


class ClassificationArgs(Schema):
    subject_type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    direction = DIRECTION
    entry_code = fields.String(required=True, allow_none=True,
                               validate=validate.Regexp(r"^\d{4,8}[JXjx]$"),
                               metadata={"description": "catalogue code, or null for free technology"})
    reason = REASON


class ClassificationSchema(Schema):
    id = fields.Integer()
    subject_type = fields.String()
    subject_id = fields.String()
    direction = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    requirement = fields.String(allow_none=True)
    entry_code = fields.String(allow_none=True)
    suggestions = fields.Method("_suggestions")
    requested_at = fields.DateTime()
    officer = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)

    def _suggestions(self, obj: object) -> list[dict[str, object]]:
        import json

        return json.loads(getattr(obj, "suggestions") or "[]")


class ClassificationListSchema(PageSchema):
    items = fields.List(fields.Nested(ClassificationSchema))


class LicenceArgs(Schema):
    subject_type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    direction = DIRECTION
    kind = fields.String(required=True, validate=validate.OneOf(("letter_of_intent", "licence")))
    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    authority = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scope = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    issued_on = fields.Date(required=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True)
    contract_signed_on = fields.Date(load_default=None, allow_none=True)


class LicenceSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    direction = fields.String()
    number = fields.String()
    authority = fields.String()
    scope = fields.String()
    issued_on = fields.Date()
    valid_from = fields.Date()
    valid_to = fields.Date()
    classification_id = fields.Integer()


class RegistrationArgs(Schema):
    subject_type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    direction = DIRECTION
    contract_ref = fields.String(required=True, validate=validate.Length(min=1, max=64))
    signed_on = fields.Date(required=True)
    registration_number = fields.String(load_default=None, allow_none=True,
                                        validate=validate.Length(min=1, max=64))
    registered_on = fields.Date(load_default=None, allow_none=True)


class RegistrationSchema(Schema):
    id = fields.Integer()
    contract_ref = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    direction = fields.String()
    status = fields.String()
    registration_number = fields.String(allow_none=True)
    registered_on = fields.Date(allow_none=True)
    signed_on = fields.Date()
    due_on = fields.Date()
    late = fields.Boolean()


class TaxFilingArgs(Schema):
    contract_ref = fields.String(required=True, validate=validate.Length(min=1, max=64))
    filing_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    authority = fields.String(required=True, validate=validate.Length(min=1, max=200))
    filed_on = fields.Date(required=True)


class TaxFilingSchema(Schema):
    id = fields.Integer()
    contract_ref = fields.String()
    filing_number = fields.String()
    authority = fields.String()
    filed_on = fields.Date()


class CertificationArgs(Schema):
    contract_ref = fields.String(required=True, validate=validate.Length(min=1, max=64))
    certificate_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    authority = fields.String(required=True, validate=validate.Length(min=1, max=200))
    certified_on = fields.Date(required=True)


class CertificationSchema(Schema):
    id = fields.Integer()
    contract_ref = fields.String()
    certificate_number = fields.String()
    authority = fields.String()
    certified_on = fields.Date()
    vat_exempt = fields.Boolean()
