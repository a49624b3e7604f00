"""Settlement over HTTP and the command line: plans, instructions, advices, run-due.

``payment_gate()`` is the gate run-due releases through: whatever the app registered under
``app.extensions["settlement.payment_gate"]`` (compliance's payment rules, wired in by the
gateway), else ``UnwiredGate``, which holds every payment and says why.
"""
from __future__ import annotations

from flask import Flask, current_app

from compliance.config import ComplianceConfig

from settlement.plans import PaymentGate, PlanConfig, UnwiredGate


def payment_gate() -> PaymentGate:
    return current_app.extensions.get("settlement.payment_gate") or UnwiredGate()


def plan_config() -> PlanConfig:
    return PlanConfig.from_mapping(current_app.config.get("SETTLEMENT") or {})


def init_app(app: Flask) -> None:
    """Wire compliance's payment rules in as the gate every release goes through (finding the
    listing behind each deal), and the plans' instructions in as what reconciliation matches
    bank statements against."""
    from gateway.reconciliation.plans_source import PlansPaymentSource
    from gateway.reconciliation.source import KEY as RECONCILIATION_SOURCE
    from gateway.settlement.gate import CompliancePaymentGate, deal_subject

    clock = app.extensions["gateway.clock"]
    app.extensions["settlement.payment_gate"] = CompliancePaymentGate(
        ComplianceConfig.from_mapping(app.config), clock, subject_for=deal_subject)
    app.extensions.setdefault(RECONCILIATION_SOURCE, PlansPaymentSource(clock))
