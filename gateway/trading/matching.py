"""Demand matching: rank published listings of the demand's direction for a buyer's demand.

The score is a weighted sum of parts, each in [0, 1], all returned so staff can see why:

- ``text``: BM25 (k1 1.2, b 0.75) of the demand's title and description against the
  listing's titles and abstracts, over the tokens of ``gateway.listings.segment`` (Chinese as
  character bigrams, Latin words lowercased), so zh and en text both work; divided by the
  best BM25 among the candidates;
- ``ipc``: the deepest shared IPC level between any demand class and any listing class
  (main group or deeper 1.0, subclass 0.7, class 0.4, section 0.1);
- ``trl``: 1 when the listing's TRL reaches the minimum, minus a third per level short;
- ``budget``: 1 when the listing's price, converted into the budget's currency, is within the
  budget, falling linearly to 0 at twice the budget; 0.5 (neutral) when the listing has no
  price or no rate converts it (``budget_note`` says which);
- ``field``: 1 when the technology field is the same.

``score_candidates`` is pure (no database): the bench (``bench/matching.py``) and the service
share it. ``matches_for_demand`` and ``demands_for_listing`` load from the database.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gateway.listings.models import Listing
from gateway.listings.segment import tokens
from kernel.errors import DomainError
from kernel.money import to_minor

from .models import Demand

WEIGHTS = {"text": 0.45, "ipc": 0.25, "trl": 0.1, "budget": 0.1, "field": 0.1}
K1, B = 1.2, 0.75

Converter = Callable[[Money, str], Money | None]


@dataclass(frozen=True)
class Doc:
    id: int
    text: str
    ipc: tuple[str, ...]
    trl: int
    price: Money | None
    technology_field: str


@dataclass(frozen=True)
class Query:
    text: str
    ipc: tuple[str, ...] = ()
    trl_min: int | None = None
    budget: Money | None = None
    technology_field: str | None = None


@dataclass
class Match:
    doc_id: int
    score: float
    parts: dict[str, float]
    notes: dict[str, Any] = field(default_factory=dict)


def _terms(text: str) -> list[str]:
    return [t.text for t in tokens(text)]


def _ipc_levels(symbol: str) -> list[str]:
    s = symbol.replace(" ", "")
    out = [s[:1], s[:3], s[:4]]
    if len(s) > 4:
        out.append(s.split("/")[0])  # main group, e.g. G06N3
    return out


def ipc_overlap(a: Sequence[str], b: Sequence[str]) -> float:
    weights = (0.1, 0.4, 0.7, 1.0)
    best = 0.0
    for x in a:
        lx = _ipc_levels(x)
        for y in b:
            ly = _ipc_levels(y)
            for depth in range(min(len(lx), len(ly)), 0, -1):
                if lx[depth - 1] == ly[depth - 1]:
                    best = max(best, weights[depth - 1])
                    break
    return best


def trl_fit(trl: int, minimum: int | None) -> float:
    if minimum is None or trl >= minimum:
        return 1.0
    return max(0.0, 1.0 - (minimum - trl) / 3)


def budget_fit(price: Money | None, budget: Money | None, convert: Converter) -> tuple[float, str | None]:
    if budget is None:
        return 1.0, None
    if price is None:
        return 0.5, "no price (negotiated)"
    in_budget = price if price.currency == budget.currency else convert(price, budget.currency.code)
    if in_budget is None:
        return 0.5, f"no {price.currency.code}/{budget.currency.code} rate"
    p, b = to_minor(in_budget), to_minor(budget)
    if p <= b:
        return 1.0, None
    return max(0.0, 1.0 - (p - b) / b), None


class Bm25:
    def __init__(self, docs: Sequence[Doc]) -> None:
        self.tf = {d.id: Counter(_terms(d.text)) for d in docs}
        self.len = {i: sum(c.values()) for i, c in self.tf.items()}
        self.avg = (sum(self.len.values()) / len(self.len)) if self.len else 0.0
        df: Counter[str] = Counter()
        for c in self.tf.values():
            df.update(c.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def score(self, query_terms: Sequence[str], doc_id: int) -> float:
        tf, dl = self.tf[doc_id], self.len[doc_id]
        out = 0.0
        for t in set(query_terms):
            f = tf.get(t)
            if not f:
                continue
            out += self.idf[t] * f * (K1 + 1) / (f + K1 * (1 - B + B * dl / (self.avg or 1)))
        return out


def score_candidates(query: Query, docs: Sequence[Doc], convert: Converter,
                     bm25: Bm25 | None = None) -> list[Match]:
    """Every candidate with its score and parts, best first (ties: lower id first)."""
    index = bm25 or Bm25(docs)
    q = _terms(query.text)
    raw = {d.id: index.score(q, d.id) for d in docs}
    top = max(raw.values(), default=0.0) or 1.0
    out = []
    for d in docs:
        budget, note = budget_fit(d.price, query.budget, convert)
        parts = {
            "text": round(raw[d.id] / top, 4),
            "ipc": ipc_overlap(query.ipc, d.ipc),
            "trl": round(trl_fit(d.trl, query.trl_min), 4),
            "budget": round(budget, 4),
            "field": 1.0 if query.technology_field and query.technology_field == d.technology_field else 0.0,
        }
        score = round(sum(WEIGHTS[k] * v for k, v in parts.items()), 4)
        out.append(Match(d.id, score, parts, {"budget_note": note} if note else {}))
    out.sort(key=lambda m: (-m.score, m.doc_id))
    return out


# -- the database side ------------------------------------------------------------------------

def doc_of(listing: Listing) -> Doc:
    return Doc(listing.id, " ".join(filter(None, (listing.title_zh, listing.title_en,
                                                  listing.abstract_zh, listing.abstract_en))),
               tuple(listing.ipc_classes or ()), listing.trl, listing.headline_price,
               listing.technology_field)


def query_of(demand: Demand) -> Query:
    return Query(" ".join(filter(None, (demand.title, demand.description))),
                 tuple(demand.ipc_classes or ()), demand.trl_min, demand.budget,
                 demand.technology_field)


def db_converter(session: Session, on: dt.date, max_staleness_business_days: int = 5) -> Converter:
    from settlement.fx.convert import convert, find_rate
    from settlement.fx.store import DbRateSource

    source = DbRateSource(session)
    cache: dict[tuple[str, str], Any] = {}

    def conv(money: Money, to_ccy: str) -> Money | None:
        key = (money.currency.code, to_ccy)
        if key not in cache:
            try:
                cache[key] = find_rate(source, key[0], to_ccy, on, max_staleness_business_days)
            except DomainError:
                cache[key] = None
        quote = cache[key]
        return convert(money, to_ccy, quote) if quote is not None else None

    return conv


def _candidates(session: Session, direction: str) -> list[Listing]:
    return list(session.execute(select(Listing).where(
        Listing.state == "published", Listing.direction == direction).order_by(Listing.id)
        .options(selectinload(Listing.territories))).scalars())


def _territory_ok(demand: Demand, listing: Listing) -> bool:
    wanted = set(demand.territory or ())
    return not wanted or bool(wanted & set(listing.territory))


def matches_for_demand(session: Session, demand: Demand, *, on: dt.date,
                       limit: int = 20) -> list[tuple[Listing, Match]]:
    """Published listings of the demand's direction whose territory covers one of the
    demand's countries (all when the demand names none), best first; none for a closed
    demand, and never a listing its buyer passed on."""
    if demand.state != "open":
        return []
    from .demands import passed_listing_ids

    passed = passed_listing_ids(session, demand.org_id)
    listings = {x.id: x for x in _candidates(session, demand.direction)
                if _territory_ok(demand, x) and x.id not in passed}
    ranked = score_candidates(query_of(demand), [doc_of(x) for x in listings.values()],
                              db_converter(session, on))
    return [(listings[m.doc_id], m) for m in ranked[:limit]]


def demands_for_listing(session: Session, listing: Listing, *, on: dt.date,
                        limit: int = 20) -> list[tuple[Demand, Match]]:
    """The open demands this listing matches, best first (its score within each demand's
    candidate set, so the text part is comparable to what the buyer would see); a demand
    whose buyer passed on the listing carries the reason in ``notes["passed"]``."""
    pool = _candidates(session, listing.direction)
    if listing.id not in {x.id for x in pool}:
        pool.append(listing)
    docs = [doc_of(x) for x in pool]
    index = Bm25(docs)
    conv = db_converter(session, on)
    from .models import ListingPass

    passed = dict(session.execute(select(ListingPass.org_id, ListingPass.reason).where(
        ListingPass.listing_id == listing.id)).all())
    out = []
    for demand in session.execute(select(Demand).where(
            Demand.state == "open", Demand.direction == listing.direction).order_by(Demand.id)).scalars():
        if not _territory_ok(demand, listing):
            continue
        ranked = score_candidates(query_of(demand), docs, conv, index)
        mine = next(m for m in ranked if m.doc_id == listing.id)
        if demand.org_id in passed:  # the buyer was shown it and said why not
            mine.notes["passed"] = passed[demand.org_id]
        out.append((demand, mine))
    out.sort(key=lambda p: (-p[1].score, p[0].id))
    return out[:limit]


def create_demand(session: Session, org_id: int, data: dict[str, Any], *, now: dt.datetime,
                  actor: str) -> Demand:
    """Record a buyer's demand (IPC classes normalised, field and countries checked)."""
    from gateway.listings.codes import TECHNOLOGY_FIELDS, normalise_ipc

    from .errors import InvalidTrading

    fld = data.get("technology_field")
    if fld is not None and fld not in TECHNOLOGY_FIELDS:
        raise InvalidTrading(f"unknown technology field {fld!r}", field="technology_field")
    territory = [str(c).upper() for c in data.get("territory") or ()]
    if any(len(c) != 2 or not c.isalpha() for c in territory):
        raise InvalidTrading("territory is ISO 3166 alpha-2 codes", field="territory")
    budget = data.get("budget")
    demand = Demand(org_id=org_id, direction=data["direction"], state="open",
                    title=data["title"], description=data.get("description"),
                    technology_field=fld,
                    ipc_classes=[normalise_ipc(s) for s in data.get("ipc_classes") or ()],
                    trl_min=data.get("trl_min"), territory=territory, created_by=actor,
                    created_at=now)
    demand.budget = budget
    session.add(demand)
    session.flush()
    return demand
