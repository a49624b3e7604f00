"""Finding rates (direct, inverse, crossed through EUR), staleness, conversion and spread.

The expected numbers are worked by hand from the rates below (EUR/USD 1.1614, EUR/JPY 178.77
on Friday 2026-11-20); the comments show the arithmetic.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.errors import Conflict, Unavailable
from kernel.money import Money, minor_units, parse_amount
from settlement.fx import CurrencyMismatch, InMemoryRateSource, InvalidRate, NoRate, Rate, \
    Side, StaleRate, apply_spread, convert, find_rate, load_demo_rates

FRI, SAT, MON, TUE = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 24)


def ecb(quote: str, rate: str, day: date = FRI) -> Rate:
    return Rate("EUR", quote, Decimal(rate), day, "ECB")


@pytest.fixture
def source() -> InMemoryRateSource:
    return InMemoryRateSource([ecb("USD", "1.1601", date(2026, 11, 19)), ecb("USD", "1.1614"),
                               ecb("JPY", "178.77"), ecb("KRW", "1545.04"),
                               Rate("EUR", "KWD", Decimal("0.355414"), FRI, "demo-bank")])


def test_the_latest_rate_on_or_before_the_day_is_used(source):
    assert source.get("EUR", "USD", date(2026, 11, 19)).rate == Decimal("1.1601")
    assert source.get("EUR", "USD", SAT).rate == Decimal("1.1614")
    assert source.get("EUR", "USD", date(2026, 11, 18)) is None


def test_the_same_rate_twice_is_accepted_but_a_different_one_conflicts(source):
    source.add(ecb("USD", "1.1614"))
    with pytest.raises(Conflict, match="already 1.1614"):
        source.add(ecb("USD", "1.1615"))


def test_a_published_pair_is_used_directly(source):
    quote = find_rate(source, "EUR", "USD", SAT, 1)
    assert quote.rate == Decimal("1.1614") and quote.as_of == FRI
    assert [(leg.rate.quote, leg.inverted) for leg in quote.path] == [("USD", False)]
    assert convert(parse_amount("100.00", "EUR"), "USD", quote) == Money("116.14", "USD")


def test_the_reverse_pair_uses_the_inverse_rate(source):
    quote = find_rate(source, "USD", "EUR", SAT, 1)
    # 1 / 1.1614 to 28 significant digits
    assert quote.rate == Decimal("0.8610297916307904253487170656")
    assert [(leg.rate.quote, leg.inverted) for leg in quote.path] == [("USD", True)]
    # 100 / 1.1614 = 86.1029... -> 86.10
    assert convert(parse_amount("100.00", "USD"), "EUR", quote) == Money("86.10", "EUR")


def test_two_non_euro_currencies_are_crossed_through_eur_with_the_path_recorded(source):
    quote = find_rate(source, "USD", "JPY", SAT, 1)
    # USD -> EUR (1/1.1614) -> JPY (178.77): 178.77 / 1.1614, one division, 28 digits kept
    assert quote.rate == Decimal("153.9262958498364043395901498")
    assert len(quote.rate.as_tuple().digits) >= 12 and quote.is_crossed
    assert [(leg.from_ccy, leg.to_ccy, leg.inverted) for leg in quote.path] == [
        ("USD", "EUR", True), ("EUR", "JPY", False)]
    assert quote.sources == ("ECB",)
    # 1,000.00 x 153.92629... = 153,926.29... -> 153,926 yen (no minor unit)
    assert convert(parse_amount("1000.00", "USD"), "JPY", quote) == Money(153926, "JPY")


def test_a_currency_into_itself_is_rate_one_without_a_path(source):
    quote = find_rate(source, "USD", "USD", SAT, 0)
    assert (quote.rate, quote.path) == (Decimal(1), ())


def test_a_currency_nobody_publishes_has_no_rate(source):
    with pytest.raises(NoRate, match="no USD/BHD rate on or before 2026-11-21") as caught:
        find_rate(source, "USD", "BHD", SAT, 5)
    assert isinstance(caught.value, Unavailable)


def test_no_rate_before_the_first_published_day(source):
    with pytest.raises(NoRate):
        find_rate(source, "EUR", "JPY", date(2026, 11, 19), 5)


def test_friday_rates_serve_the_weekend_and_monday_but_are_stale_on_tuesday(source):
    assert find_rate(source, "EUR", "JPY", SAT, 0).as_of == FRI
    assert find_rate(source, "EUR", "JPY", MON, 1).as_of == FRI
    with pytest.raises(StaleRate, match="of 2026-11-20, more than 1 business days") as caught:
        find_rate(source, "EUR", "JPY", TUE, 1)
    assert caught.value.extra == {"as_of": "2026-11-20", "limit": 1}


def test_a_holiday_does_not_count_towards_staleness(source):
    assert find_rate(source, "EUR", "JPY", TUE, 1, holidays={MON}).as_of == FRI


def test_a_crossed_rate_is_as_old_as_its_oldest_leg():
    source = InMemoryRateSource([ecb("USD", "1.1614"), ecb("JPY", "178.00", date(2026, 11, 16))])
    assert find_rate(source, "USD", "JPY", FRI, 4).as_of == date(2026, 11, 16)
    with pytest.raises(StaleRate):
        find_rate(source, "USD", "JPY", FRI, 3)


def test_a_stale_direct_rate_gives_way_to_a_fresh_cross():
    source = InMemoryRateSource([ecb("USD", "1.1614"), ecb("KWD", "0.355414"),
                                 Rate("USD", "KWD", Decimal("0.3060"), date(2026, 10, 1), "bank")])
    quote = find_rate(source, "USD", "KWD", FRI, 2)
    assert quote.is_crossed and quote.rate == Decimal("0.355414") / Decimal("1.1614")


def test_a_fresh_direct_rate_is_preferred_to_a_cross():
    source = InMemoryRateSource([ecb("USD", "1.1614"), ecb("KWD", "0.355414"),
                                 Rate("USD", "KWD", Decimal("0.3060"), date(2026, 11, 19), "bank")])
    quote = find_rate(source, "KWD", "USD", FRI, 2)
    assert not quote.is_crossed and quote.path[0].inverted and quote.sources == ("bank",)


@pytest.mark.parametrize("amount, ccy, to, expected", [
    ("1234.56", "EUR", "JPY", Money(220702, "JPY")),       # x 178.77 = 220,702.2912
    ("1234.56", "EUR", "KRW", Money(1907445, "KRW")),      # x 1545.04 = 1,907,444.5824
    ("1000.00", "EUR", "KWD", Money("355.414", "KWD")),    # x 0.355414
    ("10.01", "EUR", "KWD", Money("3.558", "KWD")),        # x 0.355414 = 3.55769414
    ("1000.000", "KWD", "EUR", Money("2813.62", "EUR")),   # / 0.355414 = 2,813.620...
    ("100000", "JPY", "KWD", Money("198.811", "KWD")),     # x 0.355414 / 178.77 = 198.81076
])
def test_amounts_are_rounded_to_the_target_currencys_minor_unit(source, amount, ccy, to, expected):
    quote = find_rate(source, ccy, to, FRI, 0)
    result = convert(parse_amount(amount, ccy), to, quote)
    assert result == expected
    assert result.amount.as_tuple().exponent == -minor_units(to)


def test_ties_round_half_even_unless_told_otherwise():
    source = InMemoryRateSource([ecb("JPY", "100.5")])
    quote = find_rate(source, "EUR", "JPY", FRI, 0)
    assert convert(parse_amount("1.00", "EUR"), "JPY", quote) == Money(100, "JPY")  # 100.5
    assert convert(parse_amount("3.00", "EUR"), "JPY", quote) == Money(302, "JPY")  # 301.5
    assert convert(parse_amount("1.00", "EUR"), "JPY", quote, ROUND_HALF_UP) == Money(101, "JPY")


def test_converting_with_a_quote_for_other_currencies_is_refused(source):
    quote = find_rate(source, "EUR", "JPY", FRI, 0)
    with pytest.raises(CurrencyMismatch):
        convert(parse_amount("1.00", "USD"), "JPY", quote)
    with pytest.raises(CurrencyMismatch):
        convert(parse_amount("1.00", "EUR"), "KRW", quote)


def test_the_buyer_pays_more_and_the_seller_receives_less_by_the_spread_exactly(source):
    mid = find_rate(source, "EUR", "USD", FRI, 0)
    pay = apply_spread(mid, 50, Side.PAY)          # 1.1614 x 1.0050
    receive = apply_spread(mid, 50, "receive")     # 1.1614 x 0.9950
    assert (pay.rate, receive.rate) == (Decimal("1.167207"), Decimal("1.155593"))
    assert (pay.mid_rate, pay.spread_bps, pay.side) == (Decimal("1.1614"), 50, "pay")
    assert apply_spread(mid, Decimal("12.5"), "pay").rate == Decimal("1.16285175")
    ten_thousand = parse_amount("10000.00", "EUR")
    assert convert(ten_thousand, "USD", mid) == Money("11614.00", "USD")
    assert convert(ten_thousand, "USD", pay) == Money("11672.07", "USD")
    assert convert(ten_thousand, "USD", receive) == Money("11555.93", "USD")
    assert apply_spread(mid, 0, "pay").rate == mid.rate


def test_a_crossed_rate_keeps_all_its_digits_under_the_spread(source):
    crossed = find_rate(source, "USD", "JPY", FRI, 0)
    with localcontext(prec=60):  # the exact product, not one rounded back to 28 digits
        expected = crossed.rate * Decimal("1.0025")
    assert apply_spread(crossed, 25, "pay").rate == expected
    assert len(expected.as_tuple().digits) > 28


@pytest.mark.parametrize("bps, side", [(-1, "pay"), (10000, "receive"), (Decimal("NaN"), "pay"),
                                       ("50", "pay"), (True, "pay"), (50, "sideways")])
def test_an_impossible_spread_is_refused(source, bps, side):
    with pytest.raises((InvalidRate, ValueError)):
        apply_spread(find_rate(source, "EUR", "USD", FRI, 0), bps, side)


def test_a_spread_is_not_applied_twice(source):
    once = apply_spread(find_rate(source, "EUR", "USD", FRI, 0), 50, "pay")
    with pytest.raises(InvalidRate, match="already"):
        apply_spread(once, 50, "pay")


DEMO = InMemoryRateSource(load_demo_rates())
TRADED = ["CNY", "USD", "EUR", "CAD", "DKK", "KRW", "HKD", "JPY", "GBP", "KWD", "BHD", "CHF", "SEK"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TRADED), st.sampled_from(TRADED),
       st.integers(min_value=0, max_value=10**13), st.dates(date(2026, 11, 9), date(2026, 11, 22)))
def test_converting_there_and_back_stays_within_the_rounding_of_both_legs(a, b, minor, on):
    there, back = find_rate(DEMO, a, b, on, 1), find_rate(DEMO, b, a, on, 1)
    unit_a, unit_b = Decimal(1).scaleb(-minor_units(a)), Decimal(1).scaleb(-minor_units(b))
    original = Money(Decimal(minor) * unit_a, a)
    returned = convert(convert(original, b, there), a, back)
    # first rounding: at most half a unit of b, worth (unit_b / 2) x back.rate in a; second
    # rounding: half a unit of a; plus another half unit of a for the 28-digit rates
    tolerance = unit_a + unit_b / 2 * back.rate
    assert abs(returned.amount - original.amount) <= tolerance
