"""The pages in Chromium, as one story on one live server per database (the tests run in
order and share it): staff file a listing, fixing an inline error, add an asset and its
ownership evidence and submit; a compliance officer classifies it in the queue; staff publish;
a buyer finds it by Chinese search with the price in CNY next to USD and opens it; finance
sees the dashboard with its chart. Each step saves screenshots; any console error or failed
request fails the step."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kernel.clock import FrozenClock
from tests.browser.conftest import shot
from tests.support.live_server import LiveServer
from tests.conftest import BACKENDS, START, TEST_CONFIG, _pg_database_from_template

pytestmark = pytest.mark.browser

PASSWORD = "a-browser-journey-password"
CATALOGUES = Path(__file__).resolve().parents[2] / "compliance" / "export_control" / "data"
TITLE_ZH = "基于激光雷达的三维成像方法"


@pytest.fixture(scope="module", params=BACKENDS)
def story(request: pytest.FixtureRequest, template_urls: dict[str, str],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One database and one live server for the whole journey, seeded with the parties, an
    import catalogue, FX rates, a settlement plan with an instruction due, and a user per role."""
    import shutil

    from compliance.export_control.catalogue import parse_catalogue_csv
    from compliance.export_control.service import load_catalogue
    from gateway.app import create_app
    from gateway.auth.service import create_user
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
    from tests.integration.settlement_plans.test_plans_worked_examples import (
        bring_in_terms,
    )

    with ExitStack() as stack:
        if request.param == "sqlite":
            dst = tmp_path_factory.mktemp("journey") / "journey.db"
            shutil.copy(template_urls["sqlite"].removeprefix("sqlite:///"), dst)
            url = f"sqlite:///{dst}"
        else:
            url = stack.enter_context(_pg_database_from_template(request.getfixturevalue("pg_server")))
        clock = FrozenClock(START)
        app = create_app({**TEST_CONFIG, "DATABASE_URL": url}, clock=clock)
        db = app.extensions["gateway.db"]
        now = clock.now()
        with db.transaction() as s:
            tax_filings.create(s.connection(), checkfirst=True)
            add_rates(s, now)
            w = add_world(s, now)
            load_catalogue(s, parse_catalogue_csv((CATALOGUES / "import-catalogue-subset.csv").read_bytes(), "import"),
                           now, "test:loader")
            create_plan(s, bring_in_terms(w), now=now, actor=ACTOR, config=CONFIG)
            record_tax_filing(s, "C-2026-0001", "TF-9", now.date())
            people = {}
            for key, role, extra in (("staff", "subcentre_staff", {"subcentre_code": "US"}),
                                     ("officer", "compliance_officer", {}),
                                     ("buyer", "buyer", {"organisation_id": w.buyer_cn}),
                                     ("finance", "finance", {})):
                people[key] = create_user(s, email=f"{key}@journey.example", password=PASSWORD, role=role,
                                          display_name=key.title(), now=now, actor="test", **extra).email
        run_due(db, now=now, gate=TaxFilingGate(), config=CONFIG)
        server = stack.enter_context(LiveServer(app))
        yield {"url": server.url, "people": people, "backend": request.param, "seller": w.seller_us}
        app.extensions["gateway.db"].engine.dispose()


def sign_in(page: Page, story: dict[str, Any], who: str) -> None:
    page.goto(story["url"] + "/login")
    page.get_by_label("Email").fill(story["people"][who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#role")).to_be_visible()


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_1_staff_file_a_listing_fixing_an_inline_error_and_submit_it(page: Page, story) -> None:
    b = story["backend"]
    sign_in(page, story, "staff")
    page.get_by_role("link", name="New listing").first.click()
    page.get_by_label("Direction").select_option("inbound")
    page.get_by_label("Title (Chinese)").fill(TITLE_ZH)
    page.get_by_label("Title (English)").fill("Lidar-based 3D imaging")
    page.get_by_label("Abstract (Chinese)").fill("一种用于自动驾驶的激光雷达三维成像方法。")
    page.get_by_label("Abstract (English)").fill("A lidar 3D imaging method for autonomous driving.")
    page.get_by_label("Technology field").select_option("ict")
    page.get_by_label("IPC classes").fill("G01S 17/89")
    page.get_by_label("Technology readiness level (1-9)").fill("6")
    page.get_by_label("Territory").fill("CN")
    page.get_by_label("Pricing").select_option("fixed_price")
    page.get_by_label("Listing period starts").fill("2026-11-23")
    page.get_by_label("Listing period ends").fill("2027-03-01")
    page.get_by_role("button", name="Save draft").click()  # no price: refused, inline
    expect(page.locator("#price-error")).to_contain_text("asking price")
    expect(page.get_by_label("Title (English)")).to_have_value("Lidar-based 3D imaging")
    shot(page, f"journey-{b}-1-inline-error")
    page.get_by_label("Price (asking, or starting for an auction)").fill("250000")
    page.get_by_label("Price (asking, or starting for an auction)").press("Enter")  # keyboard submit
    expect(page.locator("#listing-state")).to_have_text("draft")
    expect(page.locator("#missing")).to_contain_text("Add the patents")
    page.get_by_label("Asset title").fill("Lidar imaging patent")
    page.get_by_label("Jurisdiction (patents)").fill("US")
    page.get_by_label("Number (patents)").fill("US11223344B2")
    page.get_by_label("Patent status").select_option("granted")
    page.get_by_label("Expires on (patents)").fill("2038-05-01")
    page.get_by_role("button", name="Add asset").click()
    page.get_by_label("Registered owner").fill("Photonics Lab Inc.")
    page.get_by_role("button", name="Record ownership evidence").click()
    expect(page.locator("#missing")).not_to_contain_text("No ownership evidence")
    shot(page, f"journey-{b}-1-draft-ready")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#listing-state")).to_have_text("submitted")
    story["listing_path"] = re.sub(r"^https?://[^/]+", "", page.url)
    page.get_by_role("link", name="Our listings").click()
    expect(page.locator("svg.chart")).to_be_visible()
    shot(page, f"journey-{b}-1-listings-by-state")


def test_2_a_compliance_officer_classifies_it_in_the_queue(page: Page, story) -> None:
    sign_in(page, story, "officer")
    page.get_by_role("link", name="Classification queue").click()
    item = page.locator("section.classification", has_text="Lidar-based 3D imaging")
    expect(item).to_be_visible()
    shot(page, f"journey-{story['backend']}-2-queue")
    item.get_by_label("Not in the catalogue (free technology)").check()
    item.get_by_label("Reason").fill("Lidar imaging is not in the import catalogue")
    item.get_by_role("button", name="Classify").click()
    expect(page.get_by_role("status")).to_contain_text("Classified: free")
    expect(page.locator("#decided")).to_contain_text("free")


def test_3_staff_publish_it(page: Page, story) -> None:
    sign_in(page, story, "staff")
    page.goto(story["url"] + story["listing_path"])
    expect(page.locator("#listing-state")).to_have_text("cleared")
    expect(page.locator("#ready")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#listing-state")).to_have_text("published")
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()
    shot(page, f"journey-{story['backend']}-3-published")


def test_4_a_buyer_finds_it_by_chinese_search_and_sees_cny_next_to_usd(page: Page, story) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, story, "buyer")
    page.get_by_role("link", name="Bring-in catalogue").click()
    page.get_by_label("Search (Chinese or English)").fill("激光雷达")
    page.get_by_role("button", name="Search").click()
    card = page.locator("#results li", has_text="Lidar-based 3D imaging")
    expect(card).to_be_visible()
    expect(card.locator(".price-converted")).to_contain_text("CN¥1,775,000.00")
    expect(card.locator(".price-alt")).to_contain_text("$250,000.00 USD")
    no_horizontal_scroll(page)
    shot(page, f"journey-{story['backend']}-4-catalogue-phone")
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lidar-based 3D imaging")
    expect(page.locator(".facts")).to_contain_text("G01S 17/89")
    no_horizontal_scroll(page)
    shot(page, f"journey-{story['backend']}-4-detail-phone")
    page.get_by_label("Language").select_option("zh_CN")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE_ZH)
    expect(page.locator(".price-converted")).to_contain_text("¥1,775,000.00")
    shot(page, f"journey-{story['backend']}-4-detail-zh")


def test_5_finance_sees_the_dashboard_with_a_chart(page: Page, story) -> None:
    sign_in(page, story, "finance")
    page.get_by_role("link", name="Finance dashboard").click()
    page.set_viewport_size({"width": 375, "height": 800})
    expect(page.locator("#due-chart svg")).to_be_visible()
    no_horizontal_scroll(page)  # wide tables scroll inside their own box
    shot(page, f"journey-{story['backend']}-5-finance-phone")
    page.set_viewport_size({"width": 1100, "height": 800})
    page.get_by_role("link", name="Finance dashboard").click()
    expect(page.locator("#due-chart svg")).to_be_visible()
    expect(page.locator("#due-summary")).to_contain_text("CNY")
    expect(page.locator("#due-list")).to_contain_text("712,130.00")
    shot(page, f"journey-{story['backend']}-5-finance")
