"""The embedded core: idempotent by key, and a feed strictly ordered by seq."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.core import CorePort, CoreRejected
from gateway.core.embedded import EmbeddedCore
from gateway.core.embedded_models import CoreDeal, CoreListing

LISTING = {"title": "Low-loss photonic waveguide", "direction": "outbound",
           "price": {"amount": "250000.00", "currency": "USD"}}


@pytest.fixture
def core(db, clock) -> EmbeddedCore:
    return EmbeddedCore(db, clock)


def _count(db, model) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_embedded_core_is_a_core_port(core) -> None:
    assert isinstance(core, CorePort)


def test_publishing_again_with_the_same_key_and_payload_returns_the_same_listing(core, db) -> None:
    first = core.publish_listing(LISTING, "listing-1-publish")
    again = core.publish_listing(dict(reversed(list(LISTING.items()))), "listing-1-publish")
    assert first == again
    assert _count(db, CoreListing) == 1
    events, _ = core.events_since(0)
    assert [e.type for e in events] == ["listing.published"]


def test_the_same_key_with_another_payload_is_rejected(core) -> None:
    core.publish_listing(LISTING, "listing-1-publish")
    with pytest.raises(CoreRejected) as err:
        core.publish_listing({**LISTING, "title": "Something else"}, "listing-1-publish")
    assert err.value.reason == "idempotency_key_reused"


def test_deals_are_idempotent_by_key_and_must_name_a_known_listing(core, db) -> None:
    core_id = core.publish_listing(LISTING, "l1")
    deal = {"listing_core_id": core_id, "price": {"amount": "240000.00", "currency": "USD"}}
    assert core.report_deal(deal, "deal-7") == core.report_deal(deal, "deal-7")
    assert _count(db, CoreDeal) == 1
    with pytest.raises(CoreRejected) as err:
        core.report_deal({**deal, "listing_core_id": "CL-NOPE"}, "deal-8")
    assert err.value.reason == "unknown_listing" and err.value.status == 404


def test_floats_are_refused_in_payloads(core) -> None:
    with pytest.raises(CoreRejected) as err:
        core.publish_listing({"price": 1.1}, "k")
    assert err.value.reason == "invalid_payload"


def test_update_and_withdraw_are_idempotent_and_refused_when_they_make_no_sense(core) -> None:
    core_id = core.publish_listing(LISTING, "l1")
    core.update_listing(core_id, {**LISTING, "title": "v2"})
    core.update_listing(core_id, {**LISTING, "title": "v2"})  # the same again: no new version
    assert core.listing(core_id)["version"] == 2
    core.withdraw_listing(core_id, "seller asked")
    core.withdraw_listing(core_id, "seller asked")
    assert core.listing(core_id)["status"] == "withdrawn"
    with pytest.raises(CoreRejected) as err:
        core.update_listing(core_id, {**LISTING, "title": "v3"})
    assert err.value.reason == "listing_withdrawn" and err.value.status == 409
    with pytest.raises(CoreRejected) as err:
        core.withdraw_listing("CL-NOPE", "x")
    assert err.value.reason == "unknown_listing"
    events, _ = core.events_since(0)
    assert [e.type for e in events] == ["listing.published", "listing.updated", "listing.withdrawn"]


def test_the_feed_is_strictly_ordered_and_pages_from_a_cursor(core) -> None:
    ids = [core.publish_listing({**LISTING, "n": i}, f"l{i}") for i in range(5)]
    core.withdraw_domestically(ids[1], "sold domestically")
    deal_id = core.strike_domestic_deal(ids[2], {"price": {"amount": "1.00", "currency": "CNY"}})
    everything, last = core.events_since(0, 100)
    seqs = [e.seq for e in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) == 7
    assert last == seqs[-1]
    assert everything[5].type == "listing.withdrawn" and everything[5].data == {
        "core_id": ids[1], "reason": "sold domestically", "origin": "domestic"}
    assert everything[6].type == "deal.struck" and everything[6].data["core_deal_id"] == deal_id
    assert everything[6].data["deal"]["listing_core_id"] == ids[2]
    page, cursor, seen = [], 0, []
    while True:
        page, cursor = core.events_since(cursor, 3)
        if not page:
            break
        seen.extend(e.seq for e in page)
    assert seen == seqs
    assert core.events_since(last, 10) == ([], last)
