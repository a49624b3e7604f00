"""The matching rules' pure parts: how well an amount fits, name similarity, subset sums.

No database here. Amounts are integer minor units; scores are integers 0-100 (no floats in the
money packages), so every decision can be replayed exactly from what the match records.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Sequence

from rapidfuzz import fuzz

from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.expected import IN, ExpectedPayment
from kernel.money import minor_units

RULE_REFERENCE = "reference"
RULE_REFERENCE_GROUP = "reference_group"
RULE_REFERENCE_REPAIRED = "reference_repaired"
RULE_AMOUNT_NAME = "amount_date_name"
RULE_GROUP_ONE_LINE = "grouped_one_line"
RULE_GROUP_PARTIALS = "grouped_partials"
RULE_MANUAL = "manual"
RULES = (RULE_REFERENCE, RULE_REFERENCE_GROUP, RULE_REFERENCE_REPAIRED, RULE_AMOUNT_NAME,
         RULE_GROUP_ONE_LINE, RULE_GROUP_PARTIALS, RULE_MANUAL)

# fits of a line's amount to an expected payment
EXACT = "exact"
CHARGES = "charges"     # short by charges within the limit (SHA/BEN), or OUR charges on a debit
FX = "fx"               # through AmtDtls instructed amount and rate
PARTIAL = "partial"     # less than remaining, partial payments allowed
OVER = "over"           # more than remaining
SHORT = "short"         # less, beyond tolerance, no partials
NO_FIT = "no_fit"       # currencies do not meet


@dataclass(frozen=True)
class LineView:
    """The matcher's view of a statement line (a row, not an ORM object)."""

    id: int
    bank_account_id: int
    amount: int                   # unallocated minor units, statement currency
    currency: str
    direction: str                # in / out (CRDT / DBIT)
    value_date: object            # date | None
    name: str | None              # the counterparty: debtor on credits, creditor on debits
    end_to_end_id: str | None
    structured_ref: str | None
    remittance_text: str | None
    instructed: int | None
    instructed_currency: str | None
    rate: Decimal | None
    stated_charges: int | None    # Chrgs in the statement currency, if stated
    reversal: bool = False        # RvslInd: undoes an earlier entry, never a payment


@dataclass(frozen=True)
class Fit:
    """How a line's amount fits an expected payment's remaining amount."""

    kind: str
    settled: int        # statement-currency minor units the line gives this payment
    charges: int        # statement-currency minor units of charges accepted
    covers: int         # expected-currency minor units settled (settled + charges, or via FX)
    detail: str = ""


def assess(line: LineView, pay: ExpectedPayment, remaining: int,
           cfg: ReconciliationConfig) -> Fit:
    """How ``line`` (all of its unallocated amount) fits ``pay`` with ``remaining`` open."""
    amount = line.amount
    if line.currency == pay.currency:
        return _same_currency(line, pay, amount, remaining, cfg)
    if line.instructed is not None and line.instructed_currency == pay.currency:
        return _fx(line, pay, remaining, cfg)
    return Fit(NO_FIT, 0, 0, 0, f"{line.currency} line, {pay.currency} instruction")


def _same_currency(line: LineView, pay: ExpectedPayment, amount: int, remaining: int,
                   cfg: ReconciliationConfig) -> Fit:
    limit = cfg.charges_limit(line.currency)
    if amount == remaining:
        return Fit(EXACT, amount, 0, remaining)
    if pay.direction == IN:
        if amount > remaining:
            return Fit(OVER, 0, 0, 0, f"received {amount - remaining} more than expected")
        short = remaining - amount
        charges_expected = pay.charge_bearer in (None, "SHA", "BEN")
        if line.stated_charges is not None and line.stated_charges == short:
            # the bank says the difference is charges: match if within the limit, else not
            if charges_expected and short <= limit:
                return Fit(CHARGES, amount, short, remaining, "stated charges")
            return Fit(SHORT, 0, 0, 0, f"charges of {short} beyond the limit of {limit}")
        if charges_expected and short <= limit:
            return Fit(CHARGES, amount, short, remaining, "deducted on the way")
        if pay.partial_allowed:
            return Fit(PARTIAL, amount, 0, amount)
        return Fit(SHORT, 0, 0, 0, f"received {short} less than expected")
    # paying out: the bank may debit our (OUR) charges together with the payment
    if amount > remaining:
        extra = amount - remaining
        if extra <= limit:
            return Fit(CHARGES, amount, extra, remaining, "our charges debited with it")
        return Fit(OVER, 0, 0, 0, f"paid {extra} more than instructed")
    if pay.partial_allowed:
        return Fit(PARTIAL, amount, 0, amount)
    return Fit(SHORT, 0, 0, 0, f"paid {remaining - amount} less than instructed")


def _fx(line: LineView, pay: ExpectedPayment, remaining: int,
        cfg: ReconciliationConfig) -> Fit:
    instructed = line.instructed or 0
    if instructed != remaining:
        return Fit(SHORT if instructed < remaining else OVER, 0, 0, 0,
                   f"instructed {instructed} {pay.currency}, {remaining} expected")
    if line.rate is None:
        return Fit(FX, line.amount, 0, remaining, "instructed amount without a rate")
    # The rate is printed one way or the other (units of target per source or the inverse):
    # take the reading that explains the booked amount best.
    scale_in = Decimal(10) ** -minor_units(pay.currency)
    scale_out = Decimal(10) ** minor_units(line.currency)
    source = Decimal(instructed) * scale_in
    diffs = [int((converted * scale_out).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
             - line.amount for converted in (source * line.rate, source / line.rate)]
    best = min(diffs, key=abs)  # converted minus booked: positive when charges were taken
    rounding = (line.amount * cfg.fx_rate_tolerance_bp) // 10000 + 1
    if pay.direction == IN:
        # the booked amount may be short of the converted one by charges taken on the way
        if -rounding <= best <= cfg.charges_limit(line.currency) + rounding:
            charges = best if best > rounding else 0
            return Fit(FX, line.amount, charges, remaining, f"rate {line.rate}")
    elif abs(best) <= rounding + cfg.charges_limit(line.currency):
        return Fit(FX, line.amount, 0, remaining, f"rate {line.rate}")
    return Fit(SHORT, 0, 0, 0, f"{instructed} at {line.rate} does not give {line.amount}")


# -- names ------------------------------------------------------------------------------------

_LEGAL = frozenset("""LTD LIMITED GMBH AG INC INCORPORATED CORP CORPORATION CO COMPANY LLC LLP PLC
SA SAS SARL SPA SRL BV NV APS AS AB OY KG KGAA OHG UG PTE PTY KK SE THE YOUHANGONGSI""".split())
_WORD = re.compile(r"[^\w]+", re.UNICODE)


@lru_cache(maxsize=200_000)
def normalise_name(name: str | None) -> str:
    """Upper case, punctuation dropped, legal forms (Ltd, GmbH, ApS...) removed."""
    if not name:
        return ""
    words = [w for w in _WORD.split(name.upper()) if w and w not in _LEGAL]
    return " ".join(words)


def name_score(a: str | None, b: str | None) -> int:
    """Similarity 0-100 of two counterparty names (normalised; word order ignored)."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0
    if na == nb:
        return 100
    return int(fuzz.token_sort_ratio(na, nb))


@lru_cache(maxsize=200_000)
def name_words(name: str | None) -> tuple[str, ...]:
    """The blocking keys of a name: its normalised words of three letters or more."""
    return tuple(sorted({w for w in normalise_name(name).split() if len(w) >= 3}))


def date_score(days: int, window: int) -> int:
    """100 on the due date, falling linearly to 0 beyond the window."""
    if days > window:
        return 0
    return 100 - (100 * days) // (window + 1)


# -- subset sums ------------------------------------------------------------------------------

def subset_sums(values: Sequence[int], target: int, slack: int = 0, limit: int = 2
                ) -> list[tuple[int, ...]]:
    """Index tuples of subsets (two or more items) whose sum lies in [target - slack, target].

    Stops after ``limit`` solutions: the caller only needs to know whether there is exactly
    one. ``values`` is small (bounded by the configuration), so a pruned depth-first search is
    enough; items are tried largest first so impossible branches are cut early.
    """
    order = sorted(range(len(values)), key=lambda i: -values[i])
    vals = [values[i] for i in order]
    suffix = [0] * (len(vals) + 1)
    for i in range(len(vals) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + vals[i]
    found: list[tuple[int, ...]] = []
    low = target - slack

    def walk(start: int, total: int, picked: list[int]) -> None:
        if len(found) >= limit:
            return
        if low <= total <= target and len(picked) >= 2:
            found.append(tuple(sorted(order[i] for i in picked)))
            if len(found) >= limit:
                return
        for i in range(start, len(vals)):
            if total + suffix[i] < low:
                return  # even taking everything from i on cannot reach the target
            new = total + vals[i]
            if new > target:
                continue
            picked.append(i)
            walk(i + 1, new, picked)
            picked.pop()
            if len(found) >= limit:
                return

    walk(0, 0, [])
    return found
