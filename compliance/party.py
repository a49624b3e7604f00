"""Who compliance talks about: a party reference (organisation or person) and its facts.

Compliance stores parties by reference (``organisation`` or ``person`` and an id), reads their
names and country from ``kernel.parties`` and fingerprints them, so a remembered decision is
reconsidered when the party's name or country changes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Union

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from kernel.errors import InvalidInput, NotFound
from kernel.parties import Organisation, Person

PARTY_TYPES = ("organisation", "person")


@dataclass(frozen=True)
class PartyRef:
    """A party by kind and id (``PartyRef("organisation", 12)``)."""

    type: str
    id: int

    def __post_init__(self) -> None:
        if self.type not in PARTY_TYPES:
            raise InvalidInput(f"unknown party type {self.type!r}", field="party_type")

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Reason:
    """Why a gate says no (or why a payment is held): a stable code and words for people."""

    code: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


PartyLike = Union[Organisation, Person, PartyRef]


def party_ref(party: PartyLike) -> PartyRef:
    if isinstance(party, PartyRef):
        return party
    if isinstance(party, Organisation):
        return PartyRef("organisation", party.id)
    if isinstance(party, Person):
        return PartyRef("person", party.id)
    raise TypeError(f"not a party: {type(party).__name__}")


def load_party(session: Session, party: PartyLike) -> Organisation | Person:
    if isinstance(party, (Organisation, Person)):
        return party
    model = Organisation if party.type == "organisation" else Person
    row = session.get(model, party.id)
    if row is None:
        raise NotFound(f"no {party.type} {party.id}")
    return row


@dataclass(frozen=True)
class PartyFacts:
    """What screening reads of a party: names (original script first), country, kind."""

    ref: PartyRef
    names: tuple[str, ...]
    country: str | None
    entity_type: str
    date_of_birth: str | None = None

    def fingerprint(self) -> str:
        """SHA-256 of the facts screening depends on; changes when a name or country does."""
        facts: dict[str, Any] = {"names": list(self.names), "country": self.country,
                                 "type": self.entity_type}
        if self.date_of_birth:  # only when known, so earlier fingerprints stay valid
            facts["date_of_birth"] = self.date_of_birth
        text = json.dumps(facts, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def party_facts(session: Session, party: PartyLike) -> PartyFacts:
    row = load_party(session, party)
    if isinstance(row, Organisation):
        names = (row.legal_name, row.legal_name_latin)
        country: str | None = row.country
        kind = "entity"
    else:
        names = (row.full_name, row.full_name_latin or "")
        # the person's own nationality when recorded; the employer's country says nothing of it
        country = row.nationality
        kind = "individual"
    clean = tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    dob = row.date_of_birth if isinstance(row, Person) else None
    return PartyFacts(party_ref(row), clean, country, kind, dob)


def party_country(session: Session, party: PartyLike) -> str | None:
    """The country an organisation is in (a person: their organisation's)."""
    row = load_party(session, party)
    if isinstance(row, Organisation):
        return row.country
    org = session.get(Organisation, row.organisation_id)
    return org.country if org else None


def party_columns(ref: PartyRef) -> dict[str, Any]:
    """Column values for a model with ``organisation_id`` / ``person_id``."""
    return {"organisation_id": ref.id if ref.type == "organisation" else None,
            "person_id": ref.id if ref.type == "person" else None}


def party_filter(model: Any, ref: PartyRef) -> ColumnElement[bool]:
    if ref.type == "organisation":
        return and_(model.organisation_id == ref.id, model.person_id.is_(None))
    return and_(model.person_id == ref.id, model.organisation_id.is_(None))


def ref_of_row(row: Any) -> PartyRef:
    if row.organisation_id is not None:
        return PartyRef("organisation", row.organisation_id)
    return PartyRef("person", row.person_id)


def text_digest(text: str | None) -> str | None:
    """SHA-256 of free text an officer wrote: the audit chain proves it without holding it
    (it may name people, and personal data stays out of the hashed payload)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None
