"""Ledger benchmark: our service vs raw INSERTs (the floor) vs django-hordak.

    /work/main/.venv/bin/python bench/ledger.py [--transfers 10000] [--batch 100]
        [--writers 1,4] [--no-hordak] [--balance-postings 1000000]

Never run by the test suite. Starts a throwaway PostgreSQL (tests/support/postgres.py) and
uses a SQLite file in WAL mode. Workload: N balanced transfers of four postings in two
currencies (USD debit/credit, EUR debit/credit), in batches of ``--batch`` transfers per
database transaction, by 1 and by 4 concurrent writer processes (each writer on its own four
accounts per currency; every writer still serialises on the audit chain head). Prints
transfers/s and p50/p99 batch latency per run, then the ratios. Then it loads an account with
``--balance-postings`` postings and times current and as-of balance reads.

django-hordak is installed by this script into bench/.venv-peers (bench/requirements.txt)
and runs against the same PostgreSQL server, in its own database.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402

from gateway.health import alembic_config  # noqa: E402
from kernel.db import Database  # noqa: E402
from kernel.money import Money  # noqa: E402
from settlement.ledger import (  # noqa: E402
    Leg, TransferSpec, balance_as_of, check_ledger, get_balance, get_or_open_account,
    post_transfers,
)
from tests.support.postgres import PostgresServer  # noqa: E402

PEERS = ROOT / "bench" / ".venv-peers"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def log(msg: str) -> None:
    print(msg, flush=True)


# -- databases --------------------------------------------------------------------------------

def new_database(kind: str, pg: PostgresServer | None, tmp: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    else:
        assert pg is not None
        url = pg.create_database(f"bench_{uuid.uuid4().hex[:8]}")
    command.upgrade(alembic_config(url), "head")
    return url


def open_partition(url: str, writers: int) -> list[list[int]]:
    """Four accounts per currency per writer: [usd0..usd3, eur0..eur3]."""
    db = Database(url)
    out = []
    with db.transaction() as s:
        for w in range(writers):
            ids = [get_or_open_account(s, owner_type="sub_centre", owner_id=w + 1, purpose=p,
                                       currency=ccy, at=T0, no_negative=False).id
                   for ccy in ("USD", "EUR")
                   for p in ("bank", "fx_position", "fee_income", "suspense")]
            out.append(ids)
    db.engine.dispose()
    return out


def amounts(n: int) -> tuple[int, int]:
    return 100 + n % 900, 200 + n % 700  # minor units, USD and EUR


# -- writers (one process each) ---------------------------------------------------------------

def ours(url: str, ids: list[int], start: int, count: int, batch: int, tag: str,
         barrier: "mp.synchronize.Barrier") -> list[float]:
    db = Database(url)
    usd, eur = ids[:4], ids[4:]
    lat = []
    barrier.wait()
    for b in range(start, start + count, batch):
        specs = []
        for n in range(b, min(b + batch, start + count)):
            x, y = amounts(n)
            mx, my = Money(Decimal(x).scaleb(-2), "USD"), Money(Decimal(y).scaleb(-2), "EUR")
            specs.append(TransferSpec(f"{tag}-{n}", [
                Leg(usd[n % 4], "debit", mx), Leg(usd[(n + 1) % 4], "credit", mx),
                Leg(eur[n % 4], "debit", my), Leg(eur[(n + 2) % 4], "credit", my)],
                f"bench {n}"))
        t0 = time.perf_counter()
        with db.transaction() as s:
            post_transfers(s, specs, at=T0 + dt.timedelta(seconds=b), actor="bench")
        lat.append(time.perf_counter() - t0)
    db.engine.dispose()
    return lat


def raw(url: str, ids: list[int], start: int, count: int, batch: int, tag: str,
        barrier: "mp.synchronize.Barrier") -> list[float]:
    """The same transfer and posting rows by plain DB-API INSERTs: no locks, no balance rows,
    no audit event (balance_after from a local counter)."""
    usd, eur = ids[:4], ids[4:]
    bal = {i: 0 for i in ids}
    pg = not url.startswith("sqlite")
    if pg:
        import psycopg
        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    else:
        import sqlite3
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    ph = "%s" if pg else "?"
    lat = []
    barrier.wait()
    for b in range(start, start + count, batch):
        t0 = time.perf_counter()
        at = T0 + dt.timedelta(seconds=b)
        stamp = at if pg else at.replace(tzinfo=None).isoformat(" ")
        ns = list(range(b, min(b + batch, start + count)))
        cur = conn.cursor()
        if not pg:
            cur.execute("BEGIN IMMEDIATE")
        values = ",".join([f"({ph},'x','transfer',{ph},{ph},'bench')"] * len(ns))
        params: list = []
        for n in ns:
            params += [f"{tag}-{n}", f"bench {n}", stamp]
        cur.execute("INSERT INTO ledger_transfers (key, content_hash, kind, description, "
                    f"posted_at, actor) VALUES {values} RETURNING id", params)
        tids = sorted(r[0] for r in cur.fetchall())
        rows = []
        for n, tid in zip(ns, tids):
            x, y = amounts(n)
            for acc, side, m, ccy in ((usd[n % 4], "debit", x, "USD"),
                                      (usd[(n + 1) % 4], "credit", x, "USD"),
                                      (eur[n % 4], "debit", y, "EUR"),
                                      (eur[(n + 2) % 4], "credit", y, "EUR")):
                bal[acc] += m if side == "debit" else -m
                rows.append((tid, acc, side, m, ccy, stamp, bal[acc]))
        cur.executemany("INSERT INTO ledger_postings (transfer_id, account_id, side, amount_minor,"
                        f" currency, posted_at, balance_after) VALUES ({ph},{ph},{ph},{ph},{ph},"
                        f"{ph},{ph})", rows)
        if pg:
            conn.commit()
        else:
            cur.execute("COMMIT")
        lat.append(time.perf_counter() - t0)
    conn.close()
    return lat


def _worker(args: tuple) -> list[float]:
    fn, *rest = args
    return {"ours": ours, "raw": raw}[fn](*rest)


def run(fn: str, url: str, writers: int, total: int, batch: int) -> dict:
    parts = open_partition(url, writers)
    per = total // writers
    ctx = mp.get_context("fork")
    barrier = ctx.Manager().Barrier(writers + 1)
    tag = uuid.uuid4().hex[:6]
    with ctx.Pool(writers) as pool:
        pending = pool.map_async(_worker, [(fn, url, parts[w], w * per, per, batch, f"{tag}{w}",
                                            barrier) for w in range(writers)])
        barrier.wait()
        t0 = time.perf_counter()
        results = pending.get()
        wall = time.perf_counter() - t0
    return summarise([x for r in results for x in r], per * writers, wall)


def summarise(lat: list[float], transfers: int, wall: float) -> dict:
    lat = sorted(lat)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    return {"transfers": transfers, "seconds": wall, "tps": transfers / wall,
            "p50_ms": statistics.median(lat) * 1000, "p99_ms": p(0.99)}


def hordak(pg: PostgresServer, writers: int, total: int, batch: int) -> dict:
    if not (PEERS / "bin" / "python").exists():
        log(f"  creating {PEERS} and installing bench/requirements.txt ...")
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(PEERS / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "bench" / "requirements.txt")], check=True)
    hordak_url = pg.create_database(f"hordak_{uuid.uuid4().hex[:8]}")
    out = subprocess.run([str(PEERS / "bin" / "python"), str(ROOT / "bench" / "ledger_hordak.py"),
                          hordak_url, str(total), str(batch), str(writers)],
                         check=True, capture_output=True, text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return summarise(data["latencies"], (total // writers) * writers, data["seconds"])


def line(label: str, r: dict) -> str:
    return (f"  {label:<34} {r['transfers']:>7} transfers in {r['seconds']:7.2f} s = "
            f"{r['tps']:8.0f} transfers/s   p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms"
            f" per batch")


# -- balance reads on a long history ----------------------------------------------------------

def balance_reads(url: str, postings: int) -> str:
    """Give one account ``postings`` postings (bulk SQL, triggers off while loading) and time
    the current and as-of reads."""
    db = Database(url)
    with db.transaction() as s:
        hot = get_or_open_account(s, owner_type="exchange", owner_id=0, purpose="bank",
                                  currency="USD", at=T0).id
        other = get_or_open_account(s, owner_type="exchange", owner_id=0, purpose="suspense",
                                    currency="USD", at=T0).id
    pg = db.dialect == "postgresql"
    ts = ("TIMESTAMPTZ '2026-01-01 00:00:00+00' + make_interval(secs => g)" if pg
          else "datetime('2026-01-01 00:00:00', '+' || g || ' seconds')")
    gen = ("generate_series(1, :n) AS g" if pg else
           "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
           "SELECT g FROM s)")
    with db.transaction() as s:
        if pg:
            s.execute(text("SET LOCAL session_replication_role = replica"))  # bulk load only
        s.execute(text(f"INSERT INTO ledger_transfers (id, key, content_hash, kind, description,"
                       f" posted_at, actor) SELECT 1000000000 + g, 'load-' || g, 'x', 'transfer',"
                       f" '', {ts}, 'bench' FROM {gen}"), {"n": postings})
        s.execute(text(f"INSERT INTO ledger_postings (transfer_id, account_id, side, amount_minor,"
                       f" currency, posted_at, balance_after) SELECT 1000000000 + g, :a, 'debit',"
                       f" 1, 'USD', {ts}, g FROM {gen}"), {"n": postings, "a": hot})
        s.execute(text(f"INSERT INTO ledger_postings (transfer_id, account_id, side, amount_minor,"
                       f" currency, posted_at, balance_after) SELECT 1000000000 + g, :a, 'credit',"
                       f" 1, 'USD', {ts}, g FROM {gen}"), {"n": postings, "a": other})
        s.execute(text("UPDATE ledger_accounts SET posted_minor = :n, last_posted_at = :t "
                       "WHERE id IN (:a, :b)"),
                  {"n": postings, "a": hot, "b": other, "t": T0 + dt.timedelta(seconds=postings)})
        if pg:
            s.execute(text("ANALYZE ledger_postings"))
    reads = []
    with db.session() as s:
        for i in range(200):
            at = T0 + dt.timedelta(seconds=(i * 7919) % postings + 1)
            t0 = time.perf_counter()
            got = balance_as_of(s, hot, at)
            reads.append(time.perf_counter() - t0)
        assert got == Money(Decimal((199 * 7919) % postings + 1).scaleb(-2), "USD"), got
        t0 = time.perf_counter()
        current = get_balance(s, hot)
        cur_ms = (time.perf_counter() - t0) * 1000
    db.engine.dispose()
    reads.sort()
    return (f"  {db.dialect:<10} account with {postings} postings: current balance "
            f"{current.posted} read in {cur_ms:.2f} ms; as-of reads p50 "
            f"{statistics.median(reads) * 1000:.2f} ms, max {reads[-1] * 1000:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--transfers", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--writers", default="1,4")
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--no-hordak", action="store_true")
    ap.add_argument("--balance-postings", type=int, default=1_000_000)
    args = ap.parse_args()
    writers = [int(w) for w in args.writers.split(",")]
    engines = args.engines.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    log(f"starting a throwaway PostgreSQL; SQLite files in {tmp}")
    pg = PostgresServer().start()
    results: dict[tuple[str, str, int], dict] = {}
    try:
        for engine in engines:
            for w in writers:
                for fn in ("ours", "raw"):
                    url = new_database(engine, pg, tmp)
                    log(f"{engine} {fn} writers={w}: {args.transfers} transfers x 4 postings, "
                        f"batches of {args.batch} ...")
                    r = results[(engine, fn, w)] = run(fn, url, w, args.transfers, args.batch)
                    log(line(f"{engine} {fn} writers={w}", r))
                    if fn == "ours":
                        db = Database(url)
                        with db.session() as s:
                            problems = check_ledger(s)
                        db.engine.dispose()
                        log(f"  ledger check: {'ok' if not problems else problems}")
                if engine == "postgresql" and not args.no_hordak:
                    log(f"postgresql django-hordak writers={w} ...")
                    try:
                        r = results[(engine, "hordak", w)] = hordak(pg, w, args.transfers,
                                                                    args.batch)
                        log(line(f"postgresql hordak writers={w}", r))
                    except subprocess.CalledProcessError as exc:
                        log(f"  django-hordak failed: {exc}\n{exc.stderr}")
        log("\nsummary (transfers/s; 4 postings each, two currencies, batches of "
            f"{args.batch}; {os.cpu_count()} cores)")
        for (engine, fn, w), r in results.items():
            log(line(f"{engine} {fn} writers={w}", r))
        log("\nratios")
        for engine in engines:
            for w in writers:
                o = results.get((engine, "ours", w))
                f = results.get((engine, "raw", w))
                h = results.get((engine, "hordak", w))
                if o and f:
                    log(f"  {engine} writers={w}: raw floor / ours = {f['tps'] / o['tps']:.2f}x "
                        f"(target <= 3x)")
                if o and h:
                    log(f"  {engine} writers={w}: ours / django-hordak = {o['tps'] / h['tps']:.2f}x "
                        f"(target >= 3x)")
        if args.balance_postings:
            log("\nbalance reads on a long history")
            for engine in engines:
                log(balance_reads(new_database(engine, pg, tmp), args.balance_postings))
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
