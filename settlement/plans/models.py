"""Settlement plans, their instructions and each instruction's figures.

A plan is a deal's payment terms made concrete: parties, the three currencies, the rate
policy and the locks taken at deal time, the fee and tax rules in force. Each instruction is
one payment (upfront fee, milestone, royalty, minimum-royalty top-up) with its human
reference, its ISO 11649 RF reference, the amounts in the contract, pay-in and payout
currencies, and a status from ``lifecycle.TRANSITIONS``. Each line is one figure of an
instruction (gross, fee shares, VAT, withholding, FX margin, net) with its rule and rate.

Money is integer minor units beside a currency code (``kernel.db``); rates are ``ExactDecimal``.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, ExactDecimal, MoneyField, UTCDateTime, currency_column, minor_column

from .lifecycle import STATUSES
from .terms import Direction, RatePolicy, RoyaltyPeriod, TransactionType

ID = BigInteger().with_variant(Integer, "sqlite")

PLAN_STATUSES = ("active", "completed", "cancelled")
INSTRUCTION_KINDS = ("upfront", "milestone", "royalty", "royalty_topup")
LINE_KINDS = ("gross", "fee_exchange", "fee_subcentre", "fee_broker", "vat", "withholding",
              "fx_margin", "net")


def _in(column: str, values: object) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"  # type: ignore[attr-defined]


class SettlementPlan(Base):
    """One deal's settlement plan (one per deal)."""

    __tablename__ = "settlement_plans"
    __table_args__ = (
        CheckConstraint(_in("direction", list(Direction)), name="direction"),
        CheckConstraint(_in("rate_policy", list(RatePolicy)), name="rate_policy"),
        CheckConstraint(_in("transaction_type", list(TransactionType)), name="transaction_type"),
        CheckConstraint(_in("status", PLAN_STATUSES), name="status"),
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("price_currency = contract_currency", name="price_in_contract_currency"),
        CheckConstraint("buyer_org_id <> seller_org_id", name="two_parties"),
        CheckConstraint("rate_policy = 'spot' OR payin_currency = contract_currency "
                        "OR payin_lock_id IS NOT NULL", name="lock_for_payin"),
        CheckConstraint("royalty_period IS NULL OR " + _in("royalty_period", list(RoyaltyPeriod)),
                        name="royalty_period"),
        CheckConstraint("(royalty_rate IS NULL) = (royalty_period IS NULL)", name="royalty_terms"),
        CheckConstraint("royalty_years_closed >= 0", name="royalty_years_closed"),
        CheckConstraint("fee_minimum_minor >= 0 AND fee_minimum_minor <= fee_cap_minor",
                        name="fee_bounds"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    deal_id: Mapped[int] = mapped_column(BigInteger)
    deal_ref: Mapped[str] = mapped_column(String(64), unique=True)
    contract_ref: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    subcentre_id: Mapped[int | None] = mapped_column(ForeignKey("sub_centres.id"), index=True)
    broker_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    contract_currency: Mapped[str] = currency_column()
    payin_currency: Mapped[str] = currency_column()
    payout_currency: Mapped[str] = currency_column()
    price_minor: Mapped[int] = minor_column()
    price_currency: Mapped[str] = currency_column()
    transaction_type: Mapped[str] = mapped_column(String(24))
    rate_policy: Mapped[str] = mapped_column(String(8))
    spread_bps: Mapped[Decimal] = mapped_column(ExactDecimal())
    payin_lock_id: Mapped[int | None] = mapped_column(ForeignKey("fx_rate_locks.id"))
    payout_lock_id: Mapped[int | None] = mapped_column(ForeignKey("fx_rate_locks.id"))
    fee_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    fee_minimum_minor: Mapped[int] = minor_column()
    fee_cap_minor: Mapped[int] = minor_column()
    #: exchange:sub-centre:broker weights after folding in absent parties, e.g. "60:30:10"
    fee_shares: Mapped[str] = mapped_column(String(32))
    payee_tax_residency: Mapped[str] = mapped_column(String(2))
    treaty_proof_ref: Mapped[str | None] = mapped_column(String(100))
    certification_ref: Mapped[str | None] = mapped_column(String(100))
    registration_ref: Mapped[str | None] = mapped_column(String(100))
    royalty_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    royalty_period: Mapped[str | None] = mapped_column(String(10))
    royalty_starts_on: Mapped[dt.date | None] = mapped_column(Date)
    royalty_minimum_minor: Mapped[int | None] = mapped_column(BigInteger)
    royalty_years_closed: Mapped[int] = mapped_column(Integer, default=0)
    #: the terms as given, canonical JSON (what the plan was built from)
    terms_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    price = MoneyField("price")
    instructions: Mapped[list["SettlementInstruction"]] = relationship(
        back_populates="plan", order_by="SettlementInstruction.seq")


class SettlementInstruction(Base):
    """One payment of a plan, from buyer (payer) to seller (payee), through the exchange.

    When a deposit is applied (an auction or fixed-price deal), the payer pays in the gross
    less the deposit (``deposit``, already in its escrow in the gross currency); the deposit
    is converted into the pay-in currency (``deposit_booked``) when the payment is released.

    Reconciliation matches incoming money on ``rf_reference`` (or ``ref``), the pay-in amount
    and currency and the payer; payouts on the payout amount and currency and the payee.
    """

    __tablename__ = "settlement_instructions"
    __table_args__ = (
        UniqueConstraint("plan_id", "seq"),
        UniqueConstraint("plan_id", "kind", "period_start"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("kind", INSTRUCTION_KINDS), name="kind"),
        CheckConstraint("gross_minor > 0", name="gross_positive"),
        CheckConstraint("deposit_minor >= 0 AND deposit_minor < gross_minor",
                        name="deposit_below_gross"),
        CheckConstraint("payin_minor IS NULL OR payin_minor > 0", name="payin_positive"),
        CheckConstraint("payout_minor IS NULL OR payout_minor > 0", name="payout_positive"),
        CheckConstraint("(status = 'held') = (held_reason IS NOT NULL)", name="held_has_reason"),
        CheckConstraint("due_on IS NOT NULL OR due_event IS NOT NULL", name="due_when"),
        CheckConstraint("status IN ('scheduled', 'cancelled') OR payin_minor IS NOT NULL",
                        name="priced_when_due"),
        CheckConstraint("status NOT IN ('paid_out', 'settled') OR payout_minor IS NOT NULL",
                        name="payout_known_when_paid"),
        Index("ix_settlement_instructions_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("settlement_plans.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    rf_reference: Mapped[str] = mapped_column(String(25), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    held_reason: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    due_event: Mapped[str | None] = mapped_column(String(100))
    event_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    net_sales_minor: Mapped[int | None] = mapped_column(BigInteger)
    payer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    payee_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    gross_minor: Mapped[int] = minor_column()
    gross_currency: Mapped[str] = currency_column()
    #: the buyer's deposit (in its escrow, gross currency) applied to this payment: the payer
    #: pays in the gross less it
    deposit_minor: Mapped[int] = minor_column(default=0, server_default="0")
    #: the deposit as booked in the pay-in currency (at the mid rate of the pay-in quote)
    deposit_booked_minor: Mapped[int | None] = minor_column(nullable=True)
    payin_minor: Mapped[int | None] = minor_column(nullable=True)
    payin_currency: Mapped[str] = currency_column()
    payout_minor: Mapped[int | None] = minor_column(nullable=True)
    payout_currency: Mapped[str] = currency_column()
    payin_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    payin_mid_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    payout_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    payin_lock_id: Mapped[int | None] = mapped_column(ForeignKey("fx_rate_locks.id"))
    payout_lock_id: Mapped[int | None] = mapped_column(ForeignKey("fx_rate_locks.id"))
    received_bank_ref: Mapped[str | None] = mapped_column(String(100))
    payout_bank_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    funds_received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    converted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paid_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    gross = MoneyField("gross")
    deposit = MoneyField("deposit", currency_attr="gross_currency")
    deposit_booked = MoneyField("deposit_booked", currency_attr="payin_currency")
    payin = MoneyField("payin")
    payout = MoneyField("payout")
    plan: Mapped[SettlementPlan] = relationship(back_populates="instructions")
    lines: Mapped[list["InstructionLine"]] = relationship(
        back_populates="instruction", order_by="InstructionLine.id")

    def line(self, kind: str) -> "InstructionLine | None":
        return next((ln for ln in self.lines if ln.kind == kind), None)


class InstructionLine(Base):
    """One figure of an instruction: in the contract currency and, once priced, as booked in
    the pay-in currency, with the rule that produced it and its rate."""

    __tablename__ = "settlement_instruction_lines"
    __table_args__ = (
        UniqueConstraint("instruction_id", "kind"),
        CheckConstraint(_in("kind", LINE_KINDS), name="kind"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("booked_minor IS NULL OR booked_minor >= 0", name="booked_not_negative"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("settlement_instructions.id"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(Text)
    rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    amount_minor: Mapped[int] = minor_column()
    amount_currency: Mapped[str] = currency_column()
    booked_minor: Mapped[int | None] = minor_column(nullable=True)
    booked_currency: Mapped[str] = currency_column()

    amount = MoneyField("amount")
    booked = MoneyField("booked")
    instruction: Mapped[SettlementInstruction] = relationship(back_populates="lines")
