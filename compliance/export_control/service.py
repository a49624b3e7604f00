"""Catalogues, suggestions and classification of a subject (a listing) by an officer.

Outcome of a classification: ``prohibited`` -> blocked; ``restricted`` -> a licence is
required (for export a letter of intent before the deal, the licence before payment);
``free`` -> a confirmed contract registration before payout. Every step is audited with the
catalogue version it used.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kernel.audit import record_event

from ..party import text_digest

from .catalogue import CatalogueFile, normalise_ipc, search_terms
from .errors import NoActiveCatalogue, UnknownCatalogueEntry
from .models import DIRECTIONS, REQUIREMENTS, Catalogue, CatalogueEntry, Classification
from kernel.errors import InvalidInput


@dataclass(frozen=True)
class SubjectRef:
    """What is classified: a listing (``SubjectRef("listing", "42")``) or any other record."""

    type: str
    id: str

    def __post_init__(self) -> None:
        if not self.type or not str(self.id):
            raise InvalidInput("a subject needs a type and an id", field="subject")
        object.__setattr__(self, "id", str(self.id))

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise InvalidInput(f"direction is export or import, not {direction!r}", field="direction")


def active_catalogue(session: Session, direction: str) -> Catalogue:
    _check_direction(direction)
    cat = session.execute(select(Catalogue).where(Catalogue.direction == direction,
                                                  Catalogue.status == "active")).scalar_one_or_none()
    if cat is None:
        raise NoActiveCatalogue(f"no {direction} catalogue is loaded "
                                "(flask --app wsgi compliance load-catalogue)")
    return cat


def load_catalogue(session: Session, parsed: CatalogueFile, now: dt.datetime, actor: str) -> tuple[Catalogue, str]:
    """Make ``parsed`` the active catalogue of its direction; (catalogue, outcome)."""
    existing = session.execute(select(Catalogue).where(
        Catalogue.direction == parsed.direction,
        Catalogue.content_sha256 == parsed.sha256)).scalar_one_or_none()
    if existing is not None and existing.status == "active":
        return existing, "unchanged"
    session.execute(update(Catalogue).where(Catalogue.direction == parsed.direction,
                                            Catalogue.status == "active")
                    .values(status="superseded"))
    if existing is not None:
        existing.status, outcome, cat = "active", "reactivated", existing
    else:
        cat = Catalogue(direction=parsed.direction, version=parsed.version,
                        source_note=parsed.source_note, content_sha256=parsed.sha256,
                        status="active", entry_count=len(parsed.rows), loaded_at=now, loaded_by=actor)
        session.add(cat)
        session.flush()
        for row in parsed.rows:
            session.add(CatalogueEntry(
                catalogue_id=cat.id, code=row.code, control_level=row.control_level,
                industry=row.industry, title_zh=row.title_zh, title_en=row.title_en,
                scope=row.scope, keywords="|".join(row.keywords), ipc_hints="|".join(row.ipc),
                revision=row.revision, search_terms=" ".join(sorted(row.terms()))))
        outcome = "loaded"
    session.flush()
    record_event(session, actor=actor, action="catalogue.loaded", entity_type="tech_catalogue",
                 entity_id=cat.id, at=now,
                 after={"direction": cat.direction, "version": cat.version, "status": "active"},
                 data={"sha256": cat.content_sha256, "entries": cat.entry_count, "outcome": outcome})
    return cat, outcome


@dataclass(frozen=True)
class Suggestion:
    """A candidate entry with how it scored: matched keywords, shared terms, IPC prefixes."""

    code: str
    control_level: str
    title_zh: str
    title_en: str
    score: int
    keywords: tuple[str, ...]
    terms: tuple[str, ...]
    ipc: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


#: weights of the evidence; a keyword (the catalogue's own word) counts most after an IPC class
KEYWORD_WEIGHT, IPC_WEIGHT, TERM_WEIGHT, FIELD_WEIGHT = 5, 6, 1, 2


def suggest_entries(session: Session, direction: str, text: str, field: str | None = None,
                    ipc_classes: Sequence[str] = (), limit: int = 5) -> list[Suggestion]:
    """Rank entries of the active catalogue by evidence in ``text``, ``field`` and IPC classes.

    Chinese is compared by character bigrams and English by words, so either language (or
    both) finds an entry. Ties break by code, so the same input gives the same list.
    """
    cat = active_catalogue(session, direction)
    query_terms = search_terms(f"{text} {field or ''}")
    field_terms = search_terms(field or "")
    ipcs = [normalise_ipc(c) for c in ipc_classes if c.strip()]
    folded = f"{text} {field or ''}".casefold()
    out: list[Suggestion] = []
    entries = session.execute(select(CatalogueEntry).where(CatalogueEntry.catalogue_id == cat.id)
                              .order_by(CatalogueEntry.code)).scalars()
    for entry in entries:
        keywords = tuple(k for k in entry.keywords.split("|") if k and k.casefold() in folded)
        terms = tuple(sorted(query_terms & set(entry.search_terms.split())))
        hints = [h for h in entry.ipc_hints.split("|") if h]
        ipc = tuple(sorted({h for h in hints for c in ipcs if c.startswith(h)}))
        industry_hit = bool(field_terms & search_terms(entry.industry))
        score = (KEYWORD_WEIGHT * len(keywords) + IPC_WEIGHT * len(ipc) + TERM_WEIGHT * len(terms)
                 + FIELD_WEIGHT * industry_hit)
        if keywords or ipc or len(terms) >= 2:
            out.append(Suggestion(entry.code, entry.control_level, entry.title_zh, entry.title_en,
                                  score, keywords, terms, ipc))
    out.sort(key=lambda s: (-s.score, s.code))
    return out[:limit]


def request_classification(session: Session, subject: SubjectRef, direction: str, text: str,
                           now: dt.datetime, actor: str, *, field: str | None = None,
                           ipc_classes: Sequence[str] = ()) -> Classification:
    """Queue a subject for an officer with the suggested entries (``status='pending'``)."""
    cat = active_catalogue(session, direction)
    suggestions = suggest_entries(session, direction, text, field, ipc_classes)
    row = Classification(subject_type=subject.type, subject_id=subject.id, direction=direction,
                         status="pending", catalogue_id=cat.id, requested_at=now, requested_by=actor,
                         suggestions=json.dumps([s.to_dict() for s in suggestions], ensure_ascii=False))
    session.add(row)
    session.flush()
    record_event(session, actor=actor, action="classification.requested",
                 entity_type="tech_classification", entity_id=row.id, at=now,
                 after={"status": "pending", "subject": str(subject), "direction": direction},
                 data={"catalogue_version": cat.version, "catalogue_sha256": cat.content_sha256,
                       "suggestions": [{"code": s.code, "score": s.score} for s in suggestions]})
    return row


def classify(session: Session, subject: SubjectRef, direction: str, entry_code: str | None,
             officer: str, reason: str, now: dt.datetime) -> Classification:
    """Record an officer's classification: an entry code, or None for free technology.

    Fills the subject's pending request if there is one; any earlier decision is superseded.
    """
    if not reason or not reason.strip():
        raise InvalidInput("say why, in words", field="reason")
    cat = active_catalogue(session, direction)
    entry = None
    if entry_code is not None:
        entry = session.execute(select(CatalogueEntry).where(
            CatalogueEntry.catalogue_id == cat.id,
            CatalogueEntry.code == entry_code.strip().upper())).scalar_one_or_none()
        if entry is None:
            raise UnknownCatalogueEntry(f"{entry_code} is not in the {direction} catalogue "
                                        f"{cat.version}", field="entry_code")
    outcome = entry.control_level if entry else "free"
    same_subject = (Classification.subject_type == subject.type,
                    Classification.subject_id == subject.id, Classification.direction == direction)
    previous = session.execute(select(Classification).where(
        *same_subject, Classification.status == "decided")).scalars().all()
    for old in previous:
        old.status = "superseded"
    row = session.execute(select(Classification).where(*same_subject, Classification.status == "pending")
                          .order_by(Classification.id.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        row = Classification(subject_type=subject.type, subject_id=subject.id, direction=direction,
                             requested_at=now, requested_by=officer, suggestions="[]")
        session.add(row)
    row.status, row.outcome, row.requirement = "decided", outcome, REQUIREMENTS[outcome]
    row.catalogue_id, row.catalogue_entry_id = cat.id, entry.id if entry else None
    row.entry_code = entry.code if entry else None
    row.officer, row.reason, row.decided_at = officer, reason.strip(), now
    session.flush()
    record_event(session, actor=officer, action="classification.decided",
                 entity_type="tech_classification", entity_id=row.id, at=now,
                 before={"superseded": [p.id for p in previous]},
                 after={"outcome": outcome, "requirement": row.requirement,
                        "entry_code": row.entry_code, "subject": str(subject), "direction": direction},
                 data={"catalogue_version": cat.version, "catalogue_sha256": cat.content_sha256,
                       "reason_sha256": text_digest(row.reason)})
    return row


def current_classification(session: Session, subject: SubjectRef, direction: str) -> Classification | None:
    """The subject's decided classification in that direction, if any."""
    return session.execute(select(Classification).where(
        Classification.subject_type == subject.type, Classification.subject_id == subject.id,
        Classification.direction == direction, Classification.status == "decided")
        .order_by(Classification.id.desc()).limit(1)).scalar_one_or_none()
