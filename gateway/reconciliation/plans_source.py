"""Settlement instructions as the payments reconciliation expects on the bank statements.

The gateway is the one place that knows both: reconciliation matches statement lines against
``ExpectedPayment`` values and books each match (bank against suspense, charges to bank
charges); this source then tells the plans module that the buyer's money arrived, which moves
it from suspense to the buyer's escrow and the instruction to ``funds_received``.

Receipts only, for now: payouts are confirmed by finance (``payout-confirmed``), because the
plans module books a payout at the bank when it pays out, and a second booking by
reconciliation would count it twice.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import Clock
from kernel.parties import Organisation
from settlement.plans.models import SettlementInstruction
from settlement.plans.service import record_funds_received
from settlement.reconciliation.expected import (
    IN, ExpectedPayment, ReversalNotice, SettlementNotice,
)

#: instructions whose pay-in may still arrive (a buyer may pay before run-due marks it due)
AWAITING_FUNDS = ("scheduled", "due")


class PlansPaymentSource:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def _expected(self, session: Session, instr: SettlementInstruction) -> ExpectedPayment:
        payer = session.get(Organisation, instr.payer_org_id)
        return ExpectedPayment(
            instruction_id=str(instr.id), reference=instr.ref, rf_reference=instr.rf_reference,
            amount=instr.payin, direction=IN, due_date=instr.due_on or instr.created_at.date(),
            counterparty_name=payer.legal_name_latin if payer else None,
            ledger_account_id=None,  # suspense: the plans module moves it to escrow on notice
            charge_bearer="SHA")

    def open_payments(self, session: Session, *, currency: str | None, since: dt.date,
                      until: dt.date) -> Iterable[ExpectedPayment]:
        stmt = select(SettlementInstruction).where(
            SettlementInstruction.status.in_(AWAITING_FUNDS),
            SettlementInstruction.payin_minor.is_not(None))
        if currency is not None:
            stmt = stmt.where(SettlementInstruction.payin_currency == currency)
        for instr in session.execute(stmt.order_by(SettlementInstruction.id)).scalars():
            due = instr.due_on
            if due is None or since <= due <= until:
                yield self._expected(session, instr)

    def payments(self, session: Session, instruction_ids: Sequence[str]) -> Mapping[str, ExpectedPayment]:
        ids = [int(i) for i in instruction_ids if str(i).isdigit()]
        rows = session.execute(select(SettlementInstruction).where(
            SettlementInstruction.id.in_(ids), SettlementInstruction.payin_minor.is_not(None))).scalars()
        return {str(r.id): self._expected(session, r) for r in rows}

    def funds_received(self, session: Session, notices: Sequence[SettlementNotice]) -> None:
        for notice in notices:
            if not notice.complete:
                continue  # partial payments wait in suspense until the last one arrives
            instr = session.get(SettlementInstruction, int(notice.instruction_id))
            record_funds_received(session, instr.id, instr.payin, now=self.clock.now(), actor=notice.actor,
                                  bank_ref=f"recon-match-{notice.match_id}", from_purpose="suspense")

    def funds_paid_out(self, session: Session, notices: Sequence[SettlementNotice]) -> None:
        return None  # no outgoing payments are offered (see the module docstring)

    def settlement_reverted(self, session: Session, notice: ReversalNotice) -> None:
        # an unmatch after the instruction moved on is finance's to resolve by hand; the audit
        # trail has both the match and its reversal
        return None

