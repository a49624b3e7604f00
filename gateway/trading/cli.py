"""``flask --app wsgi trading tick``: close due auctions, expire negotiations, holds and
listings whose period ended. Idempotent; prints progress and a summary; exit 1 on errors.

``flask --app wsgi trading load-calendar FILE``: country holidays and adjusted working days
from CSV or iCalendar (``calendar_load``), checked as a whole and loaded in one transaction:
a bad file writes nothing and exits 1 naming its line."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from pathlib import Path

from gateway.db import get_clock, get_db

from .calendar_load import CalendarFileError, load_calendar, parse_calendar_csv, parse_ics
from .tick import tick

trading_cli = AppGroup("trading", help="Trading: the periodic tick, working-day calendars.")


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


@trading_cli.command("load-calendar")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "ics"]), default=None,
              help="The file's format (default: from its extension).")
@click.option("--country", default=None,
              help="ISO 3166 alpha-2 country of an iCalendar file's events.")
@click.option("--weekend", default=None,
              help="Replace --country's weekend: ISO weekdays, e.g. 6,7 (Monday = 1).")
def trading_load_calendar(path: Path, fmt: str | None, country: str | None,
                          weekend: str | None) -> None:
    """Load public holidays and adjusted working days (CSV: country,date,kind,name; or ICS
    for one --country). All or nothing: any bad line loads nothing."""
    fmt = fmt or ("ics" if path.suffix.lower() in (".ics", ".ical", ".ifb") else "csv")
    if (fmt == "ics" or weekend) and not country:
        raise click.UsageError("--country is needed for an iCalendar file and for --weekend")
    try:
        data = path.read_bytes()
        click.echo(f"reading {path.name} ({len(data)} bytes, {fmt})")
        entries = parse_ics(data, country) if fmt == "ics" else parse_calendar_csv(data)
        click.echo(f"parsed {len(entries)} days for {len({e.country for e in entries})} "
                   "countries; checking and loading")
        weekend_days = None
        if weekend:
            try:
                weekend_days = {country.upper(): [int(d) for d in weekend.split(",") if d.strip()]}
            except ValueError:
                raise CalendarFileError(0, f"--weekend {weekend!r} is ISO weekday numbers") from None
        with get_db().transaction() as session:
            summary = load_calendar(session, entries, now=get_clock().now(), actor="cli:trading",
                                    source=path.name, weekend_days=weekend_days,
                                    progress=lambda m: click.echo(f"  {m}"))
    except CalendarFileError as exc:
        click.echo(f"error: {path.name}: {exc}; nothing was loaded", err=True)
        sys.exit(1)
    click.echo(summary.line())
