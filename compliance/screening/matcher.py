"""Screening a party against an index: candidates, scores, adjustments and the decision.

Same query + same list versions + same ``MATCHER_VERSION`` give the same result, field for
field: candidate choice and hit order break ties by ids, and scores are rounded to 4 decimals.
``MATCHER_VERSION`` names the versions of the libraries whose output feeds the scores, since a
new pinyin dictionary or romaniser changes results as surely as a code change does.
"""
from __future__ import annotations

import re
from importlib.metadata import version

from rapidfuzz import fuzz, process

from .countries import country_code
from .dates import compare_dates, parse_date
from .index import ScreeningIndex, strip_legal_for
from .model import DateOfBirth, Hit, ListEntry, ScoreParts, ScreeningConfigError, ScreeningQuery
from .model import ScreeningResult, ScreeningThresholds
from .normalise import NameForm, name_forms
from .scoring import name_score

#: bump the first part on any change to normalisation, legal forms, measures or adjustments
MATCHER_VERSION = "2.0+" + ",".join(
    f"{lib}={version(lib)}" for lib in ("rapidfuzz", "pypinyin", "korean-romanizer", "anyascii"))

_ID_CLEAN = re.compile(r"[^0-9A-Z]")


def _identifier(text: str) -> str:
    return _ID_CLEAN.sub("", text.upper())


def _adjust(query: ScreeningQuery, query_date: DateOfBirth | None, entry: ListEntry,
            t: ScreeningThresholds):
    """(country, dob, identifier) adjustments; zero where either side does not know."""
    country = 0.0
    code = country_code(query.country)
    if code and entry.countries:
        country = t.country_match if code in entry.countries else t.country_mismatch
    dob = 0.0
    if query_date and entry.dates_of_birth:
        agreement = compare_dates(query_date, entry.dates_of_birth)
        dob = t.dob_match if agreement > 0 else t.dob_mismatch if agreement < 0 else 0.0
    ident = 0.0
    wanted = {_identifier(i) for i in query.identifiers} - {""}
    if wanted and any(_identifier(i.number) in wanted for i in entry.identifiers):
        ident = t.identifier_match
    return country, dob, ident


#: a pair of forms goes to the full (Python-level) scoring only if a cheap C-level measure
#: (token-set ratio of the texts or Indel ratio of the spelling-folded joined forms) reaches
#: this; well below min_name_score so it discards only hopeless pairs
PREFILTER = 60.0


def _passing(query: str, choices: dict[str, list[int]], scorer) -> list[int]:
    """Positions (in the flat list) of the forms whose ``choices`` key passes the prefilter;
    each distinct text is compared once, however many names share it."""
    keys = list(choices)
    out: list[int] = []
    for _, _, k in process.extract(query, keys, scorer=scorer, limit=None,
                                   score_cutoff=PREFILTER):
        out.extend(choices[keys[k]])
    return out


def _scored_pairs(q_forms, candidate_ids, index):
    """(name_id, query form, candidate form) pairs worth full scoring, in a fixed order."""
    flat = [(nid, cf) for nid in sorted(candidate_ids) for cf in index.names[nid].forms]
    texts: dict[str, list[int]] = {}
    joined: dict[str, list[int]] = {}
    for i, (_, cf) in enumerate(flat):
        texts.setdefault(cf.text, []).append(i)
        joined.setdefault(cf.folded, []).append(i)
    keep: set[tuple[int, int]] = set()
    for qi, qf in enumerate(q_forms):
        # token-set: a query naming a subset of the listed words ("Huawei") still goes on
        keep.update((i, qi) for i in _passing(qf.text, texts, fuzz.token_set_ratio))
        keep.update((i, qi) for i in _passing(qf.folded, joined, fuzz.ratio))
    return [(flat[i][0], q_forms[qi], flat[i][1]) for i, qi in sorted(keep)]


def _evidence(query: ScreeningQuery) -> tuple[str, ...]:
    facts = [("country", bool(country_code(query.country))),
             ("date_of_birth", bool(query.date_of_birth)),
             ("identifier", any(_identifier(i) for i in query.identifiers))]
    return ("name",) + tuple(name for name, given in facts if given)


def _unverified(evidence: tuple[str, ...], entry: ListEntry) -> tuple[str, ...]:
    listed = [("country", bool(entry.countries)), ("date_of_birth", bool(entry.dates_of_birth)),
              ("identifier", bool(entry.identifiers))]
    return tuple(name for name, known in listed if known and name not in evidence)


def _explain(index_versions: tuple[tuple[str, str], ...], evidence: tuple[str, ...],
             review_from: float, t: ScreeningThresholds, hits: list[Hit]) -> tuple[str, ...]:
    lines = []
    if not index_versions:
        lines.append("no watch list is loaded: the name was compared with nothing")
    if evidence == ("name",):
        lines.append("screened on the name alone: no country, date of birth or identifier was "
                     "given, so no fact could confirm or rule out a hit")
        if review_from < t.review:
            lines.append(f"an individual on thin evidence is reviewed from {review_from:.4f} "
                         f"instead of {t.review:.4f} (the facts missing could have added "
                         f"{t.name_only_margin:.4f})")
    else:
        lines.append("name compared with " + ", ".join(e.replace("_", " ") for e in evidence[1:]))
    for hit in hits:
        if hit.unverified:
            lines.append(f"{hit.list_name} {hit.entry_id}: listed with "
                         f"{', '.join(u.replace('_', ' ') for u in hit.unverified)}, which the "
                         "query did not give; the score rests on the name")
    return tuple(lines)


def screen(index: ScreeningIndex, query: ScreeningQuery,
           thresholds: ScreeningThresholds | None = None) -> ScreeningResult:
    """Screen ``query`` against every list in ``index`` and decide clear/review/block."""
    t = thresholds or ScreeningThresholds()
    if not query.name or not query.name.strip():
        raise ScreeningConfigError("the name to screen is empty", field="name")
    query_date = parse_date(query.date_of_birth) if query.date_of_birth else None
    if query.date_of_birth and query_date is None:
        raise ScreeningConfigError(f"unreadable date {query.date_of_birth!r}", field="date_of_birth")
    evidence = _evidence(query)
    review_from = t.review
    if evidence == ("name",) and query.entity_type == "individual":
        review_from = max(0.0, round(t.review - t.name_only_margin, 4))
    q_forms = name_forms(query.name, strip_legal_for(query.entity_type))
    versions = dict(index.list_versions)
    best_per_entry: dict[int, Hit] = {}
    candidate_ids = index.candidates(q_forms, t.max_candidates) if q_forms else []
    best_per_name: dict[int, tuple[float, str, NameForm, NameForm]] = {}
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[float, str]] = {}
    for name_id, qf, cf in _scored_pairs(q_forms, candidate_ids, index):
        # many listed names share a spelling ("zhou xi"): score each pair of spellings once
        key = (qf.tokens, cf.tokens)
        scored = memo.get(key)
        if scored is None:
            scored = memo[key] = name_score(qf, cf, index.token_weight)
        score, measure = scored
        if name_id not in best_per_name or score > best_per_name[name_id][0]:
            best_per_name[name_id] = (score, measure, qf, cf)
    for name_id, (score, measure, qf, cf) in sorted(best_per_name.items()):
        if score < t.min_name_score:
            continue
        indexed = index.names[name_id]
        entry = index.entries[indexed.entry_no]
        country, dob, ident = _adjust(query, query_date, entry, t)
        final = round(min(1.0, max(0.0, score + country + dob + ident)), 4)
        if final < review_from:
            continue
        current = best_per_entry.get(indexed.entry_no)
        if current is not None and current.score.final_score >= final:
            continue
        best_per_entry[indexed.entry_no] = Hit(
            list_name=entry.list_name, list_version=versions.get(entry.list_name, ""),
            entry_id=entry.entry_id, entity_type=entry.entity_type,
            primary_name=entry.primary_name, matched_name=indexed.name,
            matched_quality=indexed.quality, matched_normalised=cf.text,
            query_normalised=qf.text,
            score=ScoreParts(round(score, 4), measure, country, dob, ident, final),
            unverified=_unverified(evidence, entry))
    hits = sorted(best_per_entry.values(),
                  key=lambda h: (-h.score.final_score, h.list_name, h.entry_id))[: t.max_hits]
    top = hits[0].score.final_score if hits else 0.0
    decision = "block" if top >= t.block else "review" if top >= review_from else "clear"
    return ScreeningResult(
        decision=decision, query=query, query_forms=tuple(f.text for f in q_forms),
        hits=tuple(hits), list_versions=index.list_versions, matcher_version=MATCHER_VERSION,
        thresholds=t, candidates_scored=len(candidate_ids), evidence=evidence,
        review_from=review_from, explanation=_explain(index.list_versions, evidence, review_from, t, hits))
