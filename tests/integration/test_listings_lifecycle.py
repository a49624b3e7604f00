"""The lifecycle table, walked: every listed transition works for a role it names, is refused
to roles it does not name, and every pair the table does not list is refused with the state."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select, update

from gateway.listings import lifecycle, service
from gateway.listings.errors import (
    InvalidListing,
    PublicationBlocked,
    TransitionRefused,
    VersionMismatch,
)
from gateway.listings.models import Listing
from gateway.listings.states import ACTIONS, STATES, TABLE
from gateway.listings.states import SYSTEM as SYSTEM_ROLE
from kernel.audit.models import AuditEvent
from kernel.errors import PermissionDenied
from tests.support.listings import SYSTEM, Staff, draft_data, make_publishable, publish

ALL_ROLES = ("subcentre_staff", "seller", "buyer", "finance", "compliance_officer", "admin", SYSTEM_ROLE)


def _actor(role: str, parties: dict) -> object:
    if role == SYSTEM_ROLE:
        return SYSTEM
    return Staff(parties["us"], role=role, organisation_id=parties["seller_us"]
                 if role in ("seller",) else parties["buyer_org"])


def _listing_in(s, parties, clock, state: str) -> Listing:
    staff = Staff(parties["us"])
    listing = service.create_listing(s, draft_data(parties["seller_us"]), subcentre_id=parties["us"],
                                     actor=staff, now=clock.now())
    make_publishable(s, listing, staff, clock.now())
    s.execute(update(Listing).where(Listing.id == listing.id).values(state=state))
    s.refresh(listing)
    return listing


@pytest.mark.parametrize("state,action", sorted(TABLE))
def test_each_listed_transition_moves_the_listing_and_is_audited(db, parties, clock, state, action) -> None:
    move = TABLE[(state, action)]
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, state)
        if action == "expire":
            clock.advance(days=91)
        role = min(move.roles)
        lifecycle.transition(s, listing, action, _actor(role, parties), now=clock.now(), reason="test")
        assert listing.state == move.next_state
        event = s.execute(select(AuditEvent).where(AuditEvent.action == f"listing.{action}",
                                                   AuditEvent.entity_id == str(listing.id))).scalar_one()
        assert f'"state":"{state}"' in event.payload and f'"state":"{move.next_state}"' in event.payload


@pytest.mark.parametrize("state,action", sorted(TABLE))
def test_each_listed_transition_refuses_roles_it_does_not_name(db, parties, clock, state, action) -> None:
    move = TABLE[(state, action)]
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, state)
        for role in ALL_ROLES:
            if role not in move.roles:
                with pytest.raises(PermissionDenied):
                    lifecycle.transition(s, listing, action, _actor(role, parties), now=clock.now())
        assert listing.state == state


def test_every_pair_the_table_does_not_list_is_a_conflict_naming_the_state(db, parties, clock) -> None:
    refused = 0
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, "draft")
        for state in STATES:
            s.execute(update(Listing).where(Listing.id == listing.id).values(state=state))
            s.refresh(listing)
            for action in ACTIONS:
                if (state, action) in TABLE:
                    continue
                with pytest.raises(TransitionRefused) as err:
                    lifecycle.transition(s, listing, action, _actor("admin", parties), now=clock.now())
                assert err.value.extra["state"] == state
                refused += 1
    assert refused > 100


def test_staff_of_another_sub_centre_cannot_move_the_listing(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, "draft")
        with pytest.raises(PermissionDenied):
            lifecycle.transition(s, listing, "submit", Staff(parties["dk"]), now=clock.now())


def test_expiry_waits_for_the_end_of_the_listing_period(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, "published")
        with pytest.raises(TransitionRefused):
            lifecycle.transition(s, listing, "expire", SYSTEM, now=clock.now())


def test_a_stale_version_is_refused(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, "draft")
        with pytest.raises(VersionMismatch):
            lifecycle.transition(s, listing, "submit", Staff(parties["us"]), now=clock.now(),
                                 expected_version=listing.version - 1)


def test_compliance_outcome_licence_required_flags_the_listing_and_it_may_publish(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, "submitted")
        lifecycle.record_compliance_outcome(s, listing, "licence_required", "user:9", "dual-use 3E001",
                                            now=clock.now())
        assert (listing.state, listing.licence_required) == ("licence_required", True)
        lifecycle.transition(s, listing, "publish", staff, now=clock.now())
        assert listing.state == "published"
        from gateway.core.models import OutboxMessage

        message = s.execute(select(OutboxMessage).where(OutboxMessage.aggregate_type == "listing",
                                                        OutboxMessage.aggregate_id == str(listing.id))).scalar_one()
        assert message.kind == "publish_listing" and message.status == "pending"
        assert listing.reference in message.payload


def test_a_blocked_listing_cannot_be_published(db, parties, clock) -> None:
    with db.transaction() as s:
        listing = _listing_in(s, parties, clock, "submitted")
        lifecycle.record_compliance_outcome(s, listing, "blocked", "user:9", "end user listed", now=clock.now())
        with pytest.raises(TransitionRefused) as err:
            lifecycle.transition(s, listing, "publish", Staff(parties["us"]), now=clock.now())
        assert err.value.extra["state"] == "blocked"


def _cleared(s, parties, clock, **over) -> Listing:
    staff = Staff(parties["us"])
    listing = service.create_listing(s, draft_data(parties["seller_us"], **over), subcentre_id=parties["us"],
                                     actor=staff, now=clock.now())
    return listing


def _codes(err: PublicationBlocked) -> set[str]:
    return {m["code"] for m in err.extra["missing"]}


def test_publication_is_refused_while_ownership_is_unconfirmed(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = _cleared(s, parties, clock)
        service.add_asset(s, listing, {"kind": "know_how", "title": "Training recipe"}, staff, clock.now())
        lifecycle.transition(s, listing, "submit", staff, now=clock.now())
        lifecycle.record_compliance_outcome(s, listing, "cleared", "user:9", "ok", now=clock.now())
        with pytest.raises(PublicationBlocked) as err:
            lifecycle.transition(s, listing, "publish", staff, now=clock.now())
        assert _codes(err.value) == {"ownership_unconfirmed"}
        asset = listing.assets[0]
        service.record_ownership_evidence(s, listing, asset, {
            "registered_owner": "Someone Else LLC", "matches_seller": False, "source_uri": None, "note": None},
            actor=staff, now=clock.now())
        s.refresh(listing)
        with pytest.raises(PublicationBlocked) as err:
            lifecycle.transition(s, listing, "publish", staff, now=clock.now())
        assert _codes(err.value) == {"ownership_mismatch"}


def _cleared_with_asset(s, parties, clock, staff) -> Listing:
    listing = _cleared(s, parties, clock)
    service.add_asset(s, listing, {"kind": "know_how", "title": "Training recipe"}, staff, clock.now())
    lifecycle.transition(s, listing, "submit", staff, now=clock.now())
    lifecycle.record_compliance_outcome(s, listing, "cleared", "user:9", "ok", now=clock.now())
    return listing


def _evidence(s, listing, staff, clock, owner: str, **more):
    return service.record_ownership_evidence(s, listing, listing.assets[0], {
        "registered_owner": owner, "source_uri": None, "note": None, **more}, actor=staff, now=clock.now())


def test_the_gateway_compares_the_registered_owner_with_the_seller(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = _cleared_with_asset(s, parties, clock, staff)
        # the caller's word no longer makes a match: the seller is Photonics Lab Inc.
        assert _evidence(s, listing, staff, clock, "Photonics Laboratories LLC", matches_seller=True).matches_seller is False
        assert _codes_of(listing, clock) == {"ownership_mismatch"}
        # the same name, written otherwise (case, punctuation, width, legal form)
        assert _evidence(s, listing, staff, clock, "ＰＨＯＴＯＮＩＣＳ ＬＡＢ, LLC").matches_seller is True
        assert _codes_of(listing, clock) == set()
        # a checker may still flag a mismatch the comparison would not find
        assert _evidence(s, listing, staff, clock, "Photonics Lab Inc.", matches_seller=False).matches_seller is False
        events = [json.loads(p) for p in s.execute(select(AuditEvent.payload).where(
            AuditEvent.action == "listing.ownership_checked", AuditEvent.entity_id == str(listing.id))
            .order_by(AuditEvent.id)).scalars()]
        assert [e["after"]["matches_seller"] for e in events] == [False, True, False]
        assert [e["data"]["claimed_matches_seller"] for e in events] == [True, None, False]


def _codes_of(listing: Listing, clock) -> set[str]:
    return {c["code"] for c in lifecycle.publication_checks(listing, clock.now())}


def test_staff_accept_a_mismatch_only_with_a_reason_that_is_kept_and_audited(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    reason = "assigned by Photonics Holdings to the seller on 2025-03-01 (deed in the register)"
    with db.transaction() as s:
        listing = _cleared_with_asset(s, parties, clock, staff)
        with pytest.raises(InvalidListing) as err:
            _evidence(s, listing, staff, clock, "Photonics Holdings Ltd", mismatch_reason="   ")
        assert err.value.field == "mismatch_reason"
        with pytest.raises(InvalidListing) as err:  # nothing to accept when the owner is the seller
            _evidence(s, listing, staff, clock, "Photonics Lab Inc.", mismatch_reason=reason)
        assert err.value.field == "mismatch_reason"
        with pytest.raises(PermissionDenied):  # not a seller's word
            _evidence(s, listing, Staff(parties["us"], role="seller", organisation_id=parties["seller_us"]),
                      clock, "Photonics Holdings Ltd", mismatch_reason=reason)
        assert listing.assets[0].evidence is None
        evidence = _evidence(s, listing, staff, clock, "Photonics Holdings Ltd", mismatch_reason=f" {reason} ")
        assert (evidence.matches_seller, evidence.mismatch_reason, evidence.confirmed) == (False, reason, True)
        event = json.loads(s.execute(select(AuditEvent.payload).where(
            AuditEvent.action == "listing.ownership_checked",
            AuditEvent.entity_id == str(listing.id))).scalar_one())
        # the reason is free text that may name people: the chain holds its digest only
        assert (event["actor"], event["after"]["mismatch_accepted"], event["data"]["mismatch_reason_sha256"]) == (
            staff.actor, True, hashlib.sha256(reason.encode()).hexdigest())
        assert reason not in json.dumps(event, ensure_ascii=False)
        lifecycle.transition(s, listing, "publish", staff, now=clock.now())
        assert listing.state == "published"


def test_publication_is_refused_for_an_expired_patent_relative_to_the_clock(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = _cleared(s, parties, clock, period_end=clock.now() + dt.timedelta(days=4000))
        make_publishable(s, listing, staff, clock.now())
        lifecycle.transition(s, listing, "submit", staff, now=clock.now())
        lifecycle.record_compliance_outcome(s, listing, "cleared", "user:9", "ok", now=clock.now())
        assert lifecycle.publication_checks(listing, clock.now()) == []
        later = dt.datetime(2035, 1, 2, tzinfo=dt.UTC)  # the patent expires 2035-01-01
        assert {c["code"] for c in lifecycle.publication_checks(listing, later)} == {"patent_expired"}
        with pytest.raises(PublicationBlocked):
            lifecycle.transition(s, listing, "publish", staff, now=later)


def test_publication_is_refused_with_one_language_only(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = _cleared(s, parties, clock, title_en=None, abstract_en=None)
        make_publishable(s, listing, staff, clock.now())
        lifecycle.transition(s, listing, "submit", staff, now=clock.now())
        lifecycle.record_compliance_outcome(s, listing, "cleared", "user:9", "ok", now=clock.now())
        with pytest.raises(PublicationBlocked) as err:
            lifecycle.transition(s, listing, "publish", staff, now=clock.now())
        assert {(m["code"], m.get("field")) for m in err.value.extra["missing"]} == {
            ("text_missing", "title_en"), ("text_missing", "abstract_en")}
        assert listing.state == "cleared"


def test_the_whole_happy_path_reaches_published(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = _cleared(s, parties, clock)
        publish(s, listing, staff, clock.now())
        assert listing.state == "published" and listing.reference.startswith("LST-2026-")
