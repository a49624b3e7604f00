"""Finding a usable rate between two currencies, converting money with it, adding the spread.

Precision: a quote's rate is computed in a private decimal context of ``RATE_PRECISION`` (28)
significant digits, rounding half-even, with a single division per path (the product of the
legs used as published over the product of the inverted ones), and is never rounded further.
That keeps well over the 12 significant digits a crossed rate needs, so the only rounding
that reaches money is the final one to the target currency's minor unit in ``convert``.
"""
from __future__ import annotations

from bisect import bisect_right
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, localcontext
from enum import StrEnum
from typing import AbstractSet, Iterable, Protocol, Sequence

from kernel.errors import Conflict
from kernel.money import Money, check_currency, quantize

from .calendar import NO_HOLIDAYS, business_days_between
from .errors import CurrencyMismatch, InvalidRate, NoRate, StaleRate
from .rates import WIDE_CONTEXT, Leg, Quote, Rate

RATE_PRECISION = 28
_RATE_CONTEXT = Context(prec=RATE_PRECISION, rounding=ROUND_HALF_EVEN)
_BPS = Decimal(10000)


class RateSource(Protocol):
    """Where rates come from: the database table in production, memory in tests and demos."""

    def get(self, base: str, quote: str, on: date) -> Rate | None:
        """The newest rate of ``base``/``quote`` dated on or before ``on``, or None."""
        ...


class InMemoryRateSource:
    """A ``RateSource`` over rates held in memory, for tests, demos and one-off scripts."""

    def __init__(self, rates: Iterable[Rate] = ()) -> None:
        self._dates: dict[tuple[str, str], list[date]] = {}
        self._rates: dict[tuple[str, str, date], Rate] = {}
        self.add_all(rates)

    def add(self, rate: Rate) -> None:
        """Add one rate; the same pair and day again must carry the same rate."""
        key = (rate.base, rate.quote, rate.as_of)
        held = self._rates.get(key)
        if held is not None:
            if held.rate != rate.rate:
                raise Conflict(f"{rate.base}/{rate.quote} on {rate.as_of} is already "
                               f"{held.rate} ({held.source}), not {rate.rate} ({rate.source})")
            return
        self._rates[key] = rate
        days = self._dates.setdefault((rate.base, rate.quote), [])
        days.insert(bisect_right(days, rate.as_of), rate.as_of)

    def add_all(self, rates: Iterable[Rate]) -> None:
        """Add every rate of ``rates`` (see ``add``)."""
        for rate in rates:
            self.add(rate)

    def get(self, base: str, quote: str, on: date) -> Rate | None:
        """The newest rate of ``base``/``quote`` dated on or before ``on``, or None."""
        days = self._dates.get((base, quote), [])
        i = bisect_right(days, on)
        return self._rates[(base, quote, days[i - 1])] if i else None


def _leg(source: RateSource, from_ccy: str, to_ccy: str, on: date) -> Leg | None:
    """The freshest way to go one step: as published, else inverted (newer wins)."""
    direct = source.get(from_ccy, to_ccy, on)
    inverse = source.get(to_ccy, from_ccy, on)
    if direct is not None and (inverse is None or direct.as_of >= inverse.as_of):
        return Leg(direct, inverted=False)
    return Leg(inverse, inverted=True) if inverse is not None else None


def rate_of_path(path: Sequence[Leg]) -> Decimal:
    """The rate a path of legs gives, with one division (see the module docstring)."""
    numerator, denominator = Decimal(1), Decimal(1)
    with localcontext(WIDE_CONTEXT):  # exact products: rates carry few digits
        for leg in path:
            if leg.inverted:
                denominator *= leg.rate.rate
            else:
                numerator *= leg.rate.rate
    return _RATE_CONTEXT.divide(numerator, denominator)


def find_rate(source: RateSource, from_ccy: str, to_ccy: str, on: date,
              max_staleness_business_days: int, holidays: AbstractSet[date] = NO_HOLIDAYS,
              pivots: Sequence[str] = ("EUR",)) -> Quote:
    """Find the rate to convert ``from_ccy`` into ``to_ccy`` on day ``on``.

    Tries the pair as published (direct), its inverse (1/rate), then crossed through each
    pivot currency (from -> EUR -> to, each step direct or inverse). A path's date is its
    oldest leg's; it is usable when that date lags ``on`` by at most
    ``max_staleness_business_days`` business days (weekends and ``holidays`` do not count).
    Among usable paths the shortest wins, then the newest, then direct over inverse. Raises
    ``NoRate`` when no path exists at all and ``StaleRate`` when every path is too old.
    """
    check_currency(from_ccy, field="from_ccy")
    check_currency(to_ccy, field="to_ccy")
    if max_staleness_business_days < 0:
        raise InvalidRate("the staleness limit cannot be negative", field="max_staleness")
    if from_ccy == to_ccy:
        return Quote(from_ccy, to_ccy, Decimal(1), (), on)
    candidates: list[tuple[Leg, ...]] = []
    single = _leg(source, from_ccy, to_ccy, on)
    if single is not None:
        candidates.append((single,))
    for pivot in pivots:
        if pivot in (from_ccy, to_ccy):
            continue
        first, second = _leg(source, from_ccy, pivot, on), _leg(source, pivot, to_ccy, on)
        if first is not None and second is not None:
            candidates.append((first, second))
    if not candidates:
        raise NoRate(f"no {from_ccy}/{to_ccy} rate on or before {on}, direct, inverse or "
                     f"through {', '.join(pivots)}", from_ccy=from_ccy, to_ccy=to_ccy)
    fresh = []
    for path in candidates:
        for leg in path:
            if leg.rate.as_of > on:
                raise InvalidRate(f"rate source returned a rate of {leg.rate.as_of} for {on}")
        as_of = min(leg.rate.as_of for leg in path)
        if business_days_between(as_of, on, holidays) <= max_staleness_business_days:
            fresh.append((len(path), -as_of.toordinal(), path[0].inverted, path, as_of))
    if not fresh:
        newest = max(min(leg.rate.as_of for leg in path) for path in candidates)
        raise StaleRate(
            f"the newest {from_ccy}/{to_ccy} rate is of {newest}, more than "
            f"{max_staleness_business_days} business days before {on}",
            as_of=newest.isoformat(), limit=max_staleness_business_days)
    *_, path, as_of = min(fresh, key=lambda c: c[:3])
    return Quote(from_ccy, to_ccy, rate_of_path(path), tuple(path), as_of)


def convert(money: Money, to_ccy: str, quote: Quote,
            rounding: str = ROUND_HALF_EVEN) -> Money:
    """Convert ``money`` into ``to_ccy`` at ``quote.rate``, rounded once to ``to_ccy``'s
    minor unit (JPY/KRW 0, USD 2, KWD/BHD 3 decimals) with ``rounding``.

    The quote must go from ``money``'s currency to ``to_ccy``; otherwise ``CurrencyMismatch``.
    """
    if money.currency.code != quote.from_ccy or to_ccy != quote.to_ccy:
        raise CurrencyMismatch(
            f"cannot convert {money.currency.code} to {to_ccy} with a "
            f"{quote.from_ccy}->{quote.to_ccy} quote", field="currency")
    with localcontext(WIDE_CONTEXT):
        return quantize(money.amount * quote.rate, to_ccy, rounding)


class Side(StrEnum):
    """Which way the exchange's FX margin moves the rate.

    ``PAY``: the converted amount is what the customer pays (a buyer paying a USD price in
    CNY), so the rate goes up and the buyer pays more. ``RECEIVE``: the converted amount is what
    the customer receives (a seller's CNY proceeds paid out in USD), so the rate goes down
    and the seller receives less.
    """

    PAY = "pay"
    RECEIVE = "receive"


def apply_spread(quote: Quote, spread_bps: Decimal | int, side: Side | str) -> Quote:
    """Return ``quote`` with the exchange's margin of ``spread_bps`` basis points applied.

    ``PAY`` multiplies the mid rate by (1 + bps/10000), ``RECEIVE`` by (1 - bps/10000); the
    result is exact (no rounding; an inexact result would raise). The mid rate, the spread
    and the side are kept on the new quote; a quote that already carries a spread is refused.
    """
    side = Side(side)
    if isinstance(spread_bps, bool) or not isinstance(spread_bps, (int, Decimal)):
        raise InvalidRate("spread_bps must be an int or a Decimal", field="spread_bps")
    bps = Decimal(spread_bps)
    if not bps.is_finite() or not Decimal(0) <= bps < _BPS:
        raise InvalidRate(f"spread of {bps} bps is out of range [0, 10000)", field="spread_bps")
    if quote.side is not None:
        raise InvalidRate("the quote already carries a spread", field="spread_bps")
    factor = _BPS + bps if side is Side.PAY else _BPS - bps
    exact = Context(prec=WIDE_CONTEXT.prec, traps=[Inexact])
    rate = exact.multiply(quote.rate, factor).scaleb(-4, exact)
    return Quote(quote.from_ccy, quote.to_ccy, rate, quote.path, quote.as_of,
                 mid_rate=quote.rate, spread_bps=bps, side=side.value)
