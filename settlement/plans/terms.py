"""What a deal says about money: ``DealTerms``, the value object the gateway hands to
``create_plan`` (settlement never imports gateway, DECISIONS.md).

Plain frozen dataclasses: no database, no Flask. ``validate()`` checks what can be checked
without the database (the schedule adds up to the price, currencies are ISO 4217, royalty
rates are fractions); ``create_plan`` checks the parties exist.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from moneyed import Money

from kernel.money import check_currency, from_minor, to_minor

from .errors import InvalidTerms


class Direction(StrEnum):
    """``inbound``: bring in (domestic buyer, overseas seller); ``outbound``: go out."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class RatePolicy(StrEnum):
    """``lock``: rates fixed when the plan is created; ``spot``: the day's rate at each step."""

    LOCK = "lock"
    SPOT = "spot"


class TransactionType(StrEnum):
    """What the contract sells, for tax: a licence (royalties and licence fees), an
    assignment of the rights, a technology development contract, or technology services."""

    LICENCE = "licence"
    ASSIGNMENT = "assignment"
    DEVELOPMENT = "development"
    TECHNOLOGY_SERVICE = "technology_service"


class RoyaltyPeriod(StrEnum):
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


@dataclass(frozen=True)
class Milestone:
    """A payment due on a date, or when a named event is recorded ("prototype accepted")."""

    label: str
    amount: Money
    due_on: dt.date | None = None
    event: str | None = None


@dataclass(frozen=True)
class RoyaltyTerms:
    """Running royalties: ``rate`` x net sales reported per ``period``, from ``starts_on``;
    ``minimum_annual`` (contract currency) is topped up at the end of each royalty year."""

    rate: Decimal
    period: RoyaltyPeriod
    starts_on: dt.date
    minimum_annual: Money | None = None


@dataclass(frozen=True)
class Schedule:
    """The fixed payments (upfront fee and milestones, which add up to the price) and the
    running royalties."""

    upfront: Money | None = None
    upfront_due_on: dt.date | None = None
    milestones: tuple[Milestone, ...] = ()
    royalty: RoyaltyTerms | None = None


@dataclass(frozen=True)
class DealTerms:
    """A struck deal's payment terms, as the gateway's trading passes them to settlement."""

    deal_id: int
    deal_ref: str
    direction: Direction
    buyer_org_id: int
    seller_org_id: int
    subcentre_id: int | None
    contract_currency: str
    payin_currency: str
    payout_currency: str
    price: Money
    schedule: Schedule
    transaction_type: TransactionType
    rate_policy: RatePolicy = RatePolicy.LOCK
    broker_org_id: int | None = None
    #: ContractRegistration reference (technology import/export contract registration)
    contract_registration_ref: str | None = None
    #: TechnologyContractCertification reference (science and technology authorities): the
    #: VAT exemption of transfer and development contracts
    certification_ref: str | None = None
    #: the payee's (seller's) tax residency, ISO 3166 alpha-2
    payee_tax_residency: str = "CN"
    #: reference of the payee's proof of treaty residency (certificate of residence, form
    #: filed with the withholding agent); None when not shown
    treaty_residency_proof_ref: str | None = None
    #: the contract reference the compliance payment rules key their filings on
    contract_ref: str | None = None
    #: the buyer's deposit the exchange already holds (committed into the buyer's escrow in the
    #: contract currency when an auction or a fixed-price notice was won), applied to the
    #: upfront payment: the buyer pays the upfront less it
    deposit_applied: Money | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def certified_exempt(self) -> bool:
        return bool(self.certification_ref)

    @property
    def treaty_residency_proven(self) -> bool:
        return bool(self.treaty_residency_proof_ref)

    def validate(self) -> None:
        """Refuse terms that cannot become a plan (``InvalidTerms`` naming the field)."""
        for name in ("contract_currency", "payin_currency", "payout_currency"):
            check_currency(getattr(self, name), field=name)
        if not self.deal_ref or len(self.deal_ref) > 64:
            raise InvalidTerms("a deal reference of 1 to 64 characters is needed", field="deal_ref")
        if self.buyer_org_id == self.seller_org_id:
            raise InvalidTerms("buyer and seller are the same organisation", field="seller_org_id")
        ccy = self.contract_currency
        if self.price.currency.code != ccy:
            raise InvalidTerms(f"the price is in {self.price.currency.code}, the contract in {ccy}",
                               field="price")
        fixed = []
        s = self.schedule
        if s.upfront is not None:
            if s.upfront_due_on is None:
                raise InvalidTerms("the upfront fee needs a due date", field="schedule.upfront_due_on")
            fixed.append(("schedule.upfront", s.upfront))
        for i, m in enumerate(s.milestones):
            if (m.due_on is None) == (m.event is None):
                raise InvalidTerms(f"milestone {m.label!r} needs either a due date or an event",
                                   field=f"schedule.milestones.{i}")
            fixed.append((f"schedule.milestones.{i}", m.amount))
        for where, amount in fixed:
            if amount.currency.code != ccy:
                raise InvalidTerms(f"{where} is in {amount.currency.code}, the contract in {ccy}",
                                   field=where)
            if to_minor(amount) <= 0:
                raise InvalidTerms(f"{where} must be positive", field=where)
        total = sum((to_minor(a) for _, a in fixed), 0)
        if total != to_minor(self.price):
            raise InvalidTerms(
                f"upfront and milestones add up to {from_minor(total, ccy).amount} {ccy}, not the "
                f"price {self.price.amount} {ccy}", field="schedule")
        events = [m.event for m in s.milestones if m.event]
        if len(events) != len(set(events)):
            raise InvalidTerms("two milestones wait for the same event", field="schedule.milestones")
        if s.royalty is not None:
            r = s.royalty
            if not isinstance(r.rate, Decimal) or not Decimal(0) < r.rate < Decimal(1):
                raise InvalidTerms("a royalty rate is a Decimal fraction between 0 and 1",
                                   field="schedule.royalty.rate")
            if r.minimum_annual is not None and r.minimum_annual.currency.code != ccy:
                raise InvalidTerms("the minimum annual royalty is in the contract currency",
                                   field="schedule.royalty.minimum_annual")
        elif not fixed:
            raise InvalidTerms("the schedule has no payment at all", field="schedule")
        d = self.deposit_applied
        if d is not None:
            if d.currency.code != ccy:
                raise InvalidTerms(f"the deposit is in {d.currency.code}, the contract in {ccy}",
                                   field="deposit_applied")
            if to_minor(d) <= 0:
                raise InvalidTerms("an applied deposit must be positive", field="deposit_applied")
            if s.upfront is None or to_minor(d) >= to_minor(s.upfront):
                raise InvalidTerms("a deposit is applied to an upfront payment larger than it",
                                   field="deposit_applied")
        if len(self.payee_tax_residency) != 2 or not self.payee_tax_residency.isupper():
            raise InvalidTerms("payee tax residency is an ISO 3166 alpha-2 code",
                               field="payee_tax_residency")
