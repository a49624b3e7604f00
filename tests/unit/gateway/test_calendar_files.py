"""Calendar files parsed without a database: CSV and iCalendar, and every refusal names its line."""
from __future__ import annotations

import datetime as dt

import pytest

from gateway.trading.calendar import DEFAULT_WEEKEND
from gateway.trading.calendar_load import (
    CalendarFileError,
    check_entries,
    parse_calendar_csv,
    parse_ics,
)

CSV = """\ufeffcountry,date,kind,name
CN,2026-10-01,holiday,国庆节
cn,2026-10-02,,国庆节
CN,2026-10-10,working,国庆节调休
US,2026-11-26,holiday,"Thanksgiving Day"

"""

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Holidays//EN\r
BEGIN:VEVENT\r
UID:1@example\r
DTSTART;VALUE=DATE:20261001\r
DTEND;VALUE=DATE:20261008\r
SUMMARY:National Day\\, Golden Week\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example\r
DTSTART;VALUE=DATE:20261010\r
SUMMARY:Adjusted working day for National\r
  Day\r
CATEGORIES:PUBLIC,WORKING\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_csv_rows_become_days() -> None:
    days = parse_calendar_csv(CSV.encode())
    assert [(d.country, d.day.isoformat(), d.kind, d.name, d.line) for d in days] == [
        ("CN", "2026-10-01", "holiday", "国庆节", 2),
        ("CN", "2026-10-02", "holiday", "国庆节", 3),
        ("CN", "2026-10-10", "working", "国庆节调休", 4),
        ("US", "2026-11-26", "holiday", "Thanksgiving Day", 5)]


@pytest.mark.parametrize("text, line, words", [
    ("country,day\nCN,2026-10-01\n", 1, "header"),
    ("country,date,kind\nCN,2026-13-01,holiday\n", 2, "YYYY-MM-DD"),
    ("country,date,kind\nCN,2026-10-01,holiday\nCHN,2026-10-02,holiday\n", 3, "alpha-2"),
    ("country,date,kind\nCN,2026-10-01,festival\n", 2, "kind"),
    ("country,date,kind,name\nCN,2026-10-01,holiday\n", 2, "fields"),
    ("country,date,kind,name\nCN,2026-10-01,holiday," + "x" * 121 + "\n", 2, "120"),
    ("country,date\n", 0, "no days"),
    ("", 0, "empty"),
])
def test_a_bad_csv_names_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(CalendarFileError) as refused:
        parse_calendar_csv(text.encode())
    assert refused.value.line == line and words in str(refused.value)


def test_non_utf8_is_refused() -> None:
    with pytest.raises(CalendarFileError, match="UTF-8"):
        parse_calendar_csv("country,date\nCN,2026-10-01\n".encode("utf-16"))


def test_ics_events_span_their_days_and_working_days_are_marked() -> None:
    days = parse_ics(ICS.encode(), "cn")
    assert [d.day.day for d in days if d.kind == "holiday"] == [1, 2, 3, 4, 5, 6, 7]  # DTEND exclusive
    assert {d.name for d in days if d.kind == "holiday"} == {"National Day, Golden Week"}
    (working,) = [d for d in days if d.kind == "working"]
    assert working.day == dt.date(2026, 10, 10) and working.name == "Adjusted working day for National Day"
    assert all(d.country == "CN" for d in days)


@pytest.mark.parametrize("change, words", [
    (lambda t: t.replace("END:VCALENDAR\r\n", ""), "never closed"),
    (lambda t: t.replace("DTSTART;VALUE=DATE:20261001", "DTSTART;VALUE=DATE:2026-10-01"), "iCalendar date"),
    (lambda t: t.replace("UID:1@example", "RRULE:FREQ=YEARLY"), "recurring"),
    (lambda t: t.replace("DTEND;VALUE=DATE:20261008", "DTEND;VALUE=DATE:20270101"), "more than 31"),
    (lambda t: t.replace("DTEND;VALUE=DATE:20261008", "DTEND;VALUE=DATE:20260901"), "before DTSTART"),
    (lambda t: t.replace("BEGIN:VCALENDAR", "HELLO"), "not an iCalendar"),
])
def test_a_bad_ics_is_refused(change, words: str) -> None:
    with pytest.raises(CalendarFileError, match=words):
        parse_ics(change(ICS).encode(), "CN")


def test_conflicts_and_working_weekdays_are_refused() -> None:
    days = parse_calendar_csv(b"country,date,kind\nCN,2026-10-01,holiday\nCN,2026-10-01,working\n")
    with pytest.raises(CalendarFileError, match="line 3"):
        check_entries(days, lambda c: DEFAULT_WEEKEND)
    weekday = parse_calendar_csv(b"country,date,kind\nCN,2026-10-09,working\n")  # a Friday
    with pytest.raises(CalendarFileError, match="already"):
        check_entries(weekday, lambda c: DEFAULT_WEEKEND)
    assert check_entries(weekday, lambda c: frozenset({5, 6}))[0].kind == "working"
    twice = parse_calendar_csv(b"country,date\nCN,2026-10-01\nCN,2026-10-01\n")
    assert len(check_entries(twice, lambda c: DEFAULT_WEEKEND)) == 1
