"""Moving a listing through the state table (``states.TABLE``), with its guards.

``transition`` is the one way a listing changes state: it checks the table, the caller's role
and scope, the version the caller read, and the guards of the action (publication checks,
the listing period for expiry); then it changes the state and records an audit event with the
state before and after, in the caller's transaction. Compliance's classification calls
``record_compliance_outcome``; trading calls ``transition`` with its own actor.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from flask import current_app, has_app_context

from compliance.config import ComplianceConfig
from gateway.listings import links
from gateway.listings.access import Actor, SystemActor, in_scope_for_action
from gateway.listings.errors import (
    InvalidListing,
    PublicationBlocked,
    TransitionRefused,
)
from gateway.listings.models import Listing
from gateway.listings.service import check_version, flush_versioned
from gateway.listings.states import OUTCOME_ACTIONS, actions_from, find_transition
from kernel.audit import record_event
from kernel.errors import PermissionDenied

#: states in which the shared core knows the listing (a withdrawal must reach it)
PUBLISHED_STATES = frozenset({"published", "under_negotiation", "in_notice_period", "in_auction"})
#: states publication follows from (the compliance outcomes that allow it)
PUBLISHABLE = frozenset({"cleared", "licence_required"})


def _check(code: str, detail: str, **where: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **where}


def publication_checks(listing: Listing, now: dt.datetime) -> list[dict[str, Any]]:
    """Everything that stops ``listing`` from being published at ``now``, for the UI to show;
    empty when it may be published. Codes: ``compliance_not_cleared``, ``text_missing``,
    ``no_ip_assets``, ``ownership_unconfirmed``, ``ownership_mismatch``, ``patent_expired``,
    ``patent_not_in_force``, ``period_missing``, ``period_over``.

    A licence-required outcome does not block publication: per DECISIONS.md the listing is
    published with its ``licence_required`` flag, and the licence gates deals and payments.
    """
    out: list[dict[str, Any]] = []
    if listing.state not in PUBLISHABLE:
        out.append(_check("compliance_not_cleared",
                          f"compliance has not cleared the listing (state {listing.state!r})"))
    for field in ("title_zh", "title_en", "abstract_zh", "abstract_en"):
        if not getattr(listing, field):
            out.append(_check("text_missing", "both languages are needed to publish", field=field))
    if not listing.assets:
        out.append(_check("no_ip_assets", "add the patents, software copyrights or know-how offered"))
    today = now.date()
    for asset in listing.assets:
        ev = asset.evidence
        if ev is None:
            out.append(_check("ownership_unconfirmed", "no ownership evidence recorded", asset_id=asset.id))
        elif not ev.confirmed:
            out.append(_check("ownership_mismatch", "the registered owner is not the seller; "
                              "staff may accept it with a reason (assignment chain, subsidiary...)",
                              asset_id=asset.id))
        if asset.kind == "patent":
            if asset.expires_on is not None and asset.expires_on < today:
                out.append(_check("patent_expired", f"the patent expired on {asset.expires_on}",
                                  asset_id=asset.id))
            elif asset.status in ("lapsed", "revoked"):
                out.append(_check("patent_not_in_force", f"the patent is {asset.status}",
                                  asset_id=asset.id))
    if listing.period_end is None:
        out.append(_check("period_missing", "set the listing period", field="period_end"))
    elif listing.period_end <= now:
        out.append(_check("period_over", "the listing period is already over", field="period_end"))
    return out


def transition(session: Session, listing: Listing, action: str, actor: Actor, *, now: dt.datetime,
               reason: str | None = None, expected_version: int | None = None) -> Listing:
    """Apply ``action`` to ``listing`` as the state table allows (see the module docstring).

    Raises ``TransitionRefused`` (with ``state`` and ``allowed_actions``) when the table has no
    such move from the current state, ``PermissionDenied`` for a role or scope it does not
    admit, ``VersionMismatch`` for a stale ``expected_version`` and ``PublicationBlocked``
    (with ``missing``) when publication checks fail.
    """
    move = find_transition(listing.state, action)
    if move is None:
        raise TransitionRefused(f"cannot {action} a listing in state {listing.state!r}",
                                state=listing.state, allowed_actions=actions_from(listing.state))
    if actor.role not in move.roles:
        raise PermissionDenied(f"the role {actor.role!r} cannot {action} a listing")
    if not in_scope_for_action(actor, listing):
        raise PermissionDenied("this listing belongs to another sub-centre or seller")
    check_version(listing, expected_version)
    if action == "publish":
        missing = publication_checks(listing, now) + links.seller_clearance_problems(
            session, listing, compliance_config())
        if missing:
            raise PublicationBlocked("the listing cannot be published yet", state=listing.state,
                                     missing=missing)
    if action == "expire" and (listing.period_end is None or listing.period_end > now):
        raise TransitionRefused("the listing period is not over yet", state=listing.state,
                                allowed_actions=actions_from(listing.state))
    before = {"state": listing.state, "version": listing.version}
    was_public = listing.state in PUBLISHED_STATES
    listing.state = move.next_state
    listing.updated_at = now
    flush_versioned(session, listing)
    record_event(session, actor=actor.actor, action=f"listing.{action}", entity_type="listing",
                 entity_id=listing.id, at=now, before=before,
                 after={"state": listing.state, "version": listing.version},
                 data={"reason": reason} if reason else None)
    if action == "submit":
        links.on_submitted(session, listing, actor=actor.actor, now=now, config=compliance_config())
    elif action == "publish":
        on_published(session, listing, actor=actor, now=now)
    elif action == "withdraw" and was_public and actor.actor != links.SYSTEM_CORE:
        links.enqueue_withdrawal(session, listing, reason or "withdrawn by the seller's sub-centre", now=now)
    return listing


def record_compliance_outcome(session: Session, listing: Listing, outcome: str, actor: str,
                              reason: str, *, now: dt.datetime) -> Listing:
    """The seam compliance's classification calls with its outcome for a submitted listing:
    ``cleared``, ``blocked`` or ``licence_required`` (which also sets the listing's
    ``licence_required`` flag). ``actor`` names who classified (e.g. ``user:7`` or
    ``system:export-control``) for the audit trail; ``reason`` is recorded with the event.

    A listing still in ``submitted`` is first moved to ``in_review`` (its own audited step).
    """
    if outcome not in OUTCOME_ACTIONS:
        raise InvalidListing(f"unknown compliance outcome {outcome!r}", field="outcome")
    if not reason or not reason.strip():
        raise InvalidListing("a compliance outcome needs a reason", field="reason")
    classifier = SystemActor(actor)
    if listing.state == "submitted":
        transition(session, listing, "start_review", classifier, now=now, reason="classification")
    if outcome == "licence_required":
        listing.licence_required = True
    return transition(session, listing, OUTCOME_ACTIONS[outcome], classifier, now=now, reason=reason)


def on_published(session: Session, listing: Listing, *, actor: Actor, now: dt.datetime) -> None:
    """Called in the publishing transaction: the message to the shared core goes into the
    outbox in this same transaction; the dispatcher delivers it and stores ``core_id``."""
    links.enqueue_publication(session, listing, now=now)


def compliance_config() -> ComplianceConfig:
    """The compliance thresholds of the running app (defaults outside one)."""
    return ComplianceConfig.from_mapping(current_app.config) if has_app_context() else ComplianceConfig()
