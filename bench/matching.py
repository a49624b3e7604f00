"""Ranking quality of demand matching on the labelled set (``bench/data/matching_set.py``).

Run: ``.venv/bin/python bench/matching.py`` -- prints precision@5 (a listing counts as
relevant with grade >= 1, and, strictly, with grade 2) and nDCG@10 (gains 2^grade - 1), for the
full score and for each part alone, so the weights can be judged. Uses the same scoring code
as ``GET /api/v1/demands/{id}/matches`` (``gateway.trading.matching.score_candidates``), over
every listing of the set (all of one direction).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from data.matching_set import build, convert

from gateway.trading import matching


def ndcg(grades: list[int], ideal: list[int], k: int) -> float:
    def dcg(gs: list[int]) -> float:
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gs[:k]))
    best = dcg(sorted(ideal, reverse=True))
    return dcg(grades) / best if best else 0.0


def evaluate(weights: dict[str, float]) -> dict[str, float]:
    listings, demands, labels = build()
    docs = [matching.Doc(x.id, x.text, x.ipc, x.trl, x.price, x.field) for x in listings]
    index = matching.Bm25(docs)
    old = dict(matching.WEIGHTS)
    matching.WEIGHTS.clear()
    matching.WEIGHTS.update(weights)
    try:
        p5 = p5_strict = nd = 0.0
        for d in demands:
            q = matching.Query(d.text, d.ipc, d.trl_min, d.budget, d.field)
            ranked = matching.score_candidates(q, docs, convert, index)
            grades = [labels[(d.id, m.doc_id)] for m in ranked]
            p5 += sum(1 for g in grades[:5] if g >= 1) / 5
            p5_strict += sum(1 for g in grades[:5] if g == 2) / 5
            nd += ndcg(grades, [labels[(d.id, x.id)] for x in listings], 10)
    finally:
        matching.WEIGHTS.clear()
        matching.WEIGHTS.update(old)
    n = len(demands)
    return {"p@5": p5 / n, "p@5 (grade 2)": p5_strict / n, "nDCG@10": nd / n}


def main() -> None:
    listings, demands, labels = build()
    graded = sum(1 for g in labels.values() if g)
    print(f"labelled set: {len(listings)} listings, {len(demands)} demands, {len(labels)} pairs "
          f"({graded} with grade >= 1)")
    rows = [("full score", dict(matching.WEIGHTS))]
    for part in matching.WEIGHTS:
        rows.append((f"{part} only", {k: (1.0 if k == part else 0.0) for k in matching.WEIGHTS}))
    for name, w in rows:
        r = evaluate(w)
        print(f"{name:12}  precision@5 {r['p@5']:.3f}  precision@5 (grade 2) {r['p@5 (grade 2)']:.3f}"
              f"  nDCG@10 {r['nDCG@10']:.3f}")


if __name__ == "__main__":
    main()
