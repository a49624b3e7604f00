"""Reconciliation over HTTP: finance uploads, works the queue and reads the report; other roles
are refused."""
from __future__ import annotations

import io

import pytest

from gateway.reconciliation.source import KEY
from settlement.reconciliation.importer import register_bank_account
from tests.integration.reconciliation_fixtures import IBAN, entry
from tests.support import camt_builder as camt
from tests.support.reconciliation import MemorySource, expected, human_ref

BASE = "/api/v1/reconciliation"


@pytest.fixture
def source(app, db, clock) -> MemorySource:
    with db.transaction() as s:
        register_bank_account(s, identifier=IBAN, currency="EUR", name="Main", at=clock.now(),
                              actor="test")
    src = MemorySource([expected(1, "500.00"), expected(2, "300.00", name="Acme"),
                        expected(3, "200.00", name="Acme")])
    app.extensions[KEY] = src
    return src


def upload(client, headers, data: bytes, **form: str):
    body = {"file": (io.BytesIO(data), "statement.xml"), **form}
    return client.post(f"{BASE}/statements", data=body, headers=headers,
                       content_type="multipart/form-data")


STATEMENT = camt.build(camt.Stmt(entries=[
    entry("500.00", e2e=human_ref(1, 1)),
    entry("500.00", ref="B2", dbtr_name="Mystery Payer"),
]))


def test_finance_uploads_a_statement_and_sees_what_matched(client, users, source) -> None:
    resp = upload(client, users["finance"]["headers"], STATEMENT)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["line_count"] == 2 and body["matching"]["by_rule"] == {"reference": 1}
    assert [n.instruction_id for n in source.received] == ["I1-1"]
    again = upload(client, users["finance"]["headers"], STATEMENT)
    assert again.status_code == 409 and again.get_json()["code"] == "statement_duplicate"


def test_a_bad_file_is_refused_with_the_element_named(client, users, source) -> None:
    bad = camt.build(camt.Stmt(entries=[entry("1.00")], closing="5.00"))
    resp = upload(client, users["admin"]["headers"], bad)
    assert resp.status_code == 422
    assert resp.get_json()["code"] == "statement_balance_mismatch"
    assert resp.get_json()["element"] == "Stmt[1]"


def test_finance_splits_an_unmatched_line_from_the_queue(client, users, source) -> None:
    h = users["finance"]["headers"]
    upload(client, h, STATEMENT)
    items = client.get(f"{BASE}/exceptions?kind=unmatched_line", headers=h).get_json()["items"]
    (item,) = items
    assert item["amount"] == {"amount": "500.00", "currency": "EUR"}
    parts = [{"instruction_id": "I2-1", "amount": {"amount": "300.00", "currency": "EUR"}},
             {"instruction_id": "I3-1", "amount": {"amount": "200.00", "currency": "EUR"}}]
    resp = client.post(f"{BASE}/exceptions/{item['id']}/split", json={"parts": parts},
                       headers=h)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "resolved"
    assert {n.instruction_id for n in source.received} == {"I1-1", "I2-1", "I3-1"}
    undo = client.post(f"{BASE}/exceptions/{item['id']}/unmatch", json={}, headers=h)
    assert undo.status_code == 422  # a reason is required
    undo = client.post(f"{BASE}/exceptions/{item['id']}/unmatch",
                       json={"reason": "wrong split"}, headers=h)
    assert undo.status_code == 200 and undo.get_json()["status"] == "reverted"


def test_manual_match_and_write_off_through_the_api(client, users, source) -> None:
    h = users["finance"]["headers"]
    source.add(expected(4, "1000.00", charge_bearer="OUR", partial_allowed=False))
    data = camt.build(camt.Stmt(id="S9", entries=[entry("995.00", e2e=human_ref(4, 1))]))
    upload(client, h, data)
    (item,) = client.get(f"{BASE}/exceptions?kind=difference", headers=h).get_json()["items"]
    resp = client.post(f"{BASE}/exceptions/{item['id']}/write-off", json={"reason": "fee"},
                       headers=h)
    assert resp.status_code == 200 and resp.get_json()["resolution"] == "written_off"
    matches = client.get(f"{BASE}/matches", headers=h).get_json()["items"]
    assert matches[0]["written_off_minor"] == 500


def test_the_report_as_json_and_csv(client, users, source) -> None:
    h = users["finance"]["headers"]
    upload(client, h, STATEMENT)
    resp = client.get(f"{BASE}/report?account={IBAN}&period=2024-03", headers=h)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["matched"]["count"] == 1 and body["unmatched"]["count"] == 1
    assert body["statement_closing"] == {"amount": "2000.00", "currency": "EUR"}
    assert body["ledger_balance"] == {"amount": "500.00", "currency": "EUR"}
    csv_resp = client.get(f"{BASE}/report?account={IBAN}&period=2024-03",
                          headers={**h, "Accept": "text/csv"})
    assert csv_resp.mimetype == "text/csv"
    assert "lines,matched,1,500.00,EUR" in csv_resp.get_data(as_text=True)
    assert client.get(f"{BASE}/report?account={IBAN}&period=2024-03&format=csv",
                      headers=h).mimetype == "text/csv"


def test_the_report_page_draws_an_svg_chart(client, users, source) -> None:
    upload(client, users["finance"]["headers"], STATEMENT)
    resp = client.get(f"/reconciliation/report?account={IBAN}&period=2024-03",
                      headers=users["finance"]["headers"])
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "<svg" in page and "<rect" in page and "2000.00" in page


@pytest.mark.parametrize("role", ["compliance", "staff_us", "buyer", "seller_us"])
def test_other_roles_are_refused(client, users, source, role) -> None:
    h = users[role]["headers"]
    assert upload(client, h, STATEMENT).status_code == 403
    assert client.get(f"{BASE}/exceptions", headers=h).status_code == 403
    assert client.post(f"{BASE}/exceptions/1/match", json={}, headers=h).status_code == 403
    assert client.post(f"{BASE}/exceptions/1/write-off", json={}, headers=h).status_code == 403
    assert client.get(f"{BASE}/report?account={IBAN}&period=2024-03",
                      headers=h).status_code == 403


def _multipart(data: bytes, boundary: str) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.xml\"\r\n"
            f"Content-Type: application/xml\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()


def test_a_retried_upload_with_a_new_multipart_boundary_replays_under_its_key(client, users, source) -> None:
    """Clients pick a new boundary for every attempt: the key compares the form and the file's
    bytes, not the framing, so the retry replays; another file under the key is refused."""
    headers = {**users["finance"]["headers"], "Idempotency-Key": "upload-retry-1"}

    def post(data: bytes, boundary: str):
        return client.post(f"{BASE}/statements", data=_multipart(data, boundary), headers=headers,
                           content_type=f"multipart/form-data; boundary={boundary}")

    first = post(STATEMENT, "first-attempt-boundary")
    assert first.status_code == 201, first.get_json()
    retry = post(STATEMENT, "second-attempt-boundary-42")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    other = camt.build(camt.Stmt(id="OTHER", entries=[entry("7.00")]))
    refused = post(other, "first-attempt-boundary")
    assert refused.status_code == 422 and refused.get_json()["code"] == "idempotency_key_reused"
