"""Bulk import of drafts by sub-centre staff, from CSV or JSON, all or nothing.

Every row is checked (shape by ``ImportRowSchema``, rules by ``rules.check_listing``) before
anything is written; if any row has an error, ``ImportRejected`` lists every bad field of every
row as ``rows.<n>.<field>`` (rows numbered from 1; in CSV the header is not a row) and nothing
is written. Otherwise the rows go in with multi-row INSERTs in the caller's transaction.

CSV columns (header required, any order; empty cells are absent values): ``direction``,
``seller_id``, ``title_zh``, ``title_en``, ``abstract_zh``, ``abstract_en``,
``technology_field``, ``ipc_classes`` and ``territory`` (``;``-separated), ``trl``,
``transaction_type``, ``field_of_use``, ``pricing_mode``, ``asking_price``,
``starting_price``, ``reserve_price`` (amounts in ``currency``), ``currency``,
``period_start``, ``period_end`` (ISO 8601 with zone); IP assets as ``assets.<i>.<field>``
columns (``i`` from 0 to 99; fields ``kind``, ``title``, ``jurisdiction``, ``number``, ``status``,
``expires_on``), so a bad cell is reported under its own column's name, e.g.
``rows.3.assets.0.expires_on``; an asset whose cells are all empty is absent. JSON:
``{"rows": [...]}`` or a bare array of objects shaped like ``POST /listings`` bodies (assets
and attachments allowed). The assets' rules (``rules.check_asset``) are checked with the rest,
before anything is written.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from gateway.listings.access import Actor
from gateway.listings.errors import ImportRejected
from gateway.listings.rules import check_listing
from gateway.listings.schemas import ImportRowSchema
from gateway.listings.service import insert_listings
from kernel.audit import record_event

CSV_COLUMNS = (
    "direction", "seller_id", "title_zh", "title_en", "abstract_zh", "abstract_en",
    "technology_field", "ipc_classes", "trl", "transaction_type", "territory", "field_of_use",
    "pricing_mode", "asking_price", "starting_price", "reserve_price", "currency",
    "period_start", "period_end",
)
LIST_COLUMNS = ("ipc_classes", "territory")
PRICE_COLUMNS = ("asking_price", "starting_price", "reserve_price")
ASSET_FIELDS = ("kind", "title", "jurisdiction", "number", "status", "expires_on")
_ASSET_COLUMN = re.compile(r"^assets\.(0|[1-9]\d?)\.(" + "|".join(ASSET_FIELDS) + r")$")
MAX_ROWS = 10_000
_ROW_SCHEMA = ImportRowSchema()


def rows_from_csv(data: str) -> list[dict[str, Any]]:
    """CSV text -> row objects shaped like the JSON form (lists split, prices as money)."""
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff"), newline=""))
    try:
        return _read_csv_rows(reader)
    except csv.Error as exc:  # e.g. a quote left open, a bare carriage return inside a cell
        raise ImportRejected(f"the CSV cannot be read at line {reader.line_num}: {exc}",
                             errors={"file": [f"line {reader.line_num}: {exc}"]}) from None


def _read_csv_rows(reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    unknown = sorted(c for c in set(reader.fieldnames or ()) - set(CSV_COLUMNS) if not _ASSET_COLUMN.match(c))
    if not reader.fieldnames or unknown:
        raise ImportRejected("the CSV header is missing or has unknown columns",
                             errors={"header": [f"unknown column {c!r}" for c in unknown]
                                     or ["a header row is required"]})
    rows = []
    for raw in reader:
        row: dict[str, Any] = {}
        assets: dict[int, dict[str, str]] = {}
        for key, value in raw.items():
            if key is None:  # more cells than header columns
                row["_extra_cells"] = value
                continue
            value = (value or "").strip()
            if not value or key == "currency":
                continue
            if (asset := _ASSET_COLUMN.match(key)) is not None:
                assets.setdefault(int(asset[1]), {})[asset[2]] = value
            elif key in LIST_COLUMNS:
                row[key] = [v.strip() for v in value.split(";") if v.strip()]
            elif key in PRICE_COLUMNS:
                row[key] = {"amount": value, "currency": (raw.get("currency") or "").strip()}
            else:
                row[key] = value
        if assets:  # numbered as the columns are: a gap is an asset with nothing in it
            row["assets"] = [assets.get(i, {}) for i in range(max(assets) + 1)]
        rows.append(row)
    return rows


def rows_from_json(payload: Any) -> list[Any]:
    rows = payload.get("rows") if isinstance(payload, dict) else payload
    if not isinstance(rows, list):
        raise ImportRejected("a JSON import is an array of listings or {\"rows\": [...]}",
                             errors={"rows": ["expected an array"]})
    return rows


def _flatten(prefix: str, messages: Any, out: dict[str, list[str]]) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _flatten(f"{prefix}.{key}", value, out)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.setdefault(prefix, []).extend(messages)
    else:
        out.setdefault(prefix, []).append(str(messages))


def _covered(messages: Any, path: list[str]) -> bool:
    """Whether a shape error sits at ``path`` (``["assets", "0", "status"]``), above it or
    below it: a rule error there would only repeat it."""
    for part in path:
        if not isinstance(messages, dict):
            return True
        keyed = {str(k): v for k, v in messages.items()}
        if part not in keyed:
            return False
        messages = keyed[part]
    return True


def validate_rows(session: Session, rows: list[Any], subcentre_id: int) -> list[dict[str, Any]]:
    """Every row checked; returns the loaded rows or raises ``ImportRejected`` with them all."""
    if not rows:
        raise ImportRejected("nothing to import", errors={"rows": ["no rows"]})
    if len(rows) > MAX_ROWS:
        raise ImportRejected(f"at most {MAX_ROWS} rows per import", errors={"rows": ["too many rows"]})
    errors: dict[str, list[str]] = {}
    loaded: list[dict[str, Any]] = []
    sellers: dict[int, int | None] = {}
    for n, raw in enumerate(rows, 1):
        if isinstance(raw, dict) and "_extra_cells" in raw:
            errors.setdefault(f"rows.{n}", []).append("more cells than header columns")
            raw = {k: v for k, v in raw.items() if k != "_extra_cells"}
        if not isinstance(raw, dict):
            errors.setdefault(f"rows.{n}", []).append("a row is an object")
            continue
        shape_errors: dict[str, Any] = {}
        try:
            row = _ROW_SCHEMA.load(raw)
        except ValidationError as exc:
            # keep going with the fields that did load, so the row's rule errors show too
            shape_errors = exc.messages if isinstance(exc.messages, dict) else {"_row": exc.messages}
            _flatten(f"rows.{n}", shape_errors, errors)
            row = dict(exc.valid_data or {})
        for field, messages in check_listing(session, row, subcentre_id, seller_cache=sellers).items():
            if not _covered(shape_errors, field.split(".")):
                errors.setdefault(f"rows.{n}.{field}", []).extend(messages)
        loaded.append(row)
    if errors:
        bad = len({k.split(".")[1] for k in errors})
        raise ImportRejected(f"{bad} of {len(rows)} rows have errors; nothing was imported "
                             "(rows are numbered from 1, the CSV header is not a row)", errors=errors)
    return loaded


def import_listings(session: Session, rows: list[Any], *, subcentre_id: int, actor: Actor,
                    now: dt.datetime) -> list[int]:
    """Validate every row, then insert them all as drafts of ``subcentre_id``; one audit event."""
    loaded = validate_rows(session, rows, subcentre_id)
    ids = insert_listings(session, loaded, subcentre_id=subcentre_id, actor=actor, now=now)
    record_event(session, actor=actor.actor, action="listings.imported", entity_type="sub_centre",
                 entity_id=subcentre_id, at=now,
                 data={"count": len(ids), "first_id": ids[0], "last_id": ids[-1],
                       "ids_sha256": hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()})
    return ids
