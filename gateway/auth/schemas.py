from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.auth.models import ROLES
from gateway.schemas import IdField, PageSchema


class SignInSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    name = fields.String(load_default="sign-in", validate=validate.Length(min=1, max=100))
    expires_in_days = fields.Integer(load_default=None, validate=validate.Range(min=1, max=366))


class TokenRequestSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    expires_in_days = fields.Integer(load_default=None, validate=validate.Range(min=1, max=366))


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    prefix = fields.String(metadata={"description": "first characters, to recognise the token"})
    user_id = fields.Integer()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "the secret: shown this once, never again"})


class TokenListSchema(PageSchema):
    items = fields.List(fields.Nested(TokenSchema))


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    subcentre = fields.String(load_default=None, load_only=True, validate=validate.Length(max=16),
                              metadata={"description": "sub-centre code, for sub-centre staff"})
    subcentre_id = fields.Integer(dump_only=True, allow_none=True)
    organisation_id = IdField(load_default=None, allow_none=True)
    locale = fields.String(load_default="en", validate=validate.OneOf(["en", "zh_CN"]))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=12, max=1024))
    active = fields.Boolean(dump_only=True)


class UserListSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema))
