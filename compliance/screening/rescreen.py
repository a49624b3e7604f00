"""Re-screening every known party after a list (or a party) changed.

A party whose latest screening used its current names and exactly the active list versions and
matcher is skipped (nothing changed for it) unless ``force``; everyone else is screened again,
and cases open only for hits that are not already open, confirmed or cleared (see
``compliance.cases.service.known_hits``).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.parties import Organisation, Person

from ..config import ComplianceConfig
from ..party import PartyRef, party_facts
from .matcher import MATCHER_VERSION
from .service import current_index, latest_screening, screen_party


@dataclass
class RescreenSummary:
    """Counts of one re-screening run."""

    parties: int = 0
    skipped: int = 0
    decisions: dict[str, int] = field(default_factory=lambda: {"clear": 0, "review": 0, "block": 0})
    new_cases: int = 0
    new_hits: int = 0
    case_ids: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        d = self.decisions
        return (f"{self.parties} parties: {self.skipped} unchanged, {d['clear']} clear, "
                f"{d['review']} review, {d['block']} block; {self.new_cases} new case(s) with "
                f"{self.new_hits} new hit(s)")


def rescreen(session: Session, now: dt.datetime, actor: str,
             progress: Callable[[int, int], None] = lambda done, total: None,
             config: ComplianceConfig | None = None, *, force: bool = False) -> RescreenSummary:
    """Screen every organisation and person against the active list versions (audited)."""
    cfg = config or ComplianceConfig()
    index = current_index(session, cfg)
    versions = [list(v) for v in index.list_versions]
    refs = [PartyRef("organisation", i) for i in
            session.execute(select(Organisation.id).order_by(Organisation.id)).scalars()]
    refs += [PartyRef("person", i) for i in
             session.execute(select(Person.id).order_by(Person.id)).scalars()]
    summary = RescreenSummary(parties=len(refs))
    for n, ref in enumerate(refs, 1):
        last = latest_screening(session, party_facts(session, ref))
        if (not force and last is not None and json.loads(last.list_versions) == versions
                and last.matcher_version == MATCHER_VERSION):
            summary.skipped += 1
        else:
            outcome = screen_party(session, ref, "rescreen", now, actor, cfg, index=index)
            summary.decisions[outcome.decision] += 1
            if outcome.case is not None:
                summary.new_cases += 1
                summary.new_hits += outcome.new_hits
                summary.case_ids.append(outcome.case.id)
        progress(n, len(refs))
    record_event(session, actor=actor, action="screening.rescreened", entity_type="list_versions",
                 entity_id="active", at=now,
                 data={"list_versions": versions, "matcher_version": MATCHER_VERSION,
                       "parties": summary.parties, "skipped": summary.skipped,
                       "decisions": summary.decisions, "new_cases": summary.case_ids})
    return summary
