"""Licences, letters of intent, contract registrations and technology contract certifications.

Order rules (FORMATS.md, DECISIONS.md): a letter of intent precedes the contract's signing and
the licence follows the letter of intent; a free-technology contract is registered within the
configured number of days of signing (60 by default), and a late registration is marked.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.errors import InvalidInput

from ..config import ComplianceConfig
from .errors import ClassificationRequired, DuplicateRecord, RecordOutOfOrder
from .models import ContractRegistration, Licence, TechnologyContractCertification
from .service import SubjectRef, current_classification

LICENCE_KINDS = ("letter_of_intent", "licence")


def _licences(session: Session, subject: SubjectRef, direction: str, kind: str) -> list[Licence]:
    return list(session.execute(select(Licence).where(
        Licence.subject_type == subject.type, Licence.subject_id == subject.id,
        Licence.direction == direction, Licence.kind == kind).order_by(Licence.id)).scalars())


def record_licence(session: Session, subject: SubjectRef, direction: str, kind: str, *,
                   number: str, authority: str, scope: str, issued_on: dt.date,
                   valid_from: dt.date, valid_to: dt.date, now: dt.datetime, actor: str,
                   contract_signed_on: dt.date | None = None) -> Licence:
    """Record a letter of intent or a licence for a subject classified as restricted."""
    if kind not in LICENCE_KINDS:
        raise InvalidInput(f"kind is one of {LICENCE_KINDS}", field="kind")
    if valid_from > valid_to:
        raise InvalidInput("valid_from is after valid_to", field="valid_to")
    cls = current_classification(session, subject, direction)
    if cls is None or cls.outcome != "restricted":
        raise ClassificationRequired(
            f"{subject} is not classified as restricted for {direction} "
            f"({cls.outcome if cls else 'not classified'}); licences are for restricted technology")
    if kind == "letter_of_intent" and contract_signed_on and contract_signed_on < issued_on:
        raise RecordOutOfOrder("the letter of intent comes before the contract is signed",
                               field="contract_signed_on")
    if kind == "licence" and direction == "export":
        letters = _licences(session, subject, direction, "letter_of_intent")
        if not any(li.issued_on <= issued_on for li in letters):
            raise RecordOutOfOrder("an export licence follows a letter of intent; record that first",
                                   field="kind")
    row = Licence(kind=kind, subject_type=subject.type, subject_id=subject.id, direction=direction,
                  classification_id=cls.id, number=number.strip(), authority=authority.strip(),
                  scope=scope, issued_on=issued_on, valid_from=valid_from, valid_to=valid_to,
                  recorded_at=now, recorded_by=actor)
    session.add(row)
    session.flush()
    record_event(session, actor=actor, action=f"{kind}.recorded", entity_type="tech_licence",
                 entity_id=row.id, at=now,
                 after={"kind": kind, "subject": str(subject), "direction": direction,
                        "number": row.number, "authority": row.authority,
                        "valid_from": valid_from, "valid_to": valid_to},
                 data={"classification_id": cls.id, "entry_code": cls.entry_code})
    return row


def record_registration(session: Session, subject: SubjectRef, direction: str, contract_ref: str, *,
                        signed_on: dt.date, now: dt.datetime, actor: str,
                        registration_number: str | None = None, registered_on: dt.date | None = None,
                        config: ComplianceConfig | None = None) -> ContractRegistration:
    """Record (or confirm) the registration of a free-technology contract.

    Without a number it is ``submitted``; with a number and date it is ``confirmed``. Due
    ``registration_due_days`` after signing; a later registration is kept and marked late.
    """
    cfg = config or ComplianceConfig()
    if (registration_number is None) != (registered_on is None):
        raise InvalidInput("a registration number and its date come together", field="registered_on")
    if registered_on is not None and registered_on < signed_on:
        raise RecordOutOfOrder("a contract is registered after it is signed", field="registered_on")
    cls = current_classification(session, subject, direction)
    if cls is None or cls.outcome != "free":
        raise ClassificationRequired(
            f"{subject} is not classified as free for {direction} "
            f"({cls.outcome if cls else 'not classified'}); registration is for free technology")
    row = session.execute(select(ContractRegistration).where(
        ContractRegistration.contract_ref == contract_ref)).scalar_one_or_none()
    before = {"status": row.status} if row else {}
    if row is None:
        row = ContractRegistration(contract_ref=contract_ref, subject_type=subject.type,
                                   subject_id=subject.id, direction=direction, recorded_at=now,
                                   recorded_by=actor)
        session.add(row)
    elif row.status == "confirmed":
        raise RecordOutOfOrder(f"contract {contract_ref} is registered already "
                               f"({row.registration_number})", field="contract_ref")
    row.signed_on = signed_on
    row.due_on = signed_on + dt.timedelta(days=cfg.registration_due_days)
    row.status = "confirmed" if registration_number else "submitted"
    row.registration_number = registration_number
    row.registered_on = registered_on
    row.late = bool(registered_on and registered_on > row.due_on)
    row.recorded_at, row.recorded_by = now, actor
    session.flush()
    record_event(session, actor=actor, action="contract_registration.recorded",
                 entity_type="tech_contract_registration", entity_id=row.id, at=now, before=before,
                 after={"status": row.status, "contract_ref": contract_ref,
                        "registration_number": registration_number, "registered_on": registered_on,
                        "due_on": row.due_on, "late": row.late},
                 data={"classification_id": cls.id, "subject": str(subject),
                       "due_days": cfg.registration_due_days})
    return row


def record_certification(session: Session, contract_ref: str, *, certificate_number: str,
                         authority: str, certified_on: dt.date, now: dt.datetime,
                         actor: str) -> TechnologyContractCertification:
    """Record a technology contract certification (the VAT exemption's evidence). An
    authority's certificate number is recorded once (``DuplicateRecord``)."""
    contract_ref, certificate_number, authority = (
        contract_ref.strip(), certificate_number.strip(), authority.strip())
    for name, value in (("contract_ref", contract_ref), ("certificate_number", certificate_number),
                        ("authority", authority)):
        if not value:
            raise InvalidInput(f"{name} is required", field=name)
    earlier = session.execute(select(TechnologyContractCertification).where(
        TechnologyContractCertification.authority == authority,
        TechnologyContractCertification.certificate_number == certificate_number)
    ).scalar_one_or_none()
    if earlier is not None:
        raise DuplicateRecord(f"certificate {certificate_number} of {authority} was recorded "
                              f"already (for contract {earlier.contract_ref})",
                              field="certificate_number")
    row = TechnologyContractCertification(
        contract_ref=contract_ref, certificate_number=certificate_number, authority=authority,
        certified_on=certified_on, vat_exempt=True, recorded_at=now, recorded_by=actor)
    session.add(row)
    session.flush()
    record_event(session, actor=actor, action="contract_certification.recorded",
                 entity_type="tech_contract_certification", entity_id=row.id, at=now,
                 after={"contract_ref": contract_ref, "certificate_number": certificate_number,
                        "authority": authority, "certified_on": certified_on, "vat_exempt": True})
    return row


def vat_exempt(session: Session, contract_ref: str, on: dt.date) -> bool:
    """Whether the contract has a certification dated on or before ``on``."""
    return session.execute(select(TechnologyContractCertification.id).where(
        TechnologyContractCertification.contract_ref == contract_ref,
        TechnologyContractCertification.certified_on <= on,
        TechnologyContractCertification.vat_exempt.is_(True)).limit(1)).first() is not None
