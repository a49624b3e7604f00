"""Finding settlement references in what banks pass on: exact, spaced, cased, separated.

Two kinds of reference travel with our instructions (DECISIONS.md, settlement references):

- the ISO 11649 creditor reference ``RF`` + 2 check digits + up to 21 characters, whose
  ISO 7064 MOD 97-10 check digits let us refuse a mangled copy (``is_valid_rf``);
- the short human reference (``STX-2026-000123-02``), which payers retype with its dashes
  dropped, replaced by spaces, slashes or dots, or lower-cased.

Both sides are compared in one *compact* form: upper case with everything but letters and
digits removed. Free text is compacted as a whole, so a reference split over words is found;
the candidates found are then looked up in an index of the references we expect, so nothing
that merely looks like a reference is trusted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
#: an RF reference in compact text: RF, two check digits, then up to 21 characters
_RF_START = re.compile(r"RF(\d{2})(?=[0-9A-Z])")
#: the human reference in compact text (STX + year + six-digit plan + two-digit instruction)
DEFAULT_HUMAN_PATTERN = r"STX\d{4}\d{6}\d{2}"


def compact(text: str | None) -> str:
    """Upper case, letters and digits only: ``'stx-2026 000123/02'`` -> ``'STX202600012302'``."""
    if not text:
        return ""
    return _NOT_ALNUM.sub("", text.upper())


def _mod97(body: str) -> int:
    """ISO 7064 MOD 97-10 over letters (A=10 ... Z=35) and digits, without a big integer."""
    rest = 0
    for ch in body:
        value = int(ch, 36)
        rest = (rest * (100 if value > 9 else 10) + value) % 97
    return rest


def is_valid_rf(reference: str | None) -> bool:
    """True when ``reference`` (any spacing or case) is a well-formed ISO 11649 reference."""
    ref = compact(reference)
    if not (5 <= len(ref) <= 25) or not ref.startswith("RF") or not ref[2:4].isdigit():
        return False
    return _mod97(ref[4:] + ref[:4]) == 1


def make_rf(body: str) -> str:
    """The RF reference for ``body`` (1-21 letters and digits), check digits computed."""
    core = compact(body)
    if not 1 <= len(core) <= 21:
        raise ValueError("an RF reference carries 1 to 21 letters and digits")
    check = 98 - _mod97(core + "RF00")
    return f"RF{check:02d}{core}"


def format_rf(reference: str) -> str:
    """The printed form: groups of four (``RF18 5390 0754 7034``)."""
    ref = compact(reference)
    return " ".join(ref[i:i + 4] for i in range(0, len(ref), 4))


@dataclass(frozen=True)
class Found:
    """A reference found in a line: its compact form, which field, and which kind."""

    ref: str
    field: str   # end_to_end_id, structured_ref, remittance_text
    kind: str    # rf or human


class ReferenceFinder:
    """Finds the known references (an index built once per matching run) in line fields."""

    def __init__(self, known: set[str] | frozenset[str],
                 human_pattern: str = DEFAULT_HUMAN_PATTERN) -> None:
        self.known = known
        self._human = re.compile(human_pattern)

    def find(self, text: str | None, field: str) -> list[Found]:
        """The known references in ``text``, RF ones only when their check digits hold."""
        flat = compact(text)
        if not flat:
            return []
        out: list[Found] = []
        seen: set[str] = set()
        known = self.known
        if "RF" in flat:
            for m in _RF_START.finditer(flat):
                start = m.start()
                # The reference's end is unknown once words are run together: try each length,
                # longest first, and keep only a valid one we expect.
                for end in range(min(len(flat), start + 25), start + 4, -1):
                    candidate = flat[start:end]
                    if candidate in known and is_valid_rf(candidate):
                        if candidate not in seen:
                            seen.add(candidate)
                            out.append(Found(candidate, field, "rf"))
                        break
        for m in self._human.finditer(flat):
            candidate = m.group(0)
            if candidate in known and candidate not in seen:
                seen.add(candidate)
                out.append(Found(candidate, field, "human"))
        return out


__all__ = ["DEFAULT_HUMAN_PATTERN", "Found", "ReferenceFinder", "compact", "format_rf",
           "is_valid_rf", "make_rf"]
