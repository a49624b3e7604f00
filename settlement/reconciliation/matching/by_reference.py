"""Rule 1, references: the instruction's RF or human reference in EndToEndId, the structured
reference or the free remittance text (``references.py``); one line naming several instructions
is ``reference_group``; partial payments with a reference accumulate. An RF reference typed
with one slip (its check digits fail) is repaired when exactly one open instruction is one
edit away and the amount settles it (``reference_repaired``).
"""
from __future__ import annotations

from typing import Any

from settlement.reconciliation.expected import IN
from settlement.reconciliation.matching import rules as R
from settlement.reconciliation.matching.state import FIELD_SCORE, MatcherState, candidate

_FIELDS = ("end_to_end_id", "structured_ref", "remittance_text")
#: below an exact reference (95-100): a repair is good evidence, not proof
REPAIRED_SCORE = 90


class ReferenceRules(MatcherState):
    """Rule 1 over the shared state."""

    def _references(self, line: R.LineView) -> list[tuple[str, str, str, int]]:
        """(instruction id, ref, field, score) for each distinct instruction referenced."""
        out: dict[str, tuple[str, str, str, int]] = {}
        for fname in _FIELDS:
            for found in self.finder.find(getattr(line, fname), fname):
                for iid in self.by_ref.get(found.ref, ()):
                    if iid not in out:
                        out[iid] = (iid, found.ref, fname, FIELD_SCORE[fname])
        return list(out.values())

    def _repaired(self, line: R.LineView) -> list[tuple[str, str, str, str]]:
        """(instruction id, expected ref, field, as typed) for each open instruction whose RF
        reference is one slip away from an invalid RF in the line."""
        out: dict[str, tuple[str, str, str, str]] = {}
        for fname in _FIELDS:
            for ref, typed in self.finder.repairs(getattr(line, fname)):
                for iid in self.by_ref.get(ref, ()):
                    if iid not in out and self._open(iid):
                        out[iid] = (iid, ref, fname, typed)
        return list(out.values())

    def rule_reference(self, line: R.LineView) -> bool:
        refs = self._references(line)
        if not refs:
            return self._rule_repaired(line)
        if len(refs) == 1:
            iid, ref, fname, score = refs[0]
            pay = self.pays[iid]
            parts: dict[str, Any] = {"ref": ref, "field": fname}
            if pay.direction != line.direction:
                self._exception("difference", line, [candidate(pay, score, R.RULE_REFERENCE,
                                                                **parts)],
                                "the reference names a payment the other way")
                return True
            if not self._open(iid):
                self._exception("already_matched", line,
                                [candidate(pay, score, R.RULE_REFERENCE, **parts)],
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
                                [candidate(pay, score, R.RULE_REFERENCE, **parts)],
                                fit.detail or fit.kind)
            return True
        return self._reference_group(line, refs)

    def _reference_group(self, line: R.LineView, refs: list[tuple[str, str, str, int]]) -> bool:
        pays = [self.pays[r[0]] for r in refs]
        cands = [candidate(p, r[3], R.RULE_REFERENCE_GROUP, ref=r[1], field=r[2])
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

    def _rule_repaired(self, line: R.LineView) -> bool:
        """An RF reference typed with one slip, repaired by its check digits: trusted only when
        exactly one open instruction is that close and the amount settles it whole (exact,
        charges within tolerance, or FX). Dense references can put two instructions one slip
        away; the amount then tells them apart only if exactly one of them fits. Anything else
        goes to finance with the candidates."""
        found = self._repaired(line)
        if not found:
            return False
        cands = [candidate(self.pays[iid], REPAIRED_SCORE, R.RULE_REFERENCE_REPAIRED, ref=ref,
                           field=fname, typed=typed) for iid, ref, fname, typed in found]
        fits = []
        for iid, ref, fname, typed in found:
            pay = self.pays[iid]
            fit = R.assess(line, pay, self.remaining[iid], self.cfg)
            if pay.direction == line.direction and fit.kind in (R.EXACT, R.CHARGES, R.FX):
                fits.append((pay, fit, ref, fname, typed))
        if len(fits) != 1:
            several = len(found) > 1
            self._exception(
                "ambiguous" if several else "difference", line, cands,
                "a mistyped RF reference is one slip away from several payments"
                + (" and the amount settles more than one" if fits else "") if several else
                f"the mistyped reference {found[0][3]} points to "
                f"{self.pays[found[0][0]].reference}, but the amount does not settle it")
            return True
        pay, fit, ref, fname, typed = fits[0]
        parts: dict[str, Any] = {"ref": ref, "field": fname, "typed": typed, "fit": fit.kind}
        if len(found) > 1:
            parts["others_one_slip_away"] = [c for c in cands
                                             if c["instruction_id"] != pay.instruction_id]
        if fit.detail:
            parts["detail"] = fit.detail
        self._allocate(line, pay, fit, R.RULE_REFERENCE_REPAIRED, REPAIRED_SCORE, parts,
                       complete=True)
        self._line_done(line, R.RULE_REFERENCE_REPAIRED)
        return True

__all__ = ["REPAIRED_SCORE", "ReferenceRules"]
