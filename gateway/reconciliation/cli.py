"""``flask --app wsgi reconcile ...``: register bank accounts, import statements, match."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from gateway.db import get_clock, get_db
from gateway.reconciliation.source import get_config, get_source
from kernel.errors import DomainError
from kernel.money import parse_amount
from settlement.reconciliation.importer import import_statement, register_bank_account
from settlement.reconciliation.matching.engine import MatchSummary, match_statements
from settlement.reconciliation.models import BankAccount
from settlement.reconciliation.matching.references import compact
from settlement.reconciliation.posting import post_matches
from sqlalchemy import select

reconcile_cli = AppGroup("reconcile", help="Bank statements: import, match, exceptions.")
ACTOR = "system:cli"


def _summary(s: MatchSummary) -> None:
    click.echo(f"matched {s.matched_lines}/{s.lines} lines in {s.matches} new matches")
    for rule, n in sorted(s.by_rule.items()):
        click.echo(f"  {rule}: {n} lines")
    click.echo("exceptions: " + (", ".join(f"{k} {v}" for k, v in sorted(s.exceptions.items()))
                                  or "none"))


@reconcile_cli.command("add-account")
@click.argument("identifier")
@click.option("--currency", required=True)
@click.option("--name", default="")
def add_account(identifier: str, currency: str, name: str) -> None:
    """Register one of the exchange's bank accounts (IBAN or bank id) in a currency."""
    with get_db().transaction() as session:
        acc = register_bank_account(session, identifier=identifier, currency=currency.upper(),
                                    name=name or identifier, at=get_clock().now(), actor=ACTOR)
        click.echo(f"bank account {acc.id}: {acc.identifier} {acc.currency} "
                   f"(ledger account {acc.ledger_account_id})")


@reconcile_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", default=None,
              help="camt053, or a CSV profile name (generic, de_soll_haben, cn_jie_dai); "
                   "default: camt053 for .xml files")
@click.option("--account", default=None, help="the bank account's IBAN or id (CSV: required)")
@click.option("--opening", default=None, help="CSV opening balance, when the file has none")
@click.option("--closing", default=None, help="CSV closing balance, when the file has none")
@click.option("--no-match", is_flag=True, help="import only")
def import_cmd(file: Path, profile: str | None, account: str | None, opening: str | None,
               closing: str | None, no_match: bool) -> None:
    """Import a statement file (all or nothing), then match and post it."""
    fmt = "camt053" if (profile or ("camt053" if file.suffix.lower() == ".xml" else "")
                        ) == "camt053" else "csv"
    if fmt == "csv" and not profile:
        raise click.ClickException("a CSV statement needs --profile")
    cfg = get_config()
    now = get_clock().now()
    try:
        with get_db().transaction() as session:
            ccy = None
            if account and (opening or closing):
                ccy = session.execute(select(BankAccount.currency).where(
                    BankAccount.identifier == compact(account))).scalar()
            result = import_statement(
                session, file.read_bytes(), fmt, profile=None if fmt == "camt053" else profile,
                account=account, at=now, actor=ACTOR, config=cfg,
                opening_balance=parse_amount(opening, ccy) if opening and ccy else None,
                closing_balance=parse_amount(closing, ccy) if closing and ccy else None,
                progress=click.echo)
    except DomainError as exc:
        raise click.ClickException(f"nothing imported: {exc.detail}") from None
    click.echo(f"imported {result.line_count} lines from {len(result.statement_ids)} "
               f"statement(s) ({result.source_format})")
    if not no_match:
        _match(None, cfg)


def _match(account: str | None, cfg) -> None:  # type: ignore[no-untyped-def]
    source = get_source()
    now = get_clock().now()
    with get_db().transaction() as session:
        bank_id = None
        if account:
            bank_id = session.execute(select(BankAccount.id).where(
                BankAccount.identifier == compact(account))).scalar()
            if bank_id is None:
                raise click.ClickException(f"no bank account {account}")
        summary = match_statements(session, source, at=now, actor=ACTOR, config=cfg,
                                   bank_account_id=bank_id, progress=click.echo)
        posted = post_matches(session, source, at=now, actor=ACTOR, progress=click.echo)
    _summary(summary)
    click.echo(f"posted {posted.transfers} ledger transfers for {posted.matches} matches")


@reconcile_cli.command("match")
@click.option("--account", default=None, help="only this bank account's lines")
def match_cmd(account: str | None) -> None:
    """Match the open lines again (new instructions may have arrived) and post the matches."""
    _match(account, get_config())
