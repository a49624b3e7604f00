"""``flask --app wsgi compliance ...``: load watch lists and catalogues, re-screen parties."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from compliance.config import ComplianceConfig
from compliance.export_control.catalogue import parse_catalogue_csv
from compliance.export_control.service import load_catalogue
from compliance.screening import (ListFormatError, file_set_version, parse_generic_csv,
                                  parse_ofac_sdn, parse_un_consolidated)
from compliance.screening.rescreen import rescreen
from compliance.screening.service import load_list, record_failed_load
from gateway.db import get_clock, get_db
from kernel.errors import DomainError

compliance_cli = AppGroup("compliance", help="Watch lists, catalogues and re-screening.")

DEFAULT_NAMES = {"ofac": "OFAC-SDN", "un": "UN-SC"}
OFAC_FILES = ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")


def _config() -> ComplianceConfig:
    return ComplianceConfig.from_mapping(current_app.config)


def _read(fmt: str, paths: tuple[Path, ...]) -> list[tuple[str, bytes]]:
    """(file role, bytes) of the given paths; a directory stands for the OFAC file set."""
    files: list[tuple[str, bytes]] = []
    for path in paths:
        if path.is_dir():
            files += [(n, (path / n).read_bytes()) for n in OFAC_FILES if (path / n).exists()]
        else:
            files.append((path.name.lower() if fmt == "ofac" else path.name, path.read_bytes()))
    return files


def _parse(fmt: str, name: str, files: list[tuple[str, bytes]]):
    if fmt == "ofac":
        by_role = dict(files)
        unknown = set(by_role) - set(OFAC_FILES)
        if unknown or "sdn.csv" not in by_role:
            raise ListFormatError(f"give sdn.csv (and alt.csv, add.csv, sdn_comments.csv); got "
                                  f"{sorted(by_role)}", file="sdn.csv", location="arguments")
        return parse_ofac_sdn(by_role["sdn.csv"], by_role.get("alt.csv"), by_role.get("add.csv"),
                              by_role.get("sdn_comments.csv"), list_name=name)
    if len(files) != 1:
        raise ListFormatError("give exactly one file", file=files[0][0] if files else "-",
                              location="arguments")
    role, data = files[0]
    if fmt == "un":
        return parse_un_consolidated(data, list_name=name)
    return parse_generic_csv(data, list_name=name, file=role)


@compliance_cli.command("load-list")
@click.option("--format", "fmt", required=True, type=click.Choice(["ofac", "un", "csv"]))
@click.option("--name", default=None, help="list name (default OFAC-SDN / UN-SC; required for csv)")
@click.option("--rescreen/--no-rescreen", "rescreen_after", default=True,
              help="re-screen every party against the new version (default) or leave it to "
                   "`compliance rescreen`")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
def load_list_cmd(fmt: str, name: str | None, rescreen_after: bool, paths: tuple[Path, ...]) -> None:
    """Load a watch-list version; a malformed file loads nothing, keeps the last good version
    in force, is recorded as failed, and exits 1 naming the bad line. A new version re-screens
    every party and opens cases for new hits only."""
    name = name or DEFAULT_NAMES.get(fmt)
    if not name:
        raise click.UsageError("--name is required for --format csv")
    files = _read(fmt, paths)
    now, actor = get_clock().now(), "system:compliance-load-list"
    try:
        snapshot = _parse(fmt, name, files)
    except DomainError as exc:
        with get_db().transaction() as session:
            record_failed_load(session, name, fmt, file_set_version(files) if files else "0" * 64,
                               exc.detail, now, actor)
        click.echo(f"compliance load-list: FAILED, nothing loaded, the previous version of {name} "
                   f"stays in force: {exc.detail}", err=True)
        sys.exit(1)
    click.echo(f"parsed {len(snapshot.entries)} entries of {name} "
               f"(version {snapshot.version_id[:12]})")
    with get_db().transaction() as session:
        outcome = load_list(session, snapshot, now, actor, fmt=fmt,
                            progress=lambda done, total: click.echo(f"  {done}/{total}"))
    click.echo(f"compliance load-list: {outcome}")
    if outcome.outcome == "unchanged":
        return
    if rescreen_after:
        _rescreen(force=False)
    else:
        click.echo("run `flask --app wsgi compliance rescreen` to screen every party against it")


@compliance_cli.command("rescreen")
@click.option("--force", is_flag=True, help="screen parties even when nothing changed for them")
def rescreen_cmd(force: bool) -> None:
    """Screen every organisation and person against the active list versions; open cases for
    new hits only."""
    _rescreen(force)


def _rescreen(force: bool) -> None:
    step = {"last": 0}

    def progress(done: int, total: int) -> None:
        if done == total or done - step["last"] >= 100:
            step["last"] = done
            click.echo(f"  {done}/{total} parties")

    with get_db().transaction() as session:
        summary = rescreen(session, get_clock().now(), "system:compliance-rescreen", progress,
                           _config(), force=force)
    click.echo(f"compliance rescreen: {summary}")


@compliance_cli.command("load-catalogue")
@click.option("--direction", required=True, type=click.Choice(["export", "import"]))
@click.option("--version", "version", default=None, help="version label (default: the file's)")
@click.option("--source", default=None, help="source note (default: the file's)")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_catalogue_cmd(direction: str, version: str | None, source: str | None, path: Path) -> None:
    """Load a technology catalogue CSV (see compliance/export_control/catalogue.py)."""
    try:
        parsed = parse_catalogue_csv(path.read_bytes(), direction, file=path.name)
    except DomainError as exc:
        click.echo(f"compliance load-catalogue: FAILED, nothing loaded: {exc.detail}", err=True)
        sys.exit(1)
    if version or source:
        from dataclasses import replace

        parsed = replace(parsed, version=version or parsed.version,
                         source_note=source or parsed.source_note)
    with get_db().transaction() as session:
        cat, outcome = load_catalogue(session, parsed, get_clock().now(),
                                      "system:compliance-load-catalogue")
    click.echo(f"compliance load-catalogue: {direction} catalogue {cat.version} {outcome}, "
               f"{cat.entry_count} entries")
