"""Stored screening: the process-wide index, screening parties, replay.

Indexes are built from the database once per set of active list versions and kept in a small
process-wide cache (a build takes seconds for a full list; never per request). Loading list
versions lives in ``lists`` (re-exported here for existing callers).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event

from ..config import ComplianceConfig
from ..party import PartyFacts, PartyLike, party_columns, party_facts
from .errors import ScreeningRecordNotFound
from .index import ScreeningIndex
from .lists import (LoadOutcome, active_versions, content_hash, entry_from_json, entry_to_json,
                    load_list, record_failed_load, snapshots_from_db)
from .matcher import MATCHER_VERSION, screen
from .model import Hit, ScreeningQuery, ScreeningResult, ScreeningThresholds
from .models import ScreeningRecord

__all__ = [
    "INDEX_CACHE", "IndexCache", "LoadOutcome", "PartyScreening", "Replay", "active_versions",
    "content_hash", "current_index", "entry_from_json", "entry_to_json", "latest_screening",
    "evidence_of", "load_list", "merge_hits", "queries_for", "record_failed_load", "replay_screening",
    "screen_party", "snapshots_from_db",
]

SEVERITY = {"clear": 0, "review": 1, "block": 2}

# -- the process-wide index cache ----------------------------------------------------------

class IndexCache:
    """Built indexes keyed by their version set; one build at a time, at most ``size`` kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: OrderedDict[tuple[tuple[str, str], ...], ScreeningIndex] = OrderedDict()
        self.builds = 0

    def get(self, session: Session, versions: Sequence[tuple[str, str]], size: int = 2) -> ScreeningIndex:
        key = tuple(sorted(versions))
        with self._lock:
            index = self._indexes.get(key)
            if index is not None:
                self._indexes.move_to_end(key)
                return index
            # built under the lock: concurrent first requests wait for one build, not race it
            index = ScreeningIndex(snapshots_from_db(session, key))
            self.builds += 1
            self._indexes[key] = index
            while len(self._indexes) > max(1, size):
                self._indexes.popitem(last=False)
            return index

    def clear(self) -> None:
        with self._lock:
            self._indexes.clear()


INDEX_CACHE = IndexCache()


def current_index(session: Session, config: ComplianceConfig | None = None) -> ScreeningIndex:
    """The index over every active list version (built once per version set per process)."""
    cfg = config or ComplianceConfig()
    versions = [(name, vid) for name, vid, _ in active_versions(session)]
    return INDEX_CACHE.get(session, versions, cfg.index_cache_size)


# -- screening parties ---------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """JSON round trip: tuples become lists, so stored and replayed results compare equal."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def queries_for(facts: PartyFacts) -> list[ScreeningQuery]:
    """One query per name of the party (original script and Latin), same facts otherwise."""
    return [ScreeningQuery(name=n, entity_type=facts.entity_type, country=facts.country,
                           date_of_birth=facts.date_of_birth) for n in facts.names]


def merge_hits(results: Sequence[ScreeningResult], max_hits: int) -> list[Hit]:
    """The best hit per (list, entry) over several results, best first, ties by ids."""
    best: dict[tuple[str, str], Hit] = {}
    for result in results:
        for hit in result.hits:
            key = (hit.list_name, hit.entry_id)
            if key not in best or hit.score.final_score > best[key].score.final_score:
                best[key] = hit
    return sorted(best.values(),
                  key=lambda h: (-h.score.final_score, h.list_name, h.entry_id))[:max_hits]


def evidence_of(results: Sequence[ScreeningResult | dict[str, Any]]) -> dict[str, Any]:
    """What a party's screening rested on, over its queries (results or their stored dicts):
    ``evidence`` (facts compared), ``review_from`` (lowest review score used, as text) and the
    ``explanation`` lines, each once."""
    dicts = [r.to_dict() if isinstance(r, ScreeningResult) else r for r in results]
    evidence = sorted({e for d in dicts for e in d.get("evidence", ["name"])},
                      key=lambda e: (e != "name", e))
    lines = list(dict.fromkeys(line for d in dicts for line in d.get("explanation", [])))
    review_from = min((d.get("review_from") or d["thresholds"]["review"] for d in dicts),
                      default=None)
    # a string, as every score in the audit chain is (no floats there)
    return {"evidence": evidence or ["name"],
            "review_from": None if review_from is None else str(review_from),
            "explanation": lines}


@dataclass(frozen=True)
class PartyScreening:
    """A stored screening and the case it opened (None when clear or nothing new)."""

    record: ScreeningRecord
    decision: str
    hits: tuple[Hit, ...]
    case: Any = None
    new_hits: int = 0


def screen_party(session: Session, party: PartyLike, purpose: str, now: dt.datetime, actor: str,
                 config: ComplianceConfig | None = None, *,
                 index: ScreeningIndex | None = None) -> PartyScreening:
    """Screen an organisation or person against the active lists; store and audit the result.

    A ``review`` or ``block`` result opens a case for the hits not already open, confirmed, or
    cleared for this party's current names and the entry's current content.
    """
    from compliance.cases.service import open_cases_for_screening

    cfg = config or ComplianceConfig()
    facts = party_facts(session, party)
    index = index or current_index(session, cfg)
    thresholds = cfg.screening
    results = [screen(index, q, thresholds) for q in queries_for(facts)]
    hits = merge_hits(results, thresholds.max_hits)
    decision = max((r.decision for r in results), key=SEVERITY.__getitem__, default="clear")
    top = hits[0].score.final_score if hits else 0.0
    record = ScreeningRecord(
        **party_columns(facts.ref), purpose=purpose, screened_at=now, actor=actor,
        party_hash=facts.fingerprint(),
        queries=json.dumps([dataclasses.asdict(q) for q in queries_for(facts)], ensure_ascii=False),
        decision=decision, top_score=Decimal(str(top)),
        hits=json.dumps([dataclasses.asdict(h) for h in hits], ensure_ascii=False),
        results=json.dumps([r.to_dict() for r in results], ensure_ascii=False),
        list_versions=json.dumps([list(v) for v in index.list_versions]),
        matcher_version=MATCHER_VERSION,
        thresholds=json.dumps(dataclasses.asdict(thresholds)))
    session.add(record)
    session.flush()
    record_event(session, actor=actor, action="screening.performed", entity_type="screening_record",
                 entity_id=record.id, at=now,
                 after={"decision": decision, "party": str(facts.ref)},
                 data={"purpose": purpose, "list_versions": [list(v) for v in index.list_versions],
                       "matcher_version": MATCHER_VERSION, "top_score": str(top),
                       **evidence_of(results),
                       "hits": [{"list": h.list_name, "entry_id": h.entry_id,
                                 "score": str(h.score.final_score),
                                 "unverified": list(h.unverified)} for h in hits]})
    case, new = None, 0
    if decision != "clear":
        case, new = open_cases_for_screening(session, facts, record, hits, decision, now, actor)
    return PartyScreening(record, decision, tuple(hits), case, new)


@dataclass(frozen=True)
class Replay:
    """A stored screening run again: ``same`` when every result matches field for field."""

    record_id: int
    same: bool
    stored: list[dict[str, Any]]
    replayed: list[dict[str, Any]]


def replay_screening(session: Session, record_id: int) -> Replay:
    """Rebuild the index of the record's list versions and run its queries again."""
    record = session.get(ScreeningRecord, record_id)
    if record is None:
        raise ScreeningRecordNotFound(f"no screening record {record_id}")
    versions = [tuple(v) for v in json.loads(record.list_versions)]
    index = INDEX_CACHE.get(session, versions)  # type: ignore[arg-type]
    thresholds = ScreeningThresholds(**json.loads(record.thresholds))
    queries = [ScreeningQuery(**{**q, "identifiers": tuple(q["identifiers"])})
               for q in json.loads(record.queries)]
    replayed = [_plain(screen(index, q, thresholds).to_dict()) for q in queries]
    stored = json.loads(record.results)
    return Replay(record.id, replayed == stored and record.matcher_version == MATCHER_VERSION,
                  stored, replayed)


def latest_screening(session: Session, facts: PartyFacts) -> ScreeningRecord | None:
    """The party's latest screening of its current names and country, if any."""
    from ..party import party_filter

    return session.execute(
        select(ScreeningRecord).where(party_filter(ScreeningRecord, facts.ref),
                                      ScreeningRecord.party_hash == facts.fingerprint())
        .order_by(ScreeningRecord.id.desc()).limit(1)).scalar_one_or_none()
