"""Search: Chinese and English free text, filters, IPC prefixes, TRL, territory, prices across
currencies with stored FX rates, visibility and cursor pagination (both databases)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from moneyed import Money

from gateway.listings import service
from gateway.listings.search import SearchQuery, search_listings
from gateway.listings.segment import search_text, tokens
from settlement.fx import Rate
from settlement.fx.store import store_rates
from tests.support.listings import Staff, draft_data, publish

BUYER = Staff(None, role="buyer", organisation_id=999)


def _published(s, parties, clock, **over):
    staff = Staff(parties["us"])
    listing = service.create_listing(s, draft_data(parties["seller_us"], **over), subcentre_id=parties["us"],
                                     actor=staff, now=clock.now())
    return publish(s, listing, staff, clock.now())


def _ids(s, clock, actor=BUYER, **q):
    rows, _ = search_listings(s, actor, SearchQuery(**q), now=clock.now(), limit=200)
    return [listing.id for listing, _ in rows]


@pytest.fixture
def corpus(db, parties, clock):
    with db.transaction() as s:
        made = {
            "ai": _published(s, parties, clock),
            "battery": _published(s, parties, clock, title_zh="固态锂电池电解质", title_en="Solid-state lithium battery electrolyte",
                                  abstract_zh="高安全性的固态电解质材料。", abstract_en="A safe solid electrolyte material.",
                                  technology_field="new_energy", ipc_classes=["H01M 10/0562"], trl=4,
                                  transaction_type="assignment", territory=["DE", "FR"],
                                  asking_price=Money("1000000", "CNY"), direction="outbound"),
            "phone": _published(s, parties, clock, title_zh="智能手机天线", title_en="Smartphone antenna",
                                abstract_zh="小型化天线设计。", abstract_en="A miniaturised antenna design for café terminals.",
                                technology_field="ict", ipc_classes=["H04W 72/04", "H01Q 1/24"], trl=8,
                                transaction_type="non_exclusive_licence", territory=["CN"],
                                asking_price=Money("50000000", "JPY")),
        }
        draft = service.create_listing(s, draft_data(parties["seller_us"], title_en="Secret draft image recognition"),
                                       subcentre_id=parties["us"], actor=Staff(parties["us"]), now=clock.now())
        made["draft"] = draft
        return {k: v.id for k, v in made.items()}


def test_segmentation_makes_bigrams_and_lowercase_words() -> None:
    assert search_text("基于人工智能", "Café AI-Driven") == "基于 于人 人工 工智 智能 cafe ai driven"
    assert [t.text for t in tokens("药")] == ["药"] and tokens("药")[0].single_cjk


def test_a_chinese_query_finds_the_chinese_title(db, corpus, clock) -> None:
    with db.session() as s:
        assert _ids(s, clock, text="人工智能") == [corpus["ai"]]
        assert _ids(s, clock, text="电池") == [corpus["battery"]]


def test_a_shared_bigram_does_not_match_unrelated_text(db, corpus, clock) -> None:
    with db.session() as s:
        # 智能手机 shares 智能 with 人工智能 but 能手 and 手机 only occur in the phone listing
        assert _ids(s, clock, text="智能手机") == [corpus["phone"]]
        assert _ids(s, clock, text="人工电池") == []


def test_an_english_query_finds_the_english_title_case_and_accents_folded(db, corpus, clock) -> None:
    with db.session() as s:
        assert _ids(s, clock, text="image recognition") == [corpus["ai"]]
        assert _ids(s, clock, text="IMAGE Recognition") == [corpus["ai"]]
        assert _ids(s, clock, text="cafe") == [corpus["phone"]]
        assert _ids(s, clock, text="image battery") == []


def test_buyers_never_see_drafts_in_search(db, corpus, clock, parties) -> None:
    with db.session() as s:
        assert corpus["draft"] not in _ids(s, clock, text="image recognition")
        staff = Staff(parties["us"])
        assert corpus["draft"] in _ids(s, clock, actor=staff, text="secret", states=("draft",))
        assert _ids(s, clock, actor=Staff(parties["dk"]), text="secret", states=("draft",)) == []
        assert _ids(s, clock, text="secret", states=("draft",)) == []


def test_filters_by_direction_field_transaction_type_and_territory(db, corpus, clock) -> None:
    with db.session() as s:
        assert _ids(s, clock, direction="outbound") == [corpus["battery"]]
        assert _ids(s, clock, technology_field="ict") == [corpus["phone"]]
        assert _ids(s, clock, transaction_type="assignment") == [corpus["battery"]]
        assert _ids(s, clock, territory="US") == [corpus["ai"]]
        assert _ids(s, clock, territory="CN") == [corpus["ai"], corpus["phone"]]


def test_ipc_prefix_at_every_level(db, corpus, clock) -> None:
    with db.session() as s:
        assert _ids(s, clock, ipc_prefix="H") == [corpus["battery"], corpus["phone"]]
        assert _ids(s, clock, ipc_prefix="H04W") == [corpus["phone"]]
        assert _ids(s, clock, ipc_prefix="H04W 72") == [corpus["phone"]]
        assert _ids(s, clock, ipc_prefix="H04W 72/04") == [corpus["phone"]]
        assert _ids(s, clock, ipc_prefix="H04W 73") == []
        assert _ids(s, clock, ipc_prefix="G06") == [corpus["ai"]]


def test_trl_range(db, corpus, clock) -> None:
    with db.session() as s:
        assert _ids(s, clock, trl_min=5) == [corpus["ai"], corpus["phone"]]
        assert _ids(s, clock, trl_min=5, trl_max=7) == [corpus["ai"]]
        assert _ids(s, clock, trl_max=4) == [corpus["battery"]]


def _rates(db, clock, *rates):
    with db.transaction() as s:
        store_rates(s, [Rate(b, q, Decimal(r), dt.date(2026, 11, 20), "ECB") for b, q, r in rates],
                    now=clock.now(), actor="test")


def test_price_range_in_the_callers_currency_with_stored_rates(db, corpus, clock) -> None:
    # EUR per unit: USD 1.05, CNY 7.60, JPY 160; prices 250,000 USD, 1,000,000 CNY, 50,000,000 JPY
    _rates(db, clock, ("EUR", "USD", "1.05"), ("EUR", "CNY", "7.60"), ("EUR", "JPY", "160"))
    with db.session() as s:
        eur = lambda a: Money(a, "EUR")
        # in EUR: ai 238,095.24; battery 131,578.95; phone 312,500.00
        assert _ids(s, clock, price_min=eur("200000")) == [corpus["ai"], corpus["phone"]]
        assert _ids(s, clock, price_min=eur("100000"), price_max=eur("240000")) == [corpus["ai"], corpus["battery"]]
        assert _ids(s, clock, price_max=eur("312500")) == [corpus["ai"], corpus["battery"], corpus["phone"]]
        assert _ids(s, clock, price_max=eur("312499.99")) == [corpus["ai"], corpus["battery"]]
        # in CNY, crossing through EUR: ai = 250,000 / 1.05 * 7.60 = 1,809,523.81
        assert _ids(s, clock, price_min=Money("1800000", "CNY"), price_max=Money("1810000", "CNY")) == [corpus["ai"]]


def test_a_listing_whose_price_cannot_be_converted_is_left_out_not_an_error(db, corpus, clock) -> None:
    _rates(db, clock, ("EUR", "USD", "1.05"), ("EUR", "CNY", "7.60"))  # no JPY rate at all
    with db.session() as s:
        assert _ids(s, clock, price_min=Money("0", "EUR")) == [corpus["ai"], corpus["battery"]]
        # without a price filter the JPY listing is found as usual
        assert corpus["phone"] in _ids(s, clock)


def test_pagination_by_id_and_by_relevance_covers_every_match_once(db, parties, clock) -> None:
    with db.transaction() as s:
        ids = [_published(s, parties, clock, title_en=f"Sensor {'sensor ' * (i % 3)}array {i}").id
               for i in range(7)]
    with db.session() as s:
        for q in ({}, {"text": "sensor"}):
            seen, cursor = [], None
            while True:
                rows, cursor = search_listings(s, BUYER, SearchQuery(**q), now=clock.now(), cursor=cursor, limit=3)
                seen += [listing.id for listing, _ in rows]
                if cursor is None:
                    break
            assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)), q
        rows, _ = search_listings(s, BUYER, SearchQuery(text="sensor"), now=clock.now(), limit=10)
        scores = [score for _, score in rows]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


def test_an_edited_draft_is_found_by_its_new_words_and_no_longer_by_the_old(db, parties, clock) -> None:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        draft = service.create_listing(s, draft_data(parties["seller_us"], title_en="Tidal turbine blade coating"),
                                       subcentre_id=parties["us"], actor=staff, now=clock.now())
    with db.session() as s:
        assert _ids(s, clock, actor=staff, text="turbine", states=("draft",)) == [draft.id]
    with db.transaction() as s:
        listing = s.get(type(draft), draft.id)
        service.update_listing(s, listing, {"title_en": "Offshore wind gearbox seal", "title_zh": "海上风电齿轮箱密封"},
                               actor=staff, now=clock.now(), expected_version=listing.version)
    with db.session() as s:
        assert _ids(s, clock, actor=staff, text="turbine", states=("draft",)) == []
        assert _ids(s, clock, actor=staff, text="gearbox", states=("draft",)) == [draft.id]
        assert _ids(s, clock, actor=staff, text="齿轮箱", states=("draft",)) == [draft.id]


def test_relevance_pages_skip_better_matches_the_filters_exclude(db, parties, clock) -> None:
    # the more often "sensor" occurs the higher the rank; the best matches have TRL 2, so the
    # pages must walk past them (PostgreSQL ranks first and filters while joining)
    with db.transaction() as s:
        made = [(_published(s, parties, clock, title_en="Sensor " * (8 - i) + f"array {i}", trl=2 if i < 4 else 7).id,
                 i) for i in range(8)]
    wanted = [lid for lid, i in made if i >= 4]
    with db.session() as s:
        everything, _ = search_listings(s, BUYER, SearchQuery(text="sensor"), now=clock.now(), limit=20)
        ranked = [listing.id for listing, _ in everything]
        assert ranked[:4] == [lid for lid, i in made if i < 4]  # more occurrences rank higher
        seen, cursor = [], None
        while True:
            rows, cursor = search_listings(s, BUYER, SearchQuery(text="sensor", trl_min=5), now=clock.now(),
                                           cursor=cursor, limit=2)
            seen += [listing.id for listing, _ in rows]
            if cursor is None:
                break
        assert seen == [lid for lid in ranked if lid in wanted] and sorted(seen) == sorted(wanted)
