"""The export-control gates trading and settlement call before a deal and before a payout.

``deal_gate``: prohibited never; restricted needs a letter of intent valid on the deal date
(before the contract is signed); free passes. ``payment_gate``: restricted needs a licence
valid on the payment date; free needs a confirmed contract registration dated on or before it.
An unclassified subject, or a counterparty in an embargoed country, is refused.
``licence_standing`` and ``registration_of`` show the same records to the pages ahead of the
gates (what is missing before a deal or a payout).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import ComplianceConfig
from ..party import Reason
from .models import Catalogue, Classification, ContractRegistration, Licence
from .service import SubjectRef, current_classification


@dataclass(frozen=True)
class GateDecision:
    """``allowed`` and, when not, the reasons; with the classification it relied on."""

    allowed: bool
    outcome: str | None
    requirement: str | None
    reasons: tuple[Reason, ...]
    classification_id: int | None = None
    catalogue_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "outcome": self.outcome, "requirement": self.requirement,
                "reasons": [r.to_dict() for r in self.reasons],
                "classification_id": self.classification_id,
                "catalogue_version": self.catalogue_version}


def _classification(session: Session, subject: SubjectRef, direction: str | None) -> Classification | None:
    if direction is not None:
        return current_classification(session, subject, direction)
    return session.execute(select(Classification).where(
        Classification.subject_type == subject.type, Classification.subject_id == subject.id,
        Classification.status == "decided").order_by(Classification.id.desc()).limit(1)
    ).scalar_one_or_none()


def _start(session: Session, subject: SubjectRef, direction: str | None,
           counterparty_country: str | None, cfg: ComplianceConfig):
    reasons: list[Reason] = []
    if counterparty_country and counterparty_country.upper() in cfg.embargoed_countries:
        where = "destination" if direction == "export" else "origin" if direction == "import" else "country"
        reasons.append(Reason("embargoed_country",
                              f"{where} {counterparty_country.upper()} is under a comprehensive embargo"))
    cls = _classification(session, subject, direction)
    if cls is None:
        reasons.append(Reason("not_classified", f"{subject} has no decided classification"
                              + (f" for {direction}" if direction else "")))
    elif cls.outcome == "prohibited":
        reasons.append(Reason("prohibited_technology",
                              f"entry {cls.entry_code} is prohibited from {cls.direction}"))
    version = session.get(Catalogue, cls.catalogue_id).version if cls and cls.catalogue_id else None
    return cls, reasons, version


def _valid(session: Session, cls: Classification, kind: str, on: dt.date) -> list[Licence]:
    return list(session.execute(select(Licence).where(
        Licence.subject_type == cls.subject_type, Licence.subject_id == cls.subject_id,
        Licence.direction == cls.direction, Licence.kind == kind,
        Licence.valid_from <= on, Licence.valid_to >= on).order_by(Licence.id)).scalars())


def _any(session: Session, cls: Classification, kind: str) -> bool:
    return session.execute(select(Licence.id).where(
        Licence.subject_type == cls.subject_type, Licence.subject_id == cls.subject_id,
        Licence.direction == cls.direction, Licence.kind == kind).limit(1)).first() is not None


@dataclass(frozen=True)
class RecordStanding:
    """Where a restricted subject stands with one kind of record (``letter_of_intent`` or
    ``licence``) on a day: the record relied on (the one valid that day, else the latest
    recorded, else none) and whether it is valid that day."""

    kind: str
    record: Licence | None
    valid: bool


def licence_standing(session: Session, subject: SubjectRef, direction: str,
                     on: dt.date) -> tuple[RecordStanding, ...]:
    """For a subject classified as restricted in ``direction``: its letter of intent and its
    licence as the gates see them on ``on`` (empty for any other classification)."""
    cls = current_classification(session, subject, direction)
    if cls is None or cls.outcome != "restricted":
        return ()
    out = []
    for kind in ("letter_of_intent", "licence"):
        valid = _valid(session, cls, kind, on)
        latest = valid[-1] if valid else session.execute(select(Licence).where(
            Licence.subject_type == cls.subject_type, Licence.subject_id == cls.subject_id,
            Licence.direction == cls.direction, Licence.kind == kind)
            .order_by(Licence.valid_to.desc(), Licence.id.desc()).limit(1)).scalar_one_or_none()
        out.append(RecordStanding(kind, latest, bool(valid)))
    return tuple(out)


def registration_of(session: Session, contract_ref: str) -> ContractRegistration | None:
    """The contract registration recorded for ``contract_ref``, if any."""
    return session.execute(select(ContractRegistration).where(
        ContractRegistration.contract_ref == contract_ref)).scalar_one_or_none()


def deal_gate(session: Session, subject: SubjectRef, on_date: dt.date, *,
              direction: str | None = None, counterparty_country: str | None = None,
              config: ComplianceConfig | None = None) -> GateDecision:
    """May a deal on ``subject`` be struck on ``on_date``?"""
    cfg = config or ComplianceConfig()
    cls, reasons, version = _start(session, subject, direction, counterparty_country, cfg)
    if cls is not None and cls.outcome == "restricted":
        if not _valid(session, cls, "letter_of_intent", on_date) and not _valid(session, cls, "licence", on_date):
            reasons.append(Reason("letter_of_intent_missing",
                                  f"restricted technology ({cls.entry_code}): a letter of intent "
                                  f"valid on {on_date} is needed before the deal"))
    return GateDecision(not reasons, cls.outcome if cls else None, cls.requirement if cls else None,
                        tuple(reasons), cls.id if cls else None, version)


def payment_gate(session: Session, subject: SubjectRef, contract_ref: str, on_date: dt.date, *,
                 direction: str | None = None, counterparty_country: str | None = None,
                 config: ComplianceConfig | None = None) -> GateDecision:
    """May money move under ``contract_ref`` for ``subject`` on ``on_date``?"""
    cfg = config or ComplianceConfig()
    cls, reasons, version = _start(session, subject, direction, counterparty_country, cfg)
    if cls is not None and cls.outcome == "restricted":
        if not _valid(session, cls, "licence", on_date):
            expired = _any(session, cls, "licence")
            reasons.append(Reason(
                "licence_expired" if expired else "licence_missing",
                f"restricted technology ({cls.entry_code}): no licence valid on {on_date}"
                + (" (the recorded licence is not valid that day)" if expired else "")))
    elif cls is not None and cls.outcome == "free":
        reg = registration_of(session, contract_ref)
        if reg is None or reg.status != "confirmed" or reg.registered_on > on_date:
            reasons.append(Reason(
                "registration_unconfirmed" if reg else "registration_missing",
                f"contract {contract_ref}: no confirmed registration on or before {on_date}"
                + (f" (due {reg.due_on})" if reg else "")))
    return GateDecision(not reasons, cls.outcome if cls else None, cls.requirement if cls else None,
                        tuple(reasons), cls.id if cls else None, version)
