"""Name similarity between two normalised forms, with the measure that produced it.

Measures, tried in this order (the first of equal scores wins, so the output is stable):

``exact``        same tokens in the same order                                  1.0
``token_order``  same tokens, another order ("Petrov Ivan" / "Ivan Petrov")       0.99
``joined``       same letters once spaces go ("Hua Wei" / "Huawei")              0.98
``token_align``  tokens paired one-to-one by similarity (mean of Jaro-Winkler and Indel),
                 weighted by rarity (IDF); unpaired tokens on either side lower the score, so
                 "Acme" against "Acme Trading Holdings" is well below 1, more so when the
                 extra tokens are rare words
``levenshtein``  Indel similarity of the joined forms, only when the token counts differ
                 (words split or joined differently, "Hua Weiji" / "Huawei Ji"); with equal
                 counts token_align is the better judge, and shared common words would
                 inflate a whole-string measure
``phonetic``     0.5 + half the Indel similarity of the spelling-folded joined forms, at most
                 0.96, when the consonant skeletons (four or more consonants) are equal:
                 romanisations that disagree on vowels or letters ("Samsung" / "samseong",
                 "Kim Jongun" / "gim jeongeun", "Clenexpex" / "klenekspeks"); capped below a
                 block on its own

Non-exact measures are capped at 0.995 so that 1.0 always means the same normalised name.
"""
from __future__ import annotations

from collections.abc import Callable

from rapidfuzz.distance import Indel, JaroWinkler

from .normalise import NameForm, spelling_fold

#: two tokens below this similarity are not treated as the same word
TOKEN_FLOOR = 0.80
#: unpaired tokens count this much of their weight against the score: the query's extra words
#: more than the listed name's, since listed names carry middle names, patronymics and
#: descriptive words that counterparties leave out ("Ivan Petrov" for "PETROV, Ivan Sergeyevich")
UNPAIRED_QUERY = 0.75
UNPAIRED_LISTED = 0.5
NON_EXACT_CAP = 0.995
PHONETIC_CAP = 0.96


def token_similarity(a: str, b: str) -> float:
    """Similarity of two tokens: the mean of Jaro-Winkler (forgiving typos near the end) and
    Indel (strict on length), which keeps "gazprom"/"gazprombank" below a typo like "gazpron"."""
    if a == b:
        return 1.0
    return (JaroWinkler.normalized_similarity(a, b) + Indel.normalized_similarity(a, b)) / 2


def token_align(q: tuple[str, ...], c: tuple[str, ...], weight: Callable[[str], float]) -> float:
    """IDF-weighted one-to-one token pairing score in [0, 1] (see the module docstring).

    ``q`` is the query's tokens, ``c`` the listed name's.
    """
    # (-sim, i, j) sorts best first and breaks ties by position, without a key function
    pairs = sorted(
        (-token_similarity(a, b), i, j) for i, a in enumerate(q) for j, b in enumerate(c))
    used_q: set[int] = set()
    used_c: set[int] = set()
    paired = 0.0
    for neg_sim, i, j in pairs:
        sim = -neg_sim
        if sim < TOKEN_FLOOR:
            break
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        paired += sim * (weight(q[i]) + weight(c[j]))
    if paired == 0.0:
        return 0.0
    full = sum(weight(q[i]) for i in used_q) + sum(weight(c[j]) for j in used_c)
    unpaired = UNPAIRED_QUERY * sum(weight(t) for i, t in enumerate(q) if i not in used_q)
    unpaired += UNPAIRED_LISTED * sum(weight(t) for j, t in enumerate(c) if j not in used_c)
    # paired tokens earn their similarity times their weight (both sides); unpaired ones only
    # cost, at a share of theirs
    return paired / (full + unpaired)


def name_score(q: NameForm, c: NameForm, weight: Callable[[str], float]) -> tuple[float, str]:
    """(score, measure) of the best measure for one pair of forms."""
    if q.tokens == c.tokens:
        return 1.0, "exact"
    if sorted(q.tokens) == sorted(c.tokens):
        return 0.99, "token_order"
    if q.joined == c.joined:
        return 0.98, "joined"
    best, measure = token_align(q.tokens, c.tokens, weight), "token_align"
    if len(q.tokens) != len(c.tokens):
        lev = Indel.normalized_similarity(q.joined, c.joined)
        if lev > best:
            best, measure = lev, "levenshtein"
    if len(q.skeleton) >= 4 and q.skeleton == c.skeleton:
        folded = Indel.normalized_similarity(spelling_fold(q.joined), spelling_fold(c.joined))
        phonetic = min(PHONETIC_CAP, 0.5 + folded / 2)
        if phonetic > best:
            best, measure = phonetic, "phonetic"
    return min(best, NON_EXACT_CAP), measure
