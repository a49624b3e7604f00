"""Posting matches to the ledger and telling the expected-payment source, idempotently.

Each allocation not yet posted becomes one balanced transfer with key
``recon:<line>:<instruction>:<match>``: the bank account's ledger account against the
instruction's account (the source's ``ledger_account_id``, or suspense when it gave none or the
currencies differ), charges within tolerance to ``bank_charges``. A replay of the same key is
the same transfer, so a crash between posting and marking is safe to run again. Then the source
hears of each match once per posting: ``funds_received`` for receipts, ``funds_paid_out`` for
payouts, in batches.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from kernel.money import from_minor
from settlement.ledger import Account, TransferSpec, credit, debit, get_or_open_account
from settlement.ledger import post_transfers
from settlement.reconciliation.expected import IN, ExpectedPaymentSource, SettlementNotice
from settlement.reconciliation.models import Allocation, BankAccount, Match, StatementLineRecord

ALLOCS = Allocation.__table__
MATCHES = Match.__table__
LINES = StatementLineRecord.__table__
SYSTEM = "system:reconciliation"


@dataclass(frozen=True)
class PostingSummary:
    transfers: int
    replayed: int
    matches: int
    notices_in: int
    notices_out: int


class _Accounts:
    """Ledger account ids looked up or opened once per posting run."""

    def __init__(self, session: Session, at: dt.datetime, actor: str) -> None:
        self.session, self.at, self.actor = session, at, actor
        self._cache: dict[tuple[str, str], int] = {}
        self._currency: dict[int, str] = {}

    def exchange(self, purpose: str, currency: str) -> int:
        key = (purpose, currency)
        if key not in self._cache:
            self._cache[key] = get_or_open_account(
                self.session, owner_type="exchange", owner_id=0, purpose=purpose,
                currency=currency, at=self.at, actor=self.actor).id
        return self._cache[key]

    def currency_of(self, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self._currency]
        if missing:
            a = Account.__table__.c
            for r in self.session.execute(select(a.id, a.currency).where(a.id.in_(missing))):
                self._currency[r.id] = r.currency

    def target(self, wanted: int | None, currency: str) -> int:
        if wanted is not None and self._currency.get(wanted) == currency:
            return wanted
        return self.exchange("suspense", currency)


def _legs(row: Any, bank: int, target: int, charges_account: int | None) -> list[Any]:
    ccy = row.currency
    amount = from_minor(row.amount_minor, ccy)
    legs = []
    if row.direction == IN:
        legs.append(debit(bank, amount))
        legs.append(credit(target, from_minor(row.amount_minor + row.charges_minor, ccy)))
        if row.charges_minor:
            legs.append(debit(charges_account, from_minor(row.charges_minor, ccy)))
    else:
        legs.append(credit(bank, amount))
        net = row.amount_minor - row.charges_minor
        if net > 0:
            legs.append(debit(target, from_minor(net, ccy)))
        if row.charges_minor:
            legs.append(debit(charges_account, from_minor(row.charges_minor, ccy)))
    return legs


def transfer_key(line_id: int, instruction_id: str, match_id: int) -> str:
    return f"recon:{line_id}:{instruction_id}:{match_id}"[:128]


def post_matches(session: Session, source: ExpectedPaymentSource, *, at: dt.datetime,
                 actor: str = SYSTEM, match_ids: Sequence[int] | None = None,
                 batch: int = 1000, progress: Callable[[str], None] | None = None
                 ) -> PostingSummary:
    """Post every allocation of an active match not yet posted (or only ``match_ids``'), mark
    them, and notify the source. In the caller's transaction."""
    say = progress or (lambda _m: None)
    a, m, ln = ALLOCS.c, MATCHES.c, LINES.c
    stmt = (select(a.id, a.match_id, a.line_id, a.amount_minor, a.charges_minor,
                   m.instruction_id, m.direction, m.ledger_account_id, m.complete, m.rule,
                   m.written_off_minor, m.expected_currency,
                   ln.currency, ln.bank_account_id, ln.value_date, ln.instructed_minor,
                   ln.instructed_currency, ln.exchange_rate)
            .join(MATCHES, m.id == a.match_id).join(LINES, ln.id == a.line_id)
            .where(a.transfer_id.is_(None), m.status == "active"))
    if match_ids is not None:
        stmt = stmt.where(a.match_id.in_(list(match_ids)))
    rows = session.execute(stmt.order_by(a.id)).all()
    if not rows:
        return PostingSummary(0, 0, 0, 0, 0)
    accounts = _Accounts(session, at, actor)
    banks = dict(session.execute(select(BankAccount.id, BankAccount.ledger_account_id)).all())
    accounts.currency_of({r.ledger_account_id for r in rows if r.ledger_account_id})
    posted = replayed = 0
    transfer_of: dict[int, int] = {}
    target_of: dict[int, int] = {}
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        specs = []
        for r in chunk:
            target = accounts.target(r.ledger_account_id, r.currency)
            target_of[r.match_id] = target
            charges = accounts.exchange("bank_charges", r.currency) if r.charges_minor else None
            specs.append(TransferSpec(
                transfer_key(r.line_id, r.instruction_id, r.match_id),
                _legs(r, banks[r.bank_account_id], target, charges),
                description=f"reconciliation: line {r.line_id} {r.direction} "
                            f"{r.instruction_id}"[:255]))
        results = post_transfers(session, specs, at=at, actor=actor)
        for r, res in zip(chunk, results):
            transfer_of[r.id] = res.id
            replayed += res.replayed
            posted += not res.replayed
        say(f"  posted {min(start + batch, len(rows))}/{len(rows)} allocations")
    session.execute(update(ALLOCS).where(a.id == bindparam("b_id"))
                    .values(transfer_id=bindparam("b_tid")),
                    [{"b_id": k, "b_tid": v} for k, v in transfer_of.items()])
    by_match: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_match[r.match_id].append(r)
    ids = list(by_match)
    for start in range(0, len(ids), 5000):
        session.execute(update(MATCHES).where(m.id.in_(ids[start:start + 5000]))
                        .values(posted_at=at))
    notices_in, notices_out = [], []
    for mid, group in by_match.items():
        first = group[0]
        ccy = first.currency
        charges = sum(g.charges_minor for g in group)
        notice = SettlementNotice(
            match_id=mid, instruction_id=first.instruction_id, direction=first.direction,
            amount=from_minor(sum(g.amount_minor for g in group), ccy),
            charges=from_minor(charges, ccy) if charges else None,
            written_off=(from_minor(first.written_off_minor, first.expected_currency)
                         if first.written_off_minor else None),
            instructed=(from_minor(first.instructed_minor, first.instructed_currency)
                        if first.instructed_minor is not None and first.instructed_currency
                        else None),
            exchange_rate=first.exchange_rate, complete=bool(first.complete),
            line_ids=tuple(g.line_id for g in group), rule=first.rule,
            value_date=first.value_date, transfer_ids=tuple(transfer_of[g.id] for g in group),
            credited_account_id=target_of[mid], actor=actor)
        (notices_in if first.direction == IN else notices_out).append(notice)
    for start in range(0, max(len(notices_in), len(notices_out)), batch):
        if notices_in[start:start + batch]:
            source.funds_received(session, notices_in[start:start + batch])
        if notices_out[start:start + batch]:
            source.funds_paid_out(session, notices_out[start:start + batch])
    return PostingSummary(posted, replayed, len(by_match), len(notices_in), len(notices_out))


__all__ = ["PostingSummary", "post_matches", "transfer_key"]
