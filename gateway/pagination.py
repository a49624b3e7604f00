"""Cursor pagination over an id-ordered query (stable under inserts, no OFFSET scans)."""
from __future__ import annotations

import base64
from typing import Any, Sequence

from sqlalchemy import Select
from sqlalchemy.orm import Session

from kernel.errors import InvalidInput


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API gave out", field="cursor") from None


def paginate(session: Session, stmt: Select[Any], id_column: Any, *, cursor: str | None,
             limit: int) -> tuple[Sequence[Any], str | None]:
    """Return one page of ``stmt`` ordered by ``id_column`` ascending and the next cursor."""
    if cursor:
        stmt = stmt.where(id_column > decode_cursor(cursor))
    rows = session.execute(stmt.order_by(id_column).limit(limit + 1)).scalars().all()
    if len(rows) > limit:
        return rows[:limit], encode_cursor(getattr(rows[limit - 1], "id"))
    return rows, None
