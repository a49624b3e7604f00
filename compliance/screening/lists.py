"""Stored watch lists: loading a list version, recording a failed load, reading versions back.

``load_list`` makes a parsed snapshot the active version of its list only once every entry is
written (one transaction), so a failed file or a crash mid-load leaves the last good version in
force. ``snapshots_from_db`` rebuilds the snapshots an index (or a replay) is built from.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.audit import record_event

from .errors import ListFormatMismatch, UnknownList
from .model import Alias, DateOfBirth, Identifier, ListEntry, ListSnapshot
from .models import ListEntryRecord, ListVersion, WatchList

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
