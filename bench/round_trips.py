"""Statements PostgreSQL receives per API request, counted in its own log (log_statement=all),
for the code tree on PYTHONPATH: each is a round trip (the pool's pre-ping shows as ``;``).

    PYTHONPATH=. /work/main/.venv/bin/python bench/round_trips.py

Never run by the test suite.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
from sqlalchemy import text
from tests.support.postgres import PostgresServer
from bench.load import prepare_database, DEMO_TOKENS
from kernel.db import make_engine
pg = PostgresServer().start()
try:
    url = prepare_database(pg)
    admin = make_engine(pg.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("ALTER SYSTEM SET log_statement = 'all'")); c.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()
    from gateway.app import create_app
    import gateway; print("tree:", gateway.__file__)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x" * 40, "LOG_LEVEL": "WARNING"})
    client = app.test_client()
    h = {"Authorization": f"Bearer {DEMO_TOKENS['buyer']}"}
    log = pg.root / "log"
    for path in ["/api/v1/me", "/api/v1/subcentres", "/api/v1/listings/search?q=laser", "/api/v1/organisations"]:
        for _ in range(3): client.get(path, headers=h)
        time.sleep(0.5); before = sum(1 for l in log.read_text().splitlines() if "LOG:  statement:" in l or "LOG:  execute" in l)
        for _ in range(10): client.get(path, headers=h)
        time.sleep(0.5); after = log.read_text()
        stmts = [l.split("LOG:  ", 1)[1][:38] for l in after.splitlines() if ("LOG:  statement:" in l or "LOG:  execute" in l)][before:]
        print(f"{path:40} {len(stmts) / 10:.1f} statements/request: {sorted(set(stmts))[:6]}")
    app.extensions["gateway.db"].engine.dispose()
finally:
    pg.stop()
