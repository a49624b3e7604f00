"""Benchmark of party screening: latency, throughput, and recall/false positives against peers.

Run: ``.venv/bin/python bench/screening.py`` (never part of the test suite). Builds a seeded list
of 25,000 entries (Latin, Chinese, Korean, Cyrillic) with about 60,000 aliases, times queries on
1 and 2 processes, and scores a labelled set against three references: our matcher, a plain
rapidfuzz full scan (``process.extractOne`` with WRatio over every name, no transliteration),
and nomenklatura's name matchers, installed from PyPI into a throwaway venv (bench/requirements.txt;
``SCREENING_PEERS_VENV`` overrides where). nomenklatura is handed each query's expected entry
plus the rapidfuzz top ten, so it is measured on scoring, not retrieval.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "data")]

from rapidfuzz import fuzz, process, utils  # noqa: E402

from compliance.screening import ScreeningIndex, ScreeningQuery, ScreeningThresholds, screen  # noqa: E402
from screening_corpus import Corpus  # noqa: E402
from screening_labels import labelled  # noqa: E402

THRESHOLDS = ScreeningThresholds()
PEERS_VENV = Path(os.environ.get("SCREENING_PEERS_VENV", "/tmp/techtrade-screening-peers"))
INDEX: ScreeningIndex | None = None  # set before forking so workers share it


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed_queries(queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        started = time.perf_counter()
        screen(INDEX, ScreeningQuery(q), THRESHOLDS)
        out.append((time.perf_counter() - started) * 1000)
    return out


def run_latency(queries: list[str]) -> None:
    for procs in (1, 2):
        chunks = [queries[i::procs] for i in range(procs)]
        started = time.perf_counter()
        if procs == 1:
            lat = timed_queries(queries)
        else:
            with mp.get_context("fork").Pool(procs) as pool:
                lat = [x for part in pool.map(timed_queries, chunks) for x in part]
        wall = time.perf_counter() - started
        log(f"{procs} process(es): {len(queries)} queries, p50 {pct(lat, 50):.2f} ms, "
            f"p99 {pct(lat, 99):.2f} ms, max {max(lat):.2f} ms, {len(queries) / wall:.0f} queries/s")


def summarise(name: str, rows: list[tuple[str, bool, bool]]) -> None:
    """rows: (category, is_positive, flagged_correctly_or_false_positive)."""
    pos = [ok for cat, p, ok in rows if p]
    neg = [fp for cat, p, fp in rows if not p]
    log(f"{name}: recall {sum(pos) / len(pos):.1%} ({sum(pos)}/{len(pos)}), "
        f"false positives {sum(neg) / len(neg):.1%} ({sum(neg)}/{len(neg)})")


def per_category(table: dict[str, list[tuple[str, bool, bool]]]) -> None:
    cats = sorted({cat for rows in table.values() for cat, _, _ in rows})
    print(f"{'category':28}" + "".join(f"{n[:16]:>18}" for n in table))
    for cat in cats:
        cells = []
        for rows in table.values():
            vals = [ok for c, _, ok in rows if c == cat]
            cells.append(f"{sum(vals):>3}/{len(vals):<3} {sum(vals) / len(vals):6.1%}")
        print(f"{cat:28}" + "".join(f"{c:>18}" for c in cells))
    print("(positive categories: share found; neg_*: share wrongly flagged)")


def evaluate_ours(pairs) -> list[tuple[str, bool, bool]]:
    rows = []
    for cat, query, target in pairs:
        result = screen(INDEX, ScreeningQuery(query), THRESHOLDS)
        if target is None:
            rows.append((cat, False, result.decision != "clear"))
        else:
            rows.append((cat, True, any(h.entry_id == target.entry_id for h in result.hits)))
    return rows


def evaluate_rapidfuzz(pairs, names, owners):
    rows, tops, started = [], [], time.perf_counter()
    cutoff = THRESHOLDS.review * 100
    for cat, query, target in pairs:
        best = process.extractOne(query, names, scorer=fuzz.WRatio, processor=utils.default_process,
                                  score_cutoff=cutoff)
        top = process.extract(query, names, scorer=fuzz.WRatio, processor=utils.default_process,
                              limit=10)
        tops.append(sorted({owners[i] for _, _, i in top}))
        if target is None:
            rows.append((cat, False, best is not None))
        else:
            rows.append((cat, True, best is not None and owners[best[2]] == target.entry_id))
    ms = (time.perf_counter() - started) * 1000 / len(pairs) / 2
    log(f"rapidfuzz full scan: {ms:.1f} ms per extractOne over {len(names)} names")
    return rows, tops


def ensure_peers() -> Path | None:
    python = PEERS_VENV / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"
    try:
        if not python.exists():
            log(f"creating peers venv at {PEERS_VENV}")
            subprocess.run([str(uv), "venv", "-q", str(PEERS_VENV)], check=True)
        log("installing bench/requirements.txt into the peers venv")
        subprocess.run([str(uv), "pip", "install", "-q", "--python", str(python), "-r",
                        str(HERE / "requirements.txt")], check=True, timeout=900)
        return python
    except (OSError, subprocess.SubprocessError) as exc:
        log(f"nomenklatura: could not be installed ({exc}); no figures for it")
        return None


def evaluate_nomenklatura(pairs, tops, by_id):
    python = ensure_peers()
    if python is None:
        return {}
    cases = []
    for (cat, query, target), top in zip(pairs, tops):
        ids = sorted(set(top) | ({target.entry_id} if target else set()))
        cases.append({"query": query, "expected": target.entry_id if target else None,
                      "candidates": [{"id": i, "schema": "Person" if by_id[i].entity_type == "individual"
                                      else "Company", "names": [n for n, _ in by_id[i].all_names()]}
                                     for i in ids]})
    job = json.dumps({"threshold": 0.7, "cases": cases})
    proc = subprocess.run([str(python), str(HERE / "data" / "screening_peer_nomenklatura.py")],
                          input=job, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        log(f"nomenklatura: its API failed, no figures:\n{proc.stderr[-2000:]}")
        return {}
    out = {}
    for algo, res in json.loads(proc.stdout).items():
        log(f"nomenklatura {algo}: {res['seconds'] * 1000 / len(cases):.1f} ms per case "
            f"({sum(len(c['candidates']) for c in cases) / len(cases):.1f} candidates each)")
        out[f"nomenklatura {algo}"] = [
            (cat, target is not None, r["expected_hit"] if target else r["any_hit"])
            for (cat, _, target), r in zip(pairs, res["rows"])]
    return out


def main() -> None:
    global INDEX
    corpus = Corpus()
    pairs, targets = labelled(corpus)
    snapshot = corpus.snapshot(25_000, extra=targets)
    aliases = sum(len(e.aliases) for e in snapshot.entries)
    log(f"list: {len(snapshot.entries)} entries, {aliases} aliases; labelled pairs: {len(pairs)}")
    started = time.perf_counter()
    INDEX = ScreeningIndex([snapshot])
    log(f"index built in {time.perf_counter() - started:.1f} s ({len(INDEX)} names)")

    queries = [q for _, q, _ in pairs]
    queries += [e.primary_name for e in snapshot.entries[::25]]
    queries = (queries * 3)[:3000]
    timed_queries(queries[:200])  # warm the caches the way a running service would be
    run_latency(queries)

    table = {"ours": evaluate_ours(pairs)}
    log(f"thresholds: review {THRESHOLDS.review}, block {THRESHOLDS.block}")
    names, owners = [], []
    for e in snapshot.entries:
        for n, _ in e.all_names():
            names.append(n)
            owners.append(e.entry_id)
    table["rapidfuzz WRatio"], tops = evaluate_rapidfuzz(pairs, names, owners)
    table.update(evaluate_nomenklatura(pairs, tops, {e.entry_id: e for e in snapshot.entries}))
    print()
    for name, rows in table.items():
        summarise(name, rows)
    per_category(table)


if __name__ == "__main__":
    main()
