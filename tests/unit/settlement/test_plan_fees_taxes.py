"""The service fee and its split, and the tax arithmetic, worked by hand."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings, strategies as st

from kernel.money import Money, from_minor, minor_units, to_minor
from settlement.plans.fees import compute_fee, effective_shares
from settlement.plans.taxes import compute_taxes, vat_rule, withholding_rule
from settlement.plans.terms import TransactionType

USD = "USD"


def test_fee_is_the_rate_within_minimum_and_cap_split_without_losing_a_cent() -> None:
    # 2% of USD 100,000.00 = 2,000.00, between min 150.00 and cap 5,000.00
    # split 60:30:10 -> 1,200.00 / 600.00 / 200.00
    fee = compute_fee(Money("100000.00", USD), Decimal("0.02"), Money("150.00", USD),
                      Money("5000.00", USD), (60, 30, 10))
    assert (fee.total, fee.exchange, fee.subcentre, fee.broker) == (
        Money("2000.00", USD), Money("1200.00", USD), Money("600.00", USD), Money("200.00", USD))
    # 2% of 1,000.00 = 20.00 < minimum 150.00 -> 150.00
    assert compute_fee(Money("1000.00", USD), Decimal("0.02"), Money("150.00", USD),
                       Money("5000.00", USD), (60, 30, 10)).total == Money("150.00", USD)
    # 2% of 1,000,000.00 = 20,000.00 > cap 5,000.00 -> 5,000.00
    assert compute_fee(Money("1000000.00", USD), Decimal("0.02"), Money("150.00", USD),
                       Money("5000.00", USD), (60, 30, 10)).total == Money("5000.00", USD)


def test_an_odd_cent_goes_to_the_largest_remainder() -> None:
    # 2% of 50.05 = 1.001 -> 1.00; min 0.01: fee 1.00; thirds 0.333.. -> 0.34, 0.33, 0.33
    fee = compute_fee(Money("50.05", USD), Decimal("0.02"), Money("0.01", USD),
                      Money("10.00", USD), (1, 1, 1))
    assert [fee.exchange, fee.subcentre, fee.broker] == [
        Money("0.34", USD), Money("0.33", USD), Money("0.33", USD)]


def test_absent_parties_give_their_share_to_the_exchange() -> None:
    assert effective_shares((60, 30, 10), has_subcentre=True, has_broker=False) == (70, 30, 0)
    assert effective_shares((60, 30, 10), has_subcentre=False, has_broker=False) == (100, 0, 0)


@settings(max_examples=400, deadline=None)
@given(minor=st.integers(min_value=1, max_value=10**13),
       ccy=st.sampled_from(["USD", "CNY", "JPY", "KRW", "KWD", "BHD", "EUR"]),
       rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.2"), places=4),
       shares=st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(1, 100)))
def test_the_fee_split_never_loses_or_invents_a_minor_unit(minor: int, ccy: str, rate: Decimal,
                                                           shares: tuple[int, int, int]) -> None:
    gross = from_minor(minor, ccy)
    fee = compute_fee(gross, rate, from_minor(0, ccy), from_minor(10**14, ccy), shares)
    parts = [to_minor(m) for m in (fee.exchange, fee.subcentre, fee.broker)]
    assert sum(parts) == to_minor(fee.total) <= minor
    assert all(p >= 0 for p in parts)
    assert fee.total.amount.as_tuple().exponent >= -minor_units(ccy)


def test_vat_comes_out_of_the_price_and_withholding_is_on_the_rest() -> None:
    vat = vat_rule(TransactionType.LICENCE, "HK", certified=False)
    wht = withholding_rule(TransactionType.LICENCE, "HK", treaty_proven=True)
    assert vat is not None and vat.rate == Decimal("0.06")
    assert wht is not None and wht.rate == Decimal("0.07") and "treaty" in wht.text
    # 100,000.00 / 1.06 = 94,339.6226.. -> base 94,339.62; VAT = 5,660.38
    # withholding 7% x 94,339.62 = 6,603.7734 -> 6,603.77
    t = compute_taxes(Money("100000.00", USD), vat, wht)
    assert (t.base, t.vat, t.withholding) == (
        Money("94339.62", USD), Money("5660.38", USD), Money("6603.77", USD))


def test_the_treaty_rate_needs_proof_of_residency() -> None:
    rule = withholding_rule(TransactionType.LICENCE, "HK", treaty_proven=False)
    assert rule is not None and rule.rate == Decimal("0.10") and "no treaty residency" in rule.text


def test_residents_and_certified_contracts() -> None:
    assert withholding_rule(TransactionType.LICENCE, "CN", treaty_proven=False) is None
    assert vat_rule(TransactionType.LICENCE, "CN", certified=False) is None
    exempt = vat_rule(TransactionType.LICENCE, "US", certified=True)
    assert exempt is not None and exempt.rate == 0 and "exempt" in exempt.text
    # technology services are not exempted by a certification
    service = vat_rule(TransactionType.TECHNOLOGY_SERVICE, "US", certified=True)
    assert service is not None and service.rate == Decimal("0.06")
    assert withholding_rule(TransactionType.TECHNOLOGY_SERVICE, "US", treaty_proven=True) is None
