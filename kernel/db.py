"""Database base shared by every package: declarative Base, column types, engine and sessions.

Nothing is connected at import time: ``Database(url)`` builds the engine when asked.
"""
from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterator

from moneyed import Money
from sqlalchemy import (
    CHAR, BigInteger, DateTime, MetaData, Numeric, String, create_engine, event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from kernel.money import from_minor, to_minor

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on both databases.

    Naive datetimes are refused on the way in (they are ambiguous); SQLite, which has no time
    zones, stores UTC and gets the zone back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given where a timezone-aware UTC time is required")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact non-money decimal (FX, tax and royalty rates).

    SQLite would turn ``Numeric`` into a float, so there it is stored as text; PostgreSQL keeps
    ``NUMERIC`` (unconstrained precision).
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal takes Decimal, got {type(value).__name__}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def minor_column(nullable: bool = False, **kw: Any) -> Any:
    """The integer minor-units half of a money value (see ``MoneyField``)."""
    return mapped_column(BigInteger, nullable=nullable, **kw)


def currency_column(nullable: bool = False, **kw: Any) -> Any:
    """The ISO 4217 code half of a money value."""
    return mapped_column(CHAR(3), nullable=nullable, **kw)


class MoneyField:
    """A ``Money`` attribute over two columns ``<name>_minor`` and ``<name>_currency``.

    Declared on a model as::

        price_minor: Mapped[int] = minor_column()
        price_currency: Mapped[str] = currency_column()
        price = MoneyField("price")
    """

    def __init__(self, name: str, *, currency_attr: str | None = None) -> None:
        self.minor_attr = f"{name}_minor"
        # a table whose rows all share one currency column may name it (``currency``)
        self.currency_attr = currency_attr or f"{name}_currency"

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        minor = getattr(obj, self.minor_attr)
        if minor is None:
            return None
        return from_minor(minor, getattr(obj, self.currency_attr))

    def __set__(self, obj: Any, value: Money | None) -> None:
        if value is None:
            setattr(obj, self.minor_attr, None)
            setattr(obj, self.currency_attr, None)
            return
        if not isinstance(value, Money):
            raise TypeError(f"money attributes take moneyed.Money, got {type(value).__name__}")
        setattr(obj, self.minor_attr, to_minor(value))
        setattr(obj, self.currency_attr, value.currency.code)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and transactions we begin ourselves.

    pysqlite's own transaction handling is switched off so that ``BEGIN IMMEDIATE`` can be
    issued for writing units of work (SQLite has no row locks: taking the writer lock up front
    avoids the deadlock-prone read-then-upgrade pattern).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        # reads through a memory map instead of read() into a 2 MB page cache per connection:
        # free-text search at 100,000 listings looks up ~20,000 wide rows (bench/listings.py),
        # p50 134 -> 88 ms; the map is the OS page cache, shared by every connection
        cur.execute("PRAGMA mmap_size=268435456")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: a pooled PostgreSQL connection idle longer than this is pinged before use (see make_engine)
PING_AFTER_IDLE_SECONDS = 5  # seconds


def _ping_when_idle(engine: Engine, idle_seconds: int) -> None:
    """Test a pooled connection on checkout only if it sat idle ``idle_seconds`` or more.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip per request,
    which on a busy machine costs more than the query it guards. A connection that was in use
    a moment ago is alive or its failure shows at once: the statement raises a disconnect,
    SQLAlchemy invalidates the whole pool, the request gets a 503 problem document and the next
    one connects afresh. Only a connection that sat idle (through a database restart at night,
    say) is pinged, so the first request after the quiet spell reconnects instead of failing.
    """
    from sqlalchemy import exc

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # fresh, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            raise exc.DisconnectionError("the pooled connection is gone") from err  # the pool reconnects


def make_engine(url: str, *, ping_after_idle: int | None = None, **kw: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url, **kw)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif not kw.get("pool_pre_ping"):
        # a pooled connection may have died with a database restart: see _ping_when_idle
        _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS if ping_after_idle is None else ping_after_idle)
    return engine


class Database:
    """An engine and the session factories over it.

    ``session(write=True)`` gives a session whose transaction takes SQLite's writer lock at
    BEGIN; on PostgreSQL both kinds are the same.
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None,
                 bind: Any = None, **engine_kw: Any) -> None:
        if engine is None and bind is None:
            if url is None:
                raise ValueError("Database needs a url, an engine or a bind")
            engine = make_engine(url, **engine_kw)
        self.engine = engine if engine is not None else bind.engine
        target = bind if bind is not None else self.engine
        extra: dict[str, Any] = {}
        if bind is not None:
            # tests: every session joins the test's outer transaction through savepoints
            extra["join_transaction_mode"] = "create_savepoint"
        self._read = sessionmaker(bind=target, expire_on_commit=False, **extra)
        write_bind = target.execution_options(sqlite_immediate=True) if bind is None else target
        self._write = sessionmaker(bind=write_bind, expire_on_commit=False, **extra)
        # reads outside a transaction on PostgreSQL (its default READ COMMITTED gives every
        # statement its own snapshot either way): no BEGIN and COMMIT round trips per request
        read_only_bind = (self.engine.execution_options(isolation_level="AUTOCOMMIT")
                          if bind is None and self.engine.dialect.name == "postgresql" else target)
        self._read_only = sessionmaker(bind=read_only_bind, expire_on_commit=False, **extra)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    def read_only_session(self) -> Session:
        """A session for reading only (a GET request): on PostgreSQL its statements run outside
        a transaction. Whoever uses it must not write (gateway/db.py refuses a flush)."""
        return self._read_only()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One writing unit of work: committed if the block succeeds, rolled back otherwise."""
        session = self.session(write=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
