"""``flask --app wsgi fx ...``: load published rates and look up a quote."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from gateway.db import get_clock, get_db
from kernel.errors import DomainError
from settlement.fx import fetch_ecb, find_rate, parse_ecb_xml, parse_rates_csv
from settlement.fx.store import DbRateSource, store_rates

fx_cli = AppGroup("fx", help="FX rates: load and look up.")


@fx_cli.command("load")
@click.option("--file", "xml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="an ECB eurofxref-daily.xml / eurofxref-hist.xml file")
@click.option("--csv", "csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a rates CSV (base,quote,rate,as_of,source) for rates the ECB does not publish")
@click.option("--url", default=None, help="fetch the ECB XML from this URL (default: FX_ECB_URL)")
def load(xml_file: Path | None, csv_file: Path | None, url: str | None) -> None:
    """Load rates; a bad or partial document writes nothing and exits 1."""
    try:
        if xml_file:
            rates = parse_ecb_xml(xml_file.read_bytes())
            origin = str(xml_file)
        elif csv_file:
            rates = parse_rates_csv(csv_file.read_text(encoding="utf-8"))
            origin = str(csv_file)
        else:
            origin = url or current_app.config["FX_ECB_URL"]
            click.echo(f"fetching {origin}")
            rates = fetch_ecb(origin)
    except DomainError as exc:
        raise click.ClickException(f"nothing loaded: {exc.detail}") from None
    click.echo(f"parsed {len(rates)} rates from {origin}")
    with get_db().transaction() as session:
        summary = store_rates(session, rates, now=get_clock().now(), actor="system:fx-load",
                              progress=lambda n: click.echo(f"  {n}/{len(rates)}"))
    click.echo(f"fx load: {summary}")


@fx_cli.command("quote")
@click.argument("from_ccy")
@click.argument("to_ccy")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def quote(from_ccy: str, to_ccy: str, on: dt.datetime | None) -> None:
    """Show the rate and the path (direct, inverse or via EUR) used to convert."""
    day = on.date() if on else get_clock().now().date()
    with get_db().session() as session:
        try:
            q = find_rate(DbRateSource(session), from_ccy.upper(), to_ccy.upper(), day,
                          current_app.config["FX_MAX_STALENESS_DAYS"])
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
    click.echo(f"1 {q.from_ccy} = {q.rate} {q.to_ccy} (as of {q.as_of})")
    for leg in q.path:
        way = "inverse of" if leg.inverted else "direct"
        click.echo(f"  {way} {leg.rate.base}/{leg.rate.quote} {leg.rate.rate} {leg.rate.as_of} {leg.rate.source}")
