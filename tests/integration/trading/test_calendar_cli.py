"""``flask trading load-calendar``: CSV or iCalendar into the working-day calendar, all or
nothing, with progress and a summary; the notice period then counts the loaded days."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.trading import calendar
from gateway.trading.models import CalendarDay, CalendarWeekend
from kernel.audit.models import AuditEvent
from tests.unit.gateway.test_calendar_files import CSV, ICS


@pytest.fixture
def cli_app(fresh_db_url: str, clock):
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url}, clock=clock)
    yield app
    app.extensions["gateway.db"].engine.dispose()


def _days(app) -> list[tuple[str, str, str]]:
    with app.extensions["gateway.db"].session() as s:
        return [(r.country, r.day.isoformat(), r.kind) for r in s.execute(
            select(CalendarDay).order_by(CalendarDay.country, CalendarDay.day)).scalars()]


def test_load_csv_then_ics_and_a_bad_file_loads_nothing(cli_app, tmp_path: Path) -> None:
    runner = cli_app.test_cli_runner()
    good = tmp_path / "holidays.csv"
    good.write_bytes(CSV.encode())
    r = runner.invoke(args=["trading", "load-calendar", str(good)])
    assert r.exit_code == 0, r.output
    assert "parsed 4 days for 2 countries" in r.output
    assert "CN: 2 holidays, 1 working days (3 new, 0 changed)" in r.output
    assert r.output.strip().endswith("loaded 4 days for 2 countries: 4 new, 0 changed, 0 unchanged")
    assert ("CN", "2026-10-10", "working") in _days(cli_app)

    # the ICS for CN: 1-7 Oct holidays (1, 2 already there), 10 Oct working (unchanged kind,
    # renamed); a six-day weekend-less Friday/Saturday country is set with --weekend
    feed = tmp_path / "cn.ics"
    feed.write_bytes(ICS.encode())
    r = runner.invoke(args=["trading", "load-calendar", str(feed), "--country", "CN"])
    assert r.exit_code == 0, r.output
    assert "loaded 8 days for 1 countries: 5 new, 3 changed, 0 unchanged" in r.output
    assert len(_days(cli_app)) == 9

    before = _days(cli_app)
    bad = tmp_path / "bad.csv"
    bad.write_text("country,date,kind,name\nCN,2026-12-25,holiday,x\nCN,2026-02-30,holiday,y\n",
                   encoding="utf-8")
    r = runner.invoke(args=["trading", "load-calendar", str(bad)])
    assert r.exit_code == 1 and "line 3" in r.output and "nothing was loaded" in r.output
    clash = tmp_path / "clash.csv"  # valid rows, then a working day on a weekday: all refused
    clash.write_text("country,date,kind\nCN,2027-01-01,holiday\nCN,2027-01-04,working\n",
                     encoding="utf-8")
    r = runner.invoke(args=["trading", "load-calendar", str(clash)])
    assert r.exit_code == 1 and "line 3" in r.output
    assert _days(cli_app) == before
    r = runner.invoke(args=["trading", "load-calendar", str(feed)])  # an ICS needs its country
    assert r.exit_code == 2 and "--country" in r.output


def test_weekend_and_audit(cli_app, tmp_path: Path) -> None:
    runner = cli_app.test_cli_runner()
    f = tmp_path / "ae.csv"
    f.write_text("country,date,kind,name\nAE,2026-11-27,working,make-up day\n", encoding="utf-8")
    # 27 Nov 2026 is a Friday: a working day only once the weekend is Friday-Saturday
    assert runner.invoke(args=["trading", "load-calendar", str(f)]).exit_code == 1
    r = runner.invoke(args=["trading", "load-calendar", str(f), "--country", "AE",
                            "--weekend", "5,6"])
    assert r.exit_code == 0, r.output
    db = cli_app.extensions["gateway.db"]
    with db.session() as s:
        assert sorted(s.execute(select(CalendarWeekend.weekday).where(
            CalendarWeekend.country == "AE")).scalars()) == [5, 6]
        assert calendar.add_working_days(s, "AE", dt.date(2026, 11, 25), 2) == dt.date(2026, 11, 27)
        actions = list(s.execute(select(AuditEvent.action).where(
            AuditEvent.entity_type == "calendar").order_by(AuditEvent.id)).scalars())
        assert actions == ["trading.calendar_weekend_set", "trading.calendar_loaded"]
        assert s.execute(select(func.count()).select_from(CalendarDay)).scalar() == 1
