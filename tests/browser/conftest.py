"""Browser tests: Debian's Chromium driven by Playwright against a real server on loopback.

The browser is the system one (`make deps` installs the `chromium` package); Playwright never
downloads a browser of its own. Every test fails on a console error or a failed request, and
saves screenshots under test-artifacts/.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.live_server import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is missing: run `make deps` (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def live_app(fresh_db_url: str, clock: Any) -> Iterator[Any]:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url}, clock=clock)
    yield app
    app.extensions["gateway.db"].engine.dispose()


@pytest.fixture
def live_server(live_app: Any) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


def watch(pg: Page) -> list[str]:
    """Collect ``pg``'s console errors, page errors, failed requests and server errors (also
    kept as ``pg.problems``)."""
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    pg.on("response", lambda r: problems.append(f"HTTP {r.status} for {r.url}")
          if r.status >= 500 else None)
    pg.problems = problems  # type: ignore[attr-defined]
    return problems


def _node_name(request: pytest.FixtureRequest) -> str:
    return request.node.name.replace("/", "_").replace("[", "-").replace("]", "")


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context; console errors and failed requests fail the test."""
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    pg = context.new_page()
    problems = watch(pg)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{_node_name(request)}-final.png"), full_page=True)
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Page]]:
    """Browser contexts on demand, one per person in a journey (``new_page("buyer-a")``), each
    watched like ``page``, screenshotted at the end under its name and closed; a problem in
    any of them fails the test."""
    opened: list[tuple[str, Page]] = []

    def make(who: str) -> Page:
        pg = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800}).new_page()
        watch(pg)
        opened.append((who, pg))
        return pg

    yield make
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    for who, pg in opened:
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{_node_name(request)}-{who}-final.png"), full_page=True)
        finally:
            pg.context.close()
        problems += [f"{who}: {p}" for p in pg.problems]  # type: ignore[attr-defined]
    assert not problems, problems


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
