"""Party screening against sanctions and watch lists: pure functions over plain data.

Load a list file set into a ``ListSnapshot`` (``parse_ofac_sdn``, ``parse_un_consolidated``,
``parse_generic_csv``), build a ``ScreeningIndex`` over one or more snapshots, and ``screen`` a
``ScreeningQuery`` with ``ScreeningThresholds`` to get a ``ScreeningResult`` (decision and hits
with their score parts). No database, no web framework: callers persist the values.
"""
from .index import ScreeningIndex
from .load_common import file_set_version
from .load_csv import load_generic_csv, parse_generic_csv
from .load_ofac import load_ofac_sdn_dir, parse_ofac_sdn
from .load_un import load_un_consolidated, parse_un_consolidated
from .matcher import MATCHER_VERSION, screen
from .model import (Alias, DateOfBirth, Hit, Identifier, ListEntry, ListFormatError,
                    ListSnapshot, ScoreParts, ScreeningConfigError, ScreeningQuery,
                    ScreeningResult, ScreeningThresholds)
from .normalise import NameForm, name_forms

__all__ = [
    "MATCHER_VERSION", "Alias", "DateOfBirth", "Hit", "Identifier", "ListEntry",
    "ListFormatError", "ListSnapshot", "NameForm", "ScoreParts", "ScreeningConfigError",
    "ScreeningIndex", "ScreeningQuery", "ScreeningResult", "ScreeningThresholds",
    "file_set_version", "load_generic_csv", "load_ofac_sdn_dir", "load_un_consolidated",
    "name_forms", "parse_generic_csv", "parse_ofac_sdn", "parse_un_consolidated", "screen",
]
