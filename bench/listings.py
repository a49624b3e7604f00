"""Benchmark of listing search and bulk import, on SQLite and on a throwaway PostgreSQL.

Run: ``.venv/bin/python bench/listings.py [--rows 100000]`` (never part of the test suite).
Generates seeded listings (mixed Chinese/English text, 8 currencies, IPC classes, territories),
imports them through ``gateway.listings.bulk.import_listings`` in batches of 10,000 (full
validation, multi-row inserts), publishes them with one UPDATE (the lifecycle is not what is
measured), then times typical buyer searches as a buyer: filtered (field + TRL + direction,
IPC prefix + territory, price range in CNY over stored FX rates) and free text (zh and en).
Targets on PostgreSQL: p95 < 50 ms filtered, < 150 ms free text.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from moneyed import Money
from sqlalchemy import event, text, update

from gateway.health import alembic_config
from gateway.listings import bulk
from gateway.listings.models import Listing
from gateway.listings.search import SearchQuery, search_listings
from kernel.db import Database
from kernel.parties import Organisation, SubCentre
from settlement.fx import load_demo_rates
from settlement.fx.store import store_rates

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
ZH_TERMS = ["人工智能", "图像识别", "深度学习", "固态电池", "锂离子", "电解质", "天线", "通信", "基因编辑",
            "疫苗", "靶向药物", "传感器", "激光雷达", "自动驾驶", "光伏", "储能", "氢燃料", "半导体",
            "芯片封装", "机器人", "增材制造", "新材料", "石墨烯", "污水处理", "碳捕集", "农业育种", "医疗器械", "无人机"]
ZH_GLUE = ["基于", "一种", "的", "方法", "系统", "及其", "应用", "装置", "高效", "低成本", "用于", "新型"]
EN_TERMS = ["artificial intelligence", "image recognition", "deep learning", "solid-state battery",
            "lithium ion", "electrolyte", "antenna", "wireless communication", "gene editing", "vaccine",
            "targeted drug", "sensor", "lidar", "autonomous driving", "photovoltaic", "energy storage",
            "hydrogen fuel", "semiconductor", "chip packaging", "robot", "additive manufacturing",
            "graphene", "wastewater treatment", "carbon capture", "crop breeding", "medical device", "drone"]
EN_GLUE = ["method", "system", "for", "and", "based on", "efficient", "low cost", "novel", "apparatus", "using"]
IPC = ["G06V 10/82", "G06N 3/08", "H01M 10/0562", "H01M 4/13", "H04W 72/04", "H01Q 1/24", "C12N 15/11",
       "A61K 39/00", "A61K 31/00", "G01S 17/89", "B60W 60/00", "H02S 40/00", "H01L 23/00", "B25J 9/16",
       "B33Y 10/00", "C01B 32/182", "C02F 3/00", "B01D 53/62", "A01H 1/00", "A61B 5/00", "B64C 39/02"]
FIELDS = ["ai", "ict", "semiconductors", "biotech", "pharma", "medical_devices", "new_energy",
          "new_materials", "advanced_manufacturing", "agriculture", "environment", "aerospace", "transport"]
CURRENCIES = [("USD", 2), ("EUR", 2), ("CNY", 2), ("JPY", 0), ("GBP", 2), ("KRW", 0), ("DKK", 2), ("CAD", 2)]
COUNTRIES = ["CN", "US", "DE", "FR", "JP", "KR", "GB", "DK", "NL", "CA", "HK", "SG"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Bench:
    actor = "bench"
    role = "subcentre_staff"
    organisation_id = None

    def __init__(self, subcentre_id: int) -> None:
        self.subcentre_id = subcentre_id


class Buyer:
    actor, role, subcentre_id, organisation_id = "bench-buyer", "buyer", None, None


def _zh(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ZH_GLUE) + rng.choice(ZH_TERMS) for _ in range(n))


def _en(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(EN_GLUE) + " " + rng.choice(EN_TERMS) for _ in range(n)).capitalize()


def make_row(rng: random.Random, seller_id: int) -> dict[str, Any]:
    ccy, digits = rng.choice(CURRENCIES)
    scale = {0: 100, 2: 1}[digits]
    mode = rng.choice(["negotiated", "fixed_price", "fixed_price", "auction"])
    price = {"amount": str(rng.randrange(10_000, 5_000_000) * scale), "currency": ccy}
    langs = rng.random()
    row: dict[str, Any] = {
        "direction": rng.choice(["inbound", "outbound"]), "seller_id": seller_id,
        "technology_field": rng.choice(FIELDS), "ipc_classes": rng.sample(IPC, rng.randint(1, 3)),
        "trl": rng.randint(1, 9), "transaction_type": rng.choice(
            ["assignment", "exclusive_licence", "sole_licence", "non_exclusive_licence", "technical_service"]),
        "territory": rng.sample(COUNTRIES, rng.randint(1, 4)), "pricing_mode": mode,
        "period_start": NOW.isoformat(), "period_end": (NOW + dt.timedelta(days=180)).isoformat(),
    }
    if langs < 0.8:
        row["title_zh"], row["abstract_zh"] = _zh(rng, 2), _zh(rng, 6)
    if langs > 0.2:
        row["title_en"], row["abstract_en"] = _en(rng, 2), _en(rng, 6)
    if mode == "auction":
        row["starting_price"] = price
    else:
        row["asking_price"] = price
    return row


def setup(db: Database) -> tuple[int, list[int]]:
    with db.transaction() as s:
        sc = SubCentre(code="US", name_zh="美国分中心", name_en="US", country="US", home_currency="USD",
                       locale="en_US", timezone="America/New_York", active=True)
        s.add(sc)
        s.flush()
        orgs = [Organisation(legal_name=f"Seller {i}", legal_name_latin=f"Seller {i}", country="US",
                             org_type="company", tax_residency="US", subcentre_id=sc.id, created_at=NOW)
                for i in range(50)]
        s.add_all(orgs)
        s.flush()
        store_rates(s, load_demo_rates(), now=NOW, actor="bench")
        return sc.id, [o.id for o in orgs]


def load(db: Database, rows: int, batch: int = 10_000) -> float:
    sc_id, sellers = setup(db)
    rng = random.Random(42)
    staff = Bench(sc_id)
    elapsed = 0.0
    for start in range(0, rows, batch):
        chunk = [make_row(rng, rng.choice(sellers)) for _ in range(min(batch, rows - start))]
        t0 = time.perf_counter()
        with db.transaction() as s:
            bulk.import_listings(s, chunk, subcentre_id=sc_id, actor=staff, now=NOW)
        elapsed += time.perf_counter() - t0
        log(f"  imported {start + len(chunk):,}/{rows:,} ({(start + len(chunk)) / elapsed:,.0f} rows/s)")
    with db.transaction() as s:
        s.execute(update(Listing).values(state="published"))
    # publishing the whole catalogue in one UPDATE leaves a dead version of every row behind on
    # PostgreSQL; autovacuum would clear it in a running system, so clear it before measuring
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if db.dialect == "postgresql" else "ANALYZE"))
    return rows / elapsed


def queries(rng: random.Random) -> dict[str, list[Callable[[], SearchQuery]]]:
    return {
        "filtered": [
            lambda: SearchQuery(technology_field=rng.choice(FIELDS), trl_min=rng.randint(3, 6), trl_max=9,
                                direction=rng.choice(["inbound", "outbound"])),
            lambda: SearchQuery(ipc_prefix=rng.choice(IPC)[:4], territory=rng.choice(COUNTRIES)),
            lambda: SearchQuery(price_min=Money(rng.randrange(100_000, 2_000_000), "CNY"),
                                price_max=Money(rng.randrange(3_000_000, 20_000_000), "CNY"),
                                technology_field=rng.choice(FIELDS)),
        ],
        "free-text zh": [lambda: SearchQuery(text=rng.choice(ZH_TERMS)),
                         lambda: SearchQuery(text=rng.choice(ZH_TERMS), trl_min=5)],
        "free-text en": [lambda: SearchQuery(text=rng.choice(EN_TERMS)),
                         lambda: SearchQuery(text=rng.choice(EN_TERMS), ipc_prefix=rng.choice(IPC)[:1])],
    }


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def time_searches(db: Database, per_kind: int = 60) -> tuple[dict[str, tuple[float, float, float]],
                                                              dict[str, SearchQuery]]:
    """p50 / p95 / max ms per kind of query, and the slowest query of each kind."""
    rng = random.Random(7)
    out, slowest = {}, {}
    for kind, makers in queries(rng).items():
        times = []
        worst = (0.0, SearchQuery())
        for i in range(per_kind + 5):
            q = makers[i % len(makers)]()
            with db.session() as s:
                t0 = time.perf_counter()
                _rows, nxt = search_listings(s, Buyer(), q, now=NOW, limit=20)
                if nxt and i % 3 == 0:  # a second page now and then
                    search_listings(s, Buyer(), q, now=NOW, cursor=nxt, limit=20)
                elapsed = (time.perf_counter() - t0) * 1000
            if i >= 5:  # warm-up
                times.append(elapsed)
                worst = max(worst, (elapsed, q), key=lambda w: w[0])
        times.sort()
        out[kind] = (statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1])
        slowest[kind] = worst[1]
    return out, slowest


def explain(db: Database, q: SearchQuery) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the listing query a search issues (PostgreSQL)."""
    seen: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.session() as s:
            search_listings(s, Buyer(), q, now=NOW, limit=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, params = next((st, p) for st, p in seen if "ORDER BY" in st and "score" in st)
    with db.engine.connect() as conn:
        return list(conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).scalars())


def run(url: str, rows: int, explain_slowest: bool = False) -> dict[str, Any]:
    from alembic import command

    command.upgrade(alembic_config(url), "head")
    db = Database(url)
    rate = load(db, rows)
    log(f"  searching ({db.dialect}; {load_average()})")
    timings, slowest = time_searches(db)
    log(f"  searched ({db.dialect}; {load_average()})")
    result: dict[str, Any] = {"import rows/s": rate, **timings}
    if db.dialect == "postgresql" and explain_slowest:
        for kind in ("free-text zh", "free-text en"):
            shown = {k: v for k, v in vars(slowest[kind]).items()
                     if v is not None and k not in ("states", "max_rate_staleness_days")}
            log(f"  EXPLAIN (ANALYZE, BUFFERS) of the slowest {kind} query {shown} ({load_average()}):")
            print("\n".join("    " + line for line in explain(db, slowest[kind])), flush=True)
    db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of the slowest free-text queries (PostgreSQL)")
    args = parser.parse_args()
    results = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            log(f"SQLite: {args.rows:,} listings")
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", args.rows)
    if args.only in (None, "postgresql"):
        from tests.support.postgres import PostgresServer

        server = PostgresServer().start()
        try:
            url = server.create_database("bench")
            log(f"PostgreSQL: {args.rows:,} listings")
            results["postgresql"] = run(url, args.rows, args.explain)
        finally:
            server.stop()
    print(f"\n{load_average()} (machine shared with other work: figures vary with it)")
    print(f"{'':14}{'import rows/s':>14}  " + "  ".join(f"{k:>26}" for k in ("filtered", "free-text zh", "free-text en")))
    print(f"{'':14}{'':>14}  " + "  ".join(f"{'p50 / p95 / max ms':>26}" for _ in range(3)))
    for name, r in results.items():
        cells = "  ".join(f"{'{:.1f} / {:.1f} / {:.1f}'.format(*r[k]):>26}" for k in ("filtered", "free-text zh", "free-text en"))
        print(f"{name:14}{r['import rows/s']:>14,.0f}  {cells}")
    pg = results.get("postgresql")
    if pg:
        ok = pg["filtered"][1] < 50 and max(pg["free-text zh"][1], pg["free-text en"][1]) < 150
        print(f"\nPostgreSQL targets (p95 < 50 ms filtered, < 150 ms free text): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
