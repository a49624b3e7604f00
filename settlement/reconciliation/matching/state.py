"""The matching run's shared state: indexes over the open payments, what is still open per
instruction, and the decisions taken so far (allocations, matched lines, exceptions).

Nothing here touches the database; ``store`` loads the lines and writes the decisions.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from kernel.money import to_minor
from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.expected import IN, OUT, ExpectedPayment
from settlement.reconciliation.matching import rules as R
from settlement.reconciliation.matching.references import ReferenceFinder, compact

FIELD_SCORE = {"end_to_end_id": 100, "structured_ref": 100, "remittance_text": 95}


@dataclass
class MatchSummary:
    """What a run did: lines looked at, lines matched per rule, exceptions per kind."""

    lines: int = 0
    matched_lines: int = 0
    matches: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    exceptions: Counter[str] = field(default_factory=Counter)
    resolved_exceptions: int = 0
    expected: int = 0
    seconds: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "matched_lines": self.matched_lines,
                "matches": self.matches, "by_rule": dict(self.by_rule),
                "exceptions": dict(self.exceptions),
                "resolved_exceptions": self.resolved_exceptions, "expected": self.expected}


@dataclass(eq=False)
class Active:
    """An instruction's match in this run: new, or an existing partial one being extended."""

    pay: ExpectedPayment
    rule: str
    score: int
    parts: dict[str, Any]
    match_id: int | None = None      # existing row
    settled: int = 0                 # statement currency, this run
    charges: int = 0
    complete: bool = False
    currency: str = ""
    prior_settled: int = 0
    prior_charges: int = 0


@dataclass
class Pending:
    kind: str
    line: R.LineView | None
    pay: ExpectedPayment | None
    candidates: list[dict[str, Any]]
    note: str


def line_view(row: Any) -> R.LineView:
    credit = row.direction == "CRDT"
    charges = row.charges_minor if row.charges_currency == row.currency else None
    return R.LineView(
        id=row.id, bank_account_id=row.bank_account_id,
        amount=row.amount_minor - row.allocated_minor, currency=row.currency,
        direction=IN if credit else OUT, value_date=row.value_date or row.booking_date,
        name=row.debtor_name if credit else row.creditor_name,
        end_to_end_id=row.end_to_end_id, structured_ref=row.structured_ref,
        remittance_text=row.remittance_text, instructed=row.instructed_minor,
        instructed_currency=row.instructed_currency, rate=row.exchange_rate,
        stated_charges=charges, reversal=bool(row.reversal))


def candidate(pay: ExpectedPayment, score: int, rule: str, **parts: Any) -> dict[str, Any]:
    return {"instruction_id": pay.instruction_id, "reference": pay.reference, "score": score,
            "rule": rule, "amount": str(pay.amount.amount), "currency": pay.currency,
            "due_date": pay.due_date.isoformat(), "counterparty": pay.counterparty_name,
            "parts": parts}


class MatcherState:
    """One matching run's state and the bookkeeping every rule shares; the rules are mixins
    over it (``by_reference``, ``by_amount``, ``grouped``), put together in ``engine.Matcher``."""

    def __init__(self, payments: Iterable[ExpectedPayment], cfg: ReconciliationConfig,
                 existing: dict[str, dict[str, Any]], today: dt.date) -> None:
        self.cfg = cfg
        self.today = today
        self.pays: dict[str, ExpectedPayment] = {}
        for p in payments:
            self.pays.setdefault(p.instruction_id, p)
        # what is still open per instruction, in its currency
        self.remaining: dict[str, int] = {}
        for iid, p in self.pays.items():
            prior = existing.get(iid)
            covered = 0 if prior is None else prior["covered"]
            self.remaining[iid] = to_minor(p.amount) - covered
        self.existing = existing
        self.claimed: set[str] = {i for i, e in existing.items() if e["complete"]}
        self.active: dict[str, Active] = {}
        self.allocations: list[tuple[str, int, int, int]] = []  # iid, line, amount, charges
        self.matched_lines: dict[int, str] = {}                  # line id -> rule
        self.line_amounts: dict[int, int] = {}                   # line id -> amount taken
        self.exceptions: list[Pending] = []
        self._build_indexes()

    # -- indexes, built once ------------------------------------------------------------------
    def _build_indexes(self) -> None:
        by_ref: dict[str, list[str]] = defaultdict(list)
        by_amount: dict[tuple[str, str, int], list[str]] = defaultdict(list)
        by_block: dict[tuple[str, str], list[str]] = defaultdict(list)
        for iid, p in self.pays.items():
            for ref in {compact(p.reference), compact(p.rf_reference)}:
                if ref:
                    by_ref[ref].append(iid)
            by_amount[(p.direction, p.currency, self.remaining[iid])].append(iid)
            for word in R.name_words(p.counterparty_name):
                by_block[(p.direction, word)].append(iid)
        self.by_ref = by_ref
        self.by_amount = by_amount
        self.by_block = by_block
        self.finder = ReferenceFinder(frozenset(by_ref), self.cfg.human_reference_pattern)

    def _open(self, iid: str) -> bool:
        return iid not in self.claimed and self.remaining.get(iid, 0) > 0

    def _window(self, pay: ExpectedPayment) -> int:
        return pay.date_window_days if pay.date_window_days is not None else \
            self.cfg.date_window_days

    def _days(self, line: R.LineView, pay: ExpectedPayment) -> int:
        if line.value_date is None:
            return 10_000
        return abs((line.value_date - pay.due_date).days)  # type: ignore[operator]

    # -- recording ----------------------------------------------------------------------------
    def _allocate(self, line: R.LineView, pay: ExpectedPayment, fit: R.Fit, rule: str,
                  score: int, parts: dict[str, Any], complete: bool) -> None:
        iid = pay.instruction_id
        act = self.active.get(iid)
        if act is None:
            prior = self.existing.get(iid)
            act = Active(pay, rule, score, parts, currency=line.currency)
            if prior is not None:
                act.match_id = prior["id"]
                act.prior_settled = prior["settled"]
                act.prior_charges = prior["charges"]
            self.active[iid] = act
        else:
            act.parts = {**act.parts, f"line_{line.id}": parts}
        act.settled += fit.settled
        act.charges += fit.charges
        self.remaining[iid] -= fit.covers
        if complete or self.remaining[iid] <= 0:
            act.complete = True
            self.claimed.add(iid)
        self.allocations.append((iid, line.id, fit.settled, fit.charges))

    def _split_over(self, line: R.LineView, pays: Sequence[ExpectedPayment], gap: int,
                    rule: str, score: int, parts: dict[str, Any]) -> None:
        """Allocate all of ``line`` over ``pays`` (each its remaining); the last takes the gap
        (charges) so the allocations add up to the line exactly."""
        for i, pay in enumerate(pays):
            rem = self.remaining[pay.instruction_id]
            last = i == len(pays) - 1
            charges = gap if last else 0
            settled = rem - charges if line.direction == IN else rem + charges
            fit = R.Fit(R.CHARGES if charges else R.EXACT, settled, charges, rem)
            self._allocate(line, pay, fit, rule, score, parts, complete=True)
        self._line_done(line, rule)


    def _line_done(self, line: R.LineView, rule: str) -> None:
        self.matched_lines[line.id] = rule
        self.line_amounts[line.id] = line.amount

    def _exception(self, kind: str, line: R.LineView | None, candidates: list[dict[str, Any]],
                   note: str, pay: ExpectedPayment | None = None) -> None:
        self.exceptions.append(Pending(kind, line, pay, candidates, note))


__all__ = ["FIELD_SCORE", "Active", "MatchSummary", "MatcherState", "Pending", "candidate",
           "line_view"]
