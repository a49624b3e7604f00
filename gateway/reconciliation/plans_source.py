"""Settlement instructions as the payments reconciliation expects on the bank statements.

The gateway is the one place that knows both: reconciliation matches statement lines against
``ExpectedPayment`` values and books each match (bank against suspense, charges to bank
charges); this source then tells the plans module that the buyer's money arrived, which moves
it from suspense to the buyer's escrow and the instruction to ``funds_received``.

Payouts too: the plans module books a payout sent into transit (the exchange's suspense
account); the statement debit that shows it leaving is matched to the instruction (its reference
in EndToEndId, or amount, date and payee), booked bank against suspense, and the instruction is
settled without a second booking. A payout finance already confirmed by hand is no longer
expected, so its statement line goes to the exceptions queue instead of being booked twice.

Unmatching a receipt undoes it in the plans module too (the instruction is due again) while the
money is still in the buyer's escrow; once it has moved on, the unmatch is refused.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import Clock
from kernel.parties import Organisation
from settlement.plans.models import SettlementInstruction
from settlement.plans.errors import TransitionRefused
from settlement.plans.service import confirm_payout, record_funds_received, undo_funds_received
from settlement.reconciliation.expected import (
    IN, OUT, ExpectedPayment, ReversalNotice, SettlementNotice,
)

#: instructions whose pay-in may still arrive (a buyer may pay before run-due marks it due)
AWAITING_FUNDS = ("scheduled", "due")
#: instructions whose payout was sent and is not yet seen leaving the bank
AWAITING_STATEMENT = ("paid_out",)
#: an instruction's payout is expected under its own id: its pay-in has a match already
PAYOUT_SUFFIX = "/out"
#: the bank reference the plans module records for money a reconciliation match reported
MATCH_REF = "recon-match-"


def _split(expected_id: str) -> tuple[int | None, bool]:
    """The instruction id behind an expected payment's id, and whether it is the payout."""
    payout = expected_id.endswith(PAYOUT_SUFFIX)
    raw = expected_id[:-len(PAYOUT_SUFFIX)] if payout else expected_id
    return (int(raw) if raw.isdigit() else None), payout


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

    def _payout(self, session: Session, instr: SettlementInstruction) -> ExpectedPayment:
        payee = session.get(Organisation, instr.payee_org_id)
        assert instr.paid_out_at is not None and instr.payout is not None
        return ExpectedPayment(
            instruction_id=f"{instr.id}{PAYOUT_SUFFIX}", reference=instr.ref,
            rf_reference=instr.rf_reference, amount=instr.payout, direction=OUT, due_date=instr.paid_out_at.date(),
            counterparty_name=payee.legal_name_latin if payee else None,
            ledger_account_id=None,  # suspense: where pay_out left it in transit
            charge_bearer="OUR", partial_allowed=False)

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
        sent = select(SettlementInstruction).where(
            SettlementInstruction.status.in_(AWAITING_STATEMENT),
            SettlementInstruction.payout_minor.is_not(None))
        if currency is not None:
            sent = sent.where(SettlementInstruction.payout_currency == currency)
        for instr in session.execute(sent.order_by(SettlementInstruction.id)).scalars():
            yield self._payout(session, instr)

    def payments(self, session: Session, instruction_ids: Sequence[str]) -> Mapping[str, ExpectedPayment]:
        wanted = {i: _split(str(i)) for i in instruction_ids}
        ids = {n for n, _out in wanted.values() if n is not None}
        rows = {r.id: r for r in session.execute(select(SettlementInstruction).where(
            SettlementInstruction.id.in_(ids))).scalars()}
        out: dict[str, ExpectedPayment] = {}
        for key, (n, payout) in wanted.items():
            instr = rows.get(n) if n is not None else None
            if instr is None:
                continue
            if payout and instr.status in AWAITING_STATEMENT and instr.payout_minor is not None:
                # only while in transit: a settled payout was booked out of transit already, so
                # matching a statement line to it by hand would book it twice
                out[key] = self._payout(session, instr)
            elif not payout and instr.payin_minor is not None:
                out[key] = self._expected(session, instr)
        return out

    def funds_received(self, session: Session, notices: Sequence[SettlementNotice]) -> None:
        for notice in notices:
            if not notice.complete:
                continue  # partial payments wait in suspense until the last one arrives
            instr = session.get(SettlementInstruction, int(notice.instruction_id))
            record_funds_received(session, instr.id, instr.payin, now=self.clock.now(), actor=notice.actor,
                                  bank_ref=f"{MATCH_REF}{notice.match_id}", from_purpose="suspense")

    def funds_paid_out(self, session: Session, notices: Sequence[SettlementNotice]) -> None:
        for notice in notices:
            n, payout = _split(notice.instruction_id)
            if notice.complete and payout and n is not None:  # a settled one is a replay
                confirm_payout(session, n, now=self.clock.now(),
                               actor=notice.actor, bank_ref=f"{MATCH_REF}{notice.match_id}",
                               bank_booked=True)

    def settlement_reverted(self, session: Session, notice: ReversalNotice) -> None:
        """Finance unmatched: a receipt this match reported is undone (the instruction is due
        again, the buyer's escrow credit reversed into suspense, where the unmatch left the
        money's debit). Refused with ``TransitionRefused`` -- and the unmatch with it, in the
        same transaction -- once the money has moved on from the escrow, or for a payout the
        match confirmed (settled). A partial match told the plans module nothing."""
        n, payout = _split(notice.instruction_id)
        instr = session.get(SettlementInstruction, n) if n is not None else None
        if instr is None:
            return
        if payout:
            if instr.status == "settled":
                raise TransitionRefused(
                    f"{instr.ref} is settled: its payout was confirmed from this statement "
                    "line, so the match cannot be undone here; correct it by hand",
                    field="match_id", status=instr.status, target="paid_out")
            return
        if instr.received_bank_ref == f"{MATCH_REF}{notice.match_id}":
            undo_funds_received(session, instr.id, now=self.clock.now(), actor=notice.actor,
                                reason=f"reconciliation match {notice.match_id} undone: "
                                       f"{notice.reason}")

