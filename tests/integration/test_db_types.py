"""Column types keep money, rates and times exact on both databases."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from moneyed import Money
from sqlalchemy import CHAR, BigInteger, Column, Integer, MetaData, Table, select
from sqlalchemy.exc import StatementError

from kernel.db import Database, ExactDecimal, UTCDateTime

meta = MetaData()
probe = Table(
    "type_probe", meta,
    Column("id", Integer, primary_key=True),
    Column("amount_minor", BigInteger),
    Column("amount_currency", CHAR(3)),
    Column("rate", ExactDecimal()),
    Column("at", UTCDateTime()),
)


@pytest.fixture
def conn(db: Database):
    with db.session(write=True) as s:
        c = s.connection()
        meta.create_all(c)
        yield c


def test_large_money_and_exact_rates_round_trip(conn) -> None:
    from kernel.money import from_minor, to_minor

    big = Money("12345678901234567.89", "USD")
    rate = Decimal("7.123456789012345678901234")
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    conn.execute(probe.insert().values(id=1, amount_minor=to_minor(big), amount_currency="USD", rate=rate, at=at))
    row = conn.execute(select(probe)).one()
    assert from_minor(row.amount_minor, row.amount_currency) == big
    assert row.rate == rate
    assert row.at == at and row.at.tzinfo is not None
    assert row.at.utcoffset() == dt.timedelta(0)


def test_naive_datetimes_are_refused(conn) -> None:
    with pytest.raises(StatementError):
        conn.execute(probe.insert().values(id=2, at=dt.datetime(2026, 1, 1)))


def test_floats_are_refused_for_exact_decimals(conn) -> None:
    with pytest.raises(StatementError):
        conn.execute(probe.insert().values(id=3, rate=0.1))  # the point: floats are refused
