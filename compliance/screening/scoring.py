"""Name similarity between two normalised forms, with the measure that produced it.

Measures, tried in this order (the first of equal scores wins, so the output is stable):

``exact``        same tokens in the same order                                  1.0
``token_order``  same tokens, another order ("Petrov Ivan" / "Ivan Petrov")       0.99
``joined``       same letters once spaces go ("Hua Wei" / "Huawei")              0.98
``spelling``     same once transliteration systems' letter choices are folded     0.96
                 (x/ks, c/k, q/k, w/v, zh/j, y/i: "Clenexpex" / "klenekspeks")
``token_align``  tokens paired one-to-one by ``token_similarity``, weighted by rarity (IDF);
                 unpaired tokens on either side lower the score, so "Acme" against "Acme
                 Trading Holdings" is well below 1, more so when the extra tokens are rare words
``levenshtein``  ``token_similarity`` of the joined forms, only when the token counts differ
                 (words split or joined differently, "Hua Weiji" / "Huawei Ji")

Token similarity counts edits (optimal string alignment: a swap of neighbours is one edit), not
shared prefixes: a typo is one edit, while near-miss names built from the same syllables
("Velpim" / "Velpimri", "Gonixpim" / "Gonpim") are two or more and fall below ``TOKEN_FLOOR``,
where a token no longer pairs at all. Jaro-Winkler, used before, rewarded shared prefixes so
much that such near misses scored like typos. Differences in vowels only (romanisations:
"Mohammed" / "Muhammad", "samsung" / "samseong") cost half an edit each; an initial pairs
with a name it could stand for at ``INITIAL``.

Non-exact measures are capped at 0.995 so that 1.0 always means the same normalised name.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from rapidfuzz.distance import OSA

from .normalise import NameForm, spelling_fold

#: two tokens below this similarity are not treated as the same word
TOKEN_FLOOR = 0.80
#: unpaired tokens count this much of their weight against the score: the query's extra words
#: more than the listed name's, since listed names carry middle names, patronymics and
#: descriptive words that counterparties leave out ("Ivan Petrov" for "PETROV, Ivan Sergeyevich")
UNPAIRED_QUERY = 0.75
UNPAIRED_LISTED = 0.5
#: token similarity = 1 - EDIT_COST * edits - LENGTH_COST * edits / length of the longer token
EDIT_COST = 0.08
LENGTH_COST = 0.3
#: tokens (after folding) shorter than this pair only when equal: "li"/"lu" say nothing
MIN_FUZZY_LENGTH = 3
SPELLING = 0.96
#: an initial against a name it could stand for: enough to pair, never a strong match alone
INITIAL = 0.85
NON_EXACT_CAP = 0.995

_NO_VOWELS = str.maketrans("", "", "aeiouy")


@lru_cache(maxsize=262144)
def token_similarity(a: str, b: str) -> float:
    """Similarity of two tokens in [0, 1] from their edit count (see the module docstring)."""
    if a == b:
        return 1.0
    fa, fb = spelling_fold(a), spelling_fold(b)
    if fa == fb:
        return SPELLING
    if min(len(fa), len(fb)) < MIN_FUZZY_LENGTH:
        # an initial stands for a name that starts with it ("V." for "Valerievich")
        return INITIAL if min(len(a), len(b)) == 1 and a[0] == b[0] else 0.0
    edits: float = OSA.distance(fa, fb)
    consonants = fa.translate(_NO_VOWELS)
    if consonants and consonants == fb.translate(_NO_VOWELS):
        edits /= 2  # only vowels differ: a romanisation variant more often than another name
    # folding can turn one typo into two ("x" for "t" is "ks" for "t"): the raw letters count too
    return max(0.0, _by_edits(edits, max(len(fa), len(fb))),
               _by_edits(OSA.distance(a, b), max(len(a), len(b))))


def _by_edits(edits: float, longer: int) -> float:
    return 1.0 - EDIT_COST * edits - LENGTH_COST * edits / longer


def token_align(q: tuple[str, ...], c: tuple[str, ...], weight: Callable[[str], float]) -> float:
    """IDF-weighted one-to-one token pairing score in [0, 1] (see the module docstring).

    ``q`` is the query's tokens, ``c`` the listed name's.
    """
    # (-sim, i, j) sorts best first and breaks ties by position, without a key function
    pairs = []
    for i, a in enumerate(q):
        for j, b in enumerate(c):
            sim = token_similarity(a, b)
            if sim >= TOKEN_FLOOR:
                pairs.append((-sim, i, j))
    if not pairs:
        return 0.0
    pairs.sort()
    used_q: set[int] = set()
    used_c: set[int] = set()
    paired = full = 0.0
    for neg_sim, i, j in pairs:
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        w = weight(q[i]) + weight(c[j])
        paired -= neg_sim * w
        full += w
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
    if q.folded == c.folded:
        return SPELLING, "spelling"
    best, measure = token_align(q.tokens, c.tokens, weight), "token_align"
    if len(q.tokens) != len(c.tokens):
        lev = token_similarity(q.joined, c.joined)
        if lev > best:
            best, measure = lev, "levenshtein"
    return min(best, NON_EXACT_CAP), measure
