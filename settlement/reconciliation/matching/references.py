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

A payer who retypes an RF reference may slip: one character wrong, two neighbours swapped, one
dropped or doubled. The check digits catch every such slip (a single substitution or an
adjacent transposition never gives a valid reference), and ``ReferenceFinder.repairs`` then
lists the expected references one such edit away from what was typed. The caller trusts a
repair only when exactly one expected reference is that close (and the amount agrees).
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


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def one_edit_variants(typed: str, alphabet: str = _ALNUM) -> set[str]:
    """Every string one slip away from ``typed`` (kept starting with ``RF``): a character
    replaced, two neighbours swapped, one character inserted or one deleted. Characters put in
    are the check digits' digits, else those of ``alphabet``."""
    out: set[str] = set()
    n = len(typed)
    digits = _ALNUM[:10]
    for i in range(2, n):
        head, tail = typed[:i], typed[i + 1:]
        for ch in (digits if i < 4 else alphabet):
            if ch != typed[i]:
                out.add(head + ch + tail)
        out.add(head + tail)                                   # a character too many
        if i + 1 < n and typed[i] != typed[i + 1]:
            out.add(head + typed[i + 1] + typed[i] + typed[i + 2:])  # neighbours swapped
    for i in range(2, n + 1):                                  # a character dropped
        for ch in (digits if i < 4 else alphabet):
            out.add(typed[:i] + ch + typed[i:])
    out.discard(typed)
    return out


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
        self._rf_shape: tuple[tuple[int, ...], str] | None = None

    def _shape(self) -> tuple[tuple[int, ...], str]:
        """The lengths of the expected RF references and the characters their bodies use
        (a repair can only put in a character some expected reference has)."""
        if self._rf_shape is None:
            rfs = [k for k in self.known if k[:2] == "RF"]
            chars = set("".join(k[4:] for k in rfs))
            self._rf_shape = (tuple(sorted({len(k) for k in rfs})),
                              "".join(c for c in _ALNUM if c in chars))
        return self._rf_shape

    def repairs(self, text: str | None) -> list[tuple[str, str]]:
        """Expected RF references one slip away from an invalid RF typed in ``text``:
        ``(expected reference, what was typed)`` pairs, each expected reference once.

        Only a typed reference that fails its check digits is repaired (a valid one is somebody
        else's, or ours and found by ``find``), and only into an expected reference whose own
        check digits hold.
        """
        flat = compact(text)
        if "RF" not in flat:
            return []
        lengths, alphabet = self._shape()
        out: dict[str, str] = {}
        known = self.known
        for m in _RF_START.finditer(flat):
            start = m.start()
            for length in lengths:
                for size in (length, length - 1, length + 1):
                    typed = flat[start:start + size]
                    if len(typed) != size or size < 5 or is_valid_rf(typed):
                        continue
                    for variant in one_edit_variants(typed, alphabet):
                        if (len(variant) == length and variant in known
                                and variant not in out and is_valid_rf(variant)):
                            out[variant] = typed
        return list(out.items())

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
           "is_valid_rf", "make_rf", "one_edit_variants"]
