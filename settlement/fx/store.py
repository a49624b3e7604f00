"""Rates in the database: loading published rates, looking them up, locking a rate.

``DbRateSource`` implements the pure ``RateSource`` protocol over the ``fx_rates`` table, so
``find_rate`` works the same on stored rates as on the in-memory source.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event

from .convert import find_rate
from .models import FxRate, FxRateLock
from .rates import Leg, Quote, Rate


class DbRateSource:
    """The latest stored rate on or before a day (any source; the newest load wins a tie)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, base: str, quote: str, on: dt.date) -> Rate | None:
        row = self.session.execute(
            select(FxRate).where(FxRate.base == base, FxRate.quote == quote, FxRate.as_of <= on)
            .order_by(FxRate.as_of.desc(), FxRate.id.desc()).limit(1)
        ).scalar_one_or_none()
        if row is None:
            return None
        return Rate(row.base, row.quote, row.rate, row.as_of, row.source)


@dataclass(frozen=True)
class LoadSummary:
    inserted: int
    unchanged: int
    corrected: int
    days: int

    def __str__(self) -> str:
        return (f"{self.inserted} new, {self.corrected} corrected, {self.unchanged} unchanged "
                f"rates over {self.days} days")


def store_rates(session: Session, rates: Iterable[Rate], *, now: dt.datetime, actor: str,
                progress: Callable[[int], None] = lambda _: None) -> LoadSummary:
    """Insert rates not yet stored; a publisher's correction of a stored rate replaces it
    (audited). Called with a fully parsed document, so a bad file never gets here."""
    inserted = unchanged = corrected = 0
    days: set[dt.date] = set()
    existing = {
        (r.base, r.quote, r.as_of, r.source): r
        for r in session.execute(select(FxRate)).scalars()
    }
    for n, rate in enumerate(rates, 1):
        days.add(rate.as_of)
        key = (rate.base, rate.quote, rate.as_of, rate.source)
        row = existing.get(key)
        if row is None:
            row = FxRate(base=rate.base, quote=rate.quote, rate=rate.rate, as_of=rate.as_of,
                         source=rate.source, loaded_at=now)
            session.add(row)
            existing[key] = row
            inserted += 1
        elif row.rate == rate.rate:
            unchanged += 1
        else:
            session.flush()
            record_event(session, actor=actor, action="fx_rate.corrected", entity_type="fx_rate",
                         entity_id=row.id, at=now, before={"rate": row.rate}, after={"rate": rate.rate})
            row.rate = rate.rate
            row.loaded_at = now
            corrected += 1
        if n % 500 == 0:
            progress(n)
    session.flush()
    summary = LoadSummary(inserted, unchanged, corrected, len(days))
    if inserted or corrected:
        record_event(session, actor=actor, action="fx_rates.loaded", entity_type="fx_rates",
                     entity_id=max(days).isoformat() if days else "-", at=now,
                     data={"inserted": inserted, "corrected": corrected, "unchanged": unchanged,
                           "days": len(days)})
    return summary


def _path_json(path: tuple[Leg, ...]) -> str:
    return json.dumps([{
        "base": leg.rate.base, "quote": leg.rate.quote, "rate": str(leg.rate.rate),
        "as_of": leg.rate.as_of.isoformat(), "source": leg.rate.source, "inverted": leg.inverted,
    } for leg in path], sort_keys=True, separators=(",", ":"))


def quote_from_lock(lock: FxRateLock) -> Quote:
    """Rebuild the locked ``Quote`` exactly as it was when locked."""
    legs = tuple(
        Leg(Rate(p["base"], p["quote"], Decimal(p["rate"]), dt.date.fromisoformat(p["as_of"]), p["source"]),
            p["inverted"])
        for p in json.loads(lock.path))
    return Quote(lock.from_ccy, lock.to_ccy, lock.rate, legs, lock.as_of, mid_rate=lock.mid_rate,
                 spread_bps=lock.spread_bps, side=lock.side)


def lock_rate(session: Session, from_ccy: str, to_ccy: str, *, now: dt.datetime, purpose: str,
              actor: str, max_staleness_business_days: int,
              adjust: Callable[[Quote], Quote] = lambda q: q) -> FxRateLock:
    """Find today's rate from stored rates, apply ``adjust`` (e.g. the exchange's spread) and
    fix it: every later conversion under this lock uses exactly this rate."""
    quote = adjust(find_rate(DbRateSource(session), from_ccy, to_ccy, now.date(),
                             max_staleness_business_days))
    lock = FxRateLock(from_ccy=from_ccy, to_ccy=to_ccy, rate=quote.rate,
                      mid_rate=quote.mid_rate or quote.rate, spread_bps=Decimal(quote.spread_bps),
                      side=str(quote.side) if quote.side else None, as_of=quote.as_of,
                      path=_path_json(quote.path), locked_at=now, purpose=purpose)
    session.add(lock)
    session.flush()
    record_event(session, actor=actor, action="fx_rate.locked", entity_type="fx_rate_lock",
                 entity_id=lock.id, at=now,
                 after={"from": from_ccy, "to": to_ccy, "rate": lock.rate, "as_of": lock.as_of,
                        "purpose": purpose})
    return lock
