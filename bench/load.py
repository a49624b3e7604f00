"""Load benchmark: the gateway under gunicorn on PostgreSQL, driven over loopback.

    PYTHONPATH=. /work/main/.venv/bin/python bench/load.py [--rate 200] [--seconds 20] [--workers 2]
        [--worker-class sync|gthread] [--wthreads 4] [--threads 32] [--saturate 3000]

Never run by the test suite. Starts a throwaway PostgreSQL (tests/support/postgres.py),
migrates it and loads the demo data (its users come with fixed demo tokens) plus three hot
auctions with registered bidders and a bank statement in the exceptions queue
(bench/load_setup.py), then serves ``wsgi:app`` with gunicorn (``--workers`` workers of
``--worker-class``, request logs to a file as in production) on a free loopback port. A second
process drives it:

1. paced: ``--rate`` requests/s for ``--seconds`` over the mixed workload in ``WORKLOAD``
   (requests sent on a fixed schedule by a thread pool; latency from send to full response);
2. saturation: ``--saturate`` requests as fast as ``--threads`` clients can send them.

Then the same two phases against a bare Flask "hello" route (bench/hello_app.py) under the same
gunicorn configuration: the framework's ceiling. Prints progress, throughput and p50/p95/p99 per
endpoint, errors (a bid overtaken by a concurrent one is the auction's rule, counted apart), the
gateway/hello ratio measured in the same run, and ``uptime`` beside each phase: the machine is
shared, so compare ratios, not absolute figures, across runs. Every loop is bounded in count
and time. Where a request's time goes: bench/profile_requests.py.
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.postgres import PostgresServer  # noqa: E402

# name, method, path ({org}, {listing}, {auction} filled per request), caller (demo user; "bidder"
# is one of the hot auction's registered bidders in turn), weight, JSON body ("BID": a rising bid;
# "DRAFT": a new draft listing for the sub-centre's seller, numbered)
WORKLOAD: list[tuple[str, str, str, str, int, Any]] = [
    ("GET /me", "GET", "/api/v1/me", "buyer", 3, None),
    ("GET /subcentres", "GET", "/api/v1/subcentres", "buyer", 1, None),
    ("GET /organisations (buyer)", "GET", "/api/v1/organisations", "buyer", 1, None),
    ("GET /organisations (staff)", "GET", "/api/v1/organisations", "staff_us", 2, None),
    ("GET /organisations/{id}", "GET", "/api/v1/organisations/{org}", "staff_us", 1, None),
    ("GET /listings/search (buyer, text)", "GET", "/api/v1/listings/search?q=laser", "buyer", 4, None),
    ("GET /listings/search (buyer, filter)", "GET", "/api/v1/listings/search?direction=inbound&trl_min=5",
     "buyer", 2, None),
    ("GET /listings/{id} (buyer)", "GET", "/api/v1/listings/{listing}", "buyer", 3, None),
    ("GET /auctions/{id} (buyer)", "GET", "/api/v1/auctions/{auction}", "buyer", 3, None),
    ("POST /auctions/{id}/bids (hot)", "POST", "/api/v1/auctions/{auction}/bids", "bidder", 3, "BID"),
    ("GET /tokens", "GET", "/api/v1/tokens", "seller", 1, None),
    ("GET /compliance/cases", "GET", "/api/v1/compliance/cases", "compliance", 1, None),
    ("GET /compliance/organisations/{id}/status", "GET",
     "/api/v1/compliance/organisations/{org}/status", "staff_us", 1, None),
    ("GET /audit/head", "GET", "/api/v1/audit/head", "compliance", 1, None),
    ("POST /organisations/{id}/people (staff edit)", "POST", "/api/v1/organisations/{org}/people",
     "staff_us", 1, {"full_name": "Load Test Contact", "role": "contact"}),
    ("POST /listings (staff files a draft)", "POST", "/api/v1/listings", "staff_us", 1, "DRAFT"),
    ("GET /settlement/instructions (finance)", "GET", "/api/v1/settlement/instructions?status=due",
     "finance", 1, None),
    ("GET /reconciliation/exceptions (finance)", "GET", "/api/v1/reconciliation/exceptions", "finance", 1, None),
]
DEMO_TOKENS = {
    "buyer": "tt_demo_buyer_token_000000000000004",
    "seller": "tt_demo_seller_token_00000000000006",
    "staff_us": "tt_demo_staff_us_token_00000000000002",
    "compliance": "tt_demo_compliance_token_00000000008",
    "finance": "tt_demo_finance_token_0000000000007",
}


def log(msg: str) -> None:
    print(msg, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(pg: PostgresServer, name: str = "gw_load") -> str:

    from gateway.demo import load_demo
    from gateway.health import alembic_config
    from kernel.db import Database
    from alembic import command

    url = pg.create_database(name)
    command.upgrade(alembic_config(url), "head")
    db = Database(url)
    with db.transaction() as s:
        load_demo(s, dt.datetime.now(dt.timezone.utc))
    db.engine.dispose()
    return url


def start_gunicorn(app: str, port: int, workers: int, env: dict[str, str], logfile: Path,
                   worker_class: str = "sync", wthreads: int = 1, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    # this checkout's access log format (no query strings) for every side served, wherever its cwd
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
           "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
           "--worker-class", worker_class, "--threads", str(wthreads),
           "--access-logfile", "-", "--error-logfile", "-", "--log-level", "warning", app]
    with open(logfile, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {logfile}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start listening within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


# -- the driver (runs in its own process) -----------------------------------------------------

def _plan(requests_: int, seed: int, workload: list[tuple], ids: dict[str, Any]) -> list[tuple]:
    """The requests in send order; bids rise with the order (each auction's bidders in turn)."""
    from bench.load_setup import INCREMENT_MINOR, START_MINOR

    rng = random.Random(seed)
    names = [w for w in workload for _ in range(w[4])]
    out = []
    bids = drafts = 0
    for _ in range(requests_):
        name, method, path, caller, _w, body = rng.choice(names)
        auction = rng.choice(ids["auctions"])
        if body == "BID":
            bids += 1
            turn = ids["bid_turn"][auction] = ids["bid_turn"].get(auction, -1) + 1
            caller = ids["bidders"][auction][turn % len(ids["bidders"][auction])]
            minor = ids["bid_base"] + START_MINOR + bids * INCREMENT_MINOR
            body = {"amount": {"amount": f"{minor // 100}.{minor % 100:02d}", "currency": "USD"}}
        elif body == "DRAFT":
            drafts += 1
            body = {"direction": "inbound", "seller_id": ids["org"], "title_en": f"Load test draft {drafts}",
                    "title_zh": f"负载测试草稿 {drafts}", "technology_field": "ai",
                    "ipc_classes": ["G06N 3/08"], "trl": 5, "transaction_type": "non_exclusive_licence",
                    "territory": ["CN"], "pricing_mode": "negotiated",
                    "asking_price": {"amount": "120000.00", "currency": "USD"}}
        path = (path.replace("{org}", str(ids["org"])).replace("{auction}", str(auction))
                .replace("{listing}", str(rng.choice(ids["listings"]))))
        out.append((name, method, path, caller, body))
    ids["bid_base"] += (bids + 10) * INCREMENT_MINOR  # the next phase bids above this one's
    return out


def drive(base: str, plan: list[tuple], rate: float | None, threads: int, tokens: dict[str, str],
          time_limit: float) -> dict[str, Any]:
    """Send ``plan`` (paced at ``rate`` per second, or as fast as possible when None)."""
    import requests

    local = threading.local()
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.2
    deadline = start + time_limit

    def one(i: int) -> None:
        name, method, path, caller, body = plan[i]
        if rate is not None:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if time.monotonic() > deadline:
            return
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller in tokens else {}
        t0 = time.perf_counter()
        try:
            resp = session.request(method, base + path, json=body, headers=headers, timeout=10)
            status = resp.status_code
        except requests.RequestException:
            status = 0
        elapsed = (time.perf_counter() - t0) * 1000
        with lock:
            results.append((name, elapsed, status))

    t_begin = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(len(plan))))
    wall = time.monotonic() - max(t_begin, start if rate is not None else t_begin)
    return {"results": results, "wall": wall}


def _driver_main(conn: Any, args: tuple) -> None:
    conn.send(drive(*args))
    conn.close()


def run_driver(*args: Any) -> dict[str, Any]:
    """Drive from a second process, so the client's CPU is not the server's."""
    parent, child = mp.Pipe(duplex=False)
    proc = mp.Process(target=_driver_main, args=(child, args))
    proc.start()
    out = parent.recv()
    proc.join(timeout=60)
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def summarise(title: str, run: dict[str, Any]) -> dict[str, Any]:
    by: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    allv: list[float] = []
    refused = 0
    for name, ms, status in run["results"]:
        by[name].append(ms)
        allv.append(ms)
        if status == 409 and "bids" in name:
            refused += 1  # a bid overtaken by a concurrent one: the auction's rule, not an error
        elif status == 0 or status >= 400:
            errors[f"{name} -> {status}"] += 1
    n = len(run["results"])
    thr = n / run["wall"] if run["wall"] else 0.0
    log(f"\n== {title}: {n} requests in {run['wall']:.1f} s = {thr:.0f} req/s, "
        f"errors {sum(errors.values())}, bids refused by the auction rules {refused}")
    log(f"   {'endpoint':48} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name in sorted(by):
        v = by[name]
        log(f"   {name:48} {len(v):6} {pct(v, 50):8.1f} {pct(v, 95):8.1f} {pct(v, 99):8.1f}")
    log(f"   {'ALL':48} {n:6} {pct(allv, 50):8.1f} {pct(allv, 95):8.1f} {pct(allv, 99):8.1f}")
    for k, c in sorted(errors.items()):
        log(f"   error: {k} x{c}")
    return {"throughput": thr, "p50": pct(allv, 50), "p95": pct(allv, 95), "p99": pct(allv, 99),
            "errors": sum(errors.values()), "n": n}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def workload_ids(url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The ids and tokens the workload uses: the hot auctions and their bidders (prepared in
    the database), the US sub-centre's first organisation, the demo tokens."""
    from sqlalchemy import select

    from bench.load_setup import prepare_trading
    from gateway.auth.models import User
    from kernel.db import Database
    from kernel.parties import Organisation

    trading = prepare_trading(url)
    db = Database(url)
    with db.session() as s:
        us = s.execute(select(User.subcentre_id).where(User.email == "staff.us@demo.example")).scalar_one()
        org = s.execute(select(Organisation.id).where(Organisation.subcentre_id == us)
                        .order_by(Organisation.id).limit(1)).scalar_one()
    db.engine.dispose()
    ids = {"org": org, "auctions": trading["auctions"], "bidders": trading["bidders"],
           "listings": trading["listings"], "bid_turn": {}, "bid_base": 0}
    return ids, {**DEMO_TOKENS, **trading["tokens"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    ap.add_argument("--wthreads", type=int, default=1, help="threads per gthread worker")
    ap.add_argument("--threads", type=int, default=32, help="driver clients")
    ap.add_argument("--saturate", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--log-level", default="INFO", help="the gateway's LOG_LEVEL (INFO: a line per request)")
    args = ap.parse_args()
    paced_n = int(args.rate * args.seconds)
    tmp = Path(tempfile.mkdtemp(prefix="gw-load-"))
    server_desc = (f"gunicorn --workers {args.workers} --worker-class {args.worker_class}"
                   + (f" --threads {args.wthreads}" if args.worker_class == "gthread" else ""))
    log(f"load bench: {os.cpu_count()} cores, {server_desc}, LOG_LEVEL {args.log_level}, logs in {tmp}")
    log(f"   {uptime()}")
    pg = PostgresServer().start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        log("PostgreSQL up; migrating and loading demo data, hot auctions and a statement ...")
        url = prepare_database(pg)
        ids, tokens = workload_ids(url)
        env = {**os.environ, "GATEWAY_DATABASE_URL": url, "GATEWAY_SECRET_KEY": "load-bench-" + "x" * 40,
               "GATEWAY_SESSION_COOKIE_SECURE": "false", "GATEWAY_LOG_LEVEL": args.log_level}
        env.pop("GATEWAY_FAIL_AT", None)
        figures = {}
        for label, app, plan_for in (
                ("gateway", "wsgi:app", lambda n, seed: _plan(n, seed, WORKLOAD, ids)),
                ("hello", "bench.hello_app:app",
                 lambda n, seed: [("GET /hello (bare Flask)", "GET", "/hello", "", None)] * n)):
            port = free_port()
            log(f"\nstarting gunicorn for {label} on 127.0.0.1:{port} ...")
            proc = start_gunicorn(app, port, args.workers, env, tmp / f"{label}.log",
                                  args.worker_class, args.wthreads)
            procs.append(proc)
            base = f"http://127.0.0.1:{port}"
            log(f"warm-up ({label}) ...")
            run_driver(base, plan_for(200, args.seed + 1), None, 8, tokens, 60.0)
            log(f"paced run ({label}): {paced_n} requests at {args.rate:.0f}/s ...   {uptime()}")
            paced = summarise(f"{label}, paced at {args.rate:.0f}/s",
                              run_driver(base, plan_for(paced_n, args.seed), args.rate, args.threads,
                                         tokens, args.seconds * 3))
            log(f"saturation run ({label}): {args.saturate} requests, {args.threads} clients ...   {uptime()}")
            sat = summarise(f"{label}, saturation ({args.threads} clients)",
                            run_driver(base, plan_for(args.saturate, args.seed + 2), None, args.threads,
                                       tokens, 120.0))
            figures[label] = (paced, sat)
            stop(proc)
            procs.remove(proc)
        g, h = figures["gateway"], figures["hello"]
        log(f"\n== summary ({server_desc}; {uptime()})")
        log(f"   paced {args.rate:.0f}/s: gateway achieved {g[0]['throughput']:.0f} req/s, p99 {g[0]['p99']:.1f} ms "
            f"(target < 200), errors {g[0]['errors']}; hello achieved {h[0]['throughput']:.0f} req/s, "
            f"p99 {h[0]['p99']:.1f} ms")
        log(f"   saturation: gateway {g[1]['throughput']:.0f} req/s, hello {h[1]['throughput']:.0f} req/s, "
            f"ratio gateway/hello {g[1]['throughput'] / h[1]['throughput']:.2f} (same run, same load)")
        log(f"   p50 at saturation: gateway {g[1]['p50']:.1f} ms, hello {h[1]['p50']:.1f} ms")
        ok = g[0]["errors"] == 0 and g[0]["p99"] < 200
        log(f"   target (no errors, p99 < 200 ms at {args.rate:.0f}/s): {'met' if ok else 'NOT met'}")
    finally:
        for proc in procs:
            stop(proc)
        pg.stop()


if __name__ == "__main__":
    main()
