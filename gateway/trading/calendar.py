"""Working days per country, from data: the weekdays a country does not work
(``trading_calendar_weekends``; Saturday and Sunday when a country has no rows) and the
exceptions (``trading_calendar_days``: public holidays, and working days on a weekend such as
China's adjusted working Saturdays)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import CalendarDay, CalendarWeekend

DEFAULT_WEEKEND = frozenset({6, 7})
#: no calendar runs this far without a working day: a guard against a table of only holidays
MAX_SCAN_DAYS = 3660


def weekend(session: Session, country: str) -> frozenset[int]:
    days = frozenset(session.execute(select(CalendarWeekend.weekday).where(
        CalendarWeekend.country == country)).scalars())
    return days or DEFAULT_WEEKEND


def _exceptions(session: Session, country: str, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    return dict(session.execute(select(CalendarDay.day, CalendarDay.kind).where(
        CalendarDay.country == country, CalendarDay.day >= start, CalendarDay.day <= end)).all())


def add_working_days(session: Session, country: str, start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count)."""
    if n < 1:
        raise ValueError("count at least one working day")
    off = weekend(session, country)
    exc = _exceptions(session, country, start, start + dt.timedelta(days=MAX_SCAN_DAYS))
    day, counted = start, 0
    for _ in range(MAX_SCAN_DAYS):
        day += dt.timedelta(days=1)
        kind = exc.get(day)
        working = kind == "working" or (kind is None and day.isoweekday() not in off)
        if working:
            counted += 1
            if counted == n:
                return day
    raise ValueError(f"no {n} working days in {country} within {MAX_SCAN_DAYS} days of {start}")


def set_calendar(session: Session, country: str, *, weekend_days: Iterable[int] | None = None,
                 holidays: Iterable[tuple[dt.date, str]] = (),
                 working_days: Iterable[tuple[dt.date, str]] = ()) -> None:
    """Load a country's calendar data (weekend replaced when given; days upserted)."""
    if weekend_days is not None:
        session.execute(delete(CalendarWeekend).where(CalendarWeekend.country == country))
        session.add_all(CalendarWeekend(country=country, weekday=d) for d in sorted(set(weekend_days)))
    for kind, rows in (("holiday", holidays), ("working", working_days)):
        for day, name in rows:
            row = session.get(CalendarDay, (country, day))
            if row is None:
                session.add(CalendarDay(country=country, day=day, kind=kind, name=name))
            else:
                row.kind, row.name = kind, name
    session.flush()
