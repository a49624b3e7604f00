"""The matching run: statement lines against the open expected payments, rules in order.

1. ``reference``: the instruction's RF or human reference in EndToEndId, the structured
   reference or the free remittance text (``references.py``); one line naming several
   instructions is ``reference_group``. Partial payments with a reference accumulate.
2. ``amount_date_name``: same amount and currency (or the AmtDtls instructed amount), value
   date within the window of the due date, payer/payee name similar enough.
3. ``grouped_one_line`` (one line paying several instructions of one counterparty, by subset
   sum over a bounded candidate set) and ``grouped_partials`` (several lines adding up to one
   instruction).

Never guess: two candidates closer than the ambiguity margin, two lines wanting the same
instruction, a reference to an instruction already settled, or a difference beyond tolerance
send the line to the exceptions queue with the candidates and their scores. Each instruction
has at most one active match (a partial unique index), and lines already allocated are not
read again. Everything the run decides is written in bulk at the end; posting to the ledger is
a separate step (``posting.post_matches``), timed and retried on its own.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.money import to_minor
from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.errors import AlreadyMatched
from settlement.reconciliation.expected import IN, OUT, ExpectedPayment, ExpectedPaymentSource
from settlement.reconciliation.matching import rules as R
from settlement.reconciliation.matching.references import ReferenceFinder, compact
from settlement.reconciliation.models import (
    Allocation, Match, ReconException, StatementLineRecord,
)

LINES = StatementLineRecord.__table__
MATCHES = Match.__table__
ALLOCS = Allocation.__table__
EXCEPTIONS = ReconException.__table__

_SEARCH_DAYS = 120  # how far around the statement's dates open payments are asked for
_FIELD_SCORE = {"end_to_end_id": 100, "structured_ref": 100, "remittance_text": 95}


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
class _Active:
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
class _Exception:
    kind: str
    line: R.LineView | None
    pay: ExpectedPayment | None
    candidates: list[dict[str, Any]]
    note: str


def _line_view(row: Any) -> R.LineView:
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
        stated_charges=charges)


def _candidate(pay: ExpectedPayment, score: int, rule: str, **parts: Any) -> dict[str, Any]:
    return {"instruction_id": pay.instruction_id, "reference": pay.reference, "score": score,
            "rule": rule, "amount": str(pay.amount.amount), "currency": pay.currency,
            "due_date": pay.due_date.isoformat(), "counterparty": pay.counterparty_name,
            "parts": parts}


class Matcher:
    """One matching run's state; ``run`` decides, ``write`` stores the decisions in bulk."""

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
        self.active: dict[str, _Active] = {}
        self.allocations: list[tuple[str, int, int, int]] = []  # iid, line, amount, charges
        self.matched_lines: dict[int, str] = {}                  # line id -> rule
        self.exceptions: list[_Exception] = []
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
            act = _Active(pay, rule, score, parts, currency=line.currency)
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

    def _line_done(self, line: R.LineView, rule: str) -> None:
        self.matched_lines[line.id] = rule

    def _exception(self, kind: str, line: R.LineView | None, candidates: list[dict[str, Any]],
                   note: str, pay: ExpectedPayment | None = None) -> None:
        self.exceptions.append(_Exception(kind, line, pay, candidates, note))

    # -- rule 1: references -------------------------------------------------------------------
    def _references(self, line: R.LineView) -> list[tuple[str, str, str, int]]:
        """(instruction id, ref, field, score) for each distinct instruction referenced."""
        out: dict[str, tuple[str, str, str, int]] = {}
        ambiguous_refs = []
        for fname in ("end_to_end_id", "structured_ref", "remittance_text"):
            for found in self.finder.find(getattr(line, fname), fname):
                iids = self.by_ref.get(found.ref, [])
                if len(iids) > 1:
                    ambiguous_refs.append(found.ref)
                for iid in iids:
                    if iid not in out:
                        out[iid] = (iid, found.ref, fname, _FIELD_SCORE[fname])
        return list(out.values())

    def rule_reference(self, line: R.LineView) -> bool:
        refs = self._references(line)
        if not refs:
            return False
        if len(refs) == 1:
            iid, ref, fname, score = refs[0]
            pay = self.pays[iid]
            parts = {"ref": ref, "field": fname}
            if pay.direction != line.direction:
                self._exception("difference", line, [_candidate(pay, score, R.RULE_REFERENCE,
                                                                **parts)],
                                "the reference names a payment the other way")
                return True
            if not self._open(iid):
                self._exception("already_matched", line,
                                [_candidate(pay, score, R.RULE_REFERENCE, **parts)],
                                f"{pay.reference} is already settled: a second payment?")
                return True
            fit = R.assess(line, pay, self.remaining[iid], self.cfg)
            parts["fit"] = fit.kind
            if fit.detail:
                parts["detail"] = fit.detail
            if fit.kind in (R.EXACT, R.CHARGES, R.FX):
                self._allocate(line, pay, fit, R.RULE_REFERENCE, score, parts, complete=True)
                self._line_done(line, R.RULE_REFERENCE)
            elif fit.kind == R.PARTIAL:
                self._allocate(line, pay, fit, R.RULE_REFERENCE, score, parts, complete=False)
                self._line_done(line, R.RULE_REFERENCE)
            else:
                self._exception("difference", line,
                                [_candidate(pay, score, R.RULE_REFERENCE, **parts)],
                                fit.detail or fit.kind)
            return True
        return self._reference_group(line, refs)

    def _reference_group(self, line: R.LineView, refs: list[tuple[str, str, str, int]]) -> bool:
        pays = [self.pays[r[0]] for r in refs]
        cands = [_candidate(p, r[3], R.RULE_REFERENCE_GROUP, ref=r[1], field=r[2])
                 for p, r in zip(pays, refs)]
        if any(p.direction != line.direction or p.currency != line.currency
               or not self._open(p.instruction_id) for p in pays):
            self._exception("difference", line, cands,
                            "the line names several payments that cannot all take it")
            return True
        total = sum(self.remaining[p.instruction_id] for p in pays)
        limit = self.cfg.charges_limit(line.currency)
        gap = total - line.amount if line.direction == IN else line.amount - total
        if not 0 <= gap <= limit:
            self._exception("difference", line, cands,
                            f"the {len(pays)} payments named add up to {total}, "
                            f"the line is {line.amount}")
            return True
        score = min(r[3] for r in refs)
        parts = {"refs": [r[1] for r in refs], "gap": gap}
        self._split_over(line, pays, gap, R.RULE_REFERENCE_GROUP, score, parts)
        return True

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

    # -- rule 2: amount, currency, date window, name ------------------------------------------
    def _amount_candidates(self, line: R.LineView) -> list[tuple[int, ExpectedPayment, R.Fit,
                                                                 dict[str, Any]]]:
        keys = [(line.direction, line.currency, line.amount)]
        if line.instructed is not None and line.instructed_currency:
            keys.append((line.direction, line.instructed_currency, line.instructed))
        out = []
        seen = set()
        for key in keys:
            for iid in self.by_amount.get(key, ()):
                if iid in seen or not self._open(iid):
                    continue
                seen.add(iid)
                pay = self.pays[iid]
                if self.remaining[iid] != key[2]:
                    continue  # partly paid meanwhile: only references or finance settle it
                days = self._days(line, pay)
                window = self._window(pay)
                if days > window:
                    continue
                name = R.name_score(line.name, pay.counterparty_name)
                if name < self.cfg.name_threshold:
                    continue
                fit = R.assess(line, pay, self.remaining[iid], self.cfg)
                if fit.kind not in (R.EXACT, R.FX):
                    continue
                dscore = R.date_score(days, window)
                score = (4 * name + dscore) // 5
                out.append((score, pay, fit, {"name": name, "days": days, "date": dscore,
                                              "fit": fit.kind}))
        out.sort(key=lambda c: -c[0])
        return out

    def rule_amount(self, lines: Sequence[R.LineView]) -> list[R.LineView]:
        """Rule 2 over all lines left; returns the lines it did not decide."""
        left: list[R.LineView] = []
        proposals: dict[str, list[tuple[int, R.LineView, R.Fit, dict[str, Any],
                                        list[dict[str, Any]]]]] = defaultdict(list)
        for line in lines:
            cands = self._amount_candidates(line)
            if not cands:
                left.append(line)
                continue
            listed = [_candidate(p, s, R.RULE_AMOUNT_NAME, **parts)
                      for s, p, _f, parts in cands[:5]]
            if len(cands) > 1 and cands[0][0] - cands[1][0] < self.cfg.ambiguity_margin:
                self._exception("ambiguous", line, listed,
                                "two payments fit equally well by amount, date and name")
                continue
            score, pay, fit, parts = cands[0]
            proposals[pay.instruction_id].append((score, line, fit, parts, listed))
        for iid, wanted in proposals.items():
            wanted.sort(key=lambda w: -w[0])
            if len(wanted) > 1 and wanted[0][0] - wanted[1][0] < self.cfg.ambiguity_margin:
                for _s, line, _f, _p, listed in wanted:
                    self._exception("ambiguous", line, listed,
                                    "several lines fit the same payment equally well")
                continue
            score, line, fit, parts, _listed = wanted[0]
            pay = self.pays[iid]
            self._allocate(line, pay, fit, R.RULE_AMOUNT_NAME, score, parts, complete=True)
            self._line_done(line, R.RULE_AMOUNT_NAME)
            for _s, other, _f, _p, listed in wanted[1:]:
                self._exception("ambiguous", other, listed,
                                f"{pay.reference} went to a line that fits it better")
        return left

    # -- rule 3: grouped ----------------------------------------------------------------------
    def _block(self, direction: str, name: str | None) -> list[str]:
        """The payments sharing the rarest word of ``name`` (a blocking step: the names are
        compared properly afterwards); a word every other payer has says nothing."""
        lists = [self.by_block.get((direction, w), []) for w in R.name_words(name)]
        lists = [x for x in lists if x]
        return min(lists, key=len) if lists else []

    def _counterparty_payments(self, line: R.LineView) -> list[tuple[int, ExpectedPayment]]:
        out = []
        for iid in self._block(line.direction, line.name):
            if not self._open(iid):
                continue
            pay = self.pays[iid]
            if pay.currency != line.currency or self._days(line, pay) > self._window(pay):
                continue
            name = R.name_score(line.name, pay.counterparty_name)
            if name >= self.cfg.name_threshold:
                out.append((name, pay))
        return out

    def rule_group_one_line(self, lines: Sequence[R.LineView]) -> list[R.LineView]:
        left = []
        for line in lines:
            cands = self._counterparty_payments(line)
            if len(cands) < 2:
                left.append(line)
                continue
            cands.sort(key=lambda c: (self._days(line, c[1]), c[1].instruction_id))
            cands = cands[:self.cfg.group_max_candidates]
            values = [self.remaining[p.instruction_id] for _n, p in cands]
            solutions = R.subset_sums(values, line.amount)
            gap_limit = self.cfg.charges_limit(line.currency)
            if not solutions and gap_limit:
                if line.direction == IN:  # sums up to the limit above the line: charges taken
                    solutions = R.subset_sums(values, line.amount + gap_limit, slack=gap_limit)
                else:
                    solutions = R.subset_sums(values, line.amount, slack=gap_limit)
            if not solutions:
                left.append(line)
                continue
            if len(solutions) > 1:
                listed = [_candidate(p, n, R.RULE_GROUP_ONE_LINE, name=n) for n, p in cands[:8]]
                self._exception("ambiguous", line, listed,
                                "more than one set of this payer's payments adds up to the line")
                continue
            chosen = [cands[i] for i in solutions[0]]
            pays = [p for _n, p in chosen]
            total = sum(values[i] for i in solutions[0])
            gap = total - line.amount if line.direction == IN else line.amount - total
            score = min(n for n, _p in chosen)
            self._split_over(line, pays, gap, R.RULE_GROUP_ONE_LINE, score,
                             {"instructions": [p.instruction_id for p in pays], "gap": gap,
                              "names": [n for n, _p in chosen]})
        return left

    def rule_group_partials(self, lines: Sequence[R.LineView]) -> list[R.LineView]:
        # lines of one payer: grouped by the payer's normalised name
        pool: dict[tuple[str, str, str], list[R.LineView]] = defaultdict(list)
        for line in lines:
            key = R.normalise_name(line.name)
            if key:
                pool[(line.direction, line.currency, key)].append(line)
        used: set[int] = set()
        for (direction, currency, _key), group in pool.items():
            if len(group) < 2:
                continue
            for iid in self._block(direction, group[0].name):
                if not self._open(iid):
                    continue
                pay = self.pays[iid]
                if pay.currency != currency or not pay.partial_allowed:
                    continue
                mine = [x for x in group if x.id not in used
                        and self._days(x, pay) <= self._window(pay)
                        and R.name_score(x.name, pay.counterparty_name) >= self.cfg.name_threshold]
                if len(mine) < 2:
                    continue
                mine = sorted(mine, key=lambda x: (self._days(x, pay), x.id))
                mine = mine[:self.cfg.group_max_lines]
                rem = self.remaining[iid]
                values = [x.amount for x in mine]
                solutions = R.subset_sums(values, rem)
                limit = self.cfg.charges_limit(currency)
                if not solutions and limit and direction == IN:
                    solutions = R.subset_sums(values, rem, slack=limit)
                if len(solutions) != 1:
                    continue  # none, or more than one way: left for finance
                chosen = [mine[i] for i in solutions[0]]
                total = sum(x.amount for x in chosen)
                gap = rem - total
                parts = {"lines": [x.id for x in chosen], "gap": gap}
                for i, x in enumerate(chosen):
                    charges = gap if i == len(chosen) - 1 else 0
                    fit = R.Fit(R.PARTIAL, x.amount, charges, x.amount + charges)
                    self._allocate(x, pay, fit, R.RULE_GROUP_PARTIALS,
                                   R.name_score(x.name, pay.counterparty_name), parts,
                                   complete=i == len(chosen) - 1)
                    self._line_done(x, R.RULE_GROUP_PARTIALS)
                    used.add(x.id)
        return [x for x in lines if x.id not in used]

    # -- leftovers ----------------------------------------------------------------------------
    def suggest(self, line: R.LineView) -> list[dict[str, Any]]:
        """Up to three open payments worth a look: same amount, or the same counterparty."""
        scored: dict[str, tuple[int, ExpectedPayment, dict[str, Any]]] = {}
        for key in ((line.direction, line.currency, line.amount),
                    (line.direction, line.instructed_currency or "", line.instructed or -1)):
            for iid in self.by_amount.get(key, ())[:20]:
                if self._open(iid):
                    pay = self.pays[iid]
                    name = R.name_score(line.name, pay.counterparty_name)
                    dscore = R.date_score(self._days(line, pay), self._window(pay))
                    scored[iid] = ((2 * name + dscore + 100) // 4, pay,
                                   {"amount": "equal", "name": name, "date": dscore})
        for name, pay in self._counterparty_payments(line)[:20]:
            if pay.instruction_id not in scored:
                rem = self.remaining[pay.instruction_id]
                closeness = max(0, 100 - (100 * abs(rem - line.amount)) // max(rem, 1))
                scored[pay.instruction_id] = ((2 * name + closeness) // 4, pay,
                                              {"name": name, "amount_closeness": closeness})
        best = sorted(scored.values(), key=lambda s: -s[0])[:3]
        return [_candidate(p, s, "suggestion", **parts) for s, p, parts in best]

    def run(self, lines: Sequence[R.LineView], progress: Callable[[str], None]) -> None:
        later = [x for x in lines if not self.rule_reference(x)]
        progress(f"  rule 1 (reference): {len(lines) - len(later)} lines decided")
        later = self.rule_amount(later)
        progress(f"  rule 2 (amount, date, name): {len(later)} lines left")
        later = self.rule_group_one_line(later)
        later = self.rule_group_partials(later)
        progress(f"  rule 3 (grouped): {len(later)} lines left")
        for line in later:
            self._exception("unmatched_line", line, self.suggest(line),
                            "no payment matches this line")

    def unpaid(self, open_exceptions: set[str]) -> None:
        """Due, unpaid instructions (past the grace days) into the queue."""
        limit = self.today - dt.timedelta(days=self.cfg.unpaid_grace_days)
        for iid, pay in self.pays.items():
            if (self._open(iid) and pay.due_date < limit and iid not in open_exceptions):
                paid = iid in self.existing or iid in self.active
                self._exception("unpaid_instruction", None, [],
                                "partly paid, the rest is overdue" if paid else "overdue, no "
                                "payment seen", pay=pay)


# -- the run, from the database and back -----------------------------------------------------

def _load_lines(session: Session, bank_account_id: int | None, statement_id: int | None
                ) -> list[Any]:
    c = LINES.c
    stmt = select(LINES).where(c.match_status.in_(("unmatched", "exception", "partial")),
                               c.status == "BOOK", c.amount_minor > c.allocated_minor)
    if bank_account_id is not None:
        stmt = stmt.where(c.bank_account_id == bank_account_id)
    if statement_id is not None:
        stmt = stmt.where(c.statement_id == statement_id)
    return session.execute(stmt.order_by(c.value_date, c.id)).all()


def _load_existing(session: Session) -> dict[str, dict[str, Any]]:
    """Active matches that still take money (partials) or that the source may not know of yet
    (not posted), locked: a concurrent run waits, so partial amounts never race."""
    m = MATCHES.c
    rows = session.execute(
        select(m.id, m.instruction_id, m.settled_minor, m.charges_minor, m.complete,
               m.currency, m.expected_currency, m.expected_minor, m.written_off_minor)
        .where(m.status == "active", (m.complete.is_(False)) | (m.posted_at.is_(None)))
        .with_for_update()).all()
    out = {}
    for r in rows:
        covered = (r.settled_minor + r.charges_minor + r.written_off_minor
                   if r.currency == r.expected_currency else 0)
        if r.complete:
            covered = r.expected_minor
        out[r.instruction_id] = {"id": r.id, "settled": r.settled_minor,
                                 "charges": r.charges_minor, "covered": covered,
                                 "complete": r.complete}
    return out


def _add_settled(session: Session, existing: dict[str, dict[str, Any]],
                 instruction_ids: Sequence[str]) -> None:
    """Instructions the source still lists as open though a complete match stands (its view
    lags): they are treated as settled, so a second payment for one goes to the queue."""
    m = MATCHES.c
    for chunk in _in_chunks([i for i in instruction_ids if i not in existing]):
        for r in session.execute(select(m.id, m.instruction_id, m.settled_minor,
                                        m.charges_minor, m.expected_minor)
                                 .where(m.status == "active", m.complete.is_(True),
                                        m.instruction_id.in_(chunk))):
            existing[r.instruction_id] = {"id": r.id, "settled": r.settled_minor,
                                          "charges": r.charges_minor,
                                          "covered": r.expected_minor, "complete": True}


def _in_chunks(values: Sequence[Any], size: int = 5000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _set_lines(session: Session, ids: Sequence[int], status: str, full: bool) -> None:
    c = LINES.c
    values: dict[str, Any] = {"match_status": status}
    if full:
        values["allocated_minor"] = c.amount_minor
    for chunk in _in_chunks(list(ids)):
        session.execute(update(LINES).where(c.id.in_(chunk)).values(**values))


def write_run(session: Session, m: Matcher, *, at: dt.datetime, actor: str,
              open_line_exceptions: dict[int, int],
              progress: Callable[[str], None] | None = None) -> MatchSummary:
    """Store the run's matches, allocations, line states and exceptions in bulk."""
    say = progress or (lambda _m: None)
    summary = MatchSummary()
    new = [a for a in m.active.values() if a.match_id is None]
    extended = [a for a in m.active.values() if a.match_id is not None]
    rows = [{
        "instruction_id": a.pay.instruction_id, "reference": a.pay.reference[:64],
        "direction": a.pay.direction, "rule": a.rule, "score": a.score,
        "parts": json.dumps(a.parts, sort_keys=True, default=str), "status": "active",
        "complete": a.complete, "currency": a.currency,
        "expected_minor": to_minor(a.pay.amount), "expected_currency": a.pay.currency,
        "settled_minor": a.settled, "charges_minor": a.charges, "written_off_minor": 0,
        "ledger_account_id": a.pay.ledger_account_id, "created_at": at, "created_by": actor,
        "posted_at": None, "reverted_at": None, "reverted_by": None, "revert_reason": None,
    } for a in new]
    try:
        # Plain multi-row INSERTs, then the ids read back by instruction (one active match
        # per instruction): RETURNING in parameter order makes SQLite insert row by row.
        for chunk in _in_chunks(rows):
            session.execute(insert(MATCHES), chunk)
    except IntegrityError:
        raise AlreadyMatched("another run matched one of these instructions meanwhile; "
                             "run again") from None
    c = MATCHES.c
    id_of: dict[str, int] = {}
    for chunk in _in_chunks([a.pay.instruction_id for a in new]):
        id_of.update((r.instruction_id, r.id) for r in session.execute(
            select(c.instruction_id, c.id).where(c.status == "active",
                                                 c.instruction_id.in_(chunk))))
    ids = [id_of[a.pay.instruction_id] for a in new]
    say("  matches stored")
    for a, mid in zip(new, ids):
        a.match_id = mid
    if extended:
        c = MATCHES.c
        session.execute(
            update(MATCHES).where(c.id == bindparam("b_id")).values(
                settled_minor=bindparam("b_settled"), charges_minor=bindparam("b_charges"),
                complete=bindparam("b_complete"), posted_at=None),
            [{"b_id": a.match_id, "b_settled": a.prior_settled + a.settled,
              "b_charges": a.prior_charges + a.charges, "b_complete": a.complete}
             for a in extended])
    alloc_rows = [{"match_id": m.active[iid].match_id, "line_id": line_id,
                   "amount_minor": amount, "charges_minor": charges, "transfer_id": None}
                  for iid, line_id, amount, charges in m.allocations]
    for chunk in _in_chunks(alloc_rows):
        session.execute(insert(ALLOCS), chunk)
    say("  allocations stored")
    _set_lines(session, list(m.matched_lines), "matched", full=True)
    say("  lines marked")
    # exceptions: keep an open one for a line that is still an exception, add the new ones
    exc_rows = []
    still_open: set[int] = set()
    for e in m.exceptions:
        summary.exceptions[e.kind] += 1
        if e.line is not None and e.line.id in open_line_exceptions:
            still_open.add(e.line.id)
            continue
        line = e.line
        pay = e.pay
        exc_rows.append({
            "bank_account_id": line.bank_account_id if line else None, "kind": e.kind,
            "status": "open", "line_id": line.id if line else None,
            "instruction_id": (pay.instruction_id if pay else
                               (e.candidates[0]["instruction_id"]
                                if e.kind in ("difference", "already_matched") else None)),
            "currency": line.currency if line else pay.currency,  # type: ignore[union-attr]
            "amount_minor": line.amount if line else m.remaining[pay.instruction_id],  # type: ignore[union-attr]
            "item_date": line.value_date if line else pay.due_date,  # type: ignore[union-attr]
            "candidates": json.dumps(e.candidates, sort_keys=True, default=str),
            "note": e.note, "created_at": at, "resolved_at": None, "resolved_by": None,
            "resolution": None, "match_id": None,
        })
    for chunk in _in_chunks(exc_rows):
        session.execute(insert(EXCEPTIONS), chunk)
    _set_lines(session, [e.line.id for e in m.exceptions if e.line is not None],
               "exception", full=False)
    resolved = [eid for lid, eid in open_line_exceptions.items() if lid in m.matched_lines]
    if resolved:
        c = EXCEPTIONS.c
        for chunk in _in_chunks(resolved):
            session.execute(update(EXCEPTIONS).where(c.id.in_(chunk)).values(
                status="resolved", resolved_at=at, resolved_by=actor, resolution="auto_matched"))
    summary.resolved_exceptions = len(resolved)
    summary.matches = len(new)
    summary.matched_lines = len(m.matched_lines)
    summary.by_rule.update(m.matched_lines.values())
    return summary


def match_statements(session: Session, source: ExpectedPaymentSource, *, at: dt.datetime,
                     actor: str, config: ReconciliationConfig | None = None,
                     bank_account_id: int | None = None, statement_id: int | None = None,
                     today: dt.date | None = None,
                     progress: Callable[[str], None] | None = None) -> MatchSummary:
    """Match the open lines (of one account or statement, or all) against the source's open
    payments, in the caller's transaction; record matches and exceptions. Nothing is posted to
    the ledger here: ``post_matches`` does that."""
    cfg = config or ReconciliationConfig()
    say = progress or (lambda _m: None)
    rows = _load_lines(session, bank_account_id, statement_id)
    lines = [_line_view(r) for r in rows]
    dates = [x.value_date for x in lines if x.value_date is not None]
    day = today or at.date()
    since = (min(dates) if dates else day) - dt.timedelta(days=_SEARCH_DAYS)
    until = (max(dates) if dates else day) + dt.timedelta(days=_SEARCH_DAYS)
    payments = list(source.open_payments(session, currency=None, since=since, until=until))
    say(f"matching {len(lines)} lines against {len(payments)} open payments")
    say("  payments listed")
    existing = _load_existing(session)
    _add_settled(session, existing, [p.instruction_id for p in payments])
    matcher = Matcher(payments, cfg, existing, day)
    say("  indexes built")
    matcher.run(lines, say)
    e = EXCEPTIONS.c
    open_rows = session.execute(select(e.id, e.line_id, e.instruction_id).where(
        e.status == "open")).all()
    line_ids = {x.id for x in lines}
    open_line_exc = {r.line_id: r.id for r in open_rows if r.line_id in line_ids}
    matcher.unpaid({r.instruction_id for r in open_rows
                    if r.line_id is None and r.instruction_id is not None})
    say("  decided; writing")
    summary = write_run(session, matcher, at=at, actor=actor,
                        open_line_exceptions=open_line_exc, progress=say)
    summary.lines = len(lines)
    summary.expected = len(matcher.pays)
    record_event(session, actor=actor, action="reconciliation.matched",
                 entity_type="recon_bank_account", entity_id=bank_account_id or "all", at=at,
                 after=summary.as_dict())
    return summary


__all__ = ["MatchSummary", "Matcher", "match_statements"]
