"""The whole-ledger invariant check behind ``flask --app wsgi ledger check``.

Each query aggregates in the database; the problems come back as sentences naming what is off
(at most ``limit`` per kind), an empty list when the ledger is sound.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from kernel.money import from_minor

_SIGNED = "CASE WHEN p.side = 'debit' THEN p.amount_minor ELSE -p.amount_minor END"
_NORMAL = ("CASE WHEN p.side = a.normal_side THEN p.amount_minor ELSE -p.amount_minor END")


def _amount(minor: int, currency: str) -> str:
    return f"{from_minor(minor, currency).amount} {currency}"


def check_ledger(session: Session, limit: int = 20) -> list[str]:
    """Prove the invariants; return one line per problem found."""
    problems: list[str] = []
    q = session.execute
    for ccy, diff in q(text(
            f"SELECT p.currency, SUM({_SIGNED}) FROM ledger_postings p GROUP BY p.currency "
            f"HAVING SUM({_SIGNED}) <> 0 ORDER BY p.currency")):
        problems.append(f"currency {ccy} does not sum to zero: debits - credits = "
                        f"{_amount(diff, ccy)}")
    for tid, ccy, diff in q(text(
            f"SELECT p.transfer_id, p.currency, SUM({_SIGNED}) FROM ledger_postings p "
            f"GROUP BY p.transfer_id, p.currency HAVING SUM({_SIGNED}) <> 0 "
            f"ORDER BY p.transfer_id LIMIT :n"), {"n": limit}):
        problems.append(f"transfer {tid} is unbalanced in {ccy}: debits - credits = "
                        f"{_amount(diff, ccy)}")
    for tid, n in q(text(
            "SELECT t.id, COUNT(p.id) FROM ledger_transfers t LEFT JOIN ledger_postings p "
            "ON p.transfer_id = t.id GROUP BY t.id HAVING COUNT(p.id) < 2 ORDER BY t.id "
            "LIMIT :n"), {"n": limit}):
        problems.append(f"transfer {tid} has {n} posting(s), fewer than two")
    for aid, ccy, kept, summed in q(text(
            f"SELECT a.id, a.currency, a.posted_minor, COALESCE(SUM({_NORMAL}), 0) "
            f"FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id "
            f"GROUP BY a.id, a.currency, a.posted_minor "
            f"HAVING a.posted_minor <> COALESCE(SUM({_NORMAL}), 0) ORDER BY a.id LIMIT :n"),
            {"n": limit}):
        problems.append(f"account {aid}: running balance {_amount(kept, ccy)} but its postings "
                        f"sum to {_amount(summed, ccy)}")
    for aid, pid, ccy, after, expected in q(text(
            f"SELECT account_id, id, currency, balance_after, expected FROM ("
            f" SELECT p.account_id, p.id, p.currency, p.balance_after,"
            f"  SUM({_NORMAL}) OVER (PARTITION BY p.account_id ORDER BY p.id"
            f"   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS expected"
            f" FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id) c "
            f"WHERE balance_after <> expected ORDER BY account_id, id LIMIT :n"), {"n": limit}):
        problems.append(f"account {aid}: posting {pid} says balance after "
                        f"{_amount(after, ccy)}, the chain gives {_amount(expected, ccy)}")
    for aid, ccy, kept, held in q(text(
            "SELECT a.id, a.currency, a.pending_minor, COALESCE(SUM(h.amount_minor), 0) "
            "FROM ledger_accounts a LEFT JOIN ledger_holds h "
            "ON h.account_id = a.id AND h.state = 'pending' "
            "GROUP BY a.id, a.currency, a.pending_minor "
            "HAVING a.pending_minor <> COALESCE(SUM(h.amount_minor), 0) ORDER BY a.id LIMIT :n"),
            {"n": limit}):
        problems.append(f"account {aid}: pending {_amount(kept, ccy)} but its pending holds "
                        f"sum to {_amount(held, ccy)}")
    for aid, ccy, avail in q(text(
            "SELECT id, currency, posted_minor - pending_minor FROM ledger_accounts "
            "WHERE no_negative AND posted_minor - pending_minor < 0 ORDER BY id LIMIT :n"),
            {"n": limit}):
        problems.append(f"account {aid} must not go negative but has {_amount(avail, ccy)} "
                        f"available")
    for pid, aid in q(text(
            "SELECT p.id, p.account_id FROM ledger_postings p JOIN ledger_accounts a "
            "ON a.id = p.account_id WHERE p.currency <> a.currency ORDER BY p.id LIMIT :n"),
            {"n": limit}):
        problems.append(f"posting {pid} is not in its account {aid}'s currency")
    return problems
