"""Bulk writes for reconciliation's big tables, below the ORM and SQLAlchemy's executemany.

A statement of 100,000 lines and a matching run over it write hundreds of thousands of rows.
SQLAlchemy builds a parameter dict per row and runs its type processors through generic code;
here the processors are looked up once per column and applied in a tight loop, and the rows go
to the driver directly on the session's own connection (so inside the caller's transaction: a
rollback takes them back like any other write):

- PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3 ``cursor.copy``), one round trip per table;
- SQLite: the driver's ``executemany`` over one prepared INSERT.

Updates by id take one statement on PostgreSQL (``unnest`` of the id array) and the driver's
``executemany`` on SQLite. Values are stored exactly as SQLAlchemy would store them (the
columns' own bind processors are applied), so reads through the ORM see no difference.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


def _processors(table: Table, columns: Sequence[str], dialect: Any) -> list[Processor]:
    return [table.c[name].type._cached_bind_processor(dialect) for name in columns]


def _processed(rows: Iterable[Sequence[Any]], procs: list[Processor]
               ) -> Iterable[tuple[Any, ...]]:
    active = [(i, p) for i, p in enumerate(procs) if p is not None]
    if not active:
        for row in rows:
            yield tuple(row)
        return
    # Columns often repeat one value down the rows (the run's time, its actor): the processor
    # runs again only when the value is another object than the row before's.
    last_in: list[Any] = [None] * len(procs)
    last_out: list[Any] = [None] * len(procs)
    for row in rows:
        out = list(row)
        for i, proc in active:
            value = out[i]
            if value is None:
                continue
            if value is last_in[i]:
                out[i] = last_out[i]
            else:
                last_in[i] = value
                out[i] = last_out[i] = proc(value)
        yield tuple(out)


#: SQLite page cache for a connection doing bulk work (KiB, as PRAGMA cache_size takes it when
#: negative): the default 2 MB makes 100,000 scattered row updates re-read their pages
_SQLITE_CACHE_KIB = 65536


def _roomy_sqlite_cache(driver: Any) -> None:
    cur = driver.cursor()
    try:
        if cur.execute("PRAGMA cache_size").fetchone()[0] > -_SQLITE_CACHE_KIB:
            cur.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    finally:
        cur.close()


@contextmanager
def driver_errors(session: Session, what: str) -> Iterator[Any]:
    """The session's driver connection; a constraint the driver reports is raised as
    SQLAlchemy's ``IntegrityError``, as it would be through ``session.execute``."""
    conn = session.connection()
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        _roomy_sqlite_cache(driver)
    try:
        yield driver
    except conn.dialect.dbapi.IntegrityError as exc:
        raise IntegrityError(what, None, exc) from exc


def insert_rows(session: Session, table: Table, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns how many."""
    conn = session.connection()
    dialect = conn.dialect
    procs = _processors(table, columns, dialect)
    names = ", ".join(columns)
    count = 0
    with driver_errors(session, f"insert into {table.name}") as driver:
        if dialect.name == "postgresql":
            with driver.cursor() as cur, cur.copy(
                    f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in _processed(rows, procs):
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join("?" for _ in columns)
        batch = list(_processed(rows, procs))
        cur = driver.cursor()
        try:
            cur.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", batch)
        finally:
            cur.close()
        return len(batch)


def update_by_id(session: Session, table: Table, ids: Sequence[int], values: dict[str, Any],
                 copy: dict[str, str] | None = None) -> None:
    """Set ``values`` (column -> value) and ``copy`` (column -> other column of the same row) on
    the rows of ``table`` whose id is in ``ids``. Column names come from code, never input."""
    if not ids:
        return
    conn = session.connection()
    procs = dict(zip(values, _processors(table, list(values), conn.dialect)))
    values = {n: v if v is None or procs[n] is None else procs[n](v)  # type: ignore[misc]
              for n, v in values.items()}
    names = list(values)
    copied = [f"{col} = {other}" for col, other in (copy or {}).items()]
    if conn.dialect.name == "postgresql":
        sets = ", ".join([f"{n} = :v_{n}" for n in names] + copied)
        params: dict[str, Any] = {f"v_{n}": values[n] for n in names}
        params["_ids"] = list(ids)
        conn.execute(text(f"UPDATE {table.name} SET {sets} "
                          "WHERE id = ANY(CAST(:_ids AS bigint[]))"), params)
        return
    # SQLite: one prepared statement run per id (each a primary-key lookup)
    sets = ", ".join([f"{n} = ?" for n in names] + copied)
    fixed = [values[n] for n in names]
    with driver_errors(session, f"update {table.name}") as driver:
        cur = driver.cursor()
        try:
            cur.executemany(f"UPDATE {table.name} SET {sets} WHERE id = ?",
                            [(*fixed, i) for i in ids])
        finally:
            cur.close()


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, taken before a bulk insert that names them.

    PostgreSQL draws them from the id sequence (safe against concurrent writers). SQLite has no
    sequence: the ids follow the largest one, which holds because the caller's transaction
    writes (SQLite has one writer; a writer that committed in between makes ours fail, never
    collide silently, and the primary key refuses a duplicate anyway).
    """
    if count <= 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}).scalars().all()
        return list(rows)
    top = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table.name}")).scalar_one()
    return list(range(top + 1, top + 1 + count))





def select_where_in(session: Session, sql: str, values: Sequence[Any],
                    params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` (driver SQL with ``?`` for each of ``params`` first and ``{IN}`` where
    ``column IN values`` goes) and return the raw rows. PostgreSQL takes the values as one array
    (``= ANY``); SQLite in chunks of ``IN (?, ...)``. Code-written SQL only."""
    if not values:
        return []
    conn = session.connection()
    driver = conn.connection.driver_connection
    out: list[tuple[Any, ...]] = []
    if conn.dialect.name == "postgresql":
        query = sql.replace("?", "%s").replace("{IN}", "= ANY(%s)")
        with driver.cursor() as cur:
            cur.execute(query, (*params, list(values)))
            out.extend(cur.fetchall())
        return out
    cur = driver.cursor()
    try:
        for start in range(0, len(values), 10000):
            chunk = values[start:start + 10000]
            query = sql.replace("{IN}", f"IN ({', '.join('?' for _ in chunk)})")
            cur.execute(query, (*params, *chunk))
            out.extend(cur.fetchall())
    finally:
        cur.close()
    return out


__all__ = ["driver_errors", "insert_rows", "next_ids", "select_where_in", "update_by_id"]
