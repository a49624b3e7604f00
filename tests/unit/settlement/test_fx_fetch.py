"""Fetching ECB rates over HTTP from a real server on 127.0.0.1 (no mocks)."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from kernel.errors import InvalidInput, Unavailable
from settlement.fx import RateDocumentError, RateSourceUnavailable, fetch_ecb
from settlement.fx.sources import DATA_DIR

HIST = (DATA_DIR / "eurofxref-hist-demo.xml").read_bytes()
RELEASE = threading.Event()  # lets the slow endpoint finish once the test is done


class EcbHandler(BaseHTTPRequestHandler):
    """Serves the demo history file whole, cut short, as garbage, as errors, or slowly."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/slow":
            RELEASE.wait(10)
            self._send(200, HIST)
        elif self.path == "/eurofxref-hist.xml":
            self._send(200, HIST)
        elif self.path == "/truncated.xml":
            self._send(200, HIST[: len(HIST) * 2 // 3])
        elif self.path == "/garbage":
            self._send(200, b"\x00\x01 this is not xml at all \xff")
        elif self.path == "/maintenance":
            self._send(503, b"<html>down for maintenance</html>")
        elif self.path == "/cut-in-transit":
            self.send_response(200)
            self.send_header("Content-Length", str(len(HIST)))
            self.end_headers()
            self.wfile.write(HIST[:1000])
            self.close_connection = True
        else:
            self._send(404, b"not here")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that timed out and hung up is what the slow test wants


@pytest.fixture(scope="module")
def ecb_url() -> Iterator[str]:
    RELEASE.clear()
    server = QuietServer(("127.0.0.1", 0), EcbHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        RELEASE.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_fetching_the_history_file_gives_every_rate_in_it(ecb_url):
    rates = fetch_ecb(f"{ecb_url}/eurofxref-hist.xml")
    assert len(rates) == 600
    newest_usd = next(r for r in rates if r.quote == "USD")
    assert (newest_usd.as_of, newest_usd.rate) == (date(2026, 11, 20), Decimal("1.1614"))


def test_a_callers_session_is_used_and_left_open(ecb_url):
    with requests.Session() as session:
        first = fetch_ecb(f"{ecb_url}/eurofxref-hist.xml", session=session, source="mirror")
        second = fetch_ecb(f"{ecb_url}/eurofxref-hist.xml", session=session, source="mirror")
    assert first == second and {r.source for r in first} == {"mirror"}


@pytest.mark.parametrize("path, words", [
    ("/truncated.xml", "not well-formed"),
    ("/garbage", "not well-formed"),
])
def test_a_document_that_arrives_whole_but_bad_is_invalid_input(ecb_url, path, words):
    with pytest.raises(RateDocumentError, match=words) as caught:
        fetch_ecb(ecb_url + path)
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize("path, words", [
    ("/maintenance", "HTTP 503"),
    ("/missing", "HTTP 404"),
    ("/cut-in-transit", "could not be read"),
])
def test_an_error_status_or_a_body_cut_in_transit_is_unavailable(ecb_url, path, words):
    with pytest.raises(RateSourceUnavailable, match=words) as caught:
        fetch_ecb(ecb_url + path)
    assert isinstance(caught.value, Unavailable)
    assert caught.value.code == "fx_source_unavailable"


def test_a_source_slower_than_the_read_timeout_is_unavailable(ecb_url):
    with pytest.raises(RateSourceUnavailable, match="timed out"):
        fetch_ecb(f"{ecb_url}/slow", timeout=(1, 0.2))


def test_a_source_that_refuses_connections_is_unavailable():
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RateSourceUnavailable, match="could not be read"):
        fetch_ecb(f"http://127.0.0.1:{port}/eurofxref-daily.xml", timeout=(1, 1))


def test_a_document_larger_than_the_limit_is_refused_without_reading_it_all(ecb_url):
    with pytest.raises(RateDocumentError, match="larger than 4096 bytes"):
        fetch_ecb(f"{ecb_url}/eurofxref-hist.xml", max_bytes=4096)
