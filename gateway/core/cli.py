"""``flask --app wsgi core ...``: serve the embedded core, dispatch the outbox, pull the feed."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from gateway.core.backlog import outbox_backlog, prune_delivered, retry_messages
from gateway.core.embedded import EmbeddedCore
from gateway.core.errors import CoreRejected, CoreUnavailable
from gateway.core.feed import cursor_of, pull_events
from gateway.core.models import OUTBOX_KINDS
from gateway.core.outbox import dispatch, outbox_counts
from gateway.db import get_clock, get_db

core_cli = AppGroup("core", help="The shared core: serve it, dispatch the outbox, pull its events.")


def _runtime():
    from gateway.core import runtime

    return runtime()


@core_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8600, type=int, show_default=True)
@click.option("--database-url", default=None, help="the core's database (default: the gateway's)")
def serve(host: str, port: int, database_url: str | None) -> None:
    """Serve the embedded core over HTTP (needs CORE_TOKEN)."""
    from werkzeug.serving import run_simple

    from gateway.core.server import create_core_app

    cfg = current_app.config
    url = database_url or cfg["DATABASE_URL"]
    try:
        app = create_core_app({"CORE_TOKEN": cfg.get("CORE_TOKEN"), "DATABASE_URL": url}, clock=get_clock())
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"core serving on http://{host}:{port}/core/v1 (database {url.split('@')[-1]})")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@core_cli.command("dispatch")
@click.option("--batch", default=100, type=int, show_default=True, help="messages per run at most")
def dispatch_cmd(batch: int) -> None:
    """Deliver due outbox messages to the core; exit 1 if the core was unavailable."""
    report = dispatch(get_db(), _runtime().core, get_clock().now(), batch,
                      progress=lambda line: click.echo(f"  {line}"))
    counts = outbox_counts(get_db())
    click.echo(report.summary() + f" (outbox: {counts.get('pending', 0)} pending, "
               f"{counts.get('failed', 0)} failed, {counts.get('delivered', 0)} delivered)")
    if report.stopped:
        sys.exit(1)


@core_cli.command("pull")
@click.option("--consumer", default="gateway", show_default=True)
@click.option("--max-events", default=None, type=int, help="stop after this many events")
def pull(consumer: str, max_events: int | None) -> None:
    """Fetch and handle the core's events after the stored cursor."""
    try:
        report = pull_events(get_db(), _runtime().core, now=get_clock().now(), consumer=consumer,
                             max_events=max_events, progress=lambda line: click.echo(f"  {line}"))
    except CoreUnavailable as exc:
        click.echo(f"core pull: the core is unavailable ({exc.detail}); cursor at "
                   f"{cursor_of(get_db(), consumer)}", err=True)
        sys.exit(1)
    click.echo(report.summary())


@core_cli.command("status")
def status() -> None:
    """Outbox counts by state, the age of the oldest undelivered message, the feed cursor."""
    counts = outbox_counts(get_db())
    click.echo("outbox: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("pending", "delivered", "failed")))
    with get_db().session() as s:
        backlog = outbox_backlog(s, get_clock().now())
    if backlog.oldest_at is not None:
        limit = current_app.config["CORE_OUTBOX_MAX_AGE_SECONDS"]
        click.echo(f"oldest undelivered: {backlog.oldest_at.isoformat()} ({backlog.oldest_age_seconds} s old"
                   + (f", over the {limit} s limit)" if backlog.too_old(limit) else ")"))
    click.echo(f"feed cursor: {cursor_of(get_db())}")


@core_cli.command("retry")
@click.option("--id", "ids", type=int, multiple=True, help="only this message (repeatable)")
@click.option("--kind", type=click.Choice(OUTBOX_KINDS), default=None, help="only messages of this kind")
@click.option("--include-deferred", is_flag=True,
              help="also make pending messages that are waiting out a backoff due now")
def retry(ids: tuple[int, ...], kind: str | None, include_deferred: bool) -> None:
    """Send failed outbox messages again (they become pending and due now); `core dispatch`
    or the after-commit dispatcher delivers them."""
    report = retry_messages(get_db(), get_clock().now(), ids=ids, kind=kind, include_deferred=include_deferred,
                            actor="system:cli", progress=lambda line: click.echo(f"  {line}"))
    for mid, why in report.skipped:
        click.echo(f"  skipped message {mid}: {why}")
    click.echo(report.summary())


@core_cli.command("prune")
@click.option("--older-than-days", type=click.IntRange(min=1), default=30, show_default=True,
              help="delete delivered messages delivered more than this many days ago")
@click.option("--batch", type=click.IntRange(min=1), default=1000, show_default=True,
              help="messages deleted per transaction")
def prune(older_than_days: int, batch: int) -> None:
    """Delete delivered outbox messages older than N days (never those of an aggregate that
    still has an undelivered message)."""
    report = prune_delivered(get_db(), get_clock().now(), older_than_days, batch=batch, actor="system:cli",
                             progress=lambda line: click.echo(f"  {line}"))
    click.echo(report.summary())


def _embedded() -> EmbeddedCore:
    core = _runtime().core
    if not isinstance(core, EmbeddedCore):
        raise click.ClickException("domestic events can only be made on the embedded core (CORE_URL is set)")
    return core


@core_cli.command("domestic-withdraw")
@click.argument("core_id")
@click.option("--reason", required=True)
def domestic_withdraw(core_id: str, reason: str) -> None:
    """Demo: the core withdraws a listing through a domestic channel."""
    try:
        _embedded().withdraw_domestically(core_id, reason)
    except CoreRejected as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"withdrawn {core_id} in the core")


@core_cli.command("domestic-deal")
@click.argument("listing_core_id")
@click.option("--terms", default="{}", help="the deal's terms as a JSON object")
def domestic_deal(listing_core_id: str, terms: str) -> None:
    """Demo: a deal struck through a domestic channel on a listing in the core."""
    try:
        deal_id = _embedded().strike_domestic_deal(listing_core_id, json.loads(terms))
    except (CoreRejected, ValueError) as exc:
        raise click.ClickException(getattr(exc, "detail", str(exc))) from None
    click.echo(f"deal {deal_id} struck in the core")
