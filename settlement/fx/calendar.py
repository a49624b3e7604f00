"""Business-day arithmetic for rate staleness.

Saturdays and Sundays are never business days; other closing days come in as a set of dates
(``target_holidays`` gives the TARGET2 closing days, on which the ECB publishes no rates; the
per-country working-day calendars live in the database and are passed in the same way).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import AbstractSet

NO_HOLIDAYS: frozenset[date] = frozenset()


def is_business_day(day: date, holidays: AbstractSet[date] = NO_HOLIDAYS) -> bool:
    """True when ``day`` is a weekday and not in ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def _weekdays_after(start: date, end: date) -> int:
    """Weekdays d with start < d <= end (0 when end <= start), in constant time."""
    if end <= start:
        return 0
    span = (end - start).days
    full_weeks, rest = divmod(span, 7)
    count = full_weeks * 5
    first = start.weekday()  # the remaining ``rest`` days follow start + full weeks
    count += sum(1 for i in range(1, rest + 1) if (first + i) % 7 < 5)
    return count


def business_days_between(older: date, newer: date,
                          holidays: AbstractSet[date] = NO_HOLIDAYS) -> int:
    """Business days d with ``older < d <= newer``: how many business days ``older`` lags by.

    A rate of Friday read on the following Saturday, Sunday or (holiday) Monday lags by 0;
    read on an ordinary Monday it lags by 1. Negative spans count as 0.
    """
    if newer <= older:
        return 0
    closed = sum(1 for h in holidays if older < h <= newer and h.weekday() < 5)
    return _weekdays_after(older, newer) - closed


def previous_business_day(day: date, holidays: AbstractSet[date] = NO_HOLIDAYS) -> date:
    """The last business day strictly before ``day``."""
    day -= timedelta(days=1)
    while not is_business_day(day, holidays):
        day -= timedelta(days=1)
    return day


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def target_holidays(*years: int) -> frozenset[date]:
    """TARGET2 closing days (no ECB reference rates): 1 Jan, Good Friday, Easter Monday,
    1 May, 25 and 26 Dec, for each year given."""
    days: set[date] = set()
    for year in years:
        easter = easter_sunday(year)
        days |= {date(year, 1, 1), easter - timedelta(days=2), easter + timedelta(days=1),
                 date(year, 5, 1), date(year, 12, 25), date(year, 12, 26)}
    return frozenset(days)
