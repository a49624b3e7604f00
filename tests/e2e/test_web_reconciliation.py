"""Finance's reconciliation pages: statement upload with its summary, a refused file that writes
nothing, and the exceptions queue worked by hand (one-click match, split, unmatch with a
reason, write-off within the limit) through the same services as the API; errors translated;
other roles refused."""
from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.reconciliation.source import KEY
from kernel.audit.models import AuditEvent
from settlement.reconciliation.importer import register_bank_account
from settlement.reconciliation.models import ImportedStatement, ReconException, StatementLineRecord
from tests.integration.reconciliation_fixtures import IBAN, entry
from tests.support import camt_builder as camt
from tests.support.reconciliation import MemorySource, expected, human_ref
from tests.support.web import csrf, post_form, sign_in

STATEMENT = camt.build(camt.Stmt(entries=[
    entry("500.00", e2e=human_ref(1, 1)),
    entry("500.00", ref="B2", dbtr_name="Mystery Payer"),
]))
def in_chinese(client: Any) -> None:
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf(client, "/")})


@pytest.fixture
def source(app, db, clock) -> MemorySource:
    with db.transaction() as s:
        register_bank_account(s, identifier=IBAN, currency="EUR", name="Main", at=clock.now(),
                              actor="test")
    src = MemorySource([expected(1, "500.00"), expected(2, "500.00", name="Nordic Optics AB"),
                        expected(3, "300.00", name="Acme"), expected(4, "200.00", name="Acme")])
    app.extensions[KEY] = src
    return src


def upload(client: Any, data: bytes, name: str = "statement.xml", **form: str) -> Any:
    body = {"csrf_token": csrf(client, "/reconciliation/upload"), "format": "camt053",
            "file": (io.BytesIO(data), name), **form}
    return client.post("/reconciliation/upload", data=body, content_type="multipart/form-data",
                       follow_redirects=True)


def open_items(db: Any, lines: bool = True) -> list[ReconException]:
    """Open queue items: statement lines (or unpaid instructions, ``lines=False``)."""
    subject = ReconException.line_id.is_not(None) if lines else ReconException.line_id.is_(None)
    with db.session() as s:
        return list(s.execute(select(ReconException).where(ReconException.status == "open", subject)
                              .order_by(ReconException.id)).scalars())


def test_upload_shows_the_summary_and_one_click_resolves_the_line(client, db, users, source) -> None:
    sign_in(client, users["finance"]["email"])
    page = upload(client, STATEMENT)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="import-summary"' in html
    assert 'id="sum-entries">2<' in html and 'id="sum-matched">1<' in html
    assert 'id="sum-exceptions">1<' in html
    # the statement is of 2024: the other instructions (due then) are listed as unpaid
    assert 'id="sum-unpaid">3<' in html
    assert [x.instruction_id for x in open_items(db, lines=False)] == ["I2-1", "I3-1", "I4-1"]
    assert [n.instruction_id for n in source.received] == ["I1-1"]
    queue = client.get("/reconciliation/exceptions").get_data(as_text=True)
    (item,) = open_items(db)
    assert f'id="item-{item.id}"' in queue and "Mystery Payer" in queue
    assert human_ref(2, 1) in queue and 'class="score"' in queue  # the suggestion and its score
    resp = post_form(client, f"/reconciliation/exceptions/{item.id}/match", {"instruction_id": "I2-1"})
    assert resp.status_code == 302
    assert open_items(db) == []
    # I2-1 is paid now: its unpaid item left the queue too
    assert [x.instruction_id for x in open_items(db, lines=False)] == ["I3-1", "I4-1"]
    assert [n.instruction_id for n in source.received] == ["I1-1", "I2-1"]
    with db.session() as s:
        events = s.execute(select(AuditEvent.action).where(
            AuditEvent.action == "reconciliation.manual_match")).scalars().all()
    assert len(events) == 1
    after = client.get("/reconciliation/exceptions").get_data(as_text=True)
    assert f'id="item-{item.id}"' not in after and f'id="resolved-{item.id}"' in after


def test_a_refused_file_shows_the_translated_error_and_writes_nothing(client, db, users, source) -> None:
    sign_in(client, users["finance"]["email"])
    bad = camt.build(camt.Stmt(entries=[entry("1.00")], closing="5.00"))
    in_chinese(client)
    page = client.post("/reconciliation/upload", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, "/reconciliation/upload"), "format": "camt053",
        "file": (io.BytesIO(bad), "bad.xml")})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'role="alert"' in html
    assert "期初余额加上各笔分录不等于期末余额" in html  # the code's sentence, translated
    assert "Stmt[1]" in html  # where the fault is
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(ImportedStatement)).scalar() == 0
        assert s.execute(select(func.count()).select_from(StatementLineRecord)).scalar() == 0
    upload(client, STATEMENT)
    again = upload(client, STATEMENT)  # the same statement twice: refused, named
    assert "该对账单已导入过，未写入任何内容。" in again.get_data(as_text=True)
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(ImportedStatement)).scalar() == 1


def test_a_csv_statement_with_its_profile(client, db, users, source) -> None:
    sign_in(client, users["finance"]["email"])
    csv = ("Date,Value Date,Amount,Currency,Reference,End-to-End ID,Description,Counterparty,"
           "Counterparty Account\n"
           f"2024-03-01,2024-03-01,500.00,EUR,R1,{human_ref(1, 1)},,Acme Robotics GmbH,\n").encode()
    missing = upload(client, csv, "s.csv", format="csv", profile="generic")
    assert "Bank account" in missing.get_data(as_text=True) and 'role="alert"' in missing.get_data(as_text=True)
    page = upload(client, csv, "s.csv", format="csv", profile="generic", account=IBAN,
                  opening_balance="0.00", closing_balance="500.00")
    html = page.get_data(as_text=True)
    assert 'id="sum-entries">1<' in html and 'id="sum-matched">1<' in html, html


def test_split_unmatch_and_write_off_from_the_queue(client, db, users, source) -> None:
    sign_in(client, users["finance"]["email"])
    upload(client, STATEMENT)
    (item,) = open_items(db)
    url = f"/reconciliation/exceptions/{item.id}"
    in_chinese(client)
    short = post_form(client, f"{url}/split", {"part_instruction_1": "I3-1", "part_amount_1": "300.00",
                                               "part_instruction_2": "I4-1", "part_amount_2": "100.00"},
                      )
    assert short.status_code == 200 and "分配不成立" in short.get_data(as_text=True)  # does not add up
    assert [x.id for x in open_items(db)] == [item.id]  # nothing written
    ok = post_form(client, f"{url}/split", {"part_instruction_1": "I3-1", "part_amount_1": "300.00",
                                            "part_instruction_2": "I4-1", "part_amount_2": "200.00"})
    assert ok.status_code == 302 and open_items(db) == []
    assert {n.instruction_id for n in source.received} == {"I1-1", "I3-1", "I4-1"}
    no_reason = post_form(client, f"{url}/unmatch", {"reason": ""})
    assert no_reason.status_code == 200 and "分配不成立" in no_reason.get_data(as_text=True)
    assert "unmatching needs a reason" in no_reason.get_data(as_text=True)  # the service's detail
    undone = post_form(client, f"{url}/unmatch", {"reason": "wrong split"})
    assert undone.status_code == 302
    back = open_items(db)
    assert len(back) == 1 and back[0].line_id == item.line_id  # the line is back in the queue


def test_write_off_within_the_limit_and_refused_above_it(client, db, users, source) -> None:
    source.add(expected(5, "1000.00", charge_bearer="OUR", partial_allowed=False),
               expected(6, "1000.00", charge_bearer="OUR", partial_allowed=False))
    sign_in(client, users["finance"]["email"])
    page = upload(client, camt.build(camt.Stmt(id="S9", entries=[
        entry("995.00", e2e=human_ref(5, 1)), entry("900.00", ref="B3", e2e=human_ref(6, 1))])))
    assert 'id="sum-exceptions">2<' in page.get_data(as_text=True), page.get_data(as_text=True)
    small, large = sorted(open_items(db), key=lambda x: -x.amount_minor)
    queue = client.get("/reconciliation/exceptions").get_data(as_text=True)
    assert "Write off the difference" in queue and "Limit: €10.00" in queue
    in_chinese(client)
    above = post_form(client, f"/reconciliation/exceptions/{large.id}/write-off", {"reason": "fee"})
    html = above.get_data(as_text=True)
    assert "差额 100.00 EUR 超过核销限额 10.00 EUR" in html, html
    done = post_form(client, f"/reconciliation/exceptions/{small.id}/write-off", {"reason": "fee"})
    assert done.status_code == 302
    assert [x.id for x in open_items(db)] == [large.id]


@pytest.mark.parametrize("role", ["buyer", "staff_us", "compliance", "seller_us"])
def test_other_roles_cannot_reach_the_finance_pages(client, users, source, role) -> None:
    sign_in(client, users[role]["email"])
    for path in ("/reconciliation/upload", "/reconciliation/exceptions", "/finance"):
        assert client.get(path).status_code == 403, path
    assert upload(client, STATEMENT).status_code == 403
    for action in ("match", "split", "unmatch", "write-off"):
        assert post_form(client, f"/reconciliation/exceptions/1/{action}", {"reason": "x"}).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, source) -> None:
    resp = client.get("/reconciliation/exceptions")
    assert resp.status_code in (302, 401)


def test_an_unpaid_instruction_is_matched_to_the_line_that_pays_it(client, db, users, source) -> None:
    sign_in(client, users["finance"]["email"])
    upload(client, camt.build(camt.Stmt(id="S3", entries=[entry("300.00", ref="B7", dbtr_name="Someone")])))
    (line_item,) = open_items(db)
    unpaid = {x.instruction_id: x for x in open_items(db, lines=False)}["I3-1"]
    queue = client.get("/reconciliation/exceptions?kind=unpaid_instruction").get_data(as_text=True)
    assert f'id="item-{unpaid.id}"' in queue and f'id="item-{line_item.id}"' not in queue  # filtered
    assert f'<option value="{line_item.line_id}">' in queue  # the received money is offered
    resp = post_form(client, f"/reconciliation/exceptions/{unpaid.id}/match", {"line_id": str(line_item.line_id)})
    assert resp.status_code == 302
    assert "I3-1" in {n.instruction_id for n in source.received}
    remaining = {x.id for x in open_items(db)} | {x.id for x in open_items(db, lines=False)}
    assert unpaid.id not in remaining and line_item.id not in remaining  # both left the queue


def test_a_reversal_is_shown_with_the_match_it_undoes_and_offers_no_match(
        client, db, users, source) -> None:
    import dataclasses

    sign_in(client, users["finance"]["email"])
    upload(client, camt.build(camt.Stmt(id="S1", entries=[
        entry("500.00", e2e=human_ref(1, 1), ref="B-IN")])))
    returned = dataclasses.replace(entry("500.00", direction="DBIT", e2e=human_ref(1, 1),
                                         ref="B-RV"), reversal=True)
    upload(client, camt.build(camt.Stmt(id="S2", entries=[returned])))
    (item,) = open_items(db)
    assert item.kind == "reversal"
    html = client.get("/reconciliation/exceptions?kind=reversal").get_data(as_text=True)
    start = html.index(f'id="item-{item.id}"')
    section = html[start:html.index("</section>", start)]
    assert "it pays no instruction and is not matched" in section
    assert f"was matched to {human_ref(1, 1)}" in section
    assert "/match" not in section and "/split" not in section
    # the service refuses a hand-made match all the same
    in_chinese(client)
    resp = post_form(client, f"/reconciliation/exceptions/{item.id}/match", {"instruction_id": "I1-1"})
    assert "冲正分录或被其撤销的分录不支付任何指令" in resp.get_data(as_text=True)
    assert [x.id for x in open_items(db)] == [item.id]
    assert [n.instruction_id for n in source.received] == ["I1-1"]
