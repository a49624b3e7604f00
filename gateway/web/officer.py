"""Compliance officers' pages: screening cases with each hit beside the party (score parts
shown), clear / confirm with a reason; the classification queue with suggested catalogue
entries and a classify form (records: ``officer_records``)."""
from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from compliance.cases.models import ScreeningCase
from compliance.cases.service import clear_case, confirm_case, get_case
from compliance.export_control.models import Classification
from compliance.export_control.service import SubjectRef, classify
from compliance.party import party_facts, ref_of_row
from gateway.auth.access import allow, require_principal
from gateway.compliance.api import _entry
from gateway.db import db_session, get_clock
from gateway.listings.links import apply_classification
from gateway.listings.models import Listing
from gateway.web.helpers import refused
from gateway.web.views import bp
from kernel.errors import DomainError

READERS = ("compliance_officer", "admin")
OFFICERS = ("compliance_officer",)


@bp.get("/compliance/cases")
@allow(*READERS)
def officer_cases() -> ResponseReturnValue:
    status = request.args.get("status", "open")
    stmt = select(ScreeningCase)
    if status in ("open", "cleared", "confirmed"):
        stmt = stmt.where(ScreeningCase.status == status)
    cases = db_session().execute(stmt.order_by(ScreeningCase.id).limit(200)).scalars().all()
    return render_template("officer/cases.html", cases=cases, status=status)


def _case_page(case_id: int, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    status = refused(status)
    session = db_session()
    case_row = get_case(session, case_id)
    facts = party_facts(session, ref_of_row(case_row))
    hits = [{"row": h, "hit": json.loads(h.hit), "entry": _entry(h.list_name, h.list_version, h.entry_id)}
            for h in case_row.hits]
    return render_template("officer/case.html", case=case_row, facts=facts, hits=hits, error=error,
                           detail=json.loads(case_row.detail or "{}")), status


@bp.get("/compliance/cases/<int:case_id>")
@allow(*READERS)
def officer_case(case_id: int) -> ResponseReturnValue:
    return _case_page(case_id)


@bp.post("/compliance/cases/<int:case_id>/clear", defaults={"decision": "clear"})
@bp.post("/compliance/cases/<int:case_id>/confirm", defaults={"decision": "confirm"})
@allow(*OFFICERS)
def officer_case_decide(case_id: int, decision: str) -> ResponseReturnValue:
    principal = require_principal()
    decide = clear_case if decision == "clear" else confirm_case
    try:
        decide(db_session(), case_id, principal.actor, request.form.get("reason", ""), get_clock().now())
    except DomainError as exc:
        return _case_page(case_id, exc.detail, 422)
    flash(_("Case %(id)s decided.", id=case_id))
    return redirect(url_for("web.officer_case", case_id=case_id))


def _queue(errors: dict[int, str] | None = None, status: int = 200) -> ResponseReturnValue:
    status = refused(status)
    session = db_session()
    pending = session.execute(select(Classification).where(Classification.status == "pending")
                              .order_by(Classification.id)).scalars().all()
    listing_ids = [int(c.subject_id) for c in pending if c.subject_type == "listing" and c.subject_id.isdigit()]
    listings = {str(l.id): l for l in session.execute(select(Listing).where(Listing.id.in_(listing_ids))).scalars()}
    items = [{"row": c, "suggestions": json.loads(c.suggestions or "[]"), "listing": listings.get(c.subject_id)}
             for c in pending]
    decided = session.execute(select(Classification).where(Classification.status == "decided")
                              .order_by(Classification.decided_at.desc()).limit(20)).scalars().all()
    return render_template("officer/classifications.html", items=items, decided=decided,
                           errors=errors or {}), status


@bp.get("/compliance/classifications")
@allow(*READERS)
def officer_classifications() -> ResponseReturnValue:
    return _queue()


@bp.post("/compliance/classifications/<int:classification_id>")
@allow(*OFFICERS)
def officer_classify(classification_id: int) -> ResponseReturnValue:
    principal = require_principal()
    session = db_session()
    row = session.get(Classification, classification_id)
    if row is None or row.status != "pending":
        flash(_("That classification request is no longer pending."))
        return redirect(url_for("web.officer_classifications"))
    code = request.form.get("entry_code", "").strip()
    if code == "other":
        code = request.form.get("other_code", "").strip()
    now = get_clock().now()
    try:
        decided = classify(session, SubjectRef(row.subject_type, row.subject_id), row.direction,
                           None if code in ("", "free") else code, principal.actor,
                           request.form.get("reason", ""), now)
        apply_classification(session, decided, now=now)  # a classified listing moves on
    except DomainError as exc:
        return _queue({classification_id: exc.detail}, 422)
    flash(_("Classified: %(outcome)s.", outcome=decided.outcome))
    return redirect(url_for("web.officer_classifications"))
