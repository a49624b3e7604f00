"""Partial and approximate dates as lists write them, and their comparison.

Accepted text: ``1965``, ``1965-07``, ``1965-07-12``, ``12 Jul 1965``, ``Jul 1965``,
``circa 1965`` / ``approximately 1965``, ``1960 to 1962`` / ``1960-1962``.
"""
from __future__ import annotations

import re

from .model import DateOfBirth

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DMY = re.compile(r"^(?:(\d{1,2})\s+)?([a-z]{3})[a-z]*\.?\s+(\d{4})$")
_RANGE = re.compile(r"^(\d{4})\s*(?:to|-|–)\s*(\d{4})$")
_APPROX = re.compile(r"^(?:circa|approximately|approx\.?|about|ca\.?|c\.)\s+")


def parse_date(text: str, *, approximate: bool = False) -> DateOfBirth | None:
    """A ``DateOfBirth`` from list text, or None when the text is not a date we can read."""
    raw = " ".join(text.split())
    value = raw.casefold()
    if _APPROX.match(value):
        value, approximate = _APPROX.sub("", value), True
    if m := _RANGE.match(value):
        lo, hi = sorted((int(m[1]), int(m[2])))
        return DateOfBirth(lo, hi, approximate=approximate, text=raw)
    month = day = None
    if m := _ISO.match(value):
        year = int(m[1])
        month = int(m[2]) if m[2] else None
        day = int(m[3]) if m[3] else None
    elif (m := _DMY.match(value)) and m[2] in _MONTHS:
        year, month = int(m[3]), _MONTHS[m[2]]
        day = int(m[1]) if m[1] else None
    else:
        return None
    if month is not None and not 1 <= month <= 12 or day is not None and not 1 <= day <= 31:
        return None
    return DateOfBirth(year, year, month, day, approximate, raw)


def compare_dates(query: DateOfBirth, listed: tuple[DateOfBirth, ...]) -> int:
    """+1 when a listed date agrees with the query, -1 when all disagree, 0 when unknown.

    Years agree when the ranges overlap (widened by a year when either is approximate); month
    and day must then agree where both sides give them.
    """
    if not listed:
        return 0
    for date in listed:
        slack = 1 if (query.approximate or date.approximate) else 0
        if query.year_to + slack < date.year_from or date.year_to + slack < query.year_from:
            continue
        if query.month and date.month and query.month != date.month and not slack:
            continue
        if query.day and date.day and query.day != date.day and not slack:
            continue
        return 1
    return -1
