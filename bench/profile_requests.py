"""Where a request's time goes: the load benchmark's endpoints in-process (Flask test client)
on PostgreSQL with the demo data, per endpoint the mean wall time and the SQL round trips
(statements, pool checkouts with their pre-ping, commits/rollbacks); then a cProfile of the
slowest endpoint grouped by area (auth, session, audit, JSON, logging, SQL).

    PYTHONPATH=. /work/main/.venv/bin/python bench/profile_requests.py [--n 50] [--profile NAME]

Never run by the test suite.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import DEMO_TOKENS, WORKLOAD, _plan, prepare_database, uptime  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40, help="requests per endpoint")
    ap.add_argument("--profile", default=None, help="endpoint name to cProfile (default: the slowest)")
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args()
    print(f"profile: {uptime()}", flush=True)
    pg = PostgresServer().start()
    try:
        url = prepare_database(pg)
        from sqlalchemy import event, select

        from bench.load_setup import prepare_trading
        from gateway.app import create_app
        from kernel.parties import Organisation

        trading = prepare_trading(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "profile-" + "x" * 40,
                          "LOG_LEVEL": args.log_level, "SESSION_COOKIE_SECURE": False})
        engine = app.extensions["gateway.db"].engine
        with engine.connect() as conn:
            org = conn.execute(select(Organisation.id).order_by(Organisation.id)).scalars().first()
        counts: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", lambda *a, **k: counts.update(["sql"]))
        event.listen(engine, "checkout", lambda *a, **k: counts.update(["checkout"]))
        event.listen(engine, "commit", lambda *a, **k: counts.update(["commit"]))
        event.listen(engine, "rollback", lambda *a, **k: counts.update(["rollback"]))
        ids = {"org": org, "auctions": trading["auctions"], "bidders": trading["bidders"],
               "listings": trading["listings"], "bid_turn": {}, "bid_base": 0}
        tokens = {**DEMO_TOKENS, **trading["tokens"]}
        client = app.test_client()
        sink = open(os.devnull, "w")  # noqa: SIM115 - request logs go to stderr; keep the table readable
        rows = []
        for w in WORKLOAD:
            plan = _plan(args.n + 5, 1, [(*w[:4], 1, w[5])], ids)

            def send(item: tuple) -> int:
                name, method, path, caller, body = item
                resp = client.open(path, method=method, json=body,
                                   headers={"Authorization": f"Bearer {tokens[caller]}"})
                return resp.status_code

            for item in plan[:5]:
                send(item)
            counts.clear()
            statuses: Counter[int] = Counter()
            old, sys.stderr = sys.stderr, sink
            t0 = time.perf_counter()
            try:
                for item in plan[5:]:
                    statuses[send(item)] += 1
            finally:
                sys.stderr = old
            ms = (time.perf_counter() - t0) * 1000 / args.n
            rows.append((w[0], ms, {k: v / args.n for k, v in counts.items()}, dict(statuses), plan))
        print(f"\n{'endpoint':48} {'ms':>7} {'sql':>5} {'chk':>4} {'cmt':>4} {'rb':>4}  statuses")
        for name, ms, c, st, _ in rows:
            print(f"{name:48} {ms:7.1f} {c.get('sql', 0):5.1f} {c.get('checkout', 0):4.1f} "
                  f"{c.get('commit', 0):4.1f} {c.get('rollback', 0):4.1f}  {st}")
        target = next((r for r in rows if r[0] == args.profile), None) or max(rows, key=lambda r: r[1])
        print(f"\ncProfile of {target[0]} ({args.n} requests):")
        prof = cProfile.Profile()
        old, sys.stderr = sys.stderr, sink
        try:
            plan = _plan(args.n, 2, [(*next(w for w in WORKLOAD if w[0] == target[0])[:4], 1,
                                      next(w for w in WORKLOAD if w[0] == target[0])[5])], ids)
            prof.enable()
            for item in plan:
                name, method, path, caller, body = item
                client.open(path, method=method, json=body,
                            headers={"Authorization": f"Bearer {tokens[caller]}"})
            prof.disable()
        finally:
            sys.stderr = old
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
        engine.dispose()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
