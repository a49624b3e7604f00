"""Settlement plans: a deal's payment terms become instructions (upfront fee, milestones,
royalties) with bank references, fees, taxes, FX and a lifecycle that moves money through the
ledger, released only through a ``PaymentGate``.

Entry points: ``create_plan(session, terms, now=, actor=, config=)`` (the gateway calls it
when a deal is struck) and ``run_due(db, now=, gate=, actor=, config=, progress=)``.
"""
from .config import PlanConfig
from .errors import (
    AmountMismatch, InvalidReference, InvalidTerms, PlanError, PlanExists, PlanNotFound,
    RoyaltyReportRefused, TransitionRefused,
)
from .fees import FeeSchedule, FeeSplit, compute_fee
from .gate import PaymentDecision, PaymentGate, PaymentRequest, UnwiredGate
from .lifecycle import STATUSES, TRANSITIONS, check_transition
from .models import InstructionLine, SettlementInstruction, SettlementPlan
from .references import build_rf, human_ref, is_valid_rf, print_rf, validate_rf
from .run import RunSummary, run_due
from .service import (
    close_royalty_years, confirm_payout, create_plan, find_by_reference, get_plan,
    plan_for_deal, record_funds_received, record_milestone_event, submit_royalty_report,
    undo_funds_received,
)
from .terms import (
    DealTerms, Direction, Milestone, RatePolicy, RoyaltyPeriod, RoyaltyTerms, Schedule,
    TransactionType,
)

__all__ = [
    "DealTerms", "Direction", "Milestone", "RatePolicy", "RoyaltyPeriod", "RoyaltyTerms",
    "Schedule", "TransactionType", "PlanConfig", "FeeSchedule", "FeeSplit", "compute_fee",
    "PaymentGate", "PaymentRequest", "PaymentDecision", "UnwiredGate",
    "SettlementPlan", "SettlementInstruction", "InstructionLine", "STATUSES", "TRANSITIONS",
    "check_transition", "build_rf", "validate_rf", "is_valid_rf", "print_rf", "human_ref",
    "create_plan", "run_due", "RunSummary", "record_milestone_event", "record_funds_received",
    "confirm_payout", "undo_funds_received", "submit_royalty_report", "close_royalty_years", "get_plan",
    "plan_for_deal", "find_by_reference",
    "PlanError", "InvalidTerms", "InvalidReference", "PlanNotFound", "PlanExists",
    "TransitionRefused", "AmountMismatch", "RoyaltyReportRefused",
]
