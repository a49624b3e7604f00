"""``flask --app wsgi trading tick``: close due auctions, expire negotiations, holds and
listings whose period ended. Idempotent; prints progress and a summary; exit 1 on errors."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from gateway.db import get_clock, get_db

from .tick import tick

trading_cli = AppGroup("trading", help="Trading: the periodic tick.")


@trading_cli.command("tick")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def trading_tick(quiet: bool) -> None:
    summary = tick(get_db(), get_clock().now(),
                   progress=None if quiet else (lambda m: click.echo(m)))
    if quiet:
        click.echo(summary.line())
    for e in summary.errors:
        click.echo(f"error: {e}", err=True)
    if summary.errors:
        sys.exit(1)
