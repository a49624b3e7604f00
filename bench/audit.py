"""Audit chain append throughput: one writer vs 8 concurrent writers on PostgreSQL and SQLite.

Every append locks the single chain-head row, so concurrent writers serialise on it. This
prints events/s and p50/p99 per-transaction latency so we can see whether that lock limits
throughput (DECISIONS.md: move to sealed batches if it does).

    .venv/bin/python bench/audit.py [--events 4000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402

from gateway.health import alembic_config  # noqa: E402
from kernel.audit import record_event, verify_chain  # noqa: E402
from kernel.db import Database  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)


def run(db: Database, events: int, writers: int, per_tx: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_writer = events // writers

    def work(n: int) -> None:
        mine = []
        for i in range(0, per_writer, per_tx):
            t0 = time.perf_counter()
            with db.transaction() as s:
                for j in range(per_tx):
                    record_event(s, actor=f"user:{n}", action="bench.append", entity_type="bench",
                                 entity_id=i + j, at=NOW, after={"i": i + j})
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies


def report(name: str, db: Database, events: int) -> None:
    for writers, per_tx in ((1, 1), (8, 1), (1, 50), (8, 50)):
        elapsed, lat = run(db, events, writers, per_tx)
        lat.sort()
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"{name:10} writers={writers} events/tx={per_tx:3}: {events / elapsed:8.0f} events/s, "
              f"tx p50 {statistics.median(lat) * 1000:6.2f} ms, p99 {p99 * 1000:6.2f} ms", flush=True)
    with db.session() as s:
        r = verify_chain(s)
    print(f"{name:10} chain after the runs: ok={r.ok}, {r.checked} events", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=4000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/audit.db"
        command.upgrade(alembic_config(url), "head")
        report("sqlite", Database(url), args.events)
    server = PostgresServer().start()
    try:
        url = server.create_database("bench")
        command.upgrade(alembic_config(url), "head")
        report("postgresql", Database(url, pool_size=10), args.events)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
