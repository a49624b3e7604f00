"""What listings, trading and settlement call: the compliance gates in one place.

- ``party_clearance(session, party)`` before a party lists, bids, strikes a deal or is paid;
- ``deal_gate(session, subject, on_date, direction=..., counterparty_country=...)`` before a
  deal on a listing is struck;
- ``payment_gate(...)`` and, for settlement, ``check_payment(session, PaymentCheck(...), now,
  actor)`` before any payout (it applies ``party_clearance`` and ``payment_gate`` itself);
- ``screen_party`` when a party is registered or renamed; ``request_classification`` when a
  listing is submitted.
"""
from compliance.cases.service import Clearance, party_clearance
from compliance.config import ComplianceConfig
from compliance.export_control.gates import (
    GateDecision,
    RecordStanding,
    deal_gate,
    licence_standing,
    payment_gate,
    registration_of,
)
from compliance.export_control.service import SubjectRef, request_classification
from compliance.party import PartyRef, Reason
from compliance.payments.service import PaymentCheck, PaymentDecision, check_payment
from compliance.screening.service import screen_party

__all__ = [
    "Clearance", "ComplianceConfig", "GateDecision", "PartyRef", "PaymentCheck",
    "PaymentDecision", "Reason", "RecordStanding", "SubjectRef", "check_payment", "deal_gate",
    "licence_standing", "party_clearance", "payment_gate", "registration_of",
    "request_classification", "screen_party",
]
