"""Token similarity by edits, near misses against typos, and what a decision says of its evidence."""
from __future__ import annotations

import pytest

from compliance.screening import (DateOfBirth, ListEntry, ListSnapshot, ScreeningIndex,
                                  ScreeningQuery, ScreeningThresholds, screen)
from compliance.screening.scoring import TOKEN_FLOOR, token_similarity

T = ScreeningThresholds()


@pytest.mark.parametrize("typo, word", [
    ("gazpron", "gazprom"), ("jrotan", "jortan"), ("drayor", "draor"), ("kozlovskiy", "kozlovsky"),
])
def test_one_edit_pairs_tokens(typo, word):
    assert TOKEN_FLOOR <= token_similarity(typo, word) < 0.95


@pytest.mark.parametrize("near, listed", [
    ("velpim", "velpimri"),         # a listed word with a syllable more
    ("gonixpim", "gonpim"),          # two letters apart
    ("grilumdal", "grilumjaszul"),   # shared prefix, different word (Jaro-Winkler scored ~0.9)
    ("gazprom", "gazprombank"),
])
def test_two_or_more_edits_do_not_pair_however_long_the_shared_prefix(near, listed):
    assert token_similarity(near, listed) < TOKEN_FLOOR


def test_romanisation_variants_score_above_a_typo():
    assert token_similarity("vinqua", "vinkua") == 0.96     # q/k folded
    # vowels only: two differences cost one edit; a consonant more is another name
    assert token_similarity("mohammed", "muhammad") == token_similarity("mohammed", "mohanmed")
    assert token_similarity("samsung", "samseong") >= TOKEN_FLOOR
    assert token_similarity("bermor", "berrimor") < TOKEN_FLOOR
    assert token_similarity("v", "valerievich") == 0.85        # an initial
    assert token_similarity("li", "lu") == 0.0                 # short tokens pair only when equal


LIST = ScreeningIndex([ListSnapshot("L", "v1", (
    ListEntry("P-1", "L", "individual", "KOZLOVSKY, Dmitri Valerievich", countries=("RU",),
              dates_of_birth=(DateOfBirth(1971, 1971),)),
    ListEntry("E-1", "L", "entity", "Velpimri Shipping", countries=("CY",)),
    ListEntry("E-2", "L", "entity", "Holbel Engineering", countries=("CY",)),
    ListEntry("E-3", "L", "entity", "Nordic Drone Systems ApS", countries=("DK",)),
))])


def test_a_near_miss_company_clears_and_a_one_letter_neighbour_is_reviewed():
    assert screen(LIST, ScreeningQuery("Velpim Shipping Ltd.")).decision == "clear"
    held = screen(LIST, ScreeningQuery("Holvel Engineering A/S"))
    assert held.decision == "review" and held.hits[0].entry_id == "E-2"
    assert held.hits[0].score.final_score < T.block


def test_an_individual_on_the_name_alone_is_reviewed_where_facts_could_have_tipped_it():
    # one letter off and the patronymic missing: 0.845, under the review threshold
    name_only = screen(LIST, ScreeningQuery("Dmitri Koslovsky", entity_type="individual"))
    assert name_only.evidence == ("name",) and name_only.name_only
    assert name_only.review_from == round(T.review - T.name_only_margin, 4)
    hit = name_only.hits[0]
    assert name_only.decision == "review" and hit.entry_id == "P-1"
    assert name_only.review_from <= hit.score.final_score < T.review
    assert hit.unverified == ("country", "date_of_birth")
    assert any("name alone" in line for line in name_only.explanation)
    assert any("P-1" in line and "date of birth" in line for line in name_only.explanation)


def test_facts_given_decide_with_the_ordinary_threshold_and_say_so():
    other = screen(LIST, ScreeningQuery("Dmitri Koslovsky", entity_type="individual",
                                        country="DE", date_of_birth="1990"))
    assert other.evidence == ("name", "country", "date_of_birth")
    assert other.review_from == T.review and other.decision == "clear" and other.hits == ()
    assert other.explanation == ("name compared with country, date of birth",)
    same = screen(LIST, ScreeningQuery("Dmitri Koslovsky", entity_type="individual",
                                       country="RU", date_of_birth="1971"))
    assert same.decision == "review" and same.hits[0].unverified == ()


def test_organisations_keep_the_ordinary_threshold_without_facts():
    result = screen(LIST, ScreeningQuery("Dmitri Koslovsky", entity_type="entity"))
    assert result.review_from == T.review and result.decision == "clear"


def test_the_margin_is_configuration():
    none = ScreeningThresholds(name_only_margin=0.0)
    result = screen(LIST, ScreeningQuery("Dmitri Koslovsky", entity_type="individual"), none)
    assert result.decision == "clear" and result.review_from == none.review


def test_scores_of_different_near_names_rarely_tie():
    index = ScreeningIndex([ListSnapshot("L", "v", tuple(
        ListEntry(str(i), "L", "entity", f"{w} Engineering") for i, w in enumerate(
            ["Holbel", "Holvell", "Holvelo", "Hovel", "Halvel", "Holvelin"])))])
    low = ScreeningThresholds(review=0.5, min_name_score=0.5)
    scores = [h.score.final_score for h in screen(index, ScreeningQuery("Holvel Engineering"), low).hits]
    assert len(scores) >= 5 and max(scores) < 1.0
    assert len(set(scores)) >= len(scores) - 2


def test_screening_with_no_list_loaded_says_so():
    result = screen(ScreeningIndex([]), ScreeningQuery("Anyone", entity_type="entity"))
    assert result.decision == "clear" and result.list_versions == ()
    assert result.explanation[0] == "no watch list is loaded: the name was compared with nothing"


def test_a_typo_on_a_folded_letter_is_still_one_edit_and_a_folded_spelling_is_found():
    assert token_similarity("itirasa", "ixirasa") == token_similarity("itirasa", "ivirasa")
    index = ScreeningIndex([ListSnapshot("L", "v", (
        ListEntry("C-1", "L", "entity", "ООО «ВЕКСДЖАСОКА»"),
        ListEntry("P-2", "L", "individual", "李辰富"),
    ))])
    cyrillic = screen(index, ScreeningQuery("Wexjasoka LLC"))
    assert cyrillic.hits[0].entry_id == "C-1" and cyrillic.hits[0].score.measure == "spelling"
    split = screen(index, ScreeningQuery("Li Chen Fu"))
    assert split.hits[0].entry_id == "P-2" and split.decision == "block"
