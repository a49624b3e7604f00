"""FX: rate loaders (ECB XML, rates CSV), finding and crossing rates, converting money, the
exchange's spread, and realised gain or loss on currency positions.

Pure functions and value objects: no database and no Flask here. Rates are stored and looked
up through the ``RateSource`` protocol, which the database layer implements.
"""
from __future__ import annotations

from .calendar import business_days_between, is_business_day, previous_business_day, \
    target_holidays
from .convert import RATE_PRECISION, InMemoryRateSource, RateSource, Side, apply_spread, \
    convert, find_rate, rate_of_path
from .errors import CurrencyMismatch, FxError, InvalidRate, NoRate, PositionError, \
    RateDocumentError, RateSourceUnavailable, StaleRate
from .gains import FxMovement, PositionResult, Realisation, realise_fx_position
from .rates import Leg, Quote, Rate
from .sources import fetch_ecb, load_demo_rates, parse_ecb_xml, parse_rates_csv

__all__ = [
    "Rate", "Leg", "Quote", "RateSource", "InMemoryRateSource", "Side", "RATE_PRECISION",
    "parse_ecb_xml", "fetch_ecb", "parse_rates_csv", "load_demo_rates",
    "find_rate", "rate_of_path", "convert", "apply_spread",
    "FxMovement", "Realisation", "PositionResult", "realise_fx_position",
    "business_days_between", "is_business_day", "previous_business_day", "target_holidays",
    "FxError", "InvalidRate", "RateDocumentError", "RateSourceUnavailable", "NoRate",
    "StaleRate", "CurrencyMismatch", "PositionError",
]
