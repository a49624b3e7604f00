"""Loading country calendars (public holidays, adjusted working days) from a file, all or nothing.

Two formats:

- CSV (UTF-8, a BOM is fine), header ``country,date,kind,name``: ``country`` ISO 3166 alpha-2,
  ``date`` ISO 8601 (``2026-10-01``), ``kind`` ``holiday`` (the default when empty) or
  ``working`` (a weekend day worked, as China's adjusted working days), ``name`` up to 120
  characters (optional)::

      country,date,kind,name
      CN,2026-10-01,holiday,国庆节
      CN,2026-10-10,working,国庆节调休

- iCalendar (RFC 5545, ``.ics``), as public-holiday feeds publish them, for one ``--country``:
  each ``VEVENT`` with an all-day ``DTSTART`` (``VALUE=DATE``; a date-time counts for its
  date) and an optional exclusive ``DTEND`` is a holiday on each of its days, named by its
  ``SUMMARY``; ``CATEGORIES`` containing ``WORKING`` makes it a working day instead. Recurring
  events (``RRULE``/``RDATE``) are refused: a holiday feed lists each year's dates.

Every problem names its line. ``parse_*`` are pure; ``load_calendar`` writes in the caller's
transaction (the CLI's one transaction: a bad file writes nothing).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kernel.audit import record_event

from .calendar import DEFAULT_WEEKEND
from .models import CALENDAR_KINDS, CalendarDay, CalendarWeekend

MAX_NAME = 120
#: a single event longer than this is a mistake in the feed, not a holiday
MAX_EVENT_DAYS = 31
CSV_COLUMNS = ("country", "date", "kind", "name")


class CalendarFileError(ValueError):
    """A calendar file that cannot be loaded; ``line`` is 1-based (0: the file as a whole)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True)
class CalendarEntry:
    country: str
    day: dt.date
    kind: str
    name: str | None
    line: int


@dataclass
class LoadSummary:
    countries: dict[str, dict[str, int]] = field(default_factory=dict)
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def line(self) -> str:
        days = self.new + self.changed + self.unchanged
        return (f"loaded {days} days for {len(self.countries)} countries: {self.new} new, "
                f"{self.changed} changed, {self.unchanged} unchanged")


def _country(value: str, line: int) -> str:
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise CalendarFileError(line, f"country {value!r} is not an ISO 3166 alpha-2 code")
    return code


def _name(value: str | None, line: int) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_NAME:
        raise CalendarFileError(line, f"name longer than {MAX_NAME} characters")
    return text or None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalendarFileError(0, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def parse_calendar_csv(data: bytes) -> list[CalendarEntry]:
    rows = csv.reader(io.StringIO(_decode(data), newline=""))
    header = next(rows, None)
    if header is None:
        raise CalendarFileError(0, "the file is empty")
    names = [h.strip().lower() for h in header]
    if names[:2] != ["country", "date"] or any(n not in CSV_COLUMNS for n in names):
        raise CalendarFileError(1, f"the header is {','.join(CSV_COLUMNS)} (kind and name "
                                   "optional), not " + ",".join(header))
    out = []
    for n, row in enumerate(rows, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(names):
            raise CalendarFileError(n, f"{len(row)} fields, the header has {len(names)}")
        rec = dict(zip(names, row))
        try:
            day = dt.date.fromisoformat(rec["date"].strip())
        except ValueError:
            raise CalendarFileError(n, f"date {rec['date']!r} is not YYYY-MM-DD") from None
        kind = (rec.get("kind") or "").strip().lower() or "holiday"
        if kind not in CALENDAR_KINDS:
            raise CalendarFileError(n, f"kind {kind!r} is not one of {', '.join(CALENDAR_KINDS)}")
        out.append(CalendarEntry(_country(rec["country"], n), day, kind,
                                 _name(rec.get("name"), n), n))
    if not out:
        raise CalendarFileError(0, "the file has no days")
    return out


def _unfold(text: str) -> list[tuple[int, str]]:
    """RFC 5545 content lines with their first physical line number (folded lines joined)."""
    out: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((n, raw))
    return out


def _ics_date(value: str, params: str, line: int) -> dt.date:
    text = value.strip()
    try:
        if "VALUE=DATE" in params.upper().replace("VALUE=DATE-TIME", "") or len(text) == 8:
            return dt.datetime.strptime(text[:8], "%Y%m%d").date()
        return dt.datetime.strptime(text[:15], "%Y%m%dT%H%M%S").date()
    except ValueError:
        raise CalendarFileError(line, f"date {value!r} is not an iCalendar date") from None


def _ics_text(value: str) -> str:
    return (value.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",")
            .replace("\\;", ";").replace("\\\\", "\\"))


def parse_ics(data: bytes, country: str) -> list[CalendarEntry]:
    code = _country(country, 0)
    lines = _unfold(_decode(data))
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        raise CalendarFileError(lines[0][0] if lines else 0, "not an iCalendar file "
                                "(BEGIN:VCALENDAR expected)")
    out: list[CalendarEntry] = []
    event: dict[str, tuple[int, str, str]] | None = None
    start_line = 0
    depth: list[str] = []
    for n, content in lines:
        head, sep, value = content.partition(":")
        if not sep:
            raise CalendarFileError(n, "a content line without ':'")
        prop, _, params = head.partition(";")
        prop = prop.upper()
        if prop == "BEGIN":
            depth.append(value.strip().upper())
            if depth[-1] == "VEVENT":
                event, start_line = {}, n
            continue
        if prop == "END":
            if not depth or depth[-1] != value.strip().upper():
                raise CalendarFileError(n, f"END:{value} does not close "
                                           f"{'BEGIN:' + depth[-1] if depth else 'anything'}")
            if depth.pop() == "VEVENT" and event is not None:
                out += _event_days(event, code, start_line)
                event = None
            continue
        if event is not None and depth and depth[-1] == "VEVENT":
            if prop in ("RRULE", "RDATE"):
                raise CalendarFileError(n, f"recurring events ({prop}) are not loaded: list "
                                           "each year's dates")
            event.setdefault(prop, (n, params, value))
    if depth:
        raise CalendarFileError(lines[-1][0], f"BEGIN:{depth[-1]} is never closed (truncated?)")
    if not out:
        raise CalendarFileError(0, "the file has no events")
    return out


def _event_days(event: dict[str, tuple[int, str, str]], country: str,
                line: int) -> list[CalendarEntry]:
    if "DTSTART" not in event:
        raise CalendarFileError(line, "an event without DTSTART")
    n, params, value = event["DTSTART"]
    first = _ics_date(value, params, n)
    last = first
    if "DTEND" in event:
        n_end, params_end, value_end = event["DTEND"]
        end = _ics_date(value_end, params_end, n_end)
        if end < first:
            raise CalendarFileError(n_end, "DTEND is before DTSTART")
        # DTEND is exclusive for all-day events; a timed event ends on its own date
        last = end - dt.timedelta(days=1) if "T" not in value_end and end > first else end
    if (last - first).days + 1 > MAX_EVENT_DAYS:
        raise CalendarFileError(n, f"an event of more than {MAX_EVENT_DAYS} days")
    name = _name(_ics_text(event["SUMMARY"][2]) if "SUMMARY" in event else None,
                 event.get("SUMMARY", (line,))[0])
    categories = _ics_text(event["CATEGORIES"][2]).upper() if "CATEGORIES" in event else ""
    kind = "working" if "WORKING" in categories else "holiday"
    return [CalendarEntry(country, first + dt.timedelta(days=i), kind, name, line)
            for i in range((last - first).days + 1)]


def check_entries(entries: Iterable[CalendarEntry],
                  weekend: Callable[[str], frozenset[int]]) -> list[CalendarEntry]:
    """Refuse a day listed twice with different kinds, and a working day that is not on the
    country's weekend (nothing to adjust); duplicates of the same kind are merged."""
    seen: dict[tuple[str, dt.date], CalendarEntry] = {}
    for e in entries:
        key = (e.country, e.day)
        prior = seen.get(key)
        if prior is not None and prior.kind != e.kind:
            raise CalendarFileError(e.line, f"{e.country} {e.day} is a {e.kind} here and a "
                                            f"{prior.kind} on line {prior.line}")
        if e.kind == "working" and e.day.isoweekday() not in weekend(e.country):
            raise CalendarFileError(e.line, f"{e.country} {e.day} is a working day already "
                                            "(only a weekend day is made a working day)")
        if prior is None:
            seen[key] = e
    return sorted(seen.values(), key=lambda e: (e.country, e.day))


def load_calendar(session: Session, entries: list[CalendarEntry], *, now: dt.datetime,
                  actor: str, source: str, weekend_days: dict[str, list[int]] | None = None,
                  progress: Callable[[str], None] = lambda _m: None) -> LoadSummary:
    """Check, then upsert every day (and replace the weekends given) in the caller's
    transaction, with one audit event per country."""
    weekend_days = weekend_days or {}
    for country, days in weekend_days.items():
        if not days or any(d not in range(1, 8) for d in days):
            raise CalendarFileError(0, f"weekend days of {country} are ISO weekdays 1..7")

    def weekend(country: str) -> frozenset[int]:
        if country in weekend_days:
            return frozenset(weekend_days[country])
        stored = frozenset(session.execute(select(CalendarWeekend.weekday).where(
            CalendarWeekend.country == country)).scalars())
        return stored or DEFAULT_WEEKEND

    checked = check_entries(entries, weekend)
    summary = LoadSummary()
    for country, days in sorted(weekend_days.items()):
        before = sorted(session.execute(select(CalendarWeekend.weekday).where(
            CalendarWeekend.country == country)).scalars())
        session.execute(delete(CalendarWeekend).where(CalendarWeekend.country == country))
        session.add_all(CalendarWeekend(country=country, weekday=d) for d in sorted(set(days)))
        summary.countries.setdefault(country, {"holiday": 0, "working": 0})
        record_event(session, actor=actor, action="trading.calendar_weekend_set",
                     entity_type="calendar", entity_id=country, at=now,
                     before={"weekend": before}, after={"weekend": sorted(set(days)),
                                                        "source": source})
        progress(f"{country}: weekend {','.join(str(d) for d in sorted(set(days)))}")
    for country in sorted({e.country for e in checked}):
        mine = [e for e in checked if e.country == country]
        existing = {row.day: row for row in session.execute(select(CalendarDay).where(
            CalendarDay.country == country,
            CalendarDay.day.in_([e.day for e in mine]))).scalars()}
        counts = summary.countries.setdefault(country, {"holiday": 0, "working": 0})
        new = changed = 0
        for e in mine:
            counts[e.kind] += 1
            row = existing.get(e.day)
            if row is None:
                session.add(CalendarDay(country=country, day=e.day, kind=e.kind, name=e.name))
                new += 1
            elif (row.kind, row.name) != (e.kind, e.name):
                row.kind, row.name = e.kind, e.name
                changed += 1
        session.flush()
        summary.new += new
        summary.changed += changed
        summary.unchanged += len(mine) - new - changed
        record_event(session, actor=actor, action="trading.calendar_loaded",
                     entity_type="calendar", entity_id=country, at=now,
                     after={"source": source, "holidays": counts["holiday"],
                            "working_days": counts["working"], "new": new, "changed": changed,
                            "first": mine[0].day, "last": mine[-1].day,
                            "weekend": sorted(weekend(country))})
        progress(f"{country}: {counts['holiday']} holidays, {counts['working']} working days "
                 f"({new} new, {changed} changed) {mine[0].day}..{mine[-1].day}")
    session.flush()
    return summary
