"""An auction in Chromium, two buyers in two browser contexts on one live server (per database):
the first finds the listing by Chinese search and registers (finance recorded both deposits in
the set-up, through the deposit service); both bid on the live auction page, each page updating
without a reload (price, own bids, standing, the anti-sniping extension); the clock moves past
the end, the tick closes the auction through the service, and the first buyer's page says it won
and the deal shows under "My deals". Screenshots at each step; a console error or a failed
request in either context fails the test."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from moneyed import Money
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "an-auction-journey-password"
TITLE_ZH = "基于激光雷达的三维成像方法"
LIVE = 10_000  # ms: the page polls every 2 s


@pytest.fixture
def auction_story(live_app: Any, live_server: Any, clock: Any) -> dict[str, Any]:
    """A published auction listing of the US sub-centre (reserve 120,000 USD) with an auction
    open for an hour, two screened domestic buyers whose deposits finance has recorded, and a
    user for each."""
    from compliance.screening.service import screen_party
    from gateway.auth.service import create_user
    from gateway.trading import auctions
    from kernel.parties import Organisation, SubCentre
    from tests.support.trading import fund, published_listing

    db = live_app.extensions["gateway.db"]
    now = clock.now()
    with db.transaction() as s:
        us = SubCentre(code="US", name_zh="美国分中心", name_en="US Sub-centre", country="US",
                       home_currency="USD", locale="en_US", timezone="America/New_York", active=True)
        s.add(us)
        s.flush()
        orgs = {}
        for key, name, sc in (("seller", "Photonics Lab Inc.", us.id), ("a", "深圳智造科技有限公司", None),
                              ("b", "杭州远景光电有限公司", None)):
            org = Organisation(legal_name=name, legal_name_latin=name, country="US" if sc else "CN",
                               org_type="company", tax_residency="US" if sc else "CN", subcentre_id=sc,
                               created_at=now)
            s.add(org)
            s.flush()
            orgs[key] = org.id
            if sc is None:
                screen_party(s, org, "test", now, "test")
        listing = published_listing(s, {"us": us.id, "seller_us": orgs["seller"]}, now, title_zh=TITLE_ZH,
                                    title_en="Lidar-based 3D imaging",
                                    abstract_zh="一种用于自动驾驶的激光雷达三维成像方法。",
                                    abstract_en="A lidar 3D imaging method for autonomous driving.")
        auctions.create_auction(s, listing, starts_at=now, ends_at=now + dt.timedelta(hours=1),
                                increment=Money("1000.00", "USD"), deposit=Money("10000.00", "USD"),
                                now=now, actor="test")
        people = {}
        for key in ("a", "b"):
            fund(s, orgs[key], "10000.00", now)
            people[key] = create_user(s, email=f"buyer-{key}@journey.example", password=PASSWORD, role="buyer",
                                      display_name=f"Buyer {key.upper()}", now=now, actor="test",
                                      organisation_id=orgs[key]).email
    return {"url": live_server.url, "people": people, "db": db, "clock": clock, "listing": listing.id}


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """The rival buyer's own browser context, watched like the first."""
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    pg.on("response", lambda r: problems.append(f"HTTP {r.status} for {r.url}") if r.status >= 500 else None)
    yield pg
    context.close()
    assert not problems, problems


def _sign_in(page: Page, story: dict[str, Any], who: str) -> None:
    page.goto(story["url"] + "/login")
    page.get_by_label("Email").fill(story["people"][who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#role")).to_be_visible()


def _bid(page: Page, amount: str) -> None:
    box = page.get_by_label("Your bid (USD)")
    box.fill(amount)
    box.press("Enter")  # keyboard submit
    expect(page.get_by_role("status").first).to_contain_text("is in")


def test_two_buyers_bid_on_the_live_page_and_the_first_wins(page: Page, second_page: Page, auction_story,
                                                             backend: str) -> None:
    from gateway.trading.tick import tick

    story = auction_story
    a, b = page, second_page
    _sign_in(a, story, "a")
    a.get_by_role("link", name="Bring-in catalogue").click()
    a.get_by_label("Search (Chinese or English)").fill("激光雷达")
    a.get_by_role("button", name="Search").click()
    a.locator("#results li", has_text="Lidar-based 3D imaging").get_by_role("link").click()
    expect(a.locator("#auction-deposit")).to_contain_text("received")
    shot(a, f"auction-{backend}-1-listing-deposit-received")
    a.get_by_role("button", name="Register for the auction").click()
    expect(a.get_by_role("heading", level=1)).to_contain_text("Live auction")
    expect(a.locator("#minimum-bid")).to_have_text("$100,000.00 USD")

    _sign_in(b, story, "b")
    b.goto(f"{story['url']}/catalogue/{story['listing']}")
    b.get_by_role("button", name="Register for the auction").click()
    expect(b.locator("#current-price")).to_have_text("no bids yet")

    _bid(a, "100000")
    expect(a.locator("#standing")).to_have_text("You hold the highest bid.")
    # the rival's page learns of it without a reload
    expect(b.locator("#current-price")).to_have_text("$100,000.00 USD", timeout=LIVE)
    expect(b.locator("#minimum-bid")).to_have_text("$101,000.00 USD")
    expect(b.get_by_label("Your bid (USD)")).to_have_value("101000.00")
    _bid(b, "101000")
    expect(a.locator("#current-price")).to_have_text("$101,000.00 USD", timeout=LIVE)
    expect(a.locator("#standing")).to_have_text("Another bidder holds the highest bid.")
    expect(a.locator("#my-bids li")).to_have_count(1)
    expect(a.locator("#my-bids")).not_to_contain_text("101,000")  # never the rival's bids
    shot(a, f"auction-{backend}-2-outbid")

    story["clock"].advance(minutes=58)  # the last five minutes: a bid moves the end
    _bid(a, "120000")
    expect(a.locator("#extensions")).to_have_text("1")
    expect(b.locator("#extensions")).to_have_text("1", timeout=LIVE)
    expect(b.locator("#countdown")).to_contain_text("00:0")
    _bid(b, "121000")
    _bid(a, "125000")
    expect(b.locator("#current-price")).to_have_text("$125,000.00 USD", timeout=LIVE)
    shot(b, f"auction-{backend}-3-rival-extended")
    a.set_viewport_size({"width": 375, "height": 800})
    assert a.evaluate("document.documentElement.scrollWidth") <= 375
    shot(a, f"auction-{backend}-3-leading-phone")
    a.set_viewport_size({"width": 1100, "height": 800})

    story["clock"].advance(minutes=10)
    summary = tick(story["db"], story["clock"].now())
    assert summary.auctions_won == 1, summary
    expect(a.locator("#standing")).to_have_text("You won the auction.", timeout=LIVE)
    expect(a.locator("#deal-ref")).to_contain_text("DL-2026-")
    expect(a.locator("#bid-panel")).to_be_hidden()
    expect(b.locator("#standing")).to_have_text("The auction is closed; you did not win.", timeout=LIVE)
    shot(a, f"auction-{backend}-4-won")
    shot(b, f"auction-{backend}-4-lost")

    deal_ref = a.locator("#deal-ref").inner_text()
    a.get_by_role("link", name="My deals").first.click()
    deal = a.locator(f"#deal-{deal_ref}")
    expect(deal).to_contain_text("$125,000.00 USD")
    expect(deal.locator("table.instalments tbody tr")).not_to_have_count(0)
    expect(deal.get_by_role("link", name="PDF").first).to_be_visible()
    shot(a, f"auction-{backend}-5-my-deals")
    a.get_by_label("Language").select_option("zh_CN")
    a.get_by_role("button", name="Switch").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("我的成交")
    expect(a.locator(f"#deal-{deal_ref}")).to_contain_text("US$125,000.00")
    shot(a, f"auction-{backend}-5-my-deals-zh")
    b.get_by_role("link", name="My deals").first.click()
    expect(b.locator("#no-deals")).to_be_visible()
