"""Finance's reconciliation pages: upload a statement and see what it matched; work the
exceptions queue (match to a suggested candidate in one click, split a line over several
instructions, unmatch with a reason, write off a small difference).

Every step calls the service the API calls (``upload_statement``; ``manual_match``,
``split_line``, ``unmatch_exception``, ``write_off``), so the rules, the ledger postings and
the audit events are the same whichever door was used. A refusal rolls the request back and
the page says why, translated (``gateway.web.errors``).
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from moneyed import Money
from sqlalchemy import select

from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.reconciliation.api import FINANCE
from gateway.reconciliation.source import get_config, get_source
from gateway.reconciliation.upload import FORMATS, upload_statement
from gateway.web.errors import ErrorText, error_text
from gateway.web.helpers import refused
from gateway.web.labels import EXCEPTION_KIND_LABELS, RESOLUTION_LABELS, RULE_LABELS
from gateway.web.views import bp
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.money import from_minor, parse_amount
from settlement.reconciliation.exceptions import (
    manual_match,
    split_line,
    unmatch_exception,
    view,
    write_off,
)
from settlement.reconciliation.models import (
    EXCEPTION_KINDS,
    BankAccount,
    ReconException,
    StatementLineRecord,
)
from settlement.reconciliation.statements.csv_profiles import PROFILES

QUEUE_LIMIT = 100
#: rows of the split form
SPLIT_ROWS = 3
#: open payments offered in the pick lists, per currency
PICK_LIMIT = 300
_LAST_UPLOAD = "recon_last_upload"


def _accounts() -> list[BankAccount]:
    return list(db_session().execute(select(BankAccount).order_by(BankAccount.id)).scalars())


def _upload_page(values: dict[str, str], errors: dict[str, list[ErrorText]] | None = None,
                 status: int = 200) -> ResponseReturnValue:
    status = refused(status)
    summary = cookie.pop(_LAST_UPLOAD, None) if not errors else None
    return render_template("reconciliation/upload.html", accounts=_accounts(), formats=FORMATS,
                           profiles=sorted(PROFILES), values=values, errors=errors or {},
                           summary=summary, rule_labels=RULE_LABELS), status


@bp.get("/reconciliation/upload")
@allow(*FINANCE)
def reconciliation_upload() -> ResponseReturnValue:
    return _upload_page({"format": "camt053"})


@bp.post("/reconciliation/upload")
@allow(*FINANCE)
def reconciliation_upload_post() -> ResponseReturnValue:
    values = {k: request.form.get(k, "").strip() for k in
              ("format", "profile", "account", "opening_balance", "closing_balance")}
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    try:
        if not data:
            raise InvalidInput("choose the statement file to upload", field="file")
        if values["format"] not in FORMATS:
            raise InvalidInput(f"format is one of {FORMATS}", field="format")
        outcome = upload_statement(
            db_session(), data, actor=require_principal().actor, fmt=values["format"],
            profile=values["profile"] or None, account=values["account"] or None,
            opening_balance=values["opening_balance"] or None,
            closing_balance=values["closing_balance"] or None)
    except DomainError as exc:
        field = exc.field if exc.field in ("file", "profile", "account",
                                           "opening_balance", "closing_balance") else "_form"
        return _upload_page(values, {field: [error_text(exc)]}, 422)
    s = outcome.summary
    cookie[_LAST_UPLOAD] = {
        "file": upload.filename if upload is not None else "",
        "entries": outcome.result.line_count, "statements": len(outcome.result.statement_ids),
        "format": outcome.result.source_format, "matched": s.matched_lines,
        "by_rule": dict(s.by_rule), "to_exceptions": outcome.to_exceptions,
        "unpaid": outcome.unpaid_listed,
        "exceptions": dict(s.exceptions)}
    return redirect(url_for("web.reconciliation_upload"))


# -- the exceptions queue -------------------------------------------------------------------

def _pick_lists(session: Any, today: dt.date) -> dict[str, list[Any]]:
    """Open expected payments per currency, for the match and split forms."""
    out: dict[str, list[Any]] = defaultdict(list)
    payments = get_source().open_payments(session, currency=None,
                                          since=today - dt.timedelta(days=730),
                                          until=today + dt.timedelta(days=730))
    for pay in payments:
        if len(out[pay.currency]) < PICK_LIMIT:
            out[pay.currency].append(pay)
    return out


def _open_lines(session: Any) -> dict[str, list[dict[str, Any]]]:
    """Received money not yet allocated, per currency (to match an unpaid instruction to)."""
    rows = session.execute(select(StatementLineRecord).where(
        StatementLineRecord.match_status.in_(("unmatched", "exception", "partial")),
        StatementLineRecord.direction == "CRDT", StatementLineRecord.reversal.is_(False))
        .order_by(StatementLineRecord.id).limit(PICK_LIMIT)).scalars()
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row.currency].append({
            "id": row.id, "date": row.value_date or row.booking_date,
            "free": from_minor(row.amount_minor - row.allocated_minor, row.currency),
            "who": row.debtor_name or row.remittance_text or row.entry_ref or ""})
    return out


def _queue(errors: dict[int, list[ErrorText]] | None = None, status: int = 200,
           values: dict[str, str] | None = None) -> ResponseReturnValue:
    status = refused(status)
    session = db_session()
    kind = request.args.get("kind") or None
    stmt = select(ReconException).where(ReconException.status == "open")
    if kind in EXCEPTION_KINDS:
        stmt = stmt.where(ReconException.kind == kind)
    rows = session.execute(stmt.order_by(ReconException.id).limit(QUEUE_LIMIT)).scalars().all()
    line_ids = [r.line_id for r in rows if r.line_id is not None]
    lines = {x.id: x for x in session.execute(select(StatementLineRecord).where(
        StatementLineRecord.id.in_(line_ids))).scalars()} if line_ids else {}
    source = get_source()
    iids = sorted({r.instruction_id for r in rows if r.instruction_id})
    known = source.payments(session, iids) if iids else {}
    cfg = get_config()
    items = []
    for row in rows:
        v = view(row)
        for c in v.candidates:  # shown in the reader's number format
            if c.get("amount") and c.get("currency"):
                c["money"] = Money(Decimal(c["amount"]), c["currency"])
        items.append({"v": v, "line": lines.get(row.line_id), "pay": known.get(row.instruction_id or ""),
                      "limit": cfg.write_off_limit_money(row.currency)})
    resolved = session.execute(select(ReconException).where(
        ReconException.status == "resolved", ReconException.match_id.is_not(None))
        .order_by(ReconException.resolved_at.desc(), ReconException.id.desc()).limit(20)).scalars().all()
    today = get_clock().now().date()
    return render_template(
        "reconciliation/exceptions.html", items=items, resolved=[view(r) for r in resolved],
        picks=_pick_lists(session, today), open_lines=_open_lines(session), kind=kind or "",
        kinds=EXCEPTION_KINDS, kind_labels=EXCEPTION_KIND_LABELS, rule_labels=RULE_LABELS,
        resolution_labels=RESOLUTION_LABELS, errors=errors or {}, values=values or {},
        split_rows=range(1, SPLIT_ROWS + 1), json=json), status


@bp.get("/reconciliation/exceptions")
@allow(*FINANCE)
def reconciliation_exceptions() -> ResponseReturnValue:
    return _queue()


def _act(exception_id: int, step: Any, done: str) -> ResponseReturnValue:
    try:
        step()
    except DomainError as exc:
        return _queue({exception_id: [error_text(exc)]}, 422,
                      {k: v for k, v in request.form.items() if k != "csrf_token"})
    flash(done)
    return redirect(url_for("web.reconciliation_exceptions"))


def _now_actor() -> tuple[dt.datetime, str]:
    return get_clock().now(), require_principal().actor


@bp.post("/reconciliation/exceptions/<int:exception_id>/match")
@allow(*FINANCE)
def reconciliation_match(exception_id: int) -> ResponseReturnValue:
    at, actor = _now_actor()
    line_id = request.form.get("line_id", "").strip()

    def step() -> None:
        if line_id and not line_id.isdigit():
            raise InvalidInput("choose a statement line", field="line_id")
        manual_match(db_session(), get_source(), exception_id, at=at, actor=actor,
                     instruction_id=request.form.get("instruction_id", "").strip() or None,
                     line_id=int(line_id) if line_id else None, config=get_config(),
                     note=request.form.get("note", "").strip() or None)

    return _act(exception_id, step, _("Item %(id)s matched.", id=exception_id))


@bp.post("/reconciliation/exceptions/<int:exception_id>/split")
@allow(*FINANCE)
def reconciliation_split(exception_id: int) -> ResponseReturnValue:
    at, actor = _now_actor()

    def step() -> None:
        exc = db_session().get(ReconException, exception_id)
        if exc is None:
            raise NotFound(f"no exception {exception_id}")
        ccy = exc.currency
        parts = []
        for n in range(1, SPLIT_ROWS + 1):
            iid = request.form.get(f"part_instruction_{n}", "").strip()
            amount = request.form.get(f"part_amount_{n}", "").strip()
            if iid or amount:
                if not iid:
                    raise InvalidInput("choose the instruction of each amount", field="parts")
                parts.append((iid, parse_amount(amount, ccy, "parts")))
        split_line(db_session(), get_source(), exception_id, parts, at=at, actor=actor,
                   note=request.form.get("note", "").strip() or None)

    return _act(exception_id, step, _("Item %(id)s split.", id=exception_id))


@bp.post("/reconciliation/exceptions/<int:exception_id>/unmatch")
@allow(*FINANCE)
def reconciliation_unmatch(exception_id: int) -> ResponseReturnValue:
    at, actor = _now_actor()

    def step() -> None:
        unmatch_exception(db_session(), get_source(), exception_id,
                          reason=request.form.get("reason", "").strip(), at=at, actor=actor)

    return _act(exception_id, step, _("The match of item %(id)s was undone; its line is back in "
                                      "the queue.", id=exception_id))


@bp.post("/reconciliation/exceptions/<int:exception_id>/write-off")
@allow(*FINANCE)
def reconciliation_write_off(exception_id: int) -> ResponseReturnValue:
    at, actor = _now_actor()

    def step() -> None:
        write_off(db_session(), get_source(), exception_id, at=at, actor=actor,
                  config=get_config(), reason=request.form.get("reason", "").strip() or None)

    return _act(exception_id, step, _("The difference of item %(id)s was written off.",
                                      id=exception_id))
