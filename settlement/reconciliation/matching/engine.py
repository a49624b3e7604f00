"""The matching run: statement lines against the open expected payments, rules in order.

1. ``reference``: the instruction's RF or human reference in EndToEndId, the structured
   reference or the free remittance text (``references.py``); one line naming several
   instructions is ``reference_group``. Partial payments with a reference accumulate. An RF
   typed with one slip is repaired by its check digits when exactly one open instruction is
   that close and the amount settles it (``reference_repaired``). (``by_reference.py``)
2. ``amount_date_name`` (``by_amount.py``): same amount and currency (or the AmtDtls instructed amount), value
   date within the window of the due date, payer/payee name similar enough.
3. ``grouped_one_line`` (``grouped.py``) (one line paying several instructions of one counterparty, by subset
   sum over a bounded candidate set) and ``grouped_partials`` (several lines adding up to one
   instruction).

A reversal (``RvslInd``) undoes an earlier entry: it is never matched as a payment. It goes to
the queue as ``reversal``, naming the entry it undoes (same account, amount and reference, the
other side: ``store.reversed_originals``) and the match that entry's money went to, if any, so
finance can unmatch it; an entry undone that is not matched (or no longer) is not matched
either, and goes to the queue beside its reversal.

Never guess: two candidates closer than the ambiguity margin, two lines wanting the same
instruction, a reference to an instruction already settled, or a difference beyond tolerance
send the line to the exceptions queue with the candidates and their scores. Each instruction
has at most one active match (a partial unique index), and lines already allocated are not
read again. Everything the run decides is written in bulk at the end (``store.py``); posting to
the ledger is a separate step (``posting.post_matches``), timed and retried on its own.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from kernel.audit import record_event
from settlement.reconciliation.config import ReconciliationConfig
from settlement.reconciliation.expected import ExpectedPayment, ExpectedPaymentSource
from settlement.reconciliation.matching import rules as R
from settlement.reconciliation.matching import store
from settlement.reconciliation.matching.by_amount import AmountRules
from settlement.reconciliation.matching.by_reference import ReferenceRules
from settlement.reconciliation.matching.grouped import GroupRules
from settlement.reconciliation.matching.state import MatchSummary, candidate

_SEARCH_DAYS = 120  # how far around the statement's dates open payments are asked for


class Matcher(ReferenceRules, AmountRules, GroupRules):
    """One matching run: ``run`` decides, ``store.write_run`` stores the decisions in bulk."""

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
        return [candidate(p, s, "suggestion", **parts) for s, p, parts in best]

    def reversal(self, line: R.LineView, originals: Sequence[dict[str, Any]]) -> None:
        """Queue a reversal entry, saying what it undoes (never a payment to match)."""
        matched = [o for o in originals if o["match_id"] is not None]
        cands = [{"instruction_id": o["instruction_id"], "reference": o["reference"],
                  "score": 0, "rule": "reversed_match", "parts": {
                      "original_line_id": o["line_id"], "match_id": o["match_id"]}}
                 for o in matched]
        if matched:
            note = "; ".join(
                f"reverses line {o['line_id']}, matched to {o['reference']} (match "
                f"{o['match_id']}): unmatch it if the payment did not stand" for o in matched)
        elif originals:
            note = ("reverses line " + ", ".join(str(o["line_id"]) for o in originals)
                    + ", not matched: the two cancel out")
        else:
            note = "reversal of an entry not found on this account: not a payment"
        self._exception("reversal", line, cands, note)

    def run(self, lines: Sequence[R.LineView], progress: Callable[[str], None],
            originals: dict[int, list[dict[str, Any]]] | None = None) -> None:
        """Decide every line: reversals, and the unmatched entries they undo, to the queue;
        the rest through the rules in order."""
        originals = originals or {}
        undone = {o["line_id"]: rid for rid, found in originals.items() for o in found}
        for line in lines:
            if line.reversal:
                self.reversal(line, originals.get(line.id, []))
            elif line.id in undone:
                self._exception("reversal", line, [], f"reversed by line {undone[line.id]}: "
                                "not a payment that stands")
        lines = [x for x in lines if not x.reversal and x.id not in undone]
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


def match_statements(session: Session, source: ExpectedPaymentSource, *, at: dt.datetime,
                     actor: str, config: ReconciliationConfig | None = None,
                     bank_account_id: int | None = None, statement_id: int | None = None,
                     today: dt.date | None = None,
                     progress: Callable[[str], None] | None = None) -> MatchSummary:
    """Match the open lines (of one account or statement, or all) against the source's open
    payments, in the caller's transaction; record matches and exceptions. Nothing is posted to
    the ledger here: ``post_matches`` does that. Runs are serialised (``store.lock_runs``)."""
    cfg = config or ReconciliationConfig()
    say = progress or (lambda _m: None)
    store.lock_runs(session)
    lines = store.load_lines(session, bank_account_id, statement_id)
    dates = [x.value_date for x in lines if x.value_date is not None]
    day = today or at.date()
    since = (min(dates) if dates else day) - dt.timedelta(days=_SEARCH_DAYS)
    until = (max(dates) if dates else day) + dt.timedelta(days=_SEARCH_DAYS)
    payments = list(source.open_payments(session, currency=None, since=since, until=until))
    say(f"matching {len(lines)} lines against {len(payments)} open payments")
    existing = store.load_existing(session)
    store.add_settled(session, existing, [p.instruction_id for p in payments])
    matcher = Matcher(payments, cfg, existing, day)
    originals = store.reversed_originals(session, [x for x in lines if x.reversal])
    say("  indexes built")
    matcher.run(lines, say, originals)
    open_rows = store.open_exceptions(session)
    line_ids = {x.id for x in lines}
    open_line_exc = {lid: eid for eid, lid, _iid in open_rows if lid in line_ids}
    matcher.unpaid({iid for _eid, lid, iid in open_rows if lid is None and iid is not None})
    say("  decided; writing")
    summary = store.write_run(session, matcher, at=at, actor=actor,
                              open_line_exceptions=open_line_exc, progress=say)
    summary.lines = len(lines)
    summary.expected = len(matcher.pays)
    record_event(session, actor=actor, action="reconciliation.matched",
                 entity_type="recon_bank_account", entity_id=bank_account_id or "all", at=at,
                 after=summary.as_dict())
    return summary


__all__ = ["MatchSummary", "Matcher", "match_statements"]
