"""Settlement over HTTP and the command line: plans, instructions, advices, run-due.

``payment_gate()`` is the gate run-due releases through: whatever the app registered under
``app.extensions["settlement.payment_gate"]`` (compliance's payment rules, wired in by the
gateway), else ``UnwiredGate``, which holds every payment and says why.
"""
from __future__ import annotations

from flask import current_app

from settlement.plans import PaymentGate, PlanConfig, UnwiredGate


def payment_gate() -> PaymentGate:
    return current_app.extensions.get("settlement.payment_gate") or UnwiredGate()


def plan_config() -> PlanConfig:
    return PlanConfig.from_mapping(current_app.config.get("SETTLEMENT") or {})
