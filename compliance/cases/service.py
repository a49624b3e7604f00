"""Opening and deciding review cases, and the party clearance every gate starts from.

``party_clearance`` is the gate listings, bids, deals and payments call: a party is allowed
only when it has been screened under its current names, is not in an embargoed country, and has
no open or confirmed case.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event

from ..config import ComplianceConfig
from ..party import (PartyFacts, PartyLike, PartyRef, Reason, party_columns, party_country,
                     party_facts, party_filter, party_ref, text_digest)
from ..screening.model import Hit
from ..screening.service import evidence_of
from ..screening.models import ListEntryRecord, ListVersion, ScreeningRecord, WatchList
from .errors import CaseAlreadyDecided, CaseNotFound, ReasonRequired
from .models import TRANSITIONS, ScreeningCase, ScreeningCaseHit


def _entry_hash(session: Session, list_name: str, version_id: str, entry_id: str) -> str:
    return session.execute(
        select(ListEntryRecord.content_hash)
        .join(ListVersion, ListEntryRecord.list_version_id == ListVersion.id)
        .join(WatchList, ListVersion.watch_list_id == WatchList.id)
        .where(WatchList.name == list_name, ListVersion.version_id == version_id,
               ListEntryRecord.entry_id == entry_id)).scalar_one()


def known_hits(session: Session, facts: PartyFacts) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """What needs no new case: (list, entry) on an open or confirmed case of the party, and
    (list, entry, entry hash) cleared for the party's current names and country."""
    rows = session.execute(
        select(ScreeningCase.status, ScreeningCase.party_hash, ScreeningCaseHit.list_name,
               ScreeningCaseHit.entry_id, ScreeningCaseHit.entry_hash)
        .join(ScreeningCaseHit, ScreeningCaseHit.case_id == ScreeningCase.id)
        .where(party_filter(ScreeningCase, facts.ref), ScreeningCase.kind == "screening")).all()
    pending: set[tuple[str, str]] = set()
    cleared: set[tuple[str, str, str]] = set()
    fingerprint = facts.fingerprint()
    for status, party_hash, list_name, entry_id, entry_hash in rows:
        if status in ("open", "confirmed"):
            pending.add((list_name, entry_id))
        elif party_hash == fingerprint:
            cleared.add((list_name, entry_id, entry_hash))
    return pending, cleared


def _hit_json(hit: Hit) -> str:
    return json.dumps(dataclasses.asdict(hit), ensure_ascii=False, sort_keys=True)


def open_cases_for_screening(session: Session, facts: PartyFacts, record: ScreeningRecord,
                             hits: Sequence[Hit], decision: str, now: dt.datetime,
                             actor: str) -> tuple[ScreeningCase | None, int]:
    """Open one case for the hits that are new for this party; (case or None, new hits)."""
    pending, cleared = known_hits(session, facts)
    block_at = json.loads(record.thresholds)["block"]
    new: list[tuple[Hit, str]] = []
    for hit in hits:
        entry_hash = _entry_hash(session, hit.list_name, hit.list_version, hit.entry_id)
        if (hit.list_name, hit.entry_id) in pending:
            continue
        if (hit.list_name, hit.entry_id, entry_hash) in cleared:
            continue
        new.append((hit, entry_hash))
    if not new:
        return None, 0
    severity = "block" if any(h.score.final_score >= block_at for h, _ in new) else "review"
    evidence = evidence_of(json.loads(record.results))
    summary = f"{len(new)} list hit(s), top score {new[0][0].score.final_score}"
    if evidence["evidence"] == ["name"]:
        # the officer sees at once that nothing but the name was compared
        summary += "; name only (no country, date of birth or identifier to compare)"
    case = ScreeningCase(
        kind="screening", **party_columns(facts.ref), screening_record_id=record.id,
        party_hash=facts.fingerprint(), severity=severity, status="open", summary=summary,
        detail=json.dumps({"decision": decision, **evidence}, ensure_ascii=False),
        opened_at=now, opened_by=actor)
    session.add(case)
    session.flush()
    for hit, entry_hash in new:
        session.add(ScreeningCaseHit(
            case_id=case.id, list_name=hit.list_name, list_version=hit.list_version,
            entry_id=hit.entry_id, entry_hash=entry_hash,
            score=Decimal(str(hit.score.final_score)), hit=_hit_json(hit)))
    session.flush()
    record_event(session, actor=actor, action="screening_case.opened", entity_type="screening_case",
                 entity_id=case.id, at=now,
                 after={"status": "open", "severity": severity, "party": str(facts.ref)},
                 data={"screening_record_id": record.id,
                       "list_versions": json.loads(record.list_versions),
                       "matcher_version": record.matcher_version,
                       "evidence": evidence["evidence"], "review_from": evidence["review_from"],
                       "hits": [{"list": h.list_name, "version": h.list_version,
                                 "entry_id": h.entry_id, "entry_hash": eh,
                                 "score": str(h.score.final_score),
                                 "name_score": str(h.score.name_score),
                                 "measure": h.score.measure} for h, eh in new]})
    return case, len(new)


def open_structuring_case(session: Session, party: PartyLike, summary: str, detail: dict[str, Any],
                          now: dt.datetime, actor: str) -> ScreeningCase:
    """Open a case on a payee whose payments look split to stay under the filing threshold."""
    ref = party_ref(party)
    case = ScreeningCase(kind="structuring", **party_columns(ref), severity="review",
                         status="open", summary=summary, detail=json.dumps(detail, sort_keys=True),
                         opened_at=now, opened_by=actor)
    session.add(case)
    session.flush()
    record_event(session, actor=actor, action="structuring_case.opened", entity_type="screening_case",
                 entity_id=case.id, at=now, after={"status": "open", "party": str(ref)}, data=detail)
    return case


def get_case(session: Session, case_id: int) -> ScreeningCase:
    case = session.get(ScreeningCase, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    return case


def decide_case(session: Session, case_id: int, status: str, officer: str, reason: str,
                now: dt.datetime) -> ScreeningCase:
    """Clear (false positive / explained) or confirm an open case, with the officer's reason."""
    if not reason or not reason.strip():
        raise ReasonRequired("say why, in words", field="reason")
    case = session.execute(select(ScreeningCase).where(ScreeningCase.id == case_id)
                           .with_for_update()).scalar_one_or_none()
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    if status not in TRANSITIONS[case.status]:
        raise CaseAlreadyDecided(f"case {case_id} is {case.status}; it cannot become {status}")
    before = case.status
    case.status, case.officer, case.reason, case.decided_at = status, officer, reason.strip(), now
    session.flush()
    record_event(session, actor=officer, action=f"screening_case.{status}",
                 entity_type="screening_case", entity_id=case.id, at=now,
                 before={"status": before}, after={"status": status},
                 data={"kind": case.kind, "severity": case.severity,
                       "party": str(PartyRef("organisation", case.organisation_id)
                                    if case.organisation_id else PartyRef("person", case.person_id)),
                       "reason_sha256": text_digest(case.reason),
                       "hits": [{"list": h.list_name, "version": h.list_version,
                                 "entry_id": h.entry_id, "entry_hash": h.entry_hash,
                                 "score": h.score} for h in case.hits]})
    return case


def clear_case(session: Session, case_id: int, officer: str, reason: str, now: dt.datetime) -> ScreeningCase:
    """A false positive (or an explained payment pattern): the party may trade again."""
    return decide_case(session, case_id, "cleared", officer, reason, now)


def confirm_case(session: Session, case_id: int, officer: str, reason: str, now: dt.datetime) -> ScreeningCase:
    """A true match: the party is blocked from listing, bidding, deals and payments."""
    return decide_case(session, case_id, "confirmed", officer, reason, now)


@dataclass(frozen=True)
class Clearance:
    """May this party trade and be paid now? ``reasons`` say why not."""

    allowed: bool
    reasons: tuple[Reason, ...]
    open_cases: tuple[int, ...] = ()
    confirmed_cases: tuple[int, ...] = ()
    last_screening_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reasons": [r.to_dict() for r in self.reasons],
                "open_cases": list(self.open_cases), "confirmed_cases": list(self.confirmed_cases),
                "last_screening_id": self.last_screening_id}


def party_clearance(session: Session, party: PartyLike, config: ComplianceConfig | None = None, *,
                    require_screening: bool = True) -> Clearance:
    """The gate: embargoed country, never screened under its current names, a case under
    review or a confirmed match each make ``allowed`` false, with a reason."""
    from ..screening.service import latest_screening

    cfg = config or ComplianceConfig()
    facts = party_facts(session, party)
    reasons: list[Reason] = []
    country = party_country(session, party)
    if country and country in cfg.embargoed_countries:
        reasons.append(Reason("embargoed_country", f"{country} is under a comprehensive embargo"))
    last = latest_screening(session, facts)
    if last is None and require_screening:
        reasons.append(Reason("not_screened",
                              "not screened under its current name and country"))
    rows = session.execute(select(ScreeningCase.id, ScreeningCase.status, ScreeningCase.kind)
                           .where(party_filter(ScreeningCase, facts.ref),
                                  ScreeningCase.status.in_(("open", "confirmed")))
                           .order_by(ScreeningCase.id)).all()
    open_ids = tuple(r[0] for r in rows if r[1] == "open")
    confirmed_ids = tuple(r[0] for r in rows if r[1] == "confirmed")
    for case_id, status, kind in rows:
        if status == "confirmed":
            reasons.append(Reason("party_blocked", f"case {case_id} ({kind}) confirmed a match"))
        else:
            reasons.append(Reason("party_under_review", f"case {case_id} ({kind}) is under review"))
    return Clearance(not reasons, tuple(reasons), open_ids, confirmed_ids,
                     last.id if last else None)
