"""``flask --app wsgi ledger check``: prove the ledger's invariants, exit 1 naming what is off."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from gateway.db import get_db
from settlement.ledger import check_ledger

ledger_cli = AppGroup("ledger", help="Check the ledger.")


@ledger_cli.command("check")
@click.option("--limit", type=int, default=20, help="problems listed per kind")
def ledger_check(limit: int) -> None:
    """Every currency sums to zero, running balances equal their postings, chains hold."""
    with get_db().session() as session:
        problems = check_ledger(session, limit=limit)
    if not problems:
        click.echo("ledger ok: every currency sums to zero, running balances and "
                   "balance-after chains match the postings, holds match pending")
        return
    for line in problems:
        click.echo(f"ledger problem: {line}", err=True)
    sys.exit(1)
