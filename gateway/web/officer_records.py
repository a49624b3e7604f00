"""Compliance officers' records: licences and letters of intent (restricted technology),
contract registrations (free technology) and technology contract certifications (the VAT
exemption), listed and recorded through forms.

A registration and a certification are two different records (DECISIONS.md): the first lets a
payout go for free technology, the second is the science and technology authorities'
certification. Each form calls the service the API calls (``compliance.export_control.records``);
a refusal comes back on the page, translated, with nothing written. Admins read; only
compliance officers record.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import case, select

from compliance.config import ComplianceConfig
from compliance.export_control.models import (
    Classification,
    ContractRegistration,
    Licence,
    TechnologyContractCertification,
)
from compliance.export_control.records import (
    LICENCE_KINDS,
    record_certification,
    record_licence,
    record_registration,
)
from compliance.export_control.service import SubjectRef
from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.web.errors import ErrorText, error_text
from gateway.web.helpers import refused
from gateway.web.views import bp
from kernel.errors import DomainError, InvalidInput

READERS = ("compliance_officer", "admin")
OFFICERS = ("compliance_officer",)
#: the fields each form shows (an error for any other field is shown above the form)
FORM_FIELDS = {
    "licence": ("subject", "kind", "number", "authority", "scope", "issued_on", "valid_from",
                "valid_to", "contract_signed_on"),
    "registration": ("subject", "contract_ref", "signed_on", "registration_number", "registered_on"),
    "certification": ("contract_ref", "certificate_number", "authority", "certified_on"),
}


def _subjects(session: Any, outcome: str) -> list[Classification]:
    """Decided classifications with ``outcome``, newest first (what a record can be for)."""
    rows = session.execute(select(Classification).where(
        Classification.status == "decided", Classification.outcome == outcome)
        .order_by(Classification.decided_at.desc(), Classification.id.desc()).limit(200)).scalars()
    return list(rows)


def _page(form: str | None = None, values: dict[str, str] | None = None,
          errors: dict[str, list[ErrorText]] | None = None, status: int = 200) -> ResponseReturnValue:
    status = refused(status)
    session = db_session()
    licences = session.execute(select(Licence).order_by(Licence.recorded_at.desc()).limit(200)).scalars().all()
    registrations = session.execute(select(ContractRegistration).order_by(
        case((ContractRegistration.status == "submitted", 0), else_=1),
        ContractRegistration.due_on).limit(200)).scalars().all()
    certifications = session.execute(select(TechnologyContractCertification).order_by(
        TechnologyContractCertification.recorded_at.desc()).limit(200)).scalars().all()
    return render_template(
        "officer/records.html", licences=licences, registrations=registrations,
        certifications=certifications, today=get_clock().now().date(),
        restricted=_subjects(session, "restricted"), free=_subjects(session, "free"),
        licence_kinds=LICENCE_KINDS, form=form, values=values or {}, errors=errors or {}), status


@bp.get("/compliance/records")
@allow(*READERS)
def officer_records() -> ResponseReturnValue:
    return _page()


def _date(name: str, *, required: bool = True) -> dt.date | None:
    text = request.form.get(name, "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field=name) from None


def _text(name: str) -> str:
    text = request.form.get(name, "").strip()
    if not text:
        raise InvalidInput(f"{name} is required", field=name)
    return text


def _subject() -> tuple[SubjectRef, str]:
    """The chosen classified subject: ``type:id:direction``."""
    parts = request.form.get("subject", "").split(":")
    if len(parts) != 3 or parts[2] not in ("export", "import"):
        raise InvalidInput("choose the classified subject", field="subject")
    return SubjectRef(parts[0], parts[1]), parts[2]


def _record(form: str, step: Any, done: str) -> ResponseReturnValue:
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        step(require_principal().actor, get_clock().now())
    except DomainError as exc:
        field = exc.field if exc.field in FORM_FIELDS[form] else "_form"
        return _page(form, values, {field: [error_text(exc)]}, 422)
    flash(done)
    return redirect(url_for("web.officer_records"))


@bp.post("/compliance/records/licences")
@allow(*OFFICERS)
def officer_record_licence() -> ResponseReturnValue:
    def step(actor: str, now: dt.datetime) -> None:
        subject, direction = _subject()
        record_licence(db_session(), subject, direction, request.form.get("kind", ""),
                       number=_text("number"), authority=_text("authority"), scope=_text("scope"),
                       issued_on=_date("issued_on"), valid_from=_date("valid_from"),
                       valid_to=_date("valid_to"),
                       contract_signed_on=_date("contract_signed_on", required=False),
                       now=now, actor=actor)

    return _record("licence", step, _("Licence recorded."))


@bp.post("/compliance/records/registrations")
@allow(*OFFICERS)
def officer_record_registration() -> ResponseReturnValue:
    def step(actor: str, now: dt.datetime) -> None:
        subject, direction = _subject()
        record_registration(db_session(), subject, direction, _text("contract_ref"),
                            signed_on=_date("signed_on"), now=now, actor=actor,
                            registration_number=request.form.get("registration_number", "").strip() or None,
                            registered_on=_date("registered_on", required=False),
                            config=ComplianceConfig.from_mapping(current_app.config))

    return _record("registration", step, _("Contract registration recorded."))


@bp.post("/compliance/records/certifications")
@allow(*OFFICERS)
def officer_record_certification() -> ResponseReturnValue:
    def step(actor: str, now: dt.datetime) -> None:
        record_certification(db_session(), _text("contract_ref"),
                             certificate_number=_text("certificate_number"),
                             authority=_text("authority"), certified_on=_date("certified_on"),
                             now=now, actor=actor)

    return _record("certification", step, _("Technology contract certification recorded."))
