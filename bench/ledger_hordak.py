"""The django-hordak side of bench/ledger.py; runs inside bench/.venv-peers, never imported.

    python ledger_hordak.py DSN TRANSFERS BATCH WRITERS

Configures a minimal Django project on the PostgreSQL database at DSN, migrates hordak, opens
four accounts per currency per writer and posts the same workload as bench/ledger.py: each
transfer has four legs in two currencies, made with hordak's API (Transaction.objects.create
and Leg.objects.create with debit=/credit= Money), inside transaction.atomic() per batch.
Prints one JSON line: {"seconds": wall, "latencies": [per-batch seconds, ...]}.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import sys
import time
from decimal import Decimal
from urllib.parse import urlparse


def configure(dsn: str) -> None:
    import django
    from django.conf import settings

    u = urlparse(dsn.replace("postgresql+psycopg://", "postgresql://"))
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": u.path[1:],
                               "USER": u.username or "postgres", "HOST": u.hostname,
                               "PORT": u.port, "PASSWORD": u.password or ""}},
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "mptt", "djmoney",
                        "hordak"],
        USE_TZ=True, DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        CURRENCIES=["USD", "EUR"], HORDAK_CURRENCIES=["USD", "EUR"], DEFAULT_CURRENCY="USD",
        LOGGING_CONFIG=None,
    )
    django.setup()


def setup(dsn: str, writers: int) -> list[list[int]]:
    configure(dsn)
    from django.core.management import call_command
    from hordak.models import Account, AccountType

    call_command("migrate", verbosity=0)
    out = []
    for w in range(writers):
        ids = []
        for ccy in ("USD", "EUR"):
            for i in range(4):
                ids.append(Account.objects.create(name=f"w{w}-{ccy}-{i}", type=AccountType.asset,
                                                  currencies=[ccy], code=f"{w}{i}{ccy[0]}").id)
        out.append(ids)
    return out


def work(args: tuple[str, list[int], int, int, int, "mp.synchronize.Barrier"]) -> list[float]:
    dsn, ids, start, count, batch, barrier = args
    configure(dsn)
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Account, Leg, Transaction

    accounts = {a.id: a for a in Account.objects.filter(id__in=ids)}
    usd, eur = ids[:4], ids[4:]
    latencies = []
    barrier.wait()
    for b in range(start, start + count, batch):
        t0 = time.perf_counter()
        with transaction.atomic():
            for n in range(b, min(b + batch, start + count)):
                x = Money(Decimal(100 + n % 900) / 100, "USD")
                y = Money(Decimal(200 + n % 700) / 100, "EUR")
                t = Transaction.objects.create(description=f"bench {n}")
                Leg.objects.create(transaction=t, account=accounts[usd[n % 4]], debit=x)
                Leg.objects.create(transaction=t, account=accounts[usd[(n + 1) % 4]], credit=x)
                Leg.objects.create(transaction=t, account=accounts[eur[n % 4]], debit=y)
                Leg.objects.create(transaction=t, account=accounts[eur[(n + 2) % 4]], credit=y)
        latencies.append(time.perf_counter() - t0)
    return latencies


def main() -> None:
    dsn, total, batch, writers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    parts = setup(dsn, writers)
    per = total // writers
    ctx = mp.get_context("spawn")
    barrier = ctx.Manager().Barrier(writers + 1)
    with ctx.Pool(writers) as pool:
        pending = pool.map_async(work, [(dsn, parts[w], w * per, per, batch, barrier)
                                        for w in range(writers)])
        barrier.wait()
        t0 = time.perf_counter()
        results = pending.get()
        wall = time.perf_counter() - t0
    print(json.dumps({"seconds": wall, "latencies": [x for r in results for x in r]}))


if __name__ == "__main__":
    main()
