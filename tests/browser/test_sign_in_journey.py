"""A person signs in, switches language, and is locked out after repeated failures."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "a-browser-test-password"


@pytest.fixture
def staff(live_app):
    from gateway.auth.service import create_user
    from kernel.parties import SubCentre

    db = live_app.extensions["gateway.db"]
    clock = live_app.extensions["gateway.clock"]
    with db.transaction() as s:
        sc = SubCentre(code="US", name_zh="美国分中心", name_en="US Sub-centre", country="US",
                       home_currency="USD", locale="en_US", timezone="America/New_York", active=True)
        s.add(sc)
        s.flush()
        user = create_user(s, email="staff@test.example", password=PASSWORD, role="subcentre_staff",
                           display_name="Alice Staff", now=clock.now(), actor="test", subcentre_code="US")
        return user.email


def test_staff_signs_in_switches_to_chinese_and_signs_out(page, live_server, staff, backend) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(staff)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, f"signin-{backend}-form")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Staff")
    expect(page.locator("#role")).to_contain_text("sub-centre staff")
    expect(page.get_by_role("cell", name="US Sub-centre")).to_be_visible()
    page.get_by_label("Language").select_option("zh_CN")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("#role")).to_contain_text("分中心工作人员")
    expect(page.get_by_role("cell", name="美国分中心")).to_be_visible()
    shot(page, f"signin-{backend}-home-zh")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_repeated_wrong_passwords_lock_the_account(page, live_server, staff, backend) -> None:
    page.goto(live_server.url + "/login")
    for _ in range(5):
        page.get_by_label("Email").fill(staff)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#login-error")).to_contain_text("email or password is wrong")
    page.get_by_label("Email").fill(staff)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("locked")
    shot(page, f"signin-{backend}-locked")


def test_the_sign_in_page_works_at_phone_width_with_the_keyboard(page, live_server, staff) -> None:
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(live_server.url + "/login")
    page.keyboard.press("Tab")
    for _ in range(6):
        if page.evaluate("document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(staff)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
