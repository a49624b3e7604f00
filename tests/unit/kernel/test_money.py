"""Money: minor units, exact parsing, allocation that never loses or invents a minor unit."""
from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision
from hypothesis import given, settings, strategies as st
from moneyed import Money

from kernel.currencies import MINOR_UNITS, TRADED
from kernel.errors import InvalidInput
from kernel.money import allocate, from_minor, minor_units, money_to_json, parse_amount, to_minor


@pytest.mark.parametrize("code", TRADED)
def test_minor_units_of_traded_currencies_agree_with_babel(code: str) -> None:
    assert minor_units(code) == get_currency_precision(code)


@pytest.mark.parametrize("code,digits", [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("CNY", 2),
                                         ("DKK", 2), ("KWD", 3), ("BHD", 3), ("IQD", 3)])
def test_minor_units_follow_iso_4217(code: str, digits: int) -> None:
    assert minor_units(code) == digits


def test_allocate_hundred_over_three() -> None:
    assert allocate(Money("100.00", "USD"), [1, 1, 1]) == [
        Money("33.34", "USD"), Money("33.33", "USD"), Money("33.33", "USD")]


def test_allocate_yen_by_fee_split() -> None:
    assert allocate(Money("1001", "JPY"), [70, 20, 10]) == [
        Money("701", "JPY"), Money("200", "JPY"), Money("100", "JPY")]


def test_parse_refuses_more_decimals_than_the_currency_allows() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_amount("10.5", "JPY")
    assert err.value.code == "amount_precision"
    with pytest.raises(InvalidInput):
        parse_amount("1.005", "USD")
    assert parse_amount("1.005", "KWD") == Money("1.005", "KWD")


@pytest.mark.parametrize("bad", ["", "abc", "1e5", "NaN", "Infinity", "1,000.00", " ", "--1"])
def test_parse_refuses_what_is_not_a_plain_decimal(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(bad, "USD")


def test_parse_refuses_floats_and_unknown_currencies() -> None:
    with pytest.raises(InvalidInput):
        parse_amount(1.5, "USD")  # the point: floats are refused
    with pytest.raises(InvalidInput) as err:
        parse_amount("1.00", "XYZ")
    assert err.value.field == "currency"


def test_large_amounts_survive_minor_units_exactly() -> None:
    big = Money("12345678901234567.89", "USD")
    assert from_minor(to_minor(big), "USD") == big
    assert money_to_json(big) == {"amount": "12345678901234567.89", "currency": "USD"}


codes = st.sampled_from(sorted(MINOR_UNITS))


@settings(max_examples=300, deadline=None)
@given(code=codes, minor=st.integers(min_value=-10**15, max_value=10**15),
       ratios=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(lambda r: sum(r) > 0))
def test_allocation_preserves_the_total_and_is_fair(code: str, minor: int, ratios: list[int]) -> None:
    money = from_minor(minor, code)
    parts = allocate(money, ratios)
    assert sum(to_minor(p) for p in parts) == minor
    total = sum(ratios)
    for part, ratio in zip(parts, ratios):
        exact = Decimal(minor) * ratio / total
        assert abs(Decimal(to_minor(part)) - exact) < 1
        if ratio == 0:
            assert to_minor(part) == 0


@settings(max_examples=300, deadline=None)
@given(code=codes, minor=st.integers(min_value=-10**17, max_value=10**17))
def test_wire_form_round_trips(code: str, minor: int) -> None:
    money = from_minor(minor, code)
    wire = money_to_json(money)
    assert parse_amount(wire["amount"], wire["currency"]) == money
