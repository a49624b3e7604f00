"""Statements PostgreSQL receives per API request, counted in its own log (log_statement=all),
for the code tree on PYTHONPATH: each is a round trip (the pool's pre-ping shows as ``;``).

    PYTHONPATH=. /work/main/.venv/bin/python bench/round_trips.py

Never run by the test suite.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from sqlalchemy import text  # noqa: E402

from bench.load import DEMO_TOKENS, prepare_database  # noqa: E402
from kernel.db import make_engine  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

PATHS = ["/api/v1/me", "/api/v1/subcentres", "/api/v1/listings/search?q=laser", "/api/v1/organisations"]


def _logged(log: Path) -> list[str]:
    return [line.split("LOG:  ", 1)[1][:38] for line in log.read_text().splitlines()
            if "LOG:  statement:" in line or "LOG:  execute" in line]


def main() -> None:
    pg = PostgresServer().start()
    try:
        url = prepare_database(pg)
        admin = make_engine(pg.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("ALTER SYSTEM SET log_statement = 'all'"))
            c.execute(text("SELECT pg_reload_conf()"))
        admin.dispose()
        import gateway
        from gateway.app import create_app

        print("tree:", Path(gateway.__file__).parent.parent)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x" * 40, "LOG_LEVEL": "WARNING"})
        client = app.test_client()
        headers = {"Authorization": f"Bearer {DEMO_TOKENS['buyer']}"}
        log = pg.root / "log"
        for path in PATHS:
            for _ in range(3):
                client.get(path, headers=headers)
            time.sleep(0.5)
            before = len(_logged(log))
            for _ in range(10):
                client.get(path, headers=headers)
            time.sleep(0.5)
            sent = _logged(log)[before:]
            print(f"{path:40} {len(sent) / 10:.1f} statements/request: {sorted(set(sent))[:6]}")
        app.extensions["gateway.db"].engine.dispose()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
