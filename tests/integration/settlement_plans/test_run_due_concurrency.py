"""Two ``run-due`` runs at once pay every instruction once (threads on PostgreSQL, where rows
are really locked: ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers anyway)."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from sqlalchemy import func, select

from kernel.clock import FrozenClock
from kernel.db import Database
from kernel.money import Money
from settlement.ledger import Transfer, check_ledger
from settlement.plans import (
    DealTerms, Direction, Milestone, RatePolicy, RunSummary, Schedule, SettlementInstruction,
    TransactionType, create_plan, get_plan, run_due,
)
from settlement.plans.service import record_funds_received

from .conftest import ACTOR, CONFIG, TaxFilingGate, add_rates, add_world, filings_metadata

N = 12


def test_two_runs_at_once_pay_each_instruction_once(pg_db_url: str, clock: FrozenClock) -> None:
    db = Database(pg_db_url)
    try:
        filings_metadata.create_all(db.engine)
        with db.transaction() as s:
            add_rates(s, clock.now())
            w = add_world(s, clock.now())
            # twelve USD 4,000.00 milestones, all due today, paid in CNY by the domestic buyer
            terms = DealTerms(
                deal_id=7, deal_ref="D-RACE", direction=Direction.INBOUND,
                buyer_org_id=w.buyer_cn, seller_org_id=w.seller_us, subcentre_id=w.us,
                contract_currency="USD", payin_currency="CNY", payout_currency="USD",
                price=Money(f"{4000 * N}.00", "USD"),
                schedule=Schedule(milestones=tuple(
                    Milestone(f"m{k}", Money("4000.00", "USD"), due_on=dt.date(2026, 11, 23))
                    for k in range(N))),
                transaction_type=TransactionType.LICENCE, rate_policy=RatePolicy.LOCK,
                payee_tax_residency="US", treaty_residency_proof_ref="IRS-6166-2026")
            plan_id = create_plan(s, terms, now=clock.now(), actor=ACTOR, config=CONFIG).id
        gate = TaxFilingGate()
        assert run_due(db, now=clock.now(), gate=gate, config=CONFIG).made_due == N
        with db.transaction() as s:
            for instr in get_plan(s, plan_id).instructions:
                record_funds_received(s, instr.id, instr.payin, now=clock.now(), actor=ACTOR)

        barrier = threading.Barrier(2)
        results: list[RunSummary] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait(timeout=30)
                results.append(run_due(db, now=clock.now(), gate=gate, config=CONFIG,
                                       actor=f"system:run-due:{threading.get_ident()}"))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert sum(r.paid_out for r in results) == N
        assert sum(r.released for r in results) == N
        with db.session() as s:
            statuses = s.execute(select(SettlementInstruction.status).where(
                SettlementInstruction.plan_id == plan_id)).scalars().all()
            assert statuses == ["paid_out"] * N
            paid = s.execute(select(func.count()).select_from(Transfer).where(
                Transfer.key.like("settlement:%:paid_out"))).scalar()
            assert paid == N
            assert check_ledger(s) == []
        # and a third run afterwards finds nothing to do
        again = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
        assert (again.paid_out, again.made_due, again.released) == (0, 0, 0)
        assert Decimal(N) == Decimal(len(statuses))
    finally:
        db.engine.dispose()
