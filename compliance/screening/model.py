"""Plain values of party screening: list entries, snapshots, queries, results and errors.

Everything here is a frozen dataclass of plain types (str, int, float, tuples) so the database
layer can persist it field by field or as JSON (``to_dict``) without knowing the matcher.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from kernel.errors import InvalidInput

ENTITY_TYPES = ("individual", "entity", "vessel", "aircraft")


class ListFormatError(InvalidInput):
    """A sanctions/watch list file that cannot be read; nothing of it is loaded."""

    code = "screening_list_malformed"

    def __init__(self, detail: str, *, file: str, location: str) -> None:
        super().__init__(f"{file}: {location}: {detail}", file=file, location=location)


class ScreeningConfigError(InvalidInput):
    """Thresholds or a query that make no sense (e.g. block below review)."""

    code = "screening_config_invalid"


@dataclass(frozen=True)
class Alias:
    """Another name of a listed party; ``quality`` keeps the publisher's word (aka, fka, low)."""

    name: str
    quality: str = "aka"


@dataclass(frozen=True)
class DateOfBirth:
    """A possibly partial or approximate date (of birth, or of incorporation for entities).

    ``year_from``/``year_to`` bound the year (equal for a known year); month and day are set only
    when the publisher gave them. ``approximate`` widens comparisons by one year.
    """

    year_from: int
    year_to: int
    month: int | None = None
    day: int | None = None
    approximate: bool = False
    text: str = ""


@dataclass(frozen=True)
class Identifier:
    """A document or registry number (passport, national id, registration id, IMO...)."""

    type: str
    number: str
    country: str | None = None


@dataclass(frozen=True)
class ListEntry:
    """One listed party as the publisher gave it, in plain data."""

    entry_id: str
    list_name: str
    entity_type: str
    primary_name: str
    aliases: tuple[Alias, ...] = ()
    countries: tuple[str, ...] = ()
    dates_of_birth: tuple[DateOfBirth, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    programs: tuple[str, ...] = ()
    remarks: str = ""
    original_script_name: str | None = None

    def all_names(self) -> list[tuple[str, str]]:
        """(name, quality) for the primary name, the original-script name and every alias."""
        names = [(self.primary_name, "primary")]
        if self.original_script_name:
            names.append((self.original_script_name, "original_script"))
        names.extend((a.name, a.quality) for a in self.aliases)
        return names


@dataclass(frozen=True)
class ListSnapshot:
    """A whole list as loaded from one file set; ``version_id`` is the file set's SHA-256."""

    list_name: str
    version_id: str
    entries: tuple[ListEntry, ...]
    source_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningQuery:
    """The party to screen. ``date_of_birth`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""

    name: str
    entity_type: str | None = None
    country: str | None = None
    date_of_birth: str | None = None
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningThresholds:
    """Decision thresholds and score adjustments: configuration, not code.

    A final score at or above ``block`` blocks, at or above ``review`` opens a review; hits below
    ``review`` are not reported. Adjustments are added to the name score when both sides know the
    fact (country, date of birth, identifier); an unknown fact adjusts nothing.

    ``review`` = 0.86 is the score of one typo in a single five-letter word ("Gazpron" for
    "Gazprom"), so a one-edit variant of any distinctive word of five letters or more is
    reviewed; on the bench's labelled set (dev half) it keeps recall at 100% with 5.4% false
    positives, all of them names one edit from a listed name (0.88 would give 3.2% but clear
    such single-word typos). ``block`` = 0.97 blocks the same name in another script, order or
    legal form (0.98-1.0) but reviews spelling variants (0.96) unless a fact agrees.

    An individual screened on the name alone (no nationality, date of birth or identifier filed
    for the person) is reviewed from ``review - name_only_margin``: the facts
    it lacks could have added ``country_match + dob_match``, so a thin query is held for review
    where a full one might have been, never cleared for want of evidence.
    """

    review: float = 0.86
    block: float = 0.97
    #: name scores below this never become hits, whatever the adjustments
    min_name_score: float = 0.70
    country_match: float = 0.02
    country_mismatch: float = -0.05
    dob_match: float = 0.03
    dob_mismatch: float = -0.10
    identifier_match: float = 0.15
    name_only_margin: float = 0.05
    max_hits: int = 10
    #: how many blocked names are scored at most per query (bounds the latency); in the bench
    #: every true entry of 660 labelled positives (two seeds) ranked within the first 7
    max_candidates: int = 50

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.block <= 1.0:
            raise ScreeningConfigError("need 0 < review <= block <= 1", field="thresholds")
        if not 0.0 <= self.name_only_margin <= 0.5:
            raise ScreeningConfigError("need 0 <= name_only_margin <= 0.5", field="thresholds")
        if self.max_hits < 1 or self.max_candidates < 1:
            raise ScreeningConfigError("max_hits and max_candidates must be >= 1")


@dataclass(frozen=True)
class ScoreParts:
    """How a hit's score was made, so a reviewer (and a replay) can follow it."""

    name_score: float
    measure: str
    country_adjustment: float
    dob_adjustment: float
    identifier_adjustment: float
    final_score: float


@dataclass(frozen=True)
class Hit:
    """One listed party the query resembles, with the best-matching name of that entry."""

    list_name: str
    list_version: str
    entry_id: str
    entity_type: str
    primary_name: str
    matched_name: str
    matched_quality: str
    matched_normalised: str
    query_normalised: str
    score: ScoreParts
    #: facts the listed entry gives but the query did not, so nothing confirmed or ruled them out
    unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of screening one query against an index."""

    decision: str  # "clear" | "review" | "block"
    query: ScreeningQuery
    query_forms: tuple[str, ...]
    hits: tuple[Hit, ...]
    list_versions: tuple[tuple[str, str], ...]
    matcher_version: str
    thresholds: ScreeningThresholds
    #: how many aliases were scored (the blocking keeps this far below the list's size)
    candidates_scored: int = 0
    #: what the decision rests on: "name" plus the facts the query gave ("country",
    #: "date_of_birth", "identifier")
    evidence: tuple[str, ...] = ("name",)
    #: the score the decision reviewed from (lower than ``thresholds.review`` for a name-only
    #: individual) and sentences a reviewer reads about the evidence
    review_from: float = 0.0
    explanation: tuple[str, ...] = ()

    @property
    def name_only(self) -> bool:
        return self.evidence == ("name",)

    @property
    def top_score(self) -> float:
        """The best final score, 0.0 when nothing was hit."""
        return self.hits[0].score.final_score if self.hits else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (plain dicts/lists) for storage and replay comparison."""
        return dataclasses.asdict(self)
