"""Matching, decisions at thresholds, adjustments, blocking and replayable results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.screening import (MATCHER_VERSION, Alias, DateOfBirth, Identifier, ListEntry,
                                  ListSnapshot, ScreeningConfigError, ScreeningIndex,
                                  ScreeningQuery, ScreeningThresholds, screen)

ENTRIES = (
    ListEntry("1", "TEST", "entity", "华为技术有限公司", (Alias("Huawei Technologies Co., Ltd."),),
              countries=("CN",)),
    ListEntry("2", "TEST", "entity", "ООО ГАЗПРОМ", countries=("RU",),
              identifiers=(Identifier("Registration ID", "1027700070518"),)),
    ListEntry("3", "TEST", "individual", "KIM, Jong Un", countries=("KP",),
              dates_of_birth=(DateOfBirth(1984, 1984, 1, 8),), original_script_name="김정은"),
    ListEntry("4", "TEST", "entity", "삼성전자 주식회사"),
    ListEntry("5", "TEST", "entity", "Acme Trading Holdings"),
    ListEntry("6", "TEST", "entity", "Gazprombank"),
    ListEntry("7", "TEST", "individual", "PETROV, Ivan Sergeyevich", countries=("RU",)),
)
INDEX = ScreeningIndex([ListSnapshot("TEST", "v1", ENTRIES)])


def top(name, **kw):
    result = screen(INDEX, ScreeningQuery(name, **kw))
    return result, (result.hits[0] if result.hits else None)


@pytest.mark.parametrize("query, entry_id", [
    ("华为技术", "1"), ("Huawei Jishu", "1"), ("Hua Wei Ji Shu", "1"), ("HUAWEI TECHNOLOGIES", "1"),
    ("Gazprom", "2"), ("ГАЗПРОМ", "2"), ("Kim Jong-un", "3"), ("Jong Un KIM", "3"),
    ("Samseong Jeonja Co., Ltd.", "4"), ("Ivan Sergeyevich Petrov", "7"),
])
def test_same_name_in_another_script_order_or_legal_form_blocks(query, entry_id):
    result, hit = top(query)
    assert result.decision == "block" and hit.entry_id == entry_id


@pytest.mark.parametrize("query, entry_id", [
    ("Gazpron", "2"),                       # typo
    ("Kim Jong Un", "3"),                  # Hangul original vs conventional spelling (also exact)
    ("Ivan Petrov", "7"),                  # patronymic missing
])
def test_close_names_open_a_review_or_block(query, entry_id):
    result, hit = top(query)
    assert result.decision in ("review", "block") and hit.entry_id == entry_id


def test_common_words_count_less_than_distinctive_ones():
    fillers = tuple(ListEntry(f"f{i}", "T", "entity", f"{w} Technologies Co., Ltd.")
                    for i, w in enumerate(f"{a}{b}" for a in "Alpha Beta Gamma Delta Epsilon".split()
                                         for b in "ria mont vale dorf ton sk ova ex".split()))
    index = ScreeningIndex([ListSnapshot("T", "v", ENTRIES + fillers)])
    huawei = screen(index, ScreeningQuery("Huawei")).hits[0]
    assert huawei.entry_id == "1" and huawei.score.measure == "token_align"
    assert screen(index, ScreeningQuery("Technologies")).decision == "clear"


def test_hangul_original_script_meets_its_romanisation():
    result, hit = top("김정은")
    assert hit.entry_id == "3" and result.decision == "block"
    result, hit = top("Kim Jeong-eun")
    assert hit.entry_id == "3" and hit.score.measure in ("exact", "joined", "token_align", "phonetic")


@pytest.mark.parametrize("query", ["Rosneft", "Volkswagen AG", "Li Wei", "Acme"])
def test_unrelated_or_partial_names_clear(query):
    result, _ = top(query)
    assert result.decision == "clear" and result.hits == ()


def test_overlapping_names_do_not_saturate():
    index = ScreeningIndex([ListSnapshot("T", "v", (ListEntry("1", "T", "entity", "Acme Trading Holdings"),))])
    low = ScreeningThresholds(review=0.3, block=0.99, min_name_score=0.3)
    partial = screen(index, ScreeningQuery("Acme"), low).hits[0].score
    assert partial.measure == "token_align" and partial.name_score < 0.9
    nearly = screen(index, ScreeningQuery("Acme Trading Holding"), low).hits[0].score
    assert partial.name_score < nearly.name_score < 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9), min_size=2, max_size=3),
       st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9),
       st.sampled_from(["same", "reordered", "changed"]))
def test_only_the_same_normalised_name_scores_one(tokens, other, how):
    name = " ".join(tokens)
    index = ScreeningIndex([ListSnapshot("T", "v", (ListEntry("1", "T", "individual", name),))])
    low = ScreeningThresholds(review=0.01, block=1.0, min_name_score=0.0)
    changed = {"same": name, "reordered": " ".join(reversed(tokens)),
               "changed": " ".join(tokens[:-1] + [other])}[how]
    result = screen(index, ScreeningQuery(changed, entity_type="individual"), low)
    assert result.candidates_scored == 1  # the unchanged words always share a blocking key
    # no hit at these thresholds means the name scored (next to) nothing
    top = result.hits[0].score.name_score if result.hits else 0.0
    # the same words in another order come close (0.99) but do not tie with the name itself
    assert (top == 1.0) is (changed == name), (name, changed, result.hits)
    assert (result.decision == "block") is (changed == name)


def test_adjustments_for_country_date_and_identifier():
    t = ScreeningThresholds()
    _, same = top("Kim Jong Un", country="KP", date_of_birth="1984")
    other = screen(INDEX, ScreeningQuery("Kim Jong Un", country="US", date_of_birth="1990-05-01"),
                   ScreeningThresholds(review=0.5)).hits[0]
    assert same.score.country_adjustment == t.country_match and same.score.dob_adjustment == t.dob_match
    assert other.score.country_adjustment == t.country_mismatch
    assert other.score.dob_adjustment == t.dob_mismatch
    assert other.score.final_score == round(other.score.name_score + t.country_mismatch + t.dob_mismatch, 4)
    _, ident = top("Gasprom", identifiers=("10277-0007-0518",))
    assert ident.entry_id == "2" and ident.score.identifier_adjustment == t.identifier_match
    assert ident.score.final_score == min(1.0, round(ident.score.name_score + t.identifier_match, 4))


def test_decision_follows_configured_thresholds_at_the_boundary():
    _, hit = top("Gazpron")
    score = hit.score.final_score
    at = screen(INDEX, ScreeningQuery("Gazpron"), ScreeningThresholds(review=score, block=1.0))
    above = screen(INDEX, ScreeningQuery("Gazpron"), ScreeningThresholds(review=score + 0.0001, block=1.0))
    blocks = screen(INDEX, ScreeningQuery("Gazpron"), ScreeningThresholds(review=0.5, block=score))
    assert (at.decision, above.decision, blocks.decision) == ("review", "clear", "block")


@pytest.mark.parametrize("kwargs", [dict(review=0.9, block=0.8), dict(review=0.0), dict(max_hits=0)])
def test_nonsense_thresholds_are_refused(kwargs):
    with pytest.raises(ScreeningConfigError):
        ScreeningThresholds(**kwargs)


def test_empty_query_and_bad_date_are_refused():
    with pytest.raises(ScreeningConfigError):
        screen(INDEX, ScreeningQuery("  "))
    with pytest.raises(ScreeningConfigError):
        screen(INDEX, ScreeningQuery("Kim Jong Un", date_of_birth="last year"))


def test_hits_carry_what_a_reviewer_and_a_replay_need():
    result, hit = top("Huawei Technologies Co Ltd", country="CN")
    assert result.list_versions == (("TEST", "v1"),) and result.matcher_version == MATCHER_VERSION
    assert (hit.list_name, hit.list_version, hit.entry_id) == ("TEST", "v1", "1")
    assert hit.matched_name == "Huawei Technologies Co., Ltd." and hit.matched_normalised == "huawei technologies"
    assert hit.query_normalised == "huawei technologies"
    assert json.loads(json.dumps(result.to_dict()))["hits"][0]["score"]["measure"] == "exact"




def _replay_in_subprocess(seed: str) -> str:
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_screening_matcher import INDEX, ScreeningQuery, screen\n"
        "print(json.dumps([screen(INDEX, ScreeningQuery(q)).to_dict() for q in "
        "['Gazpron', 'Huawei', 'Kim Jong Un', 'Hua Wei Ji Shu']], sort_keys=True))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parents[3]).stdout


def test_same_query_list_and_version_replay_identically_across_processes():
    first, second = _replay_in_subprocess("1"), _replay_in_subprocess("999")
    assert first == second and '"decision"' in first
    again = ScreeningIndex([ListSnapshot("TEST", "v1", ENTRIES)])
    assert screen(again, ScreeningQuery("Gazpron")) == screen(INDEX, ScreeningQuery("Gazpron"))


def test_blocking_scores_a_small_part_of_a_large_list():
    syllables = ["ka", "ro", "vel", "mor", "tan", "ri", "zen", "dal", "vor", "lin", "sa", "ber"]
    entries = tuple(
        ListEntry(str(i), "BIG", "entity",
                  f"{syllables[i % 12]}{syllables[i // 12 % 12]}{syllables[i // 144 % 12]} Trading")
        for i in range(1728))
    index = ScreeningIndex([ListSnapshot("BIG", "v", entries)])
    result = screen(index, ScreeningQuery("Kamorzen Trading"))
    assert result.hits and result.hits[0].matched_name == "kamorzen Trading"
    assert result.candidates_scored == ScreeningThresholds().max_candidates
    # with no cap to hide behind, the blocking keys alone leave out most of the list (every
    # name shares "trading" and the syllables; a full scan would score all 1,728)
    uncapped = screen(index, ScreeningQuery("Kamorzen Trading"),
                      ScreeningThresholds(max_candidates=10 * len(index)))
    assert uncapped.hits[0].matched_name == "kamorzen Trading"
    assert 0 < uncapped.candidates_scored < len(index) // 5
