"""Stored rates: loading, lookup through the same conversion paths, locks, and the CLI."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from moneyed import Money
from sqlalchemy import func, select

from kernel.db import Database
from settlement.fx import Rate, StaleRate, convert, find_rate, load_demo_rates
from settlement.fx.models import FxRate
from settlement.fx.store import DbRateSource, lock_rate, quote_from_lock, store_rates
from tests.conftest import START

ECB_DAY = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
 <gesmes:subject>Reference rates</gesmes:subject>
 <Cube><Cube time="2026-11-20">
  <Cube currency="USD" rate="1.1600"/><Cube currency="CNY" rate="8.2500"/>
  <Cube currency="JPY" rate="180.50"/><Cube currency="KRW" rate="1650.25"/>
 </Cube></Cube>
</gesmes:Envelope>"""


def _count(db: Database) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(FxRate)).scalar_one()


def test_demo_rates_load_once_and_reload_changes_nothing(db: Database) -> None:
    rates = load_demo_rates()
    with db.transaction() as s:
        first = store_rates(s, rates, now=START, actor="test")
    with db.transaction() as s:
        second = store_rates(s, rates, now=START, actor="test")
    assert first.inserted == len(rates) > 500
    assert second.inserted == 0 and second.unchanged == len(rates)
    assert _count(db) == len(rates)


def test_a_publishers_correction_replaces_the_rate_and_is_audited(db: Database) -> None:
    day = dt.date(2026, 11, 20)
    with db.transaction() as s:
        store_rates(s, [Rate("EUR", "USD", Decimal("1.1600"), day, "ECB")], now=START, actor="test")
    with db.transaction() as s:
        summary = store_rates(s, [Rate("EUR", "USD", Decimal("1.1610"), day, "ECB")], now=START, actor="test")
    assert summary.corrected == 1
    with db.session() as s:
        assert DbRateSource(s).get("EUR", "USD", day).rate == Decimal("1.1610")


def test_stored_rates_convert_directly_inversely_and_across_eur(db: Database) -> None:
    day = dt.date(2026, 11, 20)
    with db.transaction() as s:
        store_rates(s, [Rate("EUR", "USD", Decimal("1.1600"), day, "ECB"),
                        Rate("EUR", "CNY", Decimal("8.2500"), day, "ECB")], now=START, actor="test")
    with db.session() as s:
        src = DbRateSource(s)
        direct = find_rate(src, "EUR", "USD", dt.date(2026, 11, 23), 3)
        inverse = find_rate(src, "USD", "EUR", dt.date(2026, 11, 23), 3)
        cross = find_rate(src, "CNY", "USD", dt.date(2026, 11, 23), 3)
    assert direct.rate == Decimal("1.1600") and not direct.path[0].inverted
    assert inverse.path[0].inverted
    assert [leg.rate.quote for leg in cross.path] == ["CNY", "USD"] and cross.is_crossed
    # 1,000,000.00 CNY -> EUR at 1/8.25 -> USD at 1.16: 140,606.06 USD, checked by hand
    assert convert(Money("1000000.00", "CNY"), "USD", cross) == Money("140606.06", "USD")


def test_a_stale_rate_is_refused(db: Database) -> None:
    with db.transaction() as s:
        store_rates(s, [Rate("EUR", "USD", Decimal("1.16"), dt.date(2026, 11, 10), "ECB")], now=START, actor="test")
    with db.session() as s, pytest.raises(StaleRate):
        find_rate(DbRateSource(s), "EUR", "USD", dt.date(2026, 11, 23), 3)


def test_a_locked_rate_is_the_one_used_later(db: Database) -> None:
    day = dt.date(2026, 11, 20)
    with db.transaction() as s:
        store_rates(s, [Rate("EUR", "USD", Decimal("1.1600"), day, "ECB"),
                        Rate("EUR", "CNY", Decimal("8.2500"), day, "ECB")], now=START, actor="test")
        lock = lock_rate(s, "CNY", "USD", now=START, purpose="deal 1", actor="test",
                         max_staleness_business_days=3)
        lock_id = lock.id
    with db.transaction() as s:  # a newer rate arrives; the lock does not move
        store_rates(s, [Rate("EUR", "USD", Decimal("1.2000"), dt.date(2026, 11, 23), "ECB")], now=START, actor="test")
    with db.session() as s:
        from settlement.fx.models import FxRateLock

        quote = quote_from_lock(s.get(FxRateLock, lock_id))
    assert quote.rate == Decimal("1.16") / Decimal("8.25")
    assert quote.path[0].rate.source == "ECB" and quote.as_of == day


@pytest.fixture
def cli_app(fresh_db_url: str, clock):
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url}, clock=clock)
    yield app
    app.extensions["gateway.db"].engine.dispose()


def test_fx_load_cli_from_a_file_and_a_truncated_file(cli_app, tmp_path: Path) -> None:
    good, bad = tmp_path / "daily.xml", tmp_path / "truncated.xml"
    good.write_bytes(ECB_DAY)
    bad.write_bytes(ECB_DAY[: len(ECB_DAY) // 2])
    runner = cli_app.test_cli_runner()
    refused = runner.invoke(args=["fx", "load", "--file", str(bad)])
    assert refused.exit_code == 1 and "nothing loaded" in refused.output
    assert _count(cli_app.extensions["gateway.db"]) == 0
    loaded = runner.invoke(args=["fx", "load", "--file", str(good)])
    assert loaded.exit_code == 0 and "4 new" in loaded.output
    shown = runner.invoke(args=["fx", "quote", "KRW", "JPY", "--on", "2026-11-23"])
    assert shown.exit_code == 0 and "inverse of EUR/KRW" in shown.output and "direct EUR/JPY" in shown.output


class _EcbHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(ECB_DAY)

    def log_message(self, *args: object) -> None:
        pass


def test_fx_load_cli_fetches_from_a_url(cli_app) -> None:
    server = HTTPServer(("127.0.0.1", 0), _EcbHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/eurofxref-daily.xml"
        result = cli_app.test_cli_runner().invoke(args=["fx", "load", "--url", url])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert _count(cli_app.extensions["gateway.db"]) == 4


class _BadSourceHandler(BaseHTTPRequestHandler):
    """An ECB look-alike gone wrong: ``/garbage`` (an HTML error page with 200), ``/cut`` (half
    the document), ``/down`` (503), ``/nan`` (well-formed, a rate that is not a number),
    ``/mixed`` (a correction of the USD rate beside a negative CNY rate: the good half must not
    load either)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = {"/garbage": b"<html><body>Service temporarily unavailable</body></html>",
                "/cut": ECB_DAY[: len(ECB_DAY) // 2],
                "/nan": ECB_DAY.replace(b'rate="8.2500"', b'rate="NaN"'),
                "/mixed": ECB_DAY.replace(b'rate="1.1600"', b'rate="1.2000"')
                                 .replace(b'rate="8.2500"', b'rate="-8.2500"')}.get(self.path, b"")
        self.send_response(503 if self.path == "/down" else 200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_fx_load_refuses_a_source_that_is_down_or_sends_garbage_and_keeps_the_rates_it_had(
        cli_app, tmp_path: Path) -> None:
    good = tmp_path / "daily.xml"
    good.write_bytes(ECB_DAY)
    runner = cli_app.test_cli_runner()
    assert runner.invoke(args=["fx", "load", "--file", str(good)]).exit_code == 0
    server = HTTPServer(("127.0.0.1", 0), _BadSourceHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    urls = [f"http://127.0.0.1:{server.server_port}{p}"
            for p in ("/garbage", "/cut", "/down", "/nan", "/mixed")]
    urls.append(f"http://127.0.0.1:{_closed_port()}/eurofxref-daily.xml")  # nothing listening
    try:
        for url in urls:
            result = runner.invoke(args=["fx", "load", "--url", url])
            assert result.exit_code == 1 and "nothing loaded" in result.output, (url, result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit), url
    finally:
        server.shutdown()
        server.server_close()
    db = cli_app.extensions["gateway.db"]
    assert _count(db) == 4  # the rates loaded before stay as they were, not corrected
    with db.session() as s:
        assert DbRateSource(s).get("EUR", "USD", dt.date(2026, 11, 20)).rate == Decimal("1.1600")
    shown = runner.invoke(args=["fx", "quote", "USD", "CNY", "--on", "2026-11-23"])
    assert shown.exit_code == 0 and "1 USD = " in shown.output, shown.output


def _closed_port() -> int:
    """A loopback port with nothing listening on it (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
