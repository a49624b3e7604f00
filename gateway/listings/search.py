"""Browse and search listings: filters, price range in the caller's currency, free text in
Chinese and English, ranked by relevance then id, with keyset cursors.

Free text is segmented with ``segment.tokens`` exactly as the indexed ``search_text`` was, and
every token must match (AND). A lone CJK character matches as a prefix (the first half of a
bigram). SQLite searches its FTS5 table ``listings_fts`` (relevance ``-bm25``); PostgreSQL
ranks in the narrow side table ``listing_search_vectors`` (GIN match, ``ts_rank`` of every
match, sorted) and joins the ranked ids to ``listings`` by primary key, so the filters read
only as many wide listing rows as it takes to fill the page (migration 0013 says why).
Relevance is exact on both databases: every match is ranked, none is left out.
"""
from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from moneyed import Money
from sqlalchemy import (
    Float,
    and_,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import column, table

from gateway.listings.access import Actor, visible
from gateway.listings.models import Listing, ListingIpcPrefix, ListingTerritory
from gateway.listings.segment import tokens
from kernel.errors import InvalidInput
from kernel.money import minor_units
from settlement.fx import FxError, find_rate
from settlement.fx.store import DbRateSource

#: what a buyer browses: listings open for business
OPEN_STATES = ("published", "under_negotiation", "in_notice_period", "in_auction")
_FTS = table("listings_fts", column("rowid"))
_VECTORS = table("listing_search_vectors", column("listing_id"), column("search_vector"))


@dataclass
class SearchQuery:
    text: str | None = None
    direction: str | None = None
    technology_field: str | None = None
    ipc_prefix: str | None = None  # normalised (codes.normalise_ipc_prefix)
    trl_min: int | None = None
    trl_max: int | None = None
    transaction_type: str | None = None
    territory: str | None = None
    price_min: Money | None = None  # both bounds in the caller's currency
    price_max: Money | None = None
    states: Sequence[str] = OPEN_STATES
    #: FX rates older than this many business days are not used (listing left out instead)
    max_rate_staleness_days: int = 5


def encode_cursor(score: float, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"r:{score!r}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, score, last_id = raw.split(":")
        if kind != "r" or not math.isfinite(float(score)):
            raise ValueError(kind)
        return float(score), int(last_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this search gave out", field="cursor") from None


def _listing_currencies(session: Session) -> list[str]:
    """Distinct headline currencies via a loose index scan (one index probe per currency)."""
    rows = session.execute(text(
        "WITH RECURSIVE c(ccy) AS ("
        " SELECT MIN(headline_price_currency) FROM listings"
        " UNION ALL SELECT (SELECT MIN(headline_price_currency) FROM listings"
        "  WHERE headline_price_currency > c.ccy) FROM c WHERE c.ccy IS NOT NULL)"
        " SELECT ccy FROM c WHERE ccy IS NOT NULL")).scalars()
    return [r.strip() for r in rows]


def _bound(amount: Decimal, rate: Decimal, ccy: str, rounding: str) -> int:
    return int((amount * rate).scaleb(minor_units(ccy)).to_integral_value(rounding=rounding))


def _price_rates(session: Session, q: SearchQuery, on: dt.date) -> dict[str, Decimal | None]:
    """For each listing currency, the rate converting the caller's currency into it (None when
    no usable rate: missing, or older than the query allows)."""
    bound = q.price_min if q.price_min is not None else q.price_max
    assert bound is not None
    caller = bound.currency.code
    source = DbRateSource(session)
    rates: dict[str, Decimal | None] = {}
    for ccy in _listing_currencies(session):
        try:
            rates[ccy] = find_rate(source, caller, ccy, on, q.max_rate_staleness_days).rate
        except FxError:
            rates[ccy] = None
    return rates


def price_clause(session: Session, q: SearchQuery, on: dt.date) -> Any:
    """Headline price within [price_min, price_max] of the caller's currency, for every listing
    currency that has a usable rate: the bounds are converted into that currency (lower bound
    rounded up, upper down, to its minor unit). Currencies without a usable rate drop out
    (``unpriced_currencies`` names them)."""
    parts = []
    for ccy, rate in _price_rates(session, q, on).items():
        if rate is None:
            continue
        cond = [Listing.headline_price_currency == ccy]
        if q.price_min is not None:
            cond.append(Listing.headline_price_minor >= _bound(q.price_min.amount, rate, ccy, ROUND_CEILING))
        if q.price_max is not None:
            cond.append(Listing.headline_price_minor <= _bound(q.price_max.amount, rate, ccy, ROUND_FLOOR))
        parts.append(and_(*cond))
    return or_(*parts) if parts else false()


def unpriced_currencies(session: Session, q: SearchQuery, on: dt.date) -> list[str]:
    """The listing currencies a price range leaves out for want of a usable rate (their
    listings cannot be compared with the range; the caller should be told), sorted."""
    if q.price_min is None and q.price_max is None:
        return []
    return sorted(ccy for ccy, rate in _price_rates(session, q, on).items() if rate is None)


@dataclass(frozen=True)
class _TextMatch:
    """How free text joins the listings on one database."""

    target: Any  # what to join to ``listings``
    on: Any
    where: Any  # the match condition, or None when ``target`` only holds matches
    score: Any  # relevance, higher is better
    key: Any  # the listing id on the ranked side (ties are broken by it, ascending)


def _text_match(session: Session, words: str) -> _TextMatch | None:
    """The free text's join, condition and relevance on this database (None: no tokens)."""
    toks = tokens(words)
    if not toks:
        return None
    if session.get_bind().dialect.name == "postgresql":
        tsq = " & ".join(f"'{t.text}'" + (":*" if t.single_cjk else "") for t in toks)
        query = func.to_tsquery(literal_column("'simple'"), literal(tsq))
        score = cast(func.ts_rank(_VECTORS.c.search_vector, query), Float).label("score")
        # ORDER BY keeps the subquery from being flattened: every match is ranked in the
        # narrow table, and the outer join can walk the ranked ids in order and stop at a page.
        # OFFSET 0 keeps the cursor's condition out of it (pushed down, it would compute
        # ts_rank again for every match; outside, only for the few rows the join walks).
        ranked = (select(_VECTORS.c.listing_id, score)
                  .where(_VECTORS.c.search_vector.op("@@")(query))
                  .order_by(score.desc(), _VECTORS.c.listing_id)
                  .offset(literal_column("0"))
                  .subquery("ranked"))
        return _TextMatch(ranked, ranked.c.listing_id == Listing.id, None, ranked.c.score,
                          ranked.c.listing_id)
    match = " ".join(f'"{t.text}"' + ("*" if t.single_cjk else "") for t in toks)
    return _TextMatch(_FTS, _FTS.c.rowid == Listing.id,
                      literal_column("listings_fts").op("MATCH")(literal(match)),
                      -func.bm25(literal_column("listings_fts")), Listing.id)


def search_listings(session: Session, actor: Actor, q: SearchQuery, *, now: dt.datetime,
                    cursor: str | None = None, limit: int = 50) -> tuple[list[tuple[Listing, float]], str | None]:
    """One page of listings ``actor`` may see that match ``q``, best first, and the next cursor."""
    match = _text_match(session, q.text) if q.text else None
    score: Any = literal(0.0, Float) if match is None else match.score
    stmt = select(Listing, score.label("score")).where(visible(actor), Listing.state.in_(list(q.states)))
    if match is not None:
        stmt = stmt.join(match.target, match.on)
        if match.where is not None:
            stmt = stmt.where(match.where)
    for attr in ("direction", "technology_field", "transaction_type"):
        if getattr(q, attr) is not None:
            stmt = stmt.where(getattr(Listing, attr) == getattr(q, attr))
    if q.trl_min is not None:
        stmt = stmt.where(Listing.trl >= q.trl_min)
    if q.trl_max is not None:
        stmt = stmt.where(Listing.trl <= q.trl_max)
    if q.ipc_prefix is not None:
        stmt = stmt.where(Listing.id.in_(select(ListingIpcPrefix.listing_id)
                                         .where(ListingIpcPrefix.prefix == q.ipc_prefix)))
    if q.territory is not None:
        stmt = stmt.where(Listing.id.in_(select(ListingTerritory.listing_id)
                                         .where(ListingTerritory.country == q.territory)))
    if q.price_min is not None or q.price_max is not None:
        stmt = stmt.where(price_clause(session, q, now.date()))
    if cursor:
        last_score, last_id = decode_cursor(cursor)
        if match is None:
            stmt = stmt.where(Listing.id > last_id)
        else:
            stmt = stmt.where(or_(score < last_score, and_(score == last_score, match.key > last_id)))
    order = [Listing.id] if match is None else [score.desc(), match.key]
    stmt = stmt.order_by(*order).limit(limit + 1).options(selectinload(Listing.territories))
    rows = [(listing, float(s)) for listing, s in session.execute(stmt).all()]
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1][1], rows[-1][0].id)
    return rows, None
