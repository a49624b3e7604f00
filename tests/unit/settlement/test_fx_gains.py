"""Realised FX gain or loss by weighted-average cost, with worked examples checked by hand."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.money import Money
from settlement.fx import CurrencyMismatch, FxMovement, PositionError, realise_fx_position


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def test_worked_example_two_purchases_then_two_sales():
    # Reporting in CNY, holding USD.
    #  1 Oct  in  USD 1,000.00 paid CNY 7,100.00            held 1,000.00  cost  7,100.00
    # 15 Oct  in  USD   500.00 paid CNY 3,575.00            held 1,500.00  cost 10,675.00
    #                                                        (average 7.11666... CNY per USD)
    #  2 Nov  out USD   600.00 got  CNY 4,320.00 (at 7.20)
    #         cost released 10,675.00 x 600 / 1,500 = 4,270.00 -> gain +50.00
    #                                                        held   900.00  cost  6,405.00
    # 20 Nov  out USD   900.00 got  CNY 6,381.00 (at 7.09)
    #         closes the position: cost released 6,405.00    -> loss -24.00
    # Total +26.00 = proceeds (4,320 + 6,381) - costs (7,100 + 3,575) = 10,701 - 10,675.
    result = realise_fx_position([
        FxMovement(date(2026, 10, 1), usd("1000.00"), cny("7100.00")),
        FxMovement(date(2026, 10, 15), usd("500.00"), cny("3575.00")),
        FxMovement.at_rate(date(2026, 11, 2), usd("-600.00"), Decimal("7.20"), "CNY"),
        FxMovement.at_rate(date(2026, 11, 20), usd("-900.00"), Decimal("7.09"), "CNY"),
    ], "USD", "CNY")
    assert [(r.proceeds, r.cost, r.gain) for r in result.realisations] == [
        (cny("4320.00"), cny("4270.00"), cny("50.00")),
        (cny("6381.00"), cny("6405.00"), cny("-24.00"))]
    assert result.realised == cny("26.00")
    assert (result.held, result.cost) == (usd("0"), cny("0"))


def test_worked_example_a_cost_that_does_not_divide_evenly_leaves_no_residue():
    # in USD 100.00 for CNY 710.00 and USD 200.00 for CNY 1,425.00: held 300.00, cost 2,135.00
    # out USD 100.00 for CNY 720.00: cost 2,135.00 / 3 = 711.666... -> 711.67, gain 8.33
    #                                 held 200.00, cost 1,423.33
    # out USD 200.00 for CNY 1,430.00: closes, cost 1,423.33, gain 6.67
    # total 15.00 = 2,150.00 - 2,135.00: the rounded cent comes back on closing
    result = realise_fx_position([
        FxMovement(date(2026, 11, 2), usd("100.00"), cny("710.00")),
        FxMovement(date(2026, 11, 3), usd("200.00"), cny("1425.00")),
        FxMovement(date(2026, 11, 4), usd("-100.00"), cny("720.00")),
        FxMovement(date(2026, 11, 5), usd("-200.00"), cny("1430.00")),
    ], "USD", "CNY")
    assert [r.gain for r in result.realisations] == [cny("8.33"), cny("6.67")]
    assert result.realised == cny("15.00")


def test_a_partly_closed_position_keeps_its_average_cost():
    result = realise_fx_position([
        FxMovement(date(2026, 11, 2), usd("1000.00"), cny("7100.00")),
        FxMovement(date(2026, 11, 3), usd("-250.00"), cny("1800.00")),  # cost 1,775.00
    ], "USD", "CNY")
    assert (result.held, result.cost, result.realised) == (
        usd("750.00"), cny("5325.00"), cny("25.00"))


@pytest.mark.parametrize("moves, error, words", [
    ([FxMovement(date(2026, 11, 2), usd("-1.00"), cny("7.10"))], PositionError, "out of"),
    ([FxMovement(date(2026, 11, 2), usd("0.00"), cny("7.10"))], PositionError, "non-zero"),
    ([FxMovement(date(2026, 11, 2), usd("1.00"), cny("0.00"))], PositionError, "positive"),
    ([FxMovement(date(2026, 11, 2), Money("1.00", "EUR"), cny("7.10"))], CurrencyMismatch, "EUR"),
    ([FxMovement(date(2026, 11, 2), usd("1.00"), cny("7.10")),
      FxMovement(date(2026, 11, 1), usd("1.00"), cny("7.10"))], PositionError, "date order"),
])
def test_impossible_movements_are_refused(moves, error, words):
    with pytest.raises(error, match=words):
        realise_fx_position(moves, "USD", "CNY")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**9), st.integers(1, 10**10)), min_size=1, max_size=6),
       st.lists(st.integers(1, 10**10), min_size=1, max_size=6))
def test_closing_a_position_realises_exactly_proceeds_minus_costs(buys, sale_values):
    day = date(2026, 11, 2)
    held = sum(amount for amount, _ in buys)
    # sell the position in len(sale_values) slices, the last one closing it
    slices = [held // len(sale_values)] * (len(sale_values) - 1)
    slices.append(held - sum(slices))
    moves = [FxMovement(day, Money(Decimal(a).scaleb(-2), "USD"),
                        Money(Decimal(v).scaleb(-2), "CNY")) for a, v in buys]
    moves += [FxMovement(day, Money(Decimal(-s).scaleb(-2), "USD"),
                         Money(Decimal(v).scaleb(-2), "CNY"))
              for s, v in zip(slices, sale_values) if s > 0]
    result = realise_fx_position(moves, "USD", "CNY")
    proceeds = sum(v for s, v in zip(slices, sale_values) if s > 0)
    assert result.realised.amount == Decimal(proceeds - sum(v for _, v in buys)).scaleb(-2)
    assert result.held.amount == 0 and result.cost.amount == 0
