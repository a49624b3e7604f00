"""Settlement plans over HTTP: a deal's plan, instructions for finance, funds received and
payout confirmed, royalty reports from the licensee, advices as HTML and PDF."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from gateway.auth.access import allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from gateway.idempotency import idempotent
from gateway.pagination import paginate
from gateway.schemas import DecimalString, MoneyField, PageArgs, PageSchema
from gateway.settlement import plan_config
from kernel.errors import PermissionDenied
from kernel.parties import Organisation
from settlement.documents import advice_for, render_advice_html, render_advice_pdf
from settlement.plans import (
    STATUSES, SettlementInstruction, SettlementPlan, confirm_payout, get_plan, plan_for_deal,
    record_funds_received, submit_royalty_report,
)
from settlement.plans.errors import PlanNotFound
from settlement.plans.references import print_rf

blp = Blueprint("settlement", __name__, url_prefix="/api/v1",
                description="Settlement plans and instructions")


class LineSchema(Schema):
    kind = fields.String()
    rule = fields.String()
    rate = DecimalString(allow_none=True)
    amount = MoneyField(metadata={"description": "in the contract currency"})
    booked = MoneyField(allow_none=True, metadata={"description": "in the pay-in currency"})


class InstructionSchema(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    seq = fields.Integer()
    ref = fields.String(metadata={"description": "short human id, e.g. STX-2026-000123-02"})
    rf_reference = fields.String(metadata={"description": "ISO 11649 creditor reference"})
    rf_printed = fields.Function(lambda i: print_rf(i.rf_reference))
    kind = fields.String()
    label = fields.String()
    status = fields.String()
    held_reason = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    due_event = fields.String(allow_none=True)
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    payer_org_id = fields.Integer()
    payee_org_id = fields.Integer()
    gross = MoneyField()
    deposit = MoneyField(metadata={"description": "the buyer's deposit applied: the pay-in "
                                                  "is the gross less it"})
    deposit_booked = MoneyField(allow_none=True, metadata={
        "description": "the deposit in the pay-in currency (at the mid rate)"})
    payin = MoneyField(allow_none=True)
    payout = MoneyField(allow_none=True)
    payin_rate = DecimalString(allow_none=True)
    payout_rate = DecimalString(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema))


class PlanSchema(Schema):
    id = fields.Integer()
    deal_ref = fields.String()
    contract_ref = fields.String()
    direction = fields.String()
    status = fields.String()
    buyer_org_id = fields.Integer()
    seller_org_id = fields.Integer()
    subcentre_id = fields.Integer(allow_none=True)
    broker_org_id = fields.Integer(allow_none=True)
    contract_currency = fields.String()
    payin_currency = fields.String()
    payout_currency = fields.String()
    price = MoneyField()
    rate_policy = fields.String()
    payin_lock_id = fields.Integer(allow_none=True)
    payout_lock_id = fields.Integer(allow_none=True)
    transaction_type = fields.String()
    instructions = fields.List(fields.Nested(InstructionSchema))


class InstructionListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))


class InstructionListSchema(PageSchema):
    items = fields.List(fields.Nested(InstructionSchema))


class FundsReceivedSchema(Schema):
    amount = MoneyField(required=True)
    bank_reference = fields.String(load_default=None, validate=validate.Length(max=100))


class PayoutConfirmedSchema(Schema):
    bank_reference = fields.String(load_default=None, validate=validate.Length(max=100))


class RoyaltyReportSchema(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    net_sales = MoneyField(required=True)


class RoyaltyReportResultSchema(Schema):
    instruction = fields.Nested(InstructionSchema, allow_none=True,
                                metadata={"description": "null when the royalty is zero"})


class AdviceArgs(Schema):
    party = fields.String(required=True, validate=validate.OneOf(["payer", "payee"]))
    locale = fields.String(load_default=None)


def can_see_plan(principal: Principal, plan: SettlementPlan) -> bool:
    """Finance and admins see every plan; staff the plans of their sub-centre or of the
    organisations it represents; buyers and sellers the plans of their own deals."""
    if principal.role in ("finance", "admin"):
        return True
    if principal.role == "subcentre_staff":
        if plan.subcentre_id == principal.subcentre_id:
            return True
        orgs = db_session().execute(select(Organisation.subcentre_id).where(
            Organisation.id.in_([plan.buyer_org_id, plan.seller_org_id]))).scalars()
        return principal.subcentre_id in set(orgs)
    if principal.role in ("buyer", "seller"):
        return principal.organisation_id in (plan.buyer_org_id, plan.seller_org_id)
    return False


def _visible(plan: SettlementPlan) -> SettlementPlan:
    if not can_see_plan(require_principal(), plan):
        raise PermissionDenied("this settlement plan is outside your scope")
    return plan


def _instruction(instruction_id: int) -> SettlementInstruction:
    instr = db_session().get(SettlementInstruction, instruction_id)
    if instr is None:
        raise PlanNotFound(f"no settlement instruction {instruction_id}")
    return instr


@blp.route("/deals/<deal_ref>/settlement-plan")
class DealSettlementPlan(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "finance", "admin")
    @blp.response(200, PlanSchema)
    def get(self, deal_ref: str) -> SettlementPlan:
        """A deal's settlement plan with its instructions and their figures."""
        return _visible(plan_for_deal(db_session(), deal_ref))


@blp.route("/settlement/instructions")
class Instructions(MethodView):
    @allow("finance", "admin")
    @blp.arguments(InstructionListArgs, location="query")
    @blp.response(200, InstructionListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Instructions, optionally in one status (``?status=due``)."""
        stmt = select(SettlementInstruction)
        if args.get("status"):
            stmt = stmt.where(SettlementInstruction.status == args["status"])
        items, nxt = paginate(db_session(), stmt, SettlementInstruction.id,
                              cursor=args.get("cursor"), limit=args["limit"])
        return {"items": items, "next": nxt}


@blp.route("/settlement/instructions/<int:instruction_id>/funds-received")
class FundsReceived(MethodView):
    @allow("finance")
    @idempotent
    @blp.arguments(FundsReceivedSchema)
    @blp.response(200, InstructionSchema)
    def post(self, args: dict[str, Any], instruction_id: int) -> SettlementInstruction:
        """Record the buyer's payment as received (the exact pay-in amount; idempotent)."""
        return record_funds_received(db_session(), instruction_id, args["amount"],
                                     now=get_clock().now(), actor=require_principal().actor,
                                     bank_ref=args["bank_reference"])


@blp.route("/settlement/instructions/<int:instruction_id>/payout-confirmed")
class PayoutConfirmed(MethodView):
    @allow("finance")
    @idempotent
    @blp.arguments(PayoutConfirmedSchema)
    @blp.response(200, InstructionSchema)
    def post(self, args: dict[str, Any], instruction_id: int) -> SettlementInstruction:
        """Confirm a payout left the bank: the instruction is settled (idempotent)."""
        return confirm_payout(db_session(), instruction_id, now=get_clock().now(),
                              actor=require_principal().actor, bank_ref=args["bank_reference"])


@blp.route("/settlement/plans/<int:plan_id>/royalty-reports")
class RoyaltyReports(MethodView):
    @allow("buyer")
    @idempotent
    @blp.arguments(RoyaltyReportSchema)
    @blp.response(201, RoyaltyReportResultSchema)
    def post(self, args: dict[str, Any], plan_id: int) -> dict[str, Any]:
        """The licensee reports net sales for one royalty period."""
        principal = require_principal()
        plan = get_plan(db_session(), plan_id)
        if principal.organisation_id != plan.buyer_org_id:
            raise PermissionDenied("only the licensee of this deal reports its royalties")
        instr = submit_royalty_report(db_session(), plan_id, period_start=args["period_start"],
                                      period_end=args["period_end"], net_sales=args["net_sales"],
                                      now=get_clock().now(), actor=principal.actor,
                                      config=plan_config())
        return {"instruction": instr}


def _advice(instruction_id: int, args: dict[str, Any]) -> Any:
    principal = require_principal()
    instr = _instruction(instruction_id)
    _visible(instr.plan)
    own = {"payer": instr.payer_org_id, "payee": instr.payee_org_id}[args["party"]]
    if principal.role in ("buyer", "seller") and principal.organisation_id != own:
        raise PermissionDenied("a party sees its own advice only")
    return advice_for(db_session(), instr, args["party"], locale=args["locale"])


@blp.route("/settlement/instructions/<int:instruction_id>/advice.html")
class AdviceHtml(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "finance", "admin")
    @blp.arguments(AdviceArgs, location="query")
    @blp.response(200, content_type="text/html", description="the advice as an HTML page")
    def get(self, args: dict[str, Any], instruction_id: int) -> Response:
        """A party's settlement advice as HTML, in its locale and currency."""
        return Response(render_advice_html(_advice(instruction_id, args)), mimetype="text/html")


@blp.route("/settlement/instructions/<int:instruction_id>/advice.pdf")
class AdvicePdf(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "finance", "admin")
    @blp.arguments(AdviceArgs, location="query")
    @blp.response(200, content_type="application/pdf", description="the advice as PDF")
    def get(self, args: dict[str, Any], instruction_id: int) -> Response:
        """A party's settlement advice as PDF."""
        advice = _advice(instruction_id, args)
        resp = Response(render_advice_pdf(advice), mimetype="application/pdf")
        resp.headers["Content-Disposition"] = f'inline; filename="{advice.ref}-{advice.party}.pdf"'
        return resp
