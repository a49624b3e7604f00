"""The audit trail is a hash chain: any edit or deletion of a past event is detected."""
from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import text

from kernel.audit import canonical_json, record_event, verify_chain
from kernel.db import Database
from tests.conftest import START


def _append(db: Database, n: int, actor: str = "user:1") -> None:
    with db.transaction() as s:
        for i in range(n):
            record_event(s, actor=actor, action="thing.changed", entity_type="thing", entity_id=i,
                         at=START + dt.timedelta(seconds=i), before={"state": "a"},
                         after={"state": "b", "名称": "技术"})


def test_canonical_form_is_sorted_compact_utf8_with_z_times() -> None:
    text_ = canonical_json({"b": 1, "a": "技术", "t": dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))})
    assert text_ == '{"a":"技术","b":1,"t":"2026-01-01T00:00:00.000000Z"}'


def test_an_untouched_chain_verifies(db: Database) -> None:
    _append(db, 5)
    with db.session() as s:
        report = verify_chain(s)
    assert report.ok and report.checked == 5


@pytest.mark.parametrize("tamper,seq", [
    ("UPDATE audit_events SET payload = replace(payload, '\"b\"', '\"c\"') WHERE seq = 3", 3),
    ("UPDATE audit_events SET actor = 'user:99' WHERE seq = 2", 2),
    ("UPDATE audit_events SET hash = 'f' || substr(hash, 2) WHERE seq = 4", 4),
    ("DELETE FROM audit_events WHERE seq = 2", 3),
    ("DELETE FROM audit_events WHERE seq = 5", 5),
])
def test_a_direct_sql_edit_is_caught_and_named(db: Database, tamper: str, seq: int) -> None:
    _append(db, 5)
    with db.transaction() as s:
        s.execute(text(tamper))
    with db.session() as s:
        report = verify_chain(s)
    assert not report.ok
    assert report.broken_seq == seq, report


def test_personal_data_stays_out_of_the_payload(db: Database, make_user, parties) -> None:
    user = make_user("buyer", organisation_id=parties["buyer_org"])
    with db.session() as s:
        payloads = [row[0] for row in s.execute(text("SELECT payload FROM audit_events"))]
    assert payloads and not any(user["email"] in p for p in payloads)
    assert all(json.loads(p)["actor"] for p in payloads)


def test_audit_verify_cli_exits_non_zero_naming_the_broken_event(fresh_db_url: str) -> None:
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url})
    _append(app.extensions["gateway.db"], 3)
    ok = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    head = app.test_cli_runner().invoke(args=["audit", "head"])
    assert head.output.startswith("3 ")
    with app.extensions["gateway.db"].transaction() as s:
        s.execute(text("UPDATE audit_events SET entity_id = '7' WHERE seq = 2"))
    broken = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "seq 2" in broken.output
    app.extensions["gateway.db"].engine.dispose()


def test_concurrent_writers_never_fork_the_chain(pg_db_url: str) -> None:
    db = Database(pg_db_url, pool_size=10)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for _ in range(25):
                _append(db, 1, actor=f"user:{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with db.session() as s:
        report = verify_chain(s)
        prevs = s.execute(text("SELECT count(DISTINCT prev_hash), count(*) FROM audit_events")).one()
    db.engine.dispose()
    assert report.ok and report.checked == 200
    assert prevs[0] == prevs[1] == 200  # no two events share a predecessor: no fork
