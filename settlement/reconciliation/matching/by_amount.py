"""Rule 2, amount + currency + value-date window + payer/payee name similarity.

Same amount and currency (or the AmtDtls instructed amount), value date within the window of
the due date, the name similar enough. Two payments closer than the ambiguity margin, or two
lines wanting the same payment, go to the exceptions queue.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from settlement.reconciliation.expected import ExpectedPayment
from settlement.reconciliation.matching import rules as R
from settlement.reconciliation.matching.state import MatcherState, candidate


class AmountRules(MatcherState):
    """Rule 2 over the shared state."""

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
            listed = [candidate(p, s, R.RULE_AMOUNT_NAME, **parts)
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


__all__ = ["AmountRules"]
