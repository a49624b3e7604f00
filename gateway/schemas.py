"""Marshmallow pieces every API module uses: money on the wire, pages, problems."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from moneyed import Money

from kernel.errors import DomainError
from kernel.money import money_to_json, parse_amount


class MoneyField(fields.Field):
    """``{"amount": "1234.50", "currency": "USD"}``: amount as a string, exact, ISO 4217."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else money_to_json(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Money:
        if not isinstance(value, dict):
            raise ValidationError('money is an object {"amount": "12.30", "currency": "USD"}')
        extra = set(value) - {"amount", "currency"}
        if extra:
            raise ValidationError({k: ["Unknown field."] for k in sorted(extra)})
        missing = {"amount", "currency"} - set(value)
        if missing:
            raise ValidationError({k: ["Missing data for required field."] for k in sorted(missing)})
        try:
            return parse_amount(value["amount"], value["currency"])
        except DomainError as exc:
            raise ValidationError({exc.field or "amount": [exc.detail]}) from None


MONEY_JSONSCHEMA = {
    "type": "object",
    "required": ["amount", "currency"],
    "additionalProperties": False,
    "properties": {
        "amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
}


class DecimalString(fields.Decimal):
    """An exact decimal (a rate, a percentage) sent as a string, never a JSON number."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(as_string=True, **kwargs)


DECIMAL_STRING_JSONSCHEMA = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}


def money_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: document ``MoneyField`` as its JSON object and
    ``DecimalString`` as a string."""
    if isinstance(field, MoneyField):
        return dict(MONEY_JSONSCHEMA)
    if isinstance(field, DecimalString):
        return dict(DECIMAL_STRING_JSONSCHEMA)
    return {}


#: ids are BIGINT on PostgreSQL and INTEGER (64-bit) on SQLite; anything larger is not an id
MAX_ID = 2**63 - 1


def IdField(**kw: Any) -> fields.Integer:  # noqa: N802 - reads as a field class at the use site
    """An id given by a client (in a body or query): a positive 64-bit integer."""
    return fields.Integer(strict=kw.pop("strict", False),
                          validate=validate.Range(min=1, max=MAX_ID), **kw)


class PageArgs(Schema):
    cursor = fields.String(metadata={"description": "opaque cursor from the previous page's `next`"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class PageSchema(Schema):
    next = fields.String(allow_none=True, metadata={"description": "cursor of the next page, or null"})
