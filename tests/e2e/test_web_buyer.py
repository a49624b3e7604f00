"""Buyers' pages: the bring-in catalogue (filters, Chinese search, prices in CNY next to the
original), the listing detail without the reserve price, and the payments they owe."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moneyed import Money

from gateway.listings import service
from kernel.clock import FrozenClock
from kernel.db import Database
from settlement.fx import load_demo_rates
from settlement.fx.store import store_rates
from settlement.plans import create_plan, run_due
from tests.integration.settlement_plans.conftest import (
    ACTOR,
    CONFIG,
    TaxFilingGate,
    add_rates,
    add_world,
    record_tax_filing,
    tax_filings,
)
from tests.integration.settlement_plans.test_plans_worked_examples import bring_in_terms
from tests.support.listings import Staff, draft_data, publish
from tests.support.web import csrf, sign_in


def _published(db, clock, parties, **over: Any) -> int:
    staff = Staff(parties["us"])
    with db.transaction() as s:
        listing = service.create_listing(s, draft_data(parties["seller_us"], **over), subcentre_id=parties["us"],
                                         actor=staff, now=clock.now())
        publish(s, listing, staff, clock.now())
        return listing.id


def _rates(db, clock) -> None:
    with db.transaction() as s:
        store_rates(s, load_demo_rates(), now=clock.now(), actor="test")


def test_a_buyer_finds_a_listing_by_chinese_search_with_the_price_in_cny(client, db, clock, users, parties) -> None:
    vision = _published(db, clock, parties)
    _published(db, clock, parties, title_zh="锂电池回收工艺", title_en="Lithium battery recycling",
               abstract_zh="湿法冶金回收。", abstract_en="Hydrometallurgical recycling.",
               technology_field="new_energy", ipc_classes=["H01M 10/54"], trl=4)
    _rates(db, clock)
    sign_in(client, users["buyer"]["email"])
    html = client.get("/catalogue", query_string={"q": "图像识别"}).get_data(as_text=True)
    assert f"/catalogue/{vision}" in html and "Lithium" not in html
    assert "CN¥" in html and "$250,000.00 USD" in html  # converted next to the original
    assert client.get("/catalogue", query_string={"field": "new_energy"}).get_data(as_text=True).count("/catalogue/") == 1
    by_ipc = client.get("/catalogue", query_string={"ipc": "G06V"}).get_data(as_text=True)
    assert f"/catalogue/{vision}" in by_ipc and "Lithium" not in by_ipc
    assert "Lithium" in client.get("/catalogue", query_string={"trl_max": "4"}).get_data(as_text=True)
    bad = client.get("/catalogue", query_string={"ipc": "??"})
    assert bad.status_code == 200 and 'id="ipc-error"' in bad.get_data(as_text=True)


def test_without_a_stored_rate_the_page_says_the_rate_is_unavailable(client, db, clock, users, parties) -> None:
    _published(db, clock, parties)
    sign_in(client, users["buyer"]["email"])
    html = client.get("/catalogue").get_data(as_text=True)
    assert "CNY rate unavailable" in html and "$250,000.00 USD" in html


def test_the_detail_page_never_shows_the_reserve_price(client, db, clock, users, parties) -> None:
    listing_id = _published(db, clock, parties, pricing_mode="auction", asking_price=None,
                            starting_price=Money("100000.00", "USD"), reserve_price=Money("987654.00", "USD"))
    _rates(db, clock)
    sign_in(client, users["buyer"]["email"])
    html = client.get(f"/catalogue/{listing_id}").get_data(as_text=True)
    assert "$100,000.00 USD" in html and "987,654" not in html and "Image recognition" in html
    sign_in(client, users["staff_us"]["email"])
    assert client.get(f"/catalogue/{listing_id}").status_code == 403


def test_a_buyer_cannot_open_a_draft_in_the_catalogue(client, db, clock, users, parties) -> None:
    with db.transaction() as s:
        draft = service.create_listing(s, draft_data(parties["seller_us"]), subcentre_id=parties["us"],
                                       actor=Staff(parties["us"]), now=clock.now()).id
    sign_in(client, users["buyer"]["email"])
    assert client.get(f"/catalogue/{draft}").status_code == 404


def test_the_catalogue_in_chinese(client, db, clock, users, parties) -> None:
    _published(db, clock, parties)
    sign_in(client, users["buyer"]["email"])
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf(client, "/")})
    html = client.get("/catalogue").get_data(as_text=True)
    assert "引进技术目录" in html and "人工智能" in html and "基于人工智能的图像识别" in html


@pytest.fixture
def deal(db: Database, clock: FrozenClock, make_user: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    with db.transaction() as s:
        tax_filings.create(s.connection(), checkfirst=True)
        add_rates(s, clock.now())
        w = add_world(s, clock.now())
        plan = create_plan(s, bring_in_terms(w), now=clock.now(), actor=ACTOR, config=CONFIG)
        record_tax_filing(s, "C-2026-0001", "TF-9", clock.now().date())
        upfront = plan.instructions[0].id
    run_due(db, now=clock.now(), gate=TaxFilingGate(), config=CONFIG)
    return {"upfront": upfront, "buyer": make_user("buyer", organisation_id=w.buyer_cn),
            "other_buyer": make_user("buyer", organisation_id=w.buyer_jp)}


def test_a_buyer_sees_what_is_due_with_links_to_the_advice(client, deal) -> None:
    sign_in(client, deal["buyer"]["email"])
    html = client.get("/payments").get_data(as_text=True)
    assert "712,130.00" in html and "STX-2026-" in html
    advice = f"/api/v1/settlement/instructions/{deal['upfront']}/advice.html?party=payer"
    assert advice in html
    assert client.get(advice).status_code == 200
    sign_in(client, deal["other_buyer"]["email"])
    assert "STX-2026-" not in client.get("/payments").get_data(as_text=True)


def test_a_buyer_abroad_sees_prices_in_their_countrys_currency(client, db, clock, parties, make_user) -> None:
    from tests.support.compliance import make_org

    _published(db, clock, parties)
    _rates(db, clock)
    with db.transaction() as s:
        tokyo = make_org(s, "Osaka Robotics KK", country="JP").id
    sign_in(client, make_user("buyer", organisation_id=tokyo)["email"])
    html = client.get("/catalogue").get_data(as_text=True)
    assert "Prices are shown in JPY" in html and "¥" in html and "$250,000.00 USD" in html
