"""A matching run's reads and writes: the open lines and live matches in, the decisions out.

Reads go to the driver with only the columns the matcher uses; writes go through ``bulk``
(COPY on PostgreSQL, the driver's executemany on SQLite), so a run over 100,000 lines costs a
handful of statements, not one per row. Lines take their allocation as an increment
(``allocated_minor + amount``): the table's check (allocated within the amount) refuses a line
given twice, whatever raced.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.money import to_minor
from settlement.reconciliation.bulk import (
    driver_errors, insert_rows, next_ids, select_where_in, update_by_id,
)
from settlement.reconciliation.errors import AlreadyMatched
from settlement.reconciliation.expected import IN, OUT
from settlement.reconciliation.matching import rules as R
from settlement.reconciliation.matching.state import MatcherState, MatchSummary
from settlement.reconciliation.models import (
    Allocation, Match, ReconException, StatementLineRecord,
)

LINES = StatementLineRecord.__table__
MATCHES = Match.__table__
ALLOCS = Allocation.__table__
EXCEPTIONS = ReconException.__table__

#: any constant shared by every matching run: PostgreSQL serialises the runs on it
_RUN_LOCK = 0x7265636F6E  # "recon"

_LINE_SQL = (
    "SELECT id, bank_account_id, amount_minor - allocated_minor, currency, direction, "
    "value_date, booking_date, debtor_name, creditor_name, end_to_end_id, structured_ref, "
    "remittance_text, instructed_minor, instructed_currency, exchange_rate, charges_minor, "
    "charges_currency, reversal FROM recon_statement_lines "
    "WHERE match_status IN ('unmatched', 'exception', 'partial') AND status = 'BOOK' "
    "AND amount_minor > allocated_minor")


def lock_runs(session: Session) -> None:
    """Matching runs one at a time (PostgreSQL: a transaction-scoped advisory lock; SQLite has a
    single writer already). Taken before the lines are read, so a run never decides on lines
    another run is about to take."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _RUN_LOCK})


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def load_lines(session: Session, bank_account_id: int | None, statement_id: int | None
               ) -> list[R.LineView]:
    """The booked lines with money still unallocated, oldest value date first."""
    sql, params = _LINE_SQL, []
    if bank_account_id is not None:
        sql += " AND bank_account_id = ?"
        params.append(bank_account_id)
    if statement_id is not None:
        sql += " AND statement_id = ?"
        params.append(statement_id)
    sql += " ORDER BY value_date, id"
    with driver_errors(session, "load lines") as driver:
        if session.connection().dialect.name == "postgresql":
            sql = sql.replace("?", "%s")
        cur = driver.cursor()
        try:
            cur.execute(sql, params)
            rows = cur.fetchall()
        finally:
            cur.close()
    out = []
    for (lid, account, amount, ccy, direction, value_date, booking_date, debtor, creditor,
         e2e, strd, ustrd, instructed, instructed_ccy, rate, charges, charges_ccy,
         reversal) in rows:
        credit = direction == "CRDT"
        out.append(R.LineView(
            id=lid, bank_account_id=account, amount=amount, currency=ccy.strip(),
            direction=IN if credit else OUT, value_date=_day(value_date or booking_date),
            name=debtor if credit else creditor, end_to_end_id=e2e, structured_ref=strd,
            remittance_text=ustrd, instructed=instructed,
            instructed_currency=instructed_ccy.strip() if instructed_ccy else None,
            rate=None if rate is None else (rate if isinstance(rate, Decimal)
                                            else Decimal(str(rate))),
            stated_charges=charges if charges_ccy is not None and charges_ccy.strip() == ccy.strip()
            else None, reversal=bool(reversal)))
    return out


def load_existing(session: Session) -> dict[str, dict[str, Any]]:
    """Active matches that still take money (partials) or that the source may not know of yet
    (not posted), locked: a concurrent run or manual action waits, so partial amounts never
    race."""
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


def add_settled(session: Session, existing: dict[str, dict[str, Any]],
                instruction_ids: Sequence[str]) -> None:
    """Instructions the source still lists as open though a complete match stands (its view
    lags): they are treated as settled, so a second payment for one goes to the queue."""
    todo = [i for i in instruction_ids if i not in existing]
    for mid, iid, settled, charges, expected in select_where_in(
            session, "SELECT id, instruction_id, settled_minor, charges_minor, expected_minor "
            "FROM recon_matches WHERE status = 'active' AND complete = ? AND instruction_id {IN}",
            todo, (True,)):
        existing[iid] = {"id": mid, "settled": settled, "charges": charges,
                         "covered": expected, "complete": True}


_REVERSAL_REFS = ("end_to_end_id", "uetr", "structured_ref", "entry_ref")


def reversed_originals(session: Session, reversals: Sequence[R.LineView]
                       ) -> dict[int, list[dict[str, Any]]]:
    """For each reversal line, the entries it may undo: booked lines of the same account that
    are not reversals themselves, of the same amount, sharing a reference (EndToEndId, UETR,
    structured reference or the bank's entry reference), on the other side -- or on the same
    side when there is none there (some banks repeat the original's indicator on the
    reversal). Each comes with the active match its money went to, if any."""
    if not reversals:
        return {}
    lines = StatementLineRecord
    out: dict[int, list[dict[str, Any]]] = {}
    rows = session.execute(select(lines).where(lines.id.in_([x.id for x in reversals]))
                           ).scalars().all()
    for rev in rows:
        refs = [getattr(lines, f) == getattr(rev, f) for f in _REVERSAL_REFS
                if getattr(rev, f)]
        if not refs:
            out[rev.id] = []
            continue
        found = session.execute(select(lines).where(
            lines.bank_account_id == rev.bank_account_id, lines.id != rev.id,
            lines.reversal.is_(False), lines.status == "BOOK",
            lines.amount_minor == rev.amount_minor, lines.currency == rev.currency,
            or_(*refs)).order_by(lines.id)).scalars().all()
        other_side = [x for x in found if x.direction != rev.direction]
        chosen = other_side or found
        matches: dict[int, Any] = {}
        if chosen:
            m, a = MATCHES.c, ALLOCS.c
            for line_id, mid, iid, ref in session.execute(
                    select(a.line_id, m.id, m.instruction_id, m.reference)
                    .join(MATCHES, m.id == a.match_id)
                    .where(a.line_id.in_([x.id for x in chosen]), m.status == "active")
                    .order_by(m.id)).all():
                matches.setdefault(line_id, (mid, iid, ref))
        out[rev.id] = []
        for x in chosen:
            mid, iid, ref = matches.get(x.id, (None, None, None))
            out[rev.id].append({"line_id": x.id, "direction": x.direction,
                                "date": x.value_date or x.booking_date, "match_id": mid,
                                "instruction_id": iid, "reference": ref})
    return out


def open_exceptions(session: Session) -> list[tuple[int, int | None, str | None]]:
    e = EXCEPTIONS.c
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(e.id, e.line_id, e.instruction_id).where(e.status == "open")).all()]


_MATCH_COLUMNS = (
    "id", "instruction_id", "reference", "direction", "rule", "score", "parts", "status",
    "complete", "currency", "expected_minor", "expected_currency", "settled_minor",
    "charges_minor", "written_off_minor", "ledger_account_id", "created_at", "created_by")
_ALLOC_COLUMNS = ("match_id", "line_id", "amount_minor", "charges_minor")
_EXC_COLUMNS = ("bank_account_id", "kind", "status", "line_id", "instruction_id", "currency",
                "amount_minor", "item_date", "candidates", "note", "created_at")


def _mark_lines(session: Session, amounts: dict[int, int]) -> None:
    """Add each line's allocation and mark it matched (all of it is allocated by a run)."""
    if not amounts:
        return
    ids, deltas = list(amounts), list(amounts.values())
    with driver_errors(session, "allocate statement lines") as driver:
        if session.connection().dialect.name == "postgresql":
            with driver.cursor() as cur:
                cur.execute(
                    "UPDATE recon_statement_lines AS l SET match_status = 'matched', "
                    "allocated_minor = l.allocated_minor + u.d FROM unnest(%s::bigint[], "
                    "%s::bigint[]) AS u(id, d) WHERE l.id = u.id", (ids, deltas))
            return
        cur = driver.cursor()
        try:
            cur.executemany("UPDATE recon_statement_lines SET match_status = 'matched', "
                            "allocated_minor = allocated_minor + ? WHERE id = ?",
                            list(zip(deltas, ids)))
        finally:
            cur.close()


def write_run(session: Session, m: MatcherState, *, at: dt.datetime, actor: str,
              open_line_exceptions: dict[int, int],
              progress: Callable[[str], None] | None = None) -> MatchSummary:
    """Store the run's matches, allocations, line states and exceptions in bulk."""
    say = progress or (lambda _m: None)
    summary = MatchSummary()
    # in instruction order (the unique index's order) and lines by id: neighbouring rows share
    # pages, which SQLite's page cache and PostgreSQL's buffers both reward
    new = sorted((a for a in m.active.values() if a.match_id is None),
                 key=lambda a: a.pay.instruction_id)
    extended = [a for a in m.active.values() if a.match_id is not None]
    for a, mid in zip(new, next_ids(session, MATCHES, len(new))):
        a.match_id = mid
    try:
        insert_rows(session, MATCHES, _MATCH_COLUMNS, (
            (a.match_id, a.pay.instruction_id, a.pay.reference[:64], a.pay.direction, a.rule,
             a.score, json.dumps(a.parts, sort_keys=True, default=str), "active", a.complete,
             a.currency, to_minor(a.pay.amount), a.pay.currency, a.settled, a.charges, 0,
             a.pay.ledger_account_id, at, actor) for a in new))
        say("  matches stored")
        if extended:
            c = MATCHES.c
            session.execute(
                update(MATCHES).where(c.id == bindparam("b_id")).values(
                    settled_minor=bindparam("b_settled"), charges_minor=bindparam("b_charges"),
                    complete=bindparam("b_complete"), posted_at=None),
                [{"b_id": a.match_id, "b_settled": a.prior_settled + a.settled,
                  "b_charges": a.prior_charges + a.charges, "b_complete": a.complete}
                 for a in extended])
        insert_rows(session, ALLOCS, _ALLOC_COLUMNS, sorted(
            (m.active[iid].match_id, line_id, amount, charges)
            for iid, line_id, amount, charges in m.allocations))
        say("  allocations stored")
        _mark_lines(session, {lid: m.line_amounts[lid] for lid in sorted(m.matched_lines)})
        say("  lines marked")
    except IntegrityError:
        raise AlreadyMatched("another run or a manual match took one of these instructions or "
                             "lines meanwhile; nothing was written, run again") from None
    # exceptions: keep an open one for a line that is still an exception, add the new ones; a
    # reversal restates its line's open item (what it undoes, and that match, may have moved)
    exc_rows = []
    restated = []
    for e in m.exceptions:
        summary.exceptions[e.kind] += 1
        line, pay = e.line, e.pay
        iid = (pay.instruction_id if pay else (e.candidates[0]["instruction_id"]
                                               if e.kind in ("difference", "already_matched")
                                               or (e.kind == "reversal" and e.candidates)
                                               else None))
        candidates = json.dumps(e.candidates, sort_keys=True, default=str)
        if line is not None and line.id in open_line_exceptions:
            if e.kind == "reversal":
                restated.append({"b_id": open_line_exceptions[line.id], "b_kind": e.kind,
                                 "b_iid": iid, "b_candidates": candidates, "b_note": e.note})
            continue
        exc_rows.append((
            line.bank_account_id if line else None, e.kind, "open", line.id if line else None,
            iid, line.currency if line else pay.currency,  # type: ignore[union-attr]
            line.amount if line else m.remaining[pay.instruction_id],  # type: ignore[union-attr]
            line.value_date if line else pay.due_date,  # type: ignore[union-attr]
            candidates, e.note, at))
    insert_rows(session, EXCEPTIONS, _EXC_COLUMNS, exc_rows)
    if restated:
        c = EXCEPTIONS.c
        session.execute(update(EXCEPTIONS).where(c.id == bindparam("b_id")).values(
            kind=bindparam("b_kind"), instruction_id=bindparam("b_iid"),
            candidates=bindparam("b_candidates"), note=bindparam("b_note")), restated)
    update_by_id(session, LINES, sorted(e.line.id for e in m.exceptions if e.line is not None),
                 {"match_status": "exception"})
    resolved = [eid for lid, eid in open_line_exceptions.items() if lid in m.matched_lines]
    update_by_id(session, EXCEPTIONS, resolved,
                 {"status": "resolved", "resolved_at": at, "resolved_by": actor,
                  "resolution": "auto_matched"})
    summary.resolved_exceptions = len(resolved)
    summary.matches = len(new)
    summary.matched_lines = len(m.matched_lines)
    summary.by_rule.update(m.matched_lines.values())
    return summary


__all__ = ["add_settled", "load_existing", "load_lines", "lock_runs", "open_exceptions",
           "reversed_originals", "write_run"]
