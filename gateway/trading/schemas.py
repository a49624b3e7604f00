"""Trading request and response bodies (money as ``{"amount", "currency"}``)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.schemas import MoneyField

from .models import PASS_REASONS


class AuctionCreateSchema(Schema):
    listing_id = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    increment = MoneyField(required=True)
    deposit = MoneyField(required=True)
    starting_price = MoneyField(load_default=None, allow_none=True)
    reserve = MoneyField(load_default=None, allow_none=True)
    snipe_window_minutes = fields.Integer(load_default=5, validate=validate.Range(min=0, max=120))
    snipe_extension_minutes = fields.Integer(load_default=5, validate=validate.Range(min=0, max=120))


class OwnBidSchema(Schema):
    seq = fields.Integer()
    amount = MoneyField()
    placed_at = fields.DateTime()


class AuctionSchema(Schema):
    """What every caller sees; ``reserve`` only for the seller's sub-centre and admins."""

    id = fields.Integer()
    listing_id = fields.Integer()
    state = fields.String()
    starting_price = MoneyField()
    current_price = MoneyField(allow_none=True)
    minimum_bid = MoneyField()
    increment = MoneyField()
    deposit = MoneyField()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    bid_count = fields.Integer()
    reserve_met = fields.Boolean(allow_none=True)
    registered = fields.Boolean()
    leading = fields.Boolean()
    my_bids = fields.List(fields.Nested(OwnBidSchema))
    reserve = MoneyField(allow_none=True)
    deal_id = fields.Integer(allow_none=True)


class BidArgs(Schema):
    amount = MoneyField(required=True)


class BidSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    amount = MoneyField()
    placed_at = fields.DateTime()
    ends_at_after = fields.DateTime()


class BidLogEntrySchema(Schema):
    seq = fields.Integer()
    bidder_org_id = fields.Integer(allow_none=True)
    amount = MoneyField()
    placed_at = fields.DateTime()
    ends_at_after = fields.DateTime()


class RefusedBidSchema(Schema):
    bidder_org_id = fields.Integer()
    amount = MoneyField()
    reason = fields.String(metadata={"description": "why the bid was refused (the 409's reason)"})
    detail = fields.String()
    attempted_at = fields.DateTime()


class BidLogSchema(Schema):
    items = fields.List(fields.Nested(BidLogEntrySchema))
    refused = fields.List(fields.Nested(RefusedBidSchema))


class AuctionRegistrationSchema(Schema):
    auction_id = fields.Integer()
    org_id = fields.Integer()
    hold_id = fields.Integer(allow_none=True)
    state = fields.String()
    registered_at = fields.DateTime()


class DepositArgs(Schema):
    org_id = fields.Integer(required=True)
    amount = MoneyField(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=80),
                              metadata={"description": "the bank's reference of the receipt"})


class DepositBalanceArgs(Schema):
    org_id = fields.Integer(required=True)
    currency = fields.String(required=True, validate=validate.Regexp("^[A-Z]{3}$"))


class DepositBalanceSchema(Schema):
    org_id = fields.Integer()
    posted = MoneyField()
    pending = MoneyField()
    available = MoneyField()
    transfer_id = fields.Integer(allow_none=True)


class DealSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    listing_id = fields.Integer()
    channel = fields.String()
    state = fields.String()
    buyer_org_id = fields.Integer()
    seller_org_id = fields.Integer()
    subcentre_id = fields.Integer()
    direction = fields.String()
    price = MoneyField()
    deposit_applied = MoneyField(metadata={"description": "the winner's deposit, applied to the "
                                                          "upfront payment"})
    transaction_type = fields.String()
    territory = fields.List(fields.String())
    payment_terms = fields.Dict()
    core_deal_ref = fields.String(allow_none=True)
    plan_id = fields.Integer(allow_none=True)
    contract_signed_on = fields.Date(allow_none=True)
    registration_due_on = fields.Date(allow_none=True)
    struck_at = fields.DateTime()


class ContractSigningArgs(Schema):
    signed_on = fields.Date(required=True)


class NegotiationCreateSchema(Schema):
    listing_id = fields.Integer(required=True)
    notice_days = fields.Integer(load_default=15, validate=validate.Range(min=0, max=365))


class OfferArgs(Schema):
    amount = MoneyField(required=True)
    terms = fields.Dict(load_default=dict)


class OfferSchema(Schema):
    seq = fields.Integer()
    side = fields.String()
    state = fields.String()
    amount = MoneyField()
    terms = fields.Dict()
    made_at = fields.DateTime()


class NegotiationSchema(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    buyer_org_id = fields.Integer()
    state = fields.String()
    next_side = fields.String(allow_none=True)
    expires_at = fields.DateTime()
    notice_days = fields.Integer()
    notice_ends_at = fields.DateTime(allow_none=True)
    deal_id = fields.Integer(allow_none=True)
    offers = fields.List(fields.Nested(OfferSchema))


class NegotiationWithdrawArgs(Schema):
    reason = fields.String(load_default=None, allow_none=True)


class PriceNoticeSchema(Schema):
    listing_id = fields.Integer()
    reference = fields.String()
    title_zh = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    agreed_price = MoneyField()
    notice_ends_at = fields.DateTime()


class PriceNoticePageSchema(Schema):
    items = fields.List(fields.Nested(PriceNoticeSchema))


class NoticeCreateSchema(Schema):
    listing_id = fields.Integer(required=True)
    deposit = MoneyField(required=True)
    increment = MoneyField(required=True)
    working_days = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=250))
    threshold = fields.Integer(load_default=2, validate=validate.Range(min=2, max=50))


class FixedPriceNoticeSchema(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    state = fields.String()
    price = MoneyField()
    deposit = MoneyField()
    increment = MoneyField()
    working_days = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    threshold = fields.Integer()
    extensions = fields.Integer()
    auction_id = fields.Integer(allow_none=True)
    deal_id = fields.Integer(allow_none=True)
    intending_buyers = fields.Integer()
    my_intent = fields.Boolean()


class ExtendArgs(Schema):
    working_days = fields.Integer(required=True, validate=validate.Range(min=5, max=250))


class DemandCreateSchema(Schema):
    direction = fields.String(required=True, validate=validate.OneOf(("inbound", "outbound")))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    technology_field = fields.String(load_default=None, allow_none=True)
    ipc_classes = fields.List(fields.String(), load_default=list)
    trl_min = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=9))
    budget = MoneyField(load_default=None, allow_none=True)
    territory = fields.List(fields.String(), load_default=list)


class DemandSchema(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    direction = fields.String()
    state = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    technology_field = fields.String(allow_none=True)
    ipc_classes = fields.List(fields.String())
    trl_min = fields.Integer(allow_none=True)
    budget = MoneyField(allow_none=True)
    territory = fields.List(fields.String())
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    close_reason = fields.String(allow_none=True)


class DemandCloseArgs(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                           metadata={"description": "why (found elsewhere, no longer needed...)"})


class PassArgs(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(PASS_REASONS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    demand_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "the caller's demand the listing "
                                                        "was matched to"})


class ListingPassSchema(Schema):
    org_id = fields.Integer()
    reason = fields.String()
    note = fields.String(allow_none=True)
    demand_id = fields.Integer(allow_none=True)
    passed_at = fields.DateTime()


class ListingPassPageSchema(Schema):
    listing_id = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(ListingPassSchema))


class ScorePartsSchema(Schema):
    text = fields.Float()
    ipc = fields.Float()
    trl = fields.Float()
    budget = fields.Float()
    field = fields.Float()


class ListingMatchSchema(Schema):
    listing_id = fields.Integer()
    reference = fields.String()
    title_zh = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    headline_price = MoneyField(allow_none=True)
    trl = fields.Integer()
    score = fields.Float()
    parts = fields.Nested(ScorePartsSchema)
    notes = fields.Dict()


class ListingMatchPageSchema(Schema):
    items = fields.List(fields.Nested(ListingMatchSchema))


class DemandMatchSchema(Schema):
    demand_id = fields.Integer()
    title = fields.String()
    org_id = fields.Integer()
    score = fields.Float()
    parts = fields.Nested(ScorePartsSchema)
    notes = fields.Dict()


class DemandMatchPageSchema(Schema):
    items = fields.List(fields.Nested(DemandMatchSchema))


class ComparableSchema(Schema):
    deal_reference = fields.String()
    listing_id = fields.Integer()
    buyer_org_id = fields.Integer()
    seller_org_id = fields.Integer()
    struck_on = fields.Date()
    price = MoneyField()
    converted = MoneyField(allow_none=True)
    trl = fields.Integer()
    shared_ipc = fields.List(fields.String())
    channel = fields.String()


class PriceRangeSchema(Schema):
    minimum = MoneyField()
    lower_quartile = MoneyField()
    median = MoneyField()
    upper_quartile = MoneyField()
    maximum = MoneyField()


class PriceGuidanceSchema(Schema):
    listing_id = fields.Integer()
    currency = fields.String()
    criteria = fields.Dict()
    count = fields.Integer()
    range = fields.Nested(PriceRangeSchema, allow_none=True)
    comparables = fields.List(fields.Nested(ComparableSchema))
    remaining_patent_years = fields.Integer(allow_none=True)


class RoyaltyArgs(Schema):
    royalty_rate = fields.Decimal(required=True, as_string=True)
    discount_rate = fields.Decimal(required=True, as_string=True)
    revenues = fields.List(MoneyField(), required=True, validate=validate.Length(min=1, max=30))
    first_year = fields.Integer(load_default=None, allow_none=True)


class RoyaltyStepSchema(Schema):
    year = fields.Integer()
    revenue = MoneyField()
    royalty = MoneyField()
    discount_factor = fields.Decimal(as_string=True)
    present_value = MoneyField()


class RoyaltyValueSchema(Schema):
    inputs = fields.Dict()
    formula = fields.String()
    steps = fields.List(fields.Nested(RoyaltyStepSchema))
    value = MoneyField()
