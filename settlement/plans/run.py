"""``run_due``: the periodic step that moves instructions on (``flask settlement run-due``).

It closes ended royalty years (minimum royalty top-ups), makes due what is due, asks the
payment gate about what is funded (or held), and converts and pays out what is released.
Each instruction is handled in a transaction of its own with its row locked ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so two runs at once share the work instead of doing it twice (a
row another run holds is skipped; the status is re-read under the lock). On SQLite the
writing transaction's ``BEGIN IMMEDIATE`` serialises runs. Every step's ledger key is derived
from the instruction and the step, so even a step retried after a crash posts once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import or_, select

from kernel.db import Database
from kernel.errors import DomainError

from .config import PlanConfig
from .gate import PaymentGate
from .models import SettlementInstruction, SettlementPlan
from .service import close_royalty_years
from .steps import convert_proceeds, mark_due, pay_out, release

ADVANCING = ("funds_received", "held", "compliance_released", "converted")


@dataclass
class RunSummary:
    """What one run did; ``skipped`` counts rows another run held at the time."""

    topups: int = 0
    made_due: int = 0
    released: int = 0
    held: int = 0
    converted: int = 0
    paid_out: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.made_due} due, {self.released} released, {self.held} held, "
                f"{self.converted} converted, {self.paid_out} paid out, {self.topups} minimum "
                f"royalty top-ups, {self.skipped} skipped (locked by another run), "
                f"{len(self.errors)} errors")


def _candidates(db: Database, today: dt.date) -> tuple[list[int], list[int], list[int]]:
    i = SettlementInstruction
    with db.session() as s:
        plans = list(s.execute(select(SettlementPlan.id).where(
            SettlementPlan.royalty_starts_on.is_not(None), SettlementPlan.status == "active")
            .order_by(SettlementPlan.id)).scalars())
        due = list(s.execute(select(i.id).where(
            i.status == "scheduled", i.due_on.is_not(None), i.due_on <= today,
            or_(i.due_event.is_(None), i.event_recorded_at.is_not(None))).order_by(i.id)).scalars())
        moving = list(s.execute(select(i.id).where(i.status.in_(ADVANCING)).order_by(i.id))
                      .scalars())
    return plans, due, moving


def run_due(db: Database, *, now: dt.datetime, gate: PaymentGate, actor: str = "system:run-due",
            config: PlanConfig | None = None,
            progress: Callable[[str], None] = lambda _: None) -> RunSummary:
    """Move every instruction as far as it can go today; safe to run twice, even at once."""
    config = config or PlanConfig()
    summary = RunSummary()
    plans, due, moving = _candidates(db, now.date())
    for plan_id in plans:
        with db.transaction() as s:
            summary.topups += len(close_royalty_years(s, plan_id, now=now, actor=actor,
                                                      config=config))
    if summary.topups:  # top-ups are due today: pick them up in this run
        _, due, _ = _candidates(db, now.date())
    progress(f"{len(due)} instructions to make due, {len(moving)} to move on")
    for n, instr_id in enumerate(due + moving, 1):
        try:
            _advance(db, instr_id, instr_id in due, now=now, gate=gate, actor=actor,
                     config=config, summary=summary)
        except DomainError as exc:
            # this instruction's transaction is rolled back; the others go on, and the run
            # reports it (the CLI exits 1)
            summary.errors.append(f"instruction {instr_id}: {exc.code}: {exc.detail}")
            progress(f"  instruction {instr_id} not moved: {exc.detail}")
        if n % 100 == 0:
            progress(f"  {n}/{len(due) + len(moving)}")
    progress(str(summary))
    return summary


def _advance(db: Database, instr_id: int, make_due: bool, *, now: dt.datetime,
             gate: PaymentGate, actor: str, config: PlanConfig, summary: RunSummary) -> None:
    """Move one instruction as far as it goes, in one transaction under its row lock; the
    summary counts only what was committed."""
    done: list[str] = []
    with db.transaction() as s:
        instr = s.execute(select(SettlementInstruction).where(
            SettlementInstruction.id == instr_id)
            .with_for_update(skip_locked=True)).scalar_one_or_none()
        if instr is None:
            summary.skipped += 1
            return
        plan = instr.plan
        if instr.status == "scheduled" and make_due:
            mark_due(s, plan, instr, now=now, actor=actor, config=config)
            done.append("made_due")
        if instr.status in ("funds_received", "held"):
            decision = release(s, plan, instr, gate, now=now, actor=actor, config=config)
            done.append("released" if decision.released else "held")
        if instr.status == "compliance_released":
            convert_proceeds(s, plan, instr, now=now, actor=actor, config=config)
            done.append("converted")
        if instr.status == "converted":
            pay_out(s, plan, instr, now=now, actor=actor)
            done.append("paid_out")
    for what in done:
        setattr(summary, what, getattr(summary, what) + 1)
