"""Who may see and change which listing.

- admin and compliance officers read every listing;
- sub-centre staff read and edit their own sub-centre's listings, and read others' public ones;
- sellers read their own organisation's listings in any state, and public ones;
- buyers (and finance) read public listings only.

A listing the caller may not read is reported as not found (its existence is not revealed).
The reserve price is shown only to those who may read everything about the listing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, or_, true

from gateway.listings.models import Listing
from gateway.listings.states import PUBLIC_STATES, SYSTEM

READ_ALL = frozenset({"admin", "compliance_officer", SYSTEM})


class Actor(Protocol):
    """What the listing services need to know about a caller (``Principal`` fits)."""

    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def subcentre_id(self) -> int | None: ...
    @property
    def organisation_id(self) -> int | None: ...


@dataclass(frozen=True)
class SystemActor:
    """An in-process caller (compliance classification, trading, the periodic tick)."""

    actor: str
    role: str = SYSTEM
    subcentre_id: int | None = None
    organisation_id: int | None = None


def owns(actor: Actor, listing: Listing) -> bool:
    """Staff of the filing sub-centre, or the seller organisation itself."""
    if actor.role == "subcentre_staff":
        return actor.subcentre_id is not None and actor.subcentre_id == listing.subcentre_id
    if actor.role == "seller":
        return actor.organisation_id is not None and actor.organisation_id == listing.seller_id
    return False


def can_read(actor: Actor, listing: Listing) -> bool:
    return actor.role in READ_ALL or listing.state in PUBLIC_STATES or owns(actor, listing)


def can_see_reserve(actor: Actor, listing: Listing) -> bool:
    return actor.role in READ_ALL or owns(actor, listing)


def can_edit(actor: Actor, listing: Listing) -> bool:
    """Content (fields, assets) is edited by staff of the filing sub-centre or an admin."""
    return actor.role == "admin" or (actor.role == "subcentre_staff" and owns(actor, listing))


def in_scope_for_action(actor: Actor, listing: Listing) -> bool:
    """Beyond the role the state table names: people act only on listings they own."""
    return actor.role in ("admin", "compliance_officer", SYSTEM) or owns(actor, listing)


def visible(actor: Actor) -> ColumnElement[Any]:
    """The SQL condition for the listings ``actor`` may read."""
    public = Listing.state.in_(sorted(PUBLIC_STATES))
    if actor.role in READ_ALL:
        return true()
    if actor.role == "subcentre_staff" and actor.subcentre_id is not None:
        return or_(public, Listing.subcentre_id == actor.subcentre_id)
    if actor.role == "seller" and actor.organisation_id is not None:
        return or_(public, Listing.seller_id == actor.organisation_id)
    return public
