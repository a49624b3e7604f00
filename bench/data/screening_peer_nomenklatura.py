"""Runs inside the peers' venv: scores labelled pairs with nomenklatura's matchers.

Input (JSON on stdin): {"threshold": float, "cases": [{"query": str, "expected": id|null,
"candidates": [{"id", "schema", "names"}]}]}. Output (JSON on stdout): per algorithm, per case,
whether the expected entry scored >= threshold, whether anything did, and the two best scores
(for the tie count), plus seconds taken.
"""
import json
import sys
import time

from followthemoney import model
from nomenklatura.matching import LogicV2, NameMatcher


def entity(eid, schema, names):
    proxy = model.make_entity(schema)
    proxy.id = eid
    proxy.add("name", names)
    return proxy


def main():
    job = json.load(sys.stdin)
    out = {}
    for algo in (NameMatcher, LogicV2):
        config = algo.default_config()
        rows, started = [], time.perf_counter()
        for n, case in enumerate(job["cases"]):
            # a fresh id per query: logic-v2 caches per entity id, so a shared id would score
            # every case against the first query's names
            query = entity(f"query-{n}", "LegalEntity", [case["query"]])
            scores = {c["id"]: algo.compare(query, entity(c["id"], c["schema"], c["names"]), config).score
                      for c in case["candidates"]}
            hit_ids = [cid for cid, s in scores.items() if s >= job["threshold"]]
            rows.append({"expected_hit": case["expected"] in hit_ids, "any_hit": bool(hit_ids),
                         "top2": sorted(scores.values(), reverse=True)[:2]})
        out[algo.NAME] = {"rows": rows, "seconds": time.perf_counter() - started}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
