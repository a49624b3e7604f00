"""Business days for rate staleness: weekends and given holidays do not count."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.fx import business_days_between, is_business_day, previous_business_day, \
    target_holidays
from settlement.fx.calendar import easter_sunday

FRI = date(2026, 11, 20)


@pytest.mark.parametrize("newer, lag", [
    (FRI, 0), (date(2026, 11, 21), 0), (date(2026, 11, 22), 0), (date(2026, 11, 23), 1),
    (date(2026, 11, 27), 5), (date(2026, 11, 30), 6), (date(2026, 11, 19), 0),
])
def test_a_friday_rate_lags_by_weekdays_only(newer, lag):
    assert business_days_between(FRI, newer) == lag


def test_holidays_on_weekdays_do_not_count_and_on_weekends_change_nothing():
    christmas = target_holidays(2026)  # 25 Dec 2026 is a Friday, 26 Dec a Saturday
    assert business_days_between(date(2026, 12, 24), date(2026, 12, 28), christmas) == 1
    assert business_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 2


def test_target_closing_days_follow_easter():
    assert [easter_sunday(y) for y in (2000, 2024, 2025, 2026, 2027)] == [
        date(2000, 4, 23), date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5),
        date(2027, 3, 28)]
    assert target_holidays(2026) == {
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1),
        date(2026, 12, 25), date(2026, 12, 26)}


def test_the_previous_business_day_skips_weekends_and_holidays():
    assert previous_business_day(date(2026, 11, 23)) == FRI
    assert previous_business_day(date(2026, 4, 7), target_holidays(2026)) == date(2026, 4, 2)
    assert not is_business_day(date(2026, 5, 1), target_holidays(2026))


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 800),
       st.sets(st.dates(date(2020, 1, 1), date(2033, 12, 31)), max_size=20))
def test_the_fast_count_matches_counting_day_by_day(older, span, holidays):
    newer = older + timedelta(days=span)
    slow = sum(1 for i in range(1, span + 1)
               if is_business_day(older + timedelta(days=i), holidays))
    assert business_days_between(older, newer, holidays) == slow
