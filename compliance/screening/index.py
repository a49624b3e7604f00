"""The screening index: every name of every entry, normalised once, behind a blocking index.

Blocking keys of a name (over all its forms): its tokens, each token with one letter deleted
(so one typo still shares a key), the character trigrams of its joined form (padded, so short
names have keys too), its consonant skeleton and its spelling-folded joined form. A query
collects the names sharing keys with it (tokens, skeletons and folded names count double, three
times when carried by at most ``RARE`` names) and scores only the best ``max_candidates`` of
them; keys carried by more than ``stop_share`` of all names (pinyin
syllables, "trading") are skipped as too common to choose by, unless the query has nothing
else. How many names a query scored is reported on its result (``candidates_scored``), not
kept here, so one index can serve many threads or forked processes read-only.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .model import ListEntry, ListSnapshot
from .normalise import NameForm, name_forms

#: keys carried by more than this share of names are too common to block on
STOP_SHARE = 0.005
STOP_MIN = 400
#: strong keys carried by at most this many names count three times, not twice
RARE = 8


@dataclass(frozen=True, slots=True)
class IndexedName:
    """One name of one entry with its normalised forms."""

    entry_no: int
    name: str
    quality: str
    forms: tuple[NameForm, ...]


def blocking_keys(forms: Iterable[NameForm]) -> tuple[set[str], set[str]]:
    """(strong keys: tokens and skeletons, weak keys: trigrams) of a name's forms."""
    strong: set[str] = set()
    weak: set[str] = set()
    for form in forms:
        strong.update("t" + t for t in form.tokens if len(t) > 1)
        # one-deletion neighbourhood (SymSpell): a token and its one-typo variant share a key
        for t in form.tokens:
            if 3 <= len(t) <= 14:
                strong.add("d" + t)  # a three-letter token meets its four-letter typos too
                if len(t) >= 4:
                    strong.update("d" + t[:i] + t[i + 1:] for i in range(len(t)))
        if len(form.skeleton) >= 3:
            strong.add("s" + form.skeleton)
        # the whole name with transliteration letter choices folded and spaces gone: "Li Chen
        # Fu" meets 李辰富, "Wexjasoka" meets ВЕКСДЖАСОКА, whatever the other keys say
        strong.add("f" + form.folded)
        padded = f" {form.joined} "
        weak.update("g" + padded[i:i + 3] for i in range(len(padded) - 2))
    return strong, weak


def strip_legal_for(entity_type: str | None) -> bool | None:
    """Whether names of this party type lose legal forms (None: unknown, try both)."""
    if entity_type == "individual":
        return False
    if entity_type in ("entity", "vessel", "aircraft"):
        return True
    return None


def _entry_names(entry: ListEntry) -> list[tuple[str, str]]:
    names = entry.all_names()
    if entry.entity_type == "individual":
        # OFAC writes individuals "LAST, First": add "First LAST" so the joined form lines up
        for name, quality in list(names):
            if name.count(",") == 1:
                last, first = (p.strip() for p in name.split(","))
                if last and first:
                    names.append((f"{first} {last}", quality))
    return list(dict.fromkeys(names))


class ScreeningIndex:
    """All names of one or more list snapshots, normalised, with blocking postings."""

    def __init__(self, snapshots: Iterable[ListSnapshot]) -> None:
        snapshots = list(snapshots)
        self.list_versions: tuple[tuple[str, str], ...] = tuple(
            sorted((s.list_name, s.version_id) for s in snapshots))
        self.entries: list[ListEntry] = [e for s in snapshots for e in s.entries]
        self.names: list[IndexedName] = []
        self._strong: dict[str, list[int]] = {}
        self._weak: dict[str, list[int]] = {}
        df: Counter[str] = Counter()
        for entry_no, entry in enumerate(self.entries):
            strip = strip_legal_for(entry.entity_type)
            for name, quality in _entry_names(entry):
                forms = name_forms(name, strip)
                if not forms:
                    continue
                name_id = len(self.names)
                self.names.append(IndexedName(entry_no, name, quality, forms))
                strong, weak = blocking_keys(forms)
                for key in sorted(strong):
                    self._strong.setdefault(key, []).append(name_id)
                for key in sorted(weak):
                    self._weak.setdefault(key, []).append(name_id)
                df.update({t for f in forms for t in f.tokens})
        total = len(self.names) + 1
        # IDF: rare words decide, common ones ("trading", "co") count little
        self._idf = {t: math.log(total / (n + 1)) + 1.0 for t, n in df.items()}
        self._idf_unknown = math.log(total) + 1.0
        self._stop = max(STOP_MIN, int(len(self.names) * STOP_SHARE))

    def __len__(self) -> int:
        return len(self.names)

    def token_weight(self, token: str) -> float:
        """IDF weight of a token among the index's names (unknown tokens weigh most)."""
        return self._idf.get(token, self._idf_unknown)

    def candidates(self, forms: tuple[NameForm, ...], limit: int) -> list[int]:
        """Ids of at most ``limit`` names sharing the most blocking keys with ``forms``.

        Ordered by shared-key count, then first appearance, so the choice is deterministic.
        """
        strong, weak = blocking_keys(forms)
        postings = [(self._strong.get(k, ()), 2) for k in sorted(strong)]
        postings += [(self._weak.get(k, ()), 1) for k in sorted(weak)]
        postings = [(p, w) for p, w in postings if p]
        usable = [(p, w) for p, w in postings if len(p) <= self._stop]
        if not usable:
            # nothing but common keys: fall back to the three rarest
            usable = sorted(postings, key=lambda pw: len(pw[0]))[:3]
        counts: Counter[int] = Counter()
        for ids, times in usable:
            if times == 2 and len(ids) <= RARE:
                times = 3  # a rare strong key (a one-typo neighbour, a folded name) says more
            for _ in range(times):
                counts.update(ids)
        # most_common breaks ties by first insertion, which follows the sorted keys and the
        # ascending postings, so the choice is deterministic
        return [name_id for name_id, count in counts.most_common(limit) if count >= 2]
