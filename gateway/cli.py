"""Operator commands: ``flask --app wsgi <group> <command>``."""
from __future__ import annotations

import datetime as dt
import sys

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gateway.auth import service
from gateway.auth.models import ApiToken, User
from gateway.db import get_clock, get_db
from gateway.health import alembic_config
from kernel.audit import chain_head, verify_chain

users_cli = AppGroup("users", help="Create and list users.")
tokens_cli = AppGroup("tokens", help="Issue and revoke API tokens.")
audit_cli = AppGroup("audit", help="Check the audit hash chain.")
db_cli = AppGroup("db", help="Migrate the database (Alembic).")
demo_cli = AppGroup("demo", help="Demo data.")

OPERATOR = "system:cli"


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", required=True, type=click.Choice(["subcentre_staff", "buyer", "seller", "finance",
                                                          "compliance_officer", "admin"]))
@click.option("--subcentre", default=None, help="sub-centre code (staff)")
@click.option("--organisation-id", type=int, default=None, help="organisation id (buyer, seller)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email: str, display_name: str, role: str, subcentre: str | None,
                organisation_id: int | None, password: str) -> None:
    """Create a user."""
    with get_db().transaction() as session:
        user = service.create_user(session, email=email, password=password, role=role,
                                   display_name=display_name, now=get_clock().now(), actor=OPERATOR,
                                   subcentre_code=subcentre, organisation_id=organisation_id)
        click.echo(f"created user {user.id} <{user.email}> as {user.role}")


@users_cli.command("list")
def list_users() -> None:
    """List users with role and scope."""
    with get_db().session() as session:
        for u in session.execute(select(User).order_by(User.id)).scalars():
            scope = f"subcentre={u.subcentre_id}" if u.subcentre_id else f"org={u.organisation_id}" if u.organisation_id else "-"
            click.echo(f"{u.id}\t{u.email}\t{u.role}\t{scope}\t{'active' if u.active else 'disabled'}")


@tokens_cli.command("issue")
@click.option("--email", required=True)
@click.option("--name", default="cli")
@click.option("--days", type=int, default=None, help="validity in days (default from config)")
def issue_token(email: str, name: str, days: int | None) -> None:
    """Issue a token for a user; the secret is printed once."""
    with get_db().transaction() as session:
        user = session.execute(select(User).where(User.email == email.lower())).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no user {email}")
        token, plain = service.issue_token(
            session, user, name=name, now=get_clock().now(),
            valid_for=dt.timedelta(days=days or current_app.config["TOKEN_DEFAULT_DAYS"]), actor=OPERATOR)
        click.echo(f"token {token.id} for {user.email}, expires {token.expires_at.isoformat()}:")
        click.echo(plain)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke a token by id."""
    with get_db().transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"no token {token_id}")
        service.revoke_token(session, token, now=get_clock().now(), actor=OPERATOR)
        click.echo(f"revoked token {token_id}")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the chain; exit 1 naming the first broken event."""
    with get_db().session() as session:
        report = verify_chain(session)
    if report.ok:
        click.echo(f"audit chain ok: {report.checked} events, head {report.head_hash}")
        return
    click.echo(f"audit chain BROKEN at event seq {report.broken_seq}: {report.reason} "
               f"({report.checked} events checked before it)", err=True)
    sys.exit(1)


@audit_cli.command("head")
def audit_head() -> None:
    """Print the latest sequence number and hash (record it outside the database)."""
    with get_db().session() as session:
        seq, digest = chain_head(session)
    click.echo(f"{seq} {digest}")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default head)."""
    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at {revision}")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo data (idempotent)."""
    from gateway.demo import load_demo

    with get_db().transaction() as session:
        created = load_demo(session, get_clock().now(), progress=lambda m: click.echo(f"  {m}"))
    click.echo("demo data: " + ", ".join(f"{k} +{v}" for k, v in created.items()))


def init_app(app: Flask) -> None:
    from gateway.compliance_cli import compliance_cli
    from gateway.fx_cli import fx_cli
    from gateway.ledger_cli import ledger_cli
    from gateway.reconciliation.cli import reconcile_cli
    from gateway.settlement.cli import settlement_cli
    from gateway.trading.cli import trading_cli

    for group in (users_cli, tokens_cli, audit_cli, db_cli, demo_cli, fx_cli, ledger_cli,
                  compliance_cli, settlement_cli, reconcile_cli, trading_cli):
        app.cli.add_command(group)
