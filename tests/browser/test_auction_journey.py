"""From filing to the deal, as one story in Chromium on one live server (per database), each
person in a browser context of their own:

1. sub-centre staff file an auction listing (starting and reserve price), add its patent and
   ownership evidence and submit it; the page shows what is missing, the seller's screening
   case among it (the watch list loaded in the set-up holds a near miss of the seller's name);
2. a compliance officer clears that case as a false positive and classifies the listing;
3. staff publish it and open the auction (through the API, from their signed-in browser: there
   is no page for it yet);
4. finance records both buyers' deposits (through the API from their browser: no page yet);
5. a buyer finds the listing by Chinese search and registers; a second buyer registers too;
   they bid against each other on the live auction page. The second buyer's page runs on
   Playwright's clock (paused, moved on by the test): it proves that the countdown ticks, and
   that the rival's bids and an anti-sniping extension (the shown end, the count, the
   countdown) reach it without a reload;
6. the injected server clock moves past the end and the test calls the trading tick (as the
   scheduler would), which closes the auction; the winner's page says so and the deal shows
   under "My deals", in English and Chinese; the loser has none.

Screenshots at each step from each context; a console error or a failed request in any context
fails the test."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "an-auction-journey-password"
TITLE_ZH = "基于激光雷达的三维成像方法"
TITLE_EN = "Lidar-based 3D imaging"
LIVE = 10_000  # ms: the first buyer's page polls every 2 s of real time
POLL_MS = 2_000  # the live page's poll interval (the second buyer's page runs on a paused clock)
#: one entry, a near miss of the seller "Photonics Lab Inc."
WATCH_LIST = "id,name,aliases,entity_type,country,programs\nUEL-4,Kestrel Photonics Lab Inc.,,entity,US,Entity List\n"


@pytest.fixture
def story(live_app: Any, live_server: Any, clock: Any) -> dict[str, Any]:
    """The US sub-centre and its seller, two screened domestic buyers, the import catalogue,
    the day's FX rates, a small watch list, and a user for each person."""
    from compliance.export_control.catalogue import parse_catalogue_csv
    from compliance.export_control.service import load_catalogue
    from compliance.screening.service import screen_party
    from gateway.auth.service import create_user
    from kernel.parties import Organisation, SubCentre
    from tests.browser.test_web_journeys import CATALOGUES
    from tests.support.compliance import load_watch
    from tests.support.trading import add_rates

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
        load_watch(s, WATCH_LIST, now)
        load_catalogue(s, parse_catalogue_csv((CATALOGUES / "import-catalogue-subset.csv").read_bytes(), "import"),
                       now, "test:loader")
        add_rates(s, now)
        people = {}
        for key, role, extra in (("staff", "subcentre_staff", {"subcentre_code": "US"}),
                                 ("officer", "compliance_officer", {}), ("finance", "finance", {}),
                                 ("a", "buyer", {"organisation_id": orgs["a"]}),
                                 ("b", "buyer", {"organisation_id": orgs["b"]})):
            people[key] = create_user(s, email=f"{key}@journey.example", password=PASSWORD, role=role,
                                      display_name=f"Person {key}", now=now, actor="test", **extra).email
    return {"url": live_server.url, "people": people, "orgs": orgs, "db": db, "clock": clock}


def _sign_in(page: Page, story: dict[str, Any], who: str) -> None:
    page.goto(story["url"] + "/login")
    page.get_by_label("Email").fill(story["people"][who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#role")).to_be_visible()


def _api_post(page: Page, story: dict[str, Any], path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A JSON API call riding on the page's signed-in session (with the page's CSRF token, as
    the API asks of cookie-borne calls)."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    resp = page.request.post(f"{story['url']}/api/v1{path}", data=body, headers={"X-CSRFToken": token})
    assert resp.status == 201, resp.text()
    return resp.json()


def _usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def _bid(page: Page, amount: str) -> None:
    box = page.get_by_label("Your bid (USD)")
    box.fill(amount)
    box.press("Enter")  # keyboard submit
    expect(page.get_by_role("status").first).to_contain_text("is in")


def _poll(page: Page) -> None:
    """Move the page's paused clock on to its next poll of the live view, and wait for that
    poll's answer (the page renders it at once)."""
    with page.expect_response(lambda r: r.url.endswith("/live.json") and r.status == 200):
        page.clock.run_for(POLL_MS)


def _seconds(text: str) -> int:
    h, m, s = (int(x) for x in re.fullmatch(r"(\d\d):(\d\d):(\d\d)", text).groups())
    return h * 3600 + m * 60 + s


def test_staff_file_an_auction_compliance_clears_it_and_two_buyers_bid_until_one_wins(
        new_page, story, backend: str) -> None:
    from gateway.trading.tick import tick

    clock = story["clock"]
    tag = f"story-{backend}"

    # 1. staff file the auction listing and submit it
    staff = new_page("staff")
    _sign_in(staff, story, "staff")
    staff.get_by_role("link", name="New listing").first.click()
    staff.get_by_label("Direction").select_option("inbound")
    staff.get_by_label("Title (Chinese)").fill(TITLE_ZH)
    staff.get_by_label("Title (English)").fill(TITLE_EN)
    staff.get_by_label("Abstract (Chinese)").fill("一种用于自动驾驶的激光雷达三维成像方法。")
    staff.get_by_label("Abstract (English)").fill("A lidar 3D imaging method for autonomous driving.")
    staff.get_by_label("Technology field").select_option("ict")
    staff.get_by_label("IPC classes").fill("G01S 17/89")
    staff.get_by_label("Technology readiness level (1-9)").fill("6")
    staff.get_by_label("Territory").fill("CN")
    staff.get_by_label("Pricing").select_option("auction")
    staff.get_by_label("Price (asking, or starting for an auction)").fill("100000")
    staff.get_by_label("Reserve price (auctions; never shown to buyers)").fill("120000")
    staff.get_by_label("Listing period starts").fill("2026-11-23")
    staff.get_by_label("Listing period ends").fill("2027-03-01")
    staff.get_by_role("button", name="Save draft").click()
    expect(staff.locator("#listing-state")).to_have_text("draft")
    listing_path = re.sub(r"^https?://[^/]+", "", staff.url)
    listing_id = int(listing_path.rsplit("/", 1)[1])
    staff.get_by_label("Asset title").fill("Lidar imaging patent")
    staff.get_by_label("Jurisdiction (patents)").fill("US")
    staff.get_by_label("Number (patents)").fill("US11223344B2")
    staff.get_by_label("Patent status").select_option("granted")
    staff.get_by_label("Expires on (patents)").fill("2038-05-01")
    staff.get_by_role("button", name="Add asset").click()
    expect(staff.locator("#ownership-status")).to_contain_text("no ownership evidence recorded")
    staff.get_by_label("Registered owner").fill("Photonics Lab Inc.")
    staff.get_by_role("button", name="Record ownership evidence").click()
    expect(staff.locator("#ownership-status")).to_contain_text("the registered owner matches the seller")
    staff.get_by_role("button", name="Submit for review").click()
    expect(staff.locator("#listing-state")).to_have_text("submitted")
    # submission screened the seller: the near miss opened a case, which is now what is missing
    expect(staff.locator("#seller-screening")).to_contain_text("a screening case is under review")
    expect(staff.locator("#classification-status")).to_contain_text("waiting in the compliance queue")
    shot(staff, f"{tag}-1-staff-submitted")

    # 2. the compliance officer clears the case as a false positive and classifies the listing
    officer = new_page("officer")
    _sign_in(officer, story, "officer")
    officer.get_by_role("link", name="Screening cases").click()
    cases = officer.locator("#cases tbody tr")
    expect(cases).to_have_count(1)  # the seller's case only: the buyers screened clear
    cases.first.get_by_role("link").click()
    expect(officer.locator("section.hit")).to_contain_text("Kestrel Photonics Lab Inc.")
    expect(officer.locator("section.hit")).to_contain_text("Photonics Lab Inc.")
    shot(officer, f"{tag}-2-officer-case")
    officer.get_by_label("Reason").fill("Different company: Kestrel is another firm, not the seller.")
    officer.get_by_role("button", name="Clear (false positive)").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("cleared")
    officer.get_by_role("link", name="Classification queue").click()
    item = officer.locator("section.classification", has_text=TITLE_EN)
    item.get_by_label("Not in the catalogue (free technology)").check()
    item.get_by_label("Reason").fill("Lidar imaging is not in the import catalogue")
    item.get_by_role("button", name="Classify").click()
    expect(officer.get_by_role("status")).to_contain_text("Classified: free")
    shot(officer, f"{tag}-2-officer-classified")

    # 3. staff publish and open the auction for an hour
    staff.goto(story["url"] + listing_path)
    expect(staff.locator("#listing-state")).to_have_text("cleared")
    expect(staff.locator("#seller-screening")).to_have_text("clear")
    expect(staff.locator("#ready")).to_be_visible()
    staff.get_by_role("button", name="Publish").click()
    expect(staff.locator("#listing-state")).to_have_text("published")
    now = clock.now()
    auction = _api_post(staff, story, "/auctions", {
        "listing_id": listing_id, "starts_at": now.isoformat(),
        "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
        "increment": _usd("1000.00"), "deposit": _usd("10000.00")})
    staff.get_by_role("link", name="Trading").click()
    expect(staff.locator(f"#auction-{auction['id']}")).to_contain_text("open")
    shot(staff, f"{tag}-3-staff-auction-open")

    # 4. finance records both buyers' deposits
    finance = new_page("finance")
    _sign_in(finance, story, "finance")
    for key in ("a", "b"):
        balance = _api_post(finance, story, "/deposits", {"org_id": story["orgs"][key], "amount": _usd("10000.00"),
                                                          "reference": f"BANK-{key.upper()}-1"})
        assert balance["available"] == _usd("10000.00")
    shot(finance, f"{tag}-4-finance")

    # 5. the first buyer finds it by Chinese search and registers; the second registers too
    a = new_page("buyer-a")
    _sign_in(a, story, "a")
    a.get_by_role("link", name="Bring-in catalogue").click()
    a.get_by_label("Search (Chinese or English)").fill("激光雷达")
    a.get_by_role("button", name="Search").click()
    a.locator("#results li", has_text=TITLE_EN).get_by_role("link").click()
    expect(a.locator("#auction-deposit")).to_contain_text("received")
    shot(a, f"{tag}-5-a-listing")
    a.get_by_role("button", name="Register for the auction").click()
    expect(a.get_by_role("heading", level=1)).to_contain_text("Live auction")
    expect(a.locator("#minimum-bid")).to_have_text("$100,000.00 USD")

    b = new_page("buyer-b")
    b.clock.install(time=clock.now())
    b.clock.pause_at(clock.now() + dt.timedelta(seconds=1))  # from here on the test moves b's time
    _sign_in(b, story, "b")
    b.goto(f"{story['url']}/catalogue/{listing_id}")
    b.get_by_role("button", name="Register for the auction").click()
    expect(b.locator("#current-price")).to_have_text("no bids yet")
    # the countdown ticks: read a second apart on the page's clock (no poll falls in between)
    expect(b.locator("#countdown")).to_have_text("01:00:00")
    b.clock.run_for(1000)
    expect(b.locator("#countdown")).to_have_text("00:59:59")
    b.evaluate("window.sameDocument = true")  # gone if the page were reloaded

    _bid(a, "100000")
    expect(a.locator("#standing")).to_have_text("You hold the highest bid.")
    _poll(b)  # the rival's page learns of it without a reload
    expect(b.locator("#current-price")).to_have_text("$100,000.00 USD")
    expect(b.locator("#minimum-bid")).to_have_text("$101,000.00 USD")
    expect(b.get_by_label("Your bid (USD)")).to_have_value("101000.00")
    assert b.evaluate("window.sameDocument") is True
    shot(b, f"{tag}-5-b-sees-the-first-bid")
    _bid(b, "101000")
    expect(a.locator("#current-price")).to_have_text("$101,000.00 USD", timeout=LIVE)
    expect(a.locator("#standing")).to_have_text("Another bidder holds the highest bid.")
    expect(a.locator("#my-bids li")).to_have_count(1)
    expect(a.locator("#my-bids")).not_to_contain_text("101,000")  # never the rival's bids
    shot(a, f"{tag}-5-a-outbid")

    # the last five minutes: a bid there moves the end; b's page shows it without a reload
    clock.advance(minutes=58)
    b.evaluate("window.sameDocument = true")
    _poll(b)
    expect(b.locator("#countdown")).to_have_text("00:02:00")
    end_before = b.locator("#ends-at").inner_text()
    _bid(a, "120000")
    expect(a.locator("#extensions")).to_have_text("1")
    _poll(b)
    expect(b.locator("#extensions")).to_have_text("1")
    expect(b.locator("#ends-at")).not_to_have_text(end_before)
    expect(b.locator("#ends-at")).to_have_text(a.locator("#ends-at").inner_text())
    expect(b.locator("#countdown")).to_have_text("00:05:00")  # the bid at 09:58 moved the end to 10:03
    b.clock.run_for(1000)
    expect(b.locator("#countdown")).to_have_text("00:04:59")
    assert b.evaluate("window.sameDocument") is True
    shot(b, f"{tag}-5-b-sees-the-extension")
    _bid(b, "121000")
    _bid(a, "125000")
    _poll(b)
    expect(b.locator("#current-price")).to_have_text("$125,000.00 USD")
    a.set_viewport_size({"width": 375, "height": 800})
    assert a.evaluate("document.documentElement.scrollWidth") <= 375
    shot(a, f"{tag}-5-a-leading-phone")
    a.set_viewport_size({"width": 1100, "height": 800})

    # 6. past the end the trading tick closes the auction: the first buyer won
    clock.advance(minutes=10)
    summary = tick(story["db"], clock.now())
    assert summary.auctions_won == 1, summary
    expect(a.locator("#standing")).to_have_text("You won the auction.", timeout=LIVE)
    expect(a.locator("#deal-ref")).to_contain_text("DL-2026-")
    expect(a.locator("#bid-panel")).to_be_hidden()
    _poll(b)
    expect(b.locator("#standing")).to_have_text("The auction is closed; you did not win.")
    shot(a, f"{tag}-6-a-won")
    shot(b, f"{tag}-6-b-lost")

    deal_ref = a.locator("#deal-ref").inner_text()
    a.get_by_role("link", name="My deals").first.click()
    deal = a.locator(f"#deal-{deal_ref}")
    expect(deal).to_contain_text("$125,000.00 USD")
    expect(deal.locator("table.instalments tbody tr")).not_to_have_count(0)
    expect(deal.get_by_role("link", name="PDF").first).to_be_visible()
    shot(a, f"{tag}-6-a-my-deals")
    a.get_by_label("Language").select_option("zh_CN")
    a.get_by_role("button", name="Switch").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("我的成交")
    expect(a.locator(f"#deal-{deal_ref}")).to_contain_text("US$125,000.00")
    shot(a, f"{tag}-6-a-my-deals-zh")
    b.get_by_role("link", name="My deals").first.click()
    expect(b.locator("#no-deals")).to_be_visible()
    # the sub-centre sees the deal and, the deal being on free technology, its registration due
    staff.goto(story["url"] + listing_path)
    expect(staff.locator("#listing-state")).to_have_text("deal struck")
    expect(staff.locator("#registration-status")).to_contain_text(deal_ref)
    shot(staff, f"{tag}-6-staff-deal")
