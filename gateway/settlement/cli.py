"""``flask --app wsgi settlement run-due``: move what is due, with progress and a summary."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from gateway.db import get_clock, get_db
from gateway.settlement import payment_gate, plan_config
from settlement.plans import UnwiredGate, run_due

settlement_cli = AppGroup("settlement", help="Settlement plans: run what is due.")


@settlement_cli.command("run-due")
def run_due_command() -> None:
    """Make due what is due, release (through the payment rules), convert and pay out what is
    funded; safe to run twice, even at once."""
    gate = payment_gate()
    if isinstance(gate, UnwiredGate):
        click.echo("warning: compliance payment rules are not wired in; funded payments are "
                   "held, none released", err=True)
    summary = run_due(get_db(), now=get_clock().now(), gate=gate, actor="system:run-due",
                      config=plan_config(), progress=click.echo)
    click.echo(f"settlement run-due: {summary}")
    if summary.errors:
        raise SystemExit(1)
