"""Bank references on every instruction: an ISO 11649 structured creditor reference (``RF``)
and a short human id.

ISO 11649: ``RF`` + two check digits + 1 to 21 alphanumerics. The check digits are those of
ISO 7064 MOD 97-10 (the IBAN algorithm): put ``RF00`` after the reference, turn letters into
numbers (A=10 ... Z=35), and the check is 98 minus the remainder mod 97. Validation moves the
first four characters to the end and wants remainder 1. Printed in groups of four
(``RF18 5390 0754 7034``); banks carry it without spaces. MOD 97-10 catches every change of
one digit and every swap of two neighbouring digits; a letter read as a digit (or the other
way) becomes a change of length in the numeric form and is caught with probability 96/97,
not always. Our bodies are the digits of the human id behind a fixed prefix.

The human id ``STX-2026-000123-02`` (exchange prefix, year of the plan, plan number, instruction
number) is what people read on the phone; the RF reference is built from the same digits, so
either finds the instruction.
"""
from __future__ import annotations

import re

from .errors import InvalidReference

_BODY = re.compile(r"^[A-Z0-9]{1,21}$")
_HUMAN = re.compile(r"^(?P<prefix>[A-Z]{2,5})-(?P<year>\d{4})-(?P<plan>\d{6,})-(?P<seq>\d{2,})$")


def _numeric(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text))


def rf_check_digits(body: str) -> str:
    """The two check digits of ``body`` (the reference after ``RFnn``)."""
    body = body.upper()
    if not _BODY.match(body):
        raise InvalidReference(f"an RF reference body is 1 to 21 letters or digits, got {body!r}",
                               field="reference")
    return f"{98 - _numeric(body + 'RF00') % 97:02d}"


def build_rf(body: str) -> str:
    """``RF`` + check digits + ``body`` (electronic form, no spaces)."""
    body = body.upper()
    return f"RF{rf_check_digits(body)}{body}"


def normalise_rf(text: str) -> str:
    """Strip spaces and upper-case, as a reference read from remittance text needs."""
    return re.sub(r"\s+", "", text).upper()


def is_valid_rf(text: str) -> bool:
    """True when ``text`` (spaces allowed) is a well-formed RF reference with good check digits."""
    ref = normalise_rf(text)
    if len(ref) < 5 or len(ref) > 25 or not ref.startswith("RF") or not ref[2:4].isdigit() \
            or not _BODY.match(ref[4:]):
        return False
    return _numeric(ref[4:] + ref[:4]) % 97 == 1


def validate_rf(text: str) -> str:
    """Return the normalised reference, or raise ``InvalidReference``."""
    if not is_valid_rf(text):
        raise InvalidReference(f"{text!r} is not a valid ISO 11649 creditor reference",
                               field="reference")
    return normalise_rf(text)


def print_rf(ref: str) -> str:
    """The paper form: groups of four characters."""
    ref = normalise_rf(ref)
    return " ".join(ref[i:i + 4] for i in range(0, len(ref), 4))


def human_ref(prefix: str, year: int, plan_number: int, seq: int) -> str:
    """``STX-2026-000123-02``: prefix, the plan's year, plan number (6+ digits), instruction."""
    return f"{prefix}-{year:04d}-{plan_number:06d}-{seq:02d}"


def rf_for_human_ref(ref: str) -> str:
    """The RF reference carrying the same digits as a human id (``STX2026000123 02`` ->
    ``RFnnSTX202600012302``)."""
    m = _HUMAN.match(ref)
    if m is None:
        raise InvalidReference(f"{ref!r} is not a settlement reference like STX-2026-000123-02",
                               field="reference")
    return build_rf("".join(m.group("prefix", "year", "plan", "seq")))
