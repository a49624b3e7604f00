"""Stored screening: loading list versions, the process-wide index, screening parties, replay.

``load_list`` makes a parsed snapshot the active version of its list only once every entry is
written (one transaction), so a failed file or a crash mid-load leaves the last good version in
force. Indexes are built from the database once per set of active versions and kept in a small
process-wide cache (a build takes seconds for a full list; never per request).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.audit import record_event

from ..config import ComplianceConfig
from ..party import PartyFacts, PartyLike, party_columns, party_facts
from .index import ScreeningIndex
from .matcher import MATCHER_VERSION, screen
from .model import (Alias, DateOfBirth, Hit, Identifier, ListEntry, ListSnapshot,
                    ScreeningQuery, ScreeningResult, ScreeningThresholds)
from .errors import ListFormatMismatch, ScreeningRecordNotFound, UnknownList
from .models import ListEntryRecord, ListVersion, ScreeningRecord, WatchList

SEVERITY = {"clear": 0, "review": 1, "block": 2}


# -- entries as JSON -----------------------------------------------------------------------

def entry_to_json(entry: ListEntry) -> str:
    """Canonical JSON of an entry (sorted keys), the text its content hash is taken of."""
    return json.dumps(dataclasses.asdict(entry), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def entry_from_json(text: str) -> ListEntry:
    d = json.loads(text)
    return ListEntry(
        entry_id=d["entry_id"], list_name=d["list_name"], entity_type=d["entity_type"],
        primary_name=d["primary_name"],
        aliases=tuple(Alias(**a) for a in d["aliases"]),
        countries=tuple(d["countries"]),
        dates_of_birth=tuple(DateOfBirth(**x) for x in d["dates_of_birth"]),
        identifiers=tuple(Identifier(**i) for i in d["identifiers"]),
        programs=tuple(d["programs"]), remarks=d["remarks"],
        original_script_name=d["original_script_name"])


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- loading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadOutcome:
    """What ``load_list`` did: ``activated`` (new version), ``unchanged`` (already active) or
    ``reactivated`` (an earlier version brought back)."""

    list_name: str
    version_id: str
    outcome: str
    entry_count: int
    superseded: str | None

    def __str__(self) -> str:
        tail = f", superseding {self.superseded[:12]}" if self.superseded else ""
        return (f"{self.list_name}: version {self.version_id[:12]} {self.outcome}, "
                f"{self.entry_count} entries{tail}")


def guess_format(snapshot: ListSnapshot) -> str:
    files = {f.lower() for f in snapshot.source_files}
    if "sdn.csv" in files:
        return "ofac"
    if any(f.endswith(".xml") for f in files):
        return "un"
    return "csv"


def _watch_list(session: Session, name: str, fmt: str, now: dt.datetime) -> WatchList:
    wl = session.execute(select(WatchList).where(WatchList.name == name)).scalar_one_or_none()
    if wl is None:
        wl = WatchList(name=name, format=fmt, created_at=now)
        session.add(wl)
        session.flush()
    elif wl.format != fmt:
        raise ListFormatMismatch(f"list {name} is loaded from {wl.format} files, not {fmt}",
                                 field="format")
    return wl


def _active(session: Session, wl_id: int) -> ListVersion | None:
    return session.execute(select(ListVersion).where(
        ListVersion.watch_list_id == wl_id, ListVersion.status == "active")).scalar_one_or_none()


def load_list(session: Session, snapshot: ListSnapshot, now: dt.datetime, actor: str, *,
              fmt: str | None = None,
              progress: Callable[[int, int], None] = lambda done, total: None) -> LoadOutcome:
    """Store ``snapshot`` and make it its list's active version (audited).

    Everything happens in the caller's transaction: the new version is written as ``loading``
    and flipped to ``active`` (and the previous one to ``superseded``) only after its last
    entry, so a rollback anywhere leaves the previous version in force.
    """
    fmt = fmt or guess_format(snapshot)
    wl = _watch_list(session, snapshot.list_name, fmt, now)
    current = _active(session, wl.id)
    if current is not None and current.version_id == snapshot.version_id:
        return LoadOutcome(wl.name, snapshot.version_id, "unchanged", current.entry_count, None)
    existing = session.execute(select(ListVersion).where(
        ListVersion.watch_list_id == wl.id,
        ListVersion.version_id == snapshot.version_id)).scalar_one_or_none()
    outcome = "activated"
    if existing is not None and existing.status == "superseded":
        version = existing
        outcome = "reactivated"
    else:
        if existing is not None:  # an earlier failed or interrupted attempt with these bytes
            session.execute(delete(ListEntryRecord).where(
                ListEntryRecord.list_version_id == existing.id))
            version = existing
            version.error = None
            version.status = "loading"
            version.loaded_at = now
        else:
            version = ListVersion(watch_list_id=wl.id, version_id=snapshot.version_id,
                                  status="loading", loaded_at=now, entry_count=0,
                                  source_files=json.dumps(list(snapshot.source_files)),
                                  loaded_by=actor)
            session.add(version)
        session.flush()
        total = len(snapshot.entries)
        batch: list[ListEntryRecord] = []
        for n, entry in enumerate(snapshot.entries, 1):
            text = entry_to_json(entry)
            names = "\n".join(dict.fromkeys(name for name, _ in entry.all_names()))
            batch.append(ListEntryRecord(
                list_version_id=version.id, entry_id=entry.entry_id, entity_type=entry.entity_type,
                primary_name=entry.primary_name[:500], names=names,
                content_hash=content_hash(text), data=text))
            if len(batch) >= 1000 or n == total:
                session.add_all(batch)
                session.flush()
                batch = []
                progress(n, total)
        version.entry_count = total
    superseded = None
    if current is not None:
        current.status = "superseded"
        superseded = current.version_id
        session.flush()  # the partial unique index allows one active version per list
    version.status = "active"
    version.loaded_at = now
    session.flush()
    record_event(session, actor=actor, action="screening_list.loaded", entity_type="list_version",
                 entity_id=version.id, at=now,
                 after={"list": wl.name, "version": version.version_id, "status": "active"},
                 data={"outcome": outcome, "entries": version.entry_count,
                       "superseded": superseded, "format": fmt,
                       "files": list(snapshot.source_files)})
    return LoadOutcome(wl.name, version.version_id, outcome, version.entry_count, superseded)


def record_failed_load(session: Session, list_name: str, fmt: str, version_id: str,
                       error: str, now: dt.datetime, actor: str) -> ListVersion:
    """Write down a load that failed (the file and its error); the active version stays."""
    wl = _watch_list(session, list_name, fmt, now)
    version = session.execute(select(ListVersion).where(
        ListVersion.watch_list_id == wl.id, ListVersion.version_id == version_id)).scalar_one_or_none()
    if version is None:
        version = ListVersion(watch_list_id=wl.id, version_id=version_id, status="failed",
                              loaded_at=now, entry_count=0, source_files="[]", error=error,
                              loaded_by=actor)
        session.add(version)
    elif version.status in ("failed", "loading"):
        version.status, version.error, version.loaded_at = "failed", error, now
    session.flush()
    current = _active(session, wl.id)
    record_event(session, actor=actor, action="screening_list.load_failed",
                 entity_type="list_version", entity_id=version.id, at=now,
                 data={"list": list_name, "version": version_id, "error": error[:2000],
                       "still_active": current.version_id if current else None})
    return version


def active_versions(session: Session) -> list[tuple[str, str, int]]:
    """``(list name, version sha256, list_versions.id)`` of every active list version."""
    rows = session.execute(
        select(WatchList.name, ListVersion.version_id, ListVersion.id)
        .join(ListVersion, ListVersion.watch_list_id == WatchList.id)
        .where(ListVersion.status == "active").order_by(WatchList.name)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _version_pks(session: Session, versions: Iterable[tuple[str, str]]) -> list[int]:
    pks = []
    for name, version_id in versions:
        pk = session.execute(
            select(ListVersion.id).join(WatchList, ListVersion.watch_list_id == WatchList.id)
            .where(WatchList.name == name, ListVersion.version_id == version_id,
                   ListVersion.status.in_(("active", "superseded")))).scalar_one_or_none()
        if pk is None:
            raise UnknownList(f"list {name} has no stored version {version_id}")
        pks.append(pk)
    return pks


def snapshots_from_db(session: Session, versions: Sequence[tuple[str, str]]) -> list[ListSnapshot]:
    """Rebuild the snapshots of the given ``(list name, version)`` pairs from stored entries."""
    out = []
    for (name, version_id), pk in zip(versions, _version_pks(session, versions)):
        rows = session.execute(select(ListEntryRecord.data).where(
            ListEntryRecord.list_version_id == pk).order_by(ListEntryRecord.id)).scalars()
        out.append(ListSnapshot(name, version_id, tuple(entry_from_json(t) for t in rows)))
    return out


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
    return [ScreeningQuery(name=n, entity_type=facts.entity_type, country=facts.country)
            for n in facts.names]


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
                       "hits": [{"list": h.list_name, "entry_id": h.entry_id,
                                 "score": str(h.score.final_score)} for h in hits]})
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
