"""Listing operations: create (one or many), edit a draft, IP assets and rights confirmation.

Each function works inside the caller's transaction (one request, or one unit of work) and
records its audit event there; nothing here commits. The lifecycle is in ``lifecycle.py``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from moneyed import Money
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from compliance.party import text_digest
from gateway.listings.access import Actor, can_edit
from gateway.listings.codes import ipc_prefixes
from gateway.listings.errors import InvalidListing, NotEditable, VersionMismatch
from gateway.listings.models import (
    Attachment,
    IpAsset,
    Listing,
    ListingIpcPrefix,
    ListingSequence,
    ListingTerritory,
    OwnershipEvidence,
)
from gateway.listings.rules import check_asset, check_listing, owner_matches_seller
from gateway.listings.segment import search_text
from kernel.audit import record_event
from kernel.errors import PermissionDenied
from kernel.money import to_minor
from kernel.parties import Organisation

#: fields of a listing as the schemas load them (prices as Money, lists as lists)
CONTENT_FIELDS = (
    "direction", "seller_id", "title_zh", "title_en", "abstract_zh", "abstract_en",
    "technology_field", "ipc_classes", "trl", "transaction_type", "territory", "field_of_use",
    "pricing_mode", "asking_price", "starting_price", "reserve_price", "period_start",
    "period_end", "attachments",
)
PRICES = ("asking_price", "starting_price", "reserve_price")
#: states in which rights confirmation may still be recorded
EVIDENCE_STATES = frozenset({"draft", "submitted", "in_review", "cleared", "licence_required"})


def _money_columns(name: str, value: Money | None) -> dict[str, Any]:
    if value is None:
        return {f"{name}_minor": None, f"{name}_currency": None}
    return {f"{name}_minor": to_minor(value), f"{name}_currency": value.currency.code}


def listing_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The ``listings`` row for checked listing data (prices split, search text segmented)."""
    out = {k: data.get(k) for k in CONTENT_FIELDS if k not in PRICES + ("territory", "attachments")}
    for name in PRICES:
        out.update(_money_columns(name, data.get(name)))
    out.update(_money_columns("headline_price", data.get("asking_price") or data.get("starting_price")))
    out["search_text"] = search_text(data.get("title_zh"), data.get("title_en"),
                                     data.get("abstract_zh"), data.get("abstract_en"))
    return out


def allocate_references(session: Session, year: int, count: int) -> list[str]:
    """``count`` consecutive human references ``LST-<year>-<nnnnnn>`` (the year's counter row is
    locked, so concurrent filings never share a number)."""
    seq = session.execute(select(ListingSequence).where(ListingSequence.year == year)
                          .with_for_update()).scalar_one_or_none()
    if seq is None:
        seq = ListingSequence(year=year, last_value=0)
        session.add(seq)
    first = seq.last_value + 1
    seq.last_value += count
    session.flush()
    return [f"LST-{year}-{n:06d}" for n in range(first, first + count)]


def insert_listings(session: Session, rows: Sequence[dict[str, Any]], *, subcentre_id: int,
                    actor: Actor, now: dt.datetime) -> list[int]:
    """Insert checked drafts in bulk (multi-row INSERTs); returns their ids in order."""
    if not rows:
        return []
    refs = allocate_references(session, now.year, len(rows))
    values = [{**listing_columns(row), "reference": ref, "state": "draft", "subcentre_id": subcentre_id,
               "licence_required": False, "version": 1, "created_by": actor.actor,
               "created_at": now, "updated_at": now} for row, ref in zip(rows, refs)]
    # plain executemany (RETURNING with ordered batches is far slower), then ids by reference
    session.execute(insert(Listing), values)
    by_ref = {ref: i for ref, i in session.execute(
        select(Listing.reference, Listing.id).where(Listing.reference.between(refs[0], refs[-1])))}
    ids = [by_ref[ref] for ref in refs]
    territories = [{"listing_id": i, "country": c} for i, row in zip(ids, rows) for c in row["territory"]]
    prefixes = [{"listing_id": i, "prefix": p} for i, row in zip(ids, rows)
                for p in sorted({p for s in row["ipc_classes"] for p in ipc_prefixes(s)})]
    attachments = [{"listing_id": i, **a} for i, row in zip(ids, rows) for a in row.get("attachments") or []]
    for model, batch in ((ListingTerritory, territories), (ListingIpcPrefix, prefixes), (Attachment, attachments)):
        if batch:
            session.execute(insert(model), batch)
    for listing_id, row in zip(ids, rows):
        for asset in row.get("assets") or []:
            add_asset(session, session.get_one(Listing, listing_id), asset, actor, now, audit=False)
    return ids


def create_listing(session: Session, data: dict[str, Any], *, subcentre_id: int, actor: Actor,
                   now: dt.datetime) -> Listing:
    """File a draft for a seller the sub-centre represents (one language is enough)."""
    errors = check_listing(session, data, subcentre_id)
    if errors:
        raise InvalidListing("the listing breaks the rules listed in errors", errors=errors)
    (listing_id,) = insert_listings(session, [data], subcentre_id=subcentre_id, actor=actor, now=now)
    listing = session.get_one(Listing, listing_id)
    record_event(session, actor=actor.actor, action="listing.created", entity_type="listing",
                 entity_id=listing.id, at=now,
                 after={"reference": listing.reference, "state": listing.state,
                        "subcentre_id": subcentre_id, "seller_id": listing.seller_id})
    return listing


def current_content(listing: Listing) -> dict[str, Any]:
    """The listing's content in the shape the schemas load (the base an edit is merged over)."""
    out = {k: getattr(listing, k) for k in CONTENT_FIELDS if k not in ("attachments",)}
    out["ipc_classes"] = list(listing.ipc_classes)
    out["attachments"] = [{"uri": a.uri, "sha256": a.sha256, "kind": a.kind} for a in listing.attachments]
    return out


def check_version(listing: Listing, expected: int | None) -> None:
    if expected is not None and expected != listing.version:
        raise VersionMismatch(f"the listing is at version {listing.version}, not {expected}; "
                              "reload it and try again", current_version=listing.version)


def flush_versioned(session: Session, listing: Listing) -> None:
    """Flush, turning a lost optimistic-concurrency race into ``VersionMismatch``."""
    try:
        session.flush()
    except StaleDataError:
        raise VersionMismatch("the listing was changed by someone else meanwhile; reload it") from None


def update_listing(session: Session, listing: Listing, changes: dict[str, Any], *, actor: Actor,
                   now: dt.datetime, expected_version: int | None) -> Listing:
    """Edit a draft (optimistic: ``expected_version`` must be the version the caller read)."""
    if not can_edit(actor, listing):
        raise PermissionDenied("only staff of the filing sub-centre edit this listing")
    if listing.state != "draft":
        raise NotEditable(f"a listing in state {listing.state!r} cannot be edited",
                          state=listing.state)
    check_version(listing, expected_version)
    merged = current_content(listing) | changes
    errors = check_listing(session, merged, listing.subcentre_id)
    if errors:
        raise InvalidListing("the edit breaks the rules listed in errors", errors=errors)
    before_version = listing.version
    for key, value in listing_columns(merged).items():
        if getattr(listing, key) != value:
            setattr(listing, key, value)
    if merged["territory"] != listing.territory:
        # delete first: re-adding an unchanged country would otherwise clash on its key
        session.execute(delete(ListingTerritory).where(ListingTerritory.listing_id == listing.id))
        session.expire(listing, ["territories"])
        session.add_all(ListingTerritory(listing_id=listing.id, country=c) for c in merged["territory"])
    if "ipc_classes" in changes:
        session.execute(delete(ListingIpcPrefix).where(ListingIpcPrefix.listing_id == listing.id))
        session.expire(listing, ["ipc_prefixes"])
        session.add_all(ListingIpcPrefix(listing_id=listing.id, prefix=p)
                        for p in sorted({p for s in merged["ipc_classes"] for p in ipc_prefixes(s)}))
    if "attachments" in changes:
        listing.attachments = [Attachment(**a) for a in merged["attachments"]]
    listing.updated_at = now
    flush_versioned(session, listing)
    record_event(session, actor=actor.actor, action="listing.updated", entity_type="listing",
                 entity_id=listing.id, at=now, before={"version": before_version},
                 after={"version": listing.version}, data={"fields": sorted(changes)})
    return listing


def add_asset(session: Session, listing: Listing, data: dict[str, Any], actor: Actor,
              now: dt.datetime, *, audit: bool = True) -> IpAsset:
    """Attach a patent, software copyright or know-how to a draft."""
    if audit and not can_edit(actor, listing):
        raise PermissionDenied("only staff of the filing sub-centre add assets to this listing")
    if listing.state != "draft":
        raise NotEditable("assets are added while the listing is a draft", state=listing.state)
    errors: dict[str, list[str]] = {}
    check_asset(data, errors)
    if errors:
        raise InvalidListing("the asset breaks the rules listed in errors (a patent needs its "
                             "jurisdiction, number, status and expiry)", errors=errors)
    asset = IpAsset(listing_id=listing.id, **data)
    session.add(asset)
    session.flush()
    if audit:
        record_event(session, actor=actor.actor, action="listing.asset_added", entity_type="listing",
                     entity_id=listing.id, at=now, after={"asset_id": asset.id, "kind": asset.kind})
    return asset


def record_ownership_evidence(session: Session, listing: Listing, asset: IpAsset,
                              data: dict[str, Any], *, actor: Actor, now: dt.datetime) -> OwnershipEvidence:
    """Rights confirmation: the owner as registered, as checked by ``actor`` at ``now``. The
    gateway compares it with the seller's names (``rules.owner_matches_seller``) and records
    that finding as ``matches_seller``; a caller's ``matches_seller: false`` (optional, from
    before the gateway compared) can flag a mismatch the comparison missed, never make one a
    match. A mismatch blocks publication unless ``mismatch_reason`` says why it is accepted
    (an assignment chain, a subsidiary...); the reason is refused for an owner that matches.
    A new check replaces the previous one (both audited)."""
    if not (can_edit(actor, listing) or actor.role == "compliance_officer"):
        raise PermissionDenied("ownership is checked by the filing sub-centre or compliance")
    if listing.state not in EVIDENCE_STATES:
        raise NotEditable(f"ownership can no longer be recorded in state {listing.state!r}",
                          state=listing.state)
    fields = {k: data.get(k) for k in ("registered_owner", "source_uri", "note")}
    claimed = data.get("matches_seller")
    reason = (data.get("mismatch_reason") or "").strip() or None
    if data.get("mismatch_reason") is not None and reason is None:
        raise InvalidListing("say why the mismatch is accepted", field="mismatch_reason")
    seller = session.get_one(Organisation, listing.seller_id)
    matches = owner_matches_seller(fields["registered_owner"], seller) and claimed is not False
    if matches and reason is not None:
        raise InvalidListing("the registered owner matches the seller: there is no mismatch to accept",
                             field="mismatch_reason")
    before = None
    if asset.evidence is not None:
        before = {"matches_seller": asset.evidence.matches_seller, "checked_by": asset.evidence.checked_by,
                  "mismatch_accepted": asset.evidence.mismatch_reason is not None}
        session.delete(asset.evidence)
        session.flush()
    evidence = OwnershipEvidence(asset_id=asset.id, checked_by=actor.actor, checked_at=now,
                                 matches_seller=matches, mismatch_reason=reason, **fields)
    session.add(evidence)
    session.flush()
    session.refresh(asset, ["evidence"])
    record_event(session, actor=actor.actor, action="listing.ownership_checked", entity_type="listing",
                 entity_id=listing.id, at=now, before=before,
                 after={"asset_id": asset.id, "matches_seller": evidence.matches_seller,
                        "mismatch_accepted": reason is not None},
                 data={"registered_owner_sha256": hashlib.sha256(
                     evidence.registered_owner.encode()).hexdigest(),
                       "seller_id": seller.id, "claimed_matches_seller": claimed,
                       # free text that may name people: the chain proves it without holding it
                       "mismatch_reason_sha256": text_digest(reason)})
    return evidence
