"""ISO 11649 creditor references and the short human id."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from settlement.plans.errors import InvalidReference
from settlement.plans.references import (
    build_rf, human_ref, is_valid_rf, print_rf, rf_check_digits, rf_for_human_ref, validate_rf,
)


def test_the_standards_own_example_has_check_digits_18() -> None:
    # ISO 11649's worked example: body 539007547034 -> "539007547034RF00" -> letters as numbers
    # R=27, F=15: 539007547034271500 mod 97 = 80, check = 98 - 80 = 18
    assert rf_check_digits("539007547034") == "18"
    assert build_rf("539007547034") == "RF18539007547034"
    assert print_rf("RF18539007547034") == "RF18 5390 0754 7034"


def test_a_printed_reference_with_spaces_and_lower_case_is_valid() -> None:
    assert is_valid_rf("rf18 5390 0754 7034")
    assert validate_rf(" RF18 5390 0754 7034 ") == "RF18539007547034"


@pytest.mark.parametrize("mangled", [
    "RF18539007547035",   # last digit changed
    "RF18539007457034",   # two neighbours swapped
    "RF19539007547034",   # check digits changed
    "RF18",               # no body
    "XX18539007547034",   # not RF
    "RF18" + "1" * 22,    # body longer than 21
    "RF1A539007547034",   # check digits not digits
    "RF18 5390-0754",     # a character outside A-Z 0-9
])
def test_mangled_references_are_refused(mangled: str) -> None:
    assert not is_valid_rf(mangled)
    with pytest.raises(InvalidReference):
        validate_rf(mangled)


def test_the_human_id_and_its_rf_reference_carry_the_same_digits() -> None:
    ref = human_ref("STX", 2026, 123, 2)
    assert ref == "STX-2026-000123-02"
    rf = rf_for_human_ref(ref)
    assert rf.endswith("STX202600012302") and is_valid_rf(rf)
    assert len(rf) <= 25


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=21),
       digits=st.text(alphabet="0123456789", min_size=2, max_size=12),
       pos=st.integers(min_value=0, max_value=30), digit=st.sampled_from("0123456789"))
def test_every_built_reference_validates_and_digit_errors_are_caught(
        body: str, digits: str, pos: int, digit: str) -> None:
    assert is_valid_rf(build_rf(body))
    # our references: a letter prefix then digits; any one digit changed is caught ...
    rf = build_rf("STX" + digits)
    i = 7 + pos % len(digits)
    if rf[i] != digit:
        assert not is_valid_rf(rf[:i] + digit + rf[i + 1:])
    # ... and so is any swap of two different neighbouring digits
    j = 7 + pos % (len(digits) - 1)
    if rf[j] != rf[j + 1]:
        assert not is_valid_rf(rf[:j] + rf[j + 1] + rf[j] + rf[j + 2:])
