"""A/B under the same load: this checkout and another one (``--base``, e.g. ``git archive main``
unpacked) served side by side by gunicorn on one PostgreSQL (a database each, same data), driven
at the same time by two driver processes with the same mixed workload (bench/load.py). On a
machine shared with other work, runs minutes apart differ more than the code does; served at
once, both see the same machine.

    PYTHONPATH=. /work/main/.venv/bin/python bench/ab_load.py --base /tmp/base 
        [--seconds 30] [--threads 16] [--workers 2] [--worker-class gthread] [--wthreads 4] [--rounds 2]

Never run by the test suite.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.load import (
    ROOT, WORKLOAD, _driver_main, _plan, free_port, log, prepare_database,
    start_gunicorn, stop, summarise, uptime, workload_ids,
)
from tests.support.postgres import PostgresServer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, type=Path, help="the other checkout")
    ap.add_argument("--seconds", type=float, default=30.0, help="per round: both sides as fast as they go")
    ap.add_argument("--threads", type=int, default=16, help="driver clients per side")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    ap.add_argument("--wthreads", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gw-ab-"))
    log(f"A/B: this checkout ({ROOT}) vs {args.base}; gunicorn --workers {args.workers} "
        f"--worker-class {args.worker_class} --threads {args.wthreads}; logs in {tmp}\n   {uptime()}")
    pg = PostgresServer().start()
    procs = []
    try:
        sides: dict[str, dict[str, Any]] = {}
        for label, root in (("this", ROOT), ("base", args.base.resolve())):
            url = prepare_database(pg, f"gw_ab_{label}")
            ids, tokens = workload_ids(url)
            env = {**os.environ, "PYTHONPATH": str(root), "GATEWAY_DATABASE_URL": url,
                   "GATEWAY_SECRET_KEY": "ab-bench-" + "x" * 40, "GATEWAY_SESSION_COOKIE_SECURE": "false",
                   "GATEWAY_LOG_LEVEL": "INFO"}
            env.pop("GATEWAY_FAIL_AT", None)
            port = free_port()
            proc = start_gunicorn("wsgi:app", port, args.workers, env, tmp / f"{label}.log",
                                  args.worker_class, args.wthreads, cwd=root)
            procs.append(proc)
            sides[label] = {"base": f"http://127.0.0.1:{port}", "ids": ids, "tokens": tokens, "runs": []}
        for r in range(args.rounds + 1):  # round 0 warms up
            seconds = 5.0 if r == 0 else args.seconds
            n = int(seconds * 500)  # more than either side can send: the time limit ends the round
            pipes, workers = {}, {}
            for label, side in sides.items():
                plan = _plan(n, args.seed + r, WORKLOAD, side["ids"])
                parent, child = mp.Pipe(duplex=False)
                workers[label] = mp.Process(target=_driver_main, args=(
                    child, (side["base"], plan, None, args.threads, side["tokens"], seconds)))
                pipes[label] = parent
            log(f"\nround {r}{' (warm-up)' if r == 0 else ''}: both sides for {seconds:.0f} s at once ...   {uptime()}")
            for w in workers.values():
                w.start()
            results = {label: pipes[label].recv() for label in sides}
            for w in workers.values():
                w.join(timeout=60)
            if r:
                for label in sides:
                    sides[label]["runs"].append(summarise(f"{label}, round {r}", results[label]))
        log(f"\n== summary ({uptime()})")
        for r in range(args.rounds):
            a, b = sides["this"]["runs"][r], sides["base"]["runs"][r]
            log(f"   round {r + 1}: this {a['throughput']:.0f} req/s (p50 {a['p50']:.0f}, p99 {a['p99']:.0f} ms, "
                f"errors {a['errors']}), base {b['throughput']:.0f} req/s (p50 {b['p50']:.0f}, "
                f"p99 {b['p99']:.0f} ms, errors {b['errors']}): this/base {a['throughput'] / b['throughput']:.2f}")
    finally:
        for proc in procs:
            stop(proc)
        pg.stop()


if __name__ == "__main__":
    main()
