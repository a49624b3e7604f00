"""Compliance API: review cases, screenings, classifications, licences, registrations, tax
filings (compliance officers), and the compliance status of an organisation (staff in scope)."""
from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from compliance.cases.models import ScreeningCase
from compliance.cases.service import clear_case, confirm_case, get_case, party_clearance
from compliance.config import ComplianceConfig
from compliance.export_control.models import Classification
from compliance.export_control.records import (record_certification, record_licence,
                                               record_registration)
from compliance.export_control.service import SubjectRef, classify
from gateway.listings.links import apply_classification
from compliance.party import party_facts, ref_of_row
from compliance.payments.service import record_tax_filing
from compliance.screening.models import (ListEntryRecord, ListVersion, ScreeningRecord,
                                         WatchList)
from compliance.screening.service import evidence_of, screen_party
from gateway.auth.access import allow, require_principal
from gateway.db import db_session, get_clock
from gateway.idempotency import idempotent
from gateway.pagination import paginate
from kernel.errors import NotFound, PermissionDenied
from kernel.parties import Organisation

from .schemas import (CaseDetailSchema, CaseFilterArgs, CaseListSchema, CaseSchema,
                      CertificationArgs, CertificationSchema, ClassificationArgs, ClassificationFilterArgs, ClassificationListSchema,
                      ClassificationSchema, ClearanceSchema, DecisionArgs, LicenceArgs,
                      LicenceSchema, RegistrationArgs, RegistrationSchema, ScreeningArgs,
                      ScreeningSchema, TaxFilingArgs, TaxFilingSchema)

blp = Blueprint("compliance", __name__, url_prefix="/api/v1/compliance",
                description="Screening cases, technology control records and payment rules")

OFFICERS = ("compliance_officer",)
READERS = ("compliance_officer", "admin")


def _config() -> ComplianceConfig:
    return ComplianceConfig.from_mapping(current_app.config)


def _case_view(case: ScreeningCase) -> dict[str, Any]:
    ref = ref_of_row(case)
    return {"id": case.id, "kind": case.kind, "status": case.status, "severity": case.severity,
            "party": {"type": ref.type, "id": ref.id}, "summary": case.summary,
            "screening_record_id": case.screening_record_id, "opened_at": case.opened_at,
            "officer": case.officer, "reason": case.reason, "decided_at": case.decided_at}


def _entry(list_name: str, version: str, entry_id: str) -> dict[str, Any]:
    data = db_session().execute(
        select(ListEntryRecord.data)
        .join(ListVersion, ListEntryRecord.list_version_id == ListVersion.id)
        .join(WatchList, ListVersion.watch_list_id == WatchList.id)
        .where(WatchList.name == list_name, ListVersion.version_id == version,
               ListEntryRecord.entry_id == entry_id)).scalar_one_or_none()
    return json.loads(data) if data else {}


@blp.route("/cases")
class Cases(MethodView):
    @allow(*READERS)
    @blp.arguments(CaseFilterArgs, location="query")
    @blp.response(200, CaseListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Review cases, oldest first; filter by status and kind."""
        stmt = select(ScreeningCase)
        if args.get("status"):
            stmt = stmt.where(ScreeningCase.status == args["status"])
        if args.get("kind"):
            stmt = stmt.where(ScreeningCase.kind == args["kind"])
        items, nxt = paginate(db_session(), stmt, ScreeningCase.id, cursor=args.get("cursor"),
                              limit=args["limit"])
        return {"items": [_case_view(c) for c in items], "next": nxt}


@blp.route("/cases/<int:case_id>")
class CaseItem(MethodView):
    @allow(*READERS)
    @blp.response(200, CaseDetailSchema)
    def get(self, case_id: int) -> dict[str, Any]:
        """One case: the party's facts side by side with each list entry it resembles."""
        session = db_session()
        case = get_case(session, case_id)
        facts = party_facts(session, ref_of_row(case))
        view = _case_view(case)
        view["party_facts"] = {"type": facts.ref.type, "id": facts.ref.id, "names": list(facts.names),
                               "country": facts.country, "entity_type": facts.entity_type}
        view["hits"] = [{"list_name": h.list_name, "list_version": h.list_version,
                         "entry_id": h.entry_id, "entry_hash": h.entry_hash, "score": str(h.score),
                         "hit": json.loads(h.hit),
                         "entry": _entry(h.list_name, h.list_version, h.entry_id)} for h in case.hits]
        view["detail"] = json.loads(case.detail or "{}")
        return view


@blp.route("/cases/<int:case_id>/clear")
class CaseClear(MethodView):
    @allow(*OFFICERS)
    @blp.arguments(DecisionArgs)
    @blp.response(200, CaseSchema)
    def post(self, args: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Clear an open case (a false positive, or an explained payment pattern)."""
        principal = require_principal()
        return _case_view(clear_case(db_session(), case_id, principal.actor, args["reason"],
                                     get_clock().now()))


@blp.route("/cases/<int:case_id>/confirm")
class CaseConfirm(MethodView):
    @allow(*OFFICERS)
    @blp.arguments(DecisionArgs)
    @blp.response(200, CaseSchema)
    def post(self, args: dict[str, Any], case_id: int) -> dict[str, Any]:
        """Confirm an open case: the party is blocked from trading and payment."""
        principal = require_principal()
        return _case_view(confirm_case(db_session(), case_id, principal.actor, args["reason"],
                                       get_clock().now()))


@blp.route("/screenings")
class Screenings(MethodView):
    @allow(*OFFICERS)
    @idempotent
    @blp.arguments(ScreeningArgs)
    @blp.response(201, ScreeningSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Screen an organisation against the active lists now (stored, audited; may open a case)."""
        principal = require_principal()
        session = db_session()
        org = session.get(Organisation, args["organisation_id"])
        if org is None:
            raise NotFound(f"no organisation {args['organisation_id']}")
        outcome = screen_party(session, org, args["purpose"], get_clock().now(), principal.actor,
                               _config())
        rec: ScreeningRecord = outcome.record
        return {"id": rec.id, "decision": rec.decision, "top_score": str(rec.top_score),
                "hits": json.loads(rec.hits), "list_versions": json.loads(rec.list_versions),
                "matcher_version": rec.matcher_version,
                **evidence_of(json.loads(rec.results)),
                "case_id": outcome.case.id if outcome.case else None, "new_hits": outcome.new_hits}


@blp.route("/organisations/<int:org_id>/status")
class OrganisationStatus(MethodView):
    @allow("compliance_officer", "admin", "subcentre_staff")
    @blp.response(200, ClearanceSchema)
    def get(self, org_id: int) -> dict[str, Any]:
        """Whether an organisation may trade and be paid, and why not; staff see their own
        sub-centre's organisations only."""
        principal = require_principal()
        session = db_session()
        org = session.get(Organisation, org_id)
        if org is None:
            raise NotFound(f"no organisation {org_id}")
        if principal.role == "subcentre_staff" and org.subcentre_id != principal.subcentre_id:
            raise PermissionDenied("this organisation is outside your sub-centre")
        clearance = party_clearance(session, org, _config())
        last = session.get(ScreeningRecord, clearance.last_screening_id) \
            if clearance.last_screening_id else None
        return {"organisation_id": org.id, **clearance.to_dict(),
                "last_screened_at": last.screened_at if last else None,
                "last_decision": last.decision if last else None}


@blp.route("/classifications")
class Classifications(MethodView):
    @allow(*READERS)
    @blp.arguments(ClassificationFilterArgs, location="query")
    @blp.response(200, ClassificationListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Classifications, e.g. ``?status=pending`` for the officer's queue (with suggestions)."""
        stmt = select(Classification)
        if args.get("status"):
            stmt = stmt.where(Classification.status == args["status"])
        items, nxt = paginate(db_session(), stmt, Classification.id, cursor=args.get("cursor"),
                              limit=args["limit"])
        return {"items": items, "next": nxt}

    @allow(*OFFICERS)
    @idempotent
    @blp.arguments(ClassificationArgs)
    @blp.response(201, ClassificationSchema)
    def post(self, args: dict[str, Any]) -> Classification:
        """Classify a subject: an entry code (prohibited / restricted) or null (free)."""
        principal = require_principal()
        now = get_clock().now()
        row = classify(db_session(), SubjectRef(args["subject_type"], args["subject_id"]),
                       args["direction"], args["entry_code"], principal.actor, args["reason"], now)
        apply_classification(db_session(), row, now=now)  # a classified listing moves on
        return row


@blp.route("/licences")
class Licences(MethodView):
    @allow(*OFFICERS)
    @idempotent
    @blp.arguments(LicenceArgs)
    @blp.response(201, LicenceSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Record a letter of intent or a licence for restricted technology."""
        principal = require_principal()
        subject = SubjectRef(args.pop("subject_type"), args.pop("subject_id"))
        direction, kind = args.pop("direction"), args.pop("kind")
        return record_licence(db_session(), subject, direction, kind, now=get_clock().now(),
                              actor=principal.actor, **args)


@blp.route("/registrations")
class Registrations(MethodView):
    @allow(*OFFICERS)
    @idempotent
    @blp.arguments(RegistrationArgs)
    @blp.response(201, RegistrationSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Record (or confirm, with number and date) a free-technology contract registration."""
        principal = require_principal()
        subject = SubjectRef(args.pop("subject_type"), args.pop("subject_id"))
        direction, contract_ref = args.pop("direction"), args.pop("contract_ref")
        return record_registration(db_session(), subject, direction, contract_ref,
                                   now=get_clock().now(), actor=principal.actor, config=_config(),
                                   **args)


@blp.route("/certifications")
class Certifications(MethodView):
    @allow(*OFFICERS)
    @idempotent
    @blp.arguments(CertificationArgs)
    @blp.response(201, CertificationSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Record a technology contract certification by the science and technology authorities
        (the VAT exemption's evidence; not the contract registration)."""
        principal = require_principal()
        return record_certification(db_session(), args.pop("contract_ref"), now=get_clock().now(),
                                    actor=principal.actor, **args)


@blp.route("/tax-filings")
class TaxFilings(MethodView):
    @allow(*OFFICERS)
    @idempotent
    @blp.arguments(TaxFilingArgs)
    @blp.response(201, TaxFilingSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Record a contract's tax filing (covers every payment under the contract)."""
        principal = require_principal()
        return record_tax_filing(db_session(), args.pop("contract_ref"), now=get_clock().now(),
                                 actor=principal.actor, **args)
