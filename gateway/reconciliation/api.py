"""Reconciliation API for finance (and admin): upload statements, work the exceptions queue,
read the report (JSON, or CSV with ``Accept: text/csv`` or ``format=csv``)."""
from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from gateway.api.spec import may_answer
from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.idempotency import idempotent
from gateway.pagination import paginate
from gateway.reconciliation.source import get_config, get_source
from gateway.reconciliation.upload import bank_account, upload_statement
from gateway.schemas import MoneyField, PageArgs, PageSchema
from kernel.errors import InvalidInput
from settlement.reconciliation.exceptions import (
    manual_match, split_line, unmatch, unmatch_exception, view, write_off,
)
from settlement.reconciliation.matching.references import compact
from settlement.reconciliation.models import (
    EXCEPTION_KINDS, EXCEPTION_STATUSES, BankAccount, Match, ReconException,
)
from settlement.reconciliation.report import build_report, parse_period, report_csv

blp = Blueprint("reconciliation", __name__, url_prefix="/api/v1/reconciliation",
                description="Bank statements, matching and the exceptions queue (finance)")

FINANCE = ("finance", "admin")


class UploadArgs(Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(["camt053", "csv"]))
    profile = fields.String(load_default=None, metadata={"description": "CSV profile name"})
    account = fields.String(load_default=None, metadata={"description": "IBAN or bank id"})
    opening_balance = fields.String(load_default=None)
    closing_balance = fields.String(load_default=None)


class UploadResultSchema(Schema):
    statement_ids = fields.List(fields.Integer())
    line_count = fields.Integer()
    source_format = fields.String()
    matching = fields.Dict()


class CandidateSchema(Schema):
    instruction_id = fields.String()
    reference = fields.String()
    score = fields.Integer()
    rule = fields.String()
    parts = fields.Dict()
    amount = fields.String()
    currency = fields.String()
    due_date = fields.String()
    counterparty = fields.String(allow_none=True)


class ExceptionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    bank_account_id = fields.Integer(allow_none=True)
    line_id = fields.Integer(allow_none=True)
    instruction_id = fields.String(allow_none=True)
    amount = MoneyField()
    item_date = fields.Date(allow_none=True)
    candidates = fields.List(fields.Nested(CandidateSchema))
    note = fields.String()
    created_at = fields.DateTime()
    resolution = fields.String(allow_none=True)
    match_id = fields.Integer(allow_none=True)


class ExceptionListSchema(PageSchema):
    items = fields.List(fields.Nested(ExceptionSchema))


class ExceptionFilterArgs(PageArgs):
    status = fields.String(load_default="open", validate=validate.OneOf(EXCEPTION_STATUSES))
    kind = fields.String(load_default=None, validate=validate.OneOf(EXCEPTION_KINDS))
    account = fields.String(load_default=None)


class MatchArgs(Schema):
    instruction_id = fields.String(load_default=None, metadata={
        "description": "for a line's exception: the instruction to match it to"})
    line_id = fields.Integer(load_default=None, metadata={
        "description": "for an unpaid instruction's exception: the line that pays it"})
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class SplitPart(Schema):
    instruction_id = fields.String(required=True)
    amount = MoneyField(required=True)


class SplitArgs(Schema):
    parts = fields.List(fields.Nested(SplitPart), required=True,
                        validate=validate.Length(min=2, max=50))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class ReasonArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class WriteOffArgs(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class MatchSchema(Schema):
    id = fields.Integer()
    instruction_id = fields.String()
    reference = fields.String()
    direction = fields.String()
    rule = fields.String()
    score = fields.Integer()
    status = fields.String()
    complete = fields.Boolean()
    currency = fields.String()
    settled_minor = fields.Integer()
    charges_minor = fields.Integer()
    written_off_minor = fields.Integer()
    revert_reason = fields.String(allow_none=True)


class MatchListSchema(Schema):
    items = fields.List(fields.Nested(MatchSchema))


class ReportArgs(Schema):
    account = fields.String(required=True, metadata={"description": "IBAN or bank id"})
    currency = fields.String(load_default=None)
    period = fields.String(required=True, metadata={
        "description": "YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"})
    format = fields.String(load_default=None, validate=validate.OneOf(["json", "csv"]))


def _principal_actor() -> str:
    return require_principal().actor


@blp.route("/statements")
class Statements(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(UploadArgs, location="form")
    @blp.response(201, UploadResultSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Upload a statement (multipart ``file``): camt.053, or CSV with its profile. The file
        is imported whole or not at all, then matched; the summary says what matched."""
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("upload the statement as the multipart field 'file'", field="file")
        return upload_statement(db_session(), upload.read(), actor=_principal_actor(),
                                fmt=args["format"], profile=args["profile"],
                                account=args["account"], opening_balance=args["opening_balance"],
                                closing_balance=args["closing_balance"]).as_dict()


@blp.route("/exceptions")
class Exceptions(MethodView):
    @allow(*FINANCE)
    @blp.arguments(ExceptionFilterArgs, location="query")
    @blp.response(200, ExceptionListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The exceptions queue, oldest first, with suggested candidates and their scores."""
        session = db_session()
        stmt = select(ReconException).where(ReconException.status == args["status"])
        if args.get("kind"):
            stmt = stmt.where(ReconException.kind == args["kind"])
        if args.get("account"):
            ids = [b.id for b in session.execute(select(BankAccount).where(
                BankAccount.identifier == compact(args["account"]))).scalars()]
            stmt = stmt.where(ReconException.bank_account_id.in_(ids))
        items, nxt = paginate(session, stmt, ReconException.id, cursor=args.get("cursor"),
                              limit=args["limit"])
        return {"items": [view(x) for x in items], "next": nxt}


def _exception_view(exception_id: int) -> Any:
    exc = db_session().get(ReconException, exception_id)
    return view(exc)


@blp.route("/exceptions/<int:exception_id>/match")
class ExceptionMatch(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(MatchArgs)
    @blp.response(200, ExceptionSchema)
    def post(self, args: dict[str, Any], exception_id: int) -> Any:
        """Match the exception's line to an instruction (or an unpaid instruction to a line)."""
        manual_match(db_session(), get_source(), exception_id, at=get_clock().now(),
                     actor=_principal_actor(), instruction_id=args["instruction_id"],
                     line_id=args["line_id"], config=get_config(), note=args["note"])
        return _exception_view(exception_id)


@blp.route("/exceptions/<int:exception_id>/split")
class ExceptionSplit(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(SplitArgs)
    @blp.response(200, ExceptionSchema)
    def post(self, args: dict[str, Any], exception_id: int) -> Any:
        """Split the exception's line over several instructions (amounts add up to the line)."""
        split_line(db_session(), get_source(), exception_id,
                   [(p["instruction_id"], p["amount"]) for p in args["parts"]],
                   at=get_clock().now(), actor=_principal_actor(), note=args["note"])
        return _exception_view(exception_id)


@blp.route("/exceptions/<int:exception_id>/unmatch")
class ExceptionUnmatch(MethodView):
    @allow(*FINANCE)
    @blp.arguments(ReasonArgs)
    @blp.response(200, MatchSchema)
    def post(self, args: dict[str, Any], exception_id: int) -> Any:
        """Undo the match that resolved this exception (a reason is required)."""
        return unmatch_exception(db_session(), get_source(), exception_id,
                                 reason=args["reason"], at=get_clock().now(),
                                 actor=_principal_actor())


@blp.route("/exceptions/<int:exception_id>/write-off")
class ExceptionWriteOff(MethodView):
    @allow(*FINANCE)
    @idempotent
    @blp.arguments(WriteOffArgs)
    @blp.response(200, ExceptionSchema)
    def post(self, args: dict[str, Any], exception_id: int) -> Any:
        """Write off a small shortfall (within the configured limit) and settle in full."""
        write_off(db_session(), get_source(), exception_id, at=get_clock().now(),
                  actor=_principal_actor(), config=get_config(), reason=args["reason"])
        return _exception_view(exception_id)


@blp.route("/matches")
class Matches(MethodView):
    @allow(*FINANCE)
    @blp.response(200, MatchListSchema)
    def get(self) -> dict[str, Any]:
        """The latest 200 matches (newest first)."""
        rows = db_session().execute(select(Match).order_by(Match.id.desc()).limit(200))
        return {"items": rows.scalars().all()}


@blp.route("/matches/<int:match_id>/unmatch")
class MatchUnmatch(MethodView):
    @allow(*FINANCE)
    @blp.arguments(ReasonArgs)
    @blp.response(200, MatchSchema)
    def post(self, args: dict[str, Any], match_id: int) -> Any:
        """Undo a match, automatic or manual: ledger transfers reversed, lines back in the
        queue, the instruction reopened (a reason is required)."""
        return unmatch(db_session(), get_source(), match_id, reason=args["reason"],
                       at=get_clock().now(), actor=_principal_actor())


@blp.route("/report")
class Report(MethodView):
    @allow(*FINANCE)
    @may_answer(404)  # an unknown bank account in the query
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Statement vs ledger balances, matched / unmatched, ageing of open items."""
        session = db_session()
        bank = bank_account(session, args["account"], args["currency"])
        try:
            start, end = parse_period(args["period"])
        except ValueError:
            raise InvalidInput("period is YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD",
                               field="period") from None
        report = build_report(session, bank.id, start, end, ledger_at=get_clock().now())
        wants_csv = args["format"] == "csv" or (
            args["format"] is None and request.accept_mimetypes.best_match(
                ["application/json", "text/csv"]) == "text/csv")
        if wants_csv:
            name = f"reconciliation-{bank.identifier}-{bank.currency}-{args['period']}.csv"
            return Response(report_csv(report), mimetype="text/csv", headers={
                "Content-Disposition": f'attachment; filename="{name}"'})
        return report.as_dict()
