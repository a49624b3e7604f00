"""Rule 3, grouped: one line paying several instructions of one counterparty (a subset sum over
a bounded candidate set) and several lines adding up to one instruction (partial payments).

Exactly one way to add up is needed; none or more than one leaves the line for finance.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from settlement.reconciliation.expected import IN, ExpectedPayment
from settlement.reconciliation.matching import rules as R
from settlement.reconciliation.matching.state import MatcherState, candidate


class GroupRules(MatcherState):
    """Rule 3 over the shared state."""

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
                listed = [candidate(p, n, R.RULE_GROUP_ONE_LINE, name=n) for n, p in cands[:8]]
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


__all__ = ["GroupRules"]
