"""Balance reads never scan history: the current balance is a primary-key read and the as-of
balance one probe of the (account_id, posted_at, id) index (bench/ledger.py times both on an
account with a million postings)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from kernel.clock import FrozenClock
from kernel.db import Database
from tests.integration.ledger.conftest import Accounts

AS_OF = ("SELECT balance_after FROM ledger_postings WHERE account_id = :a AND posted_at <= :t "
         "ORDER BY posted_at DESC, id DESC LIMIT 1")


def test_the_as_of_read_is_one_probe_of_the_account_time_index(
        db: Database, backend: str, accounts: Accounts, clock: FrozenClock) -> None:
    params = {"a": accounts.escrow_usd, "t": clock.now() + dt.timedelta(days=1)}
    with db.session() as s:
        if backend == "postgresql":
            # on an almost empty table the planner would rightly scan; ask whether it can probe
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(r[0] for r in s.execute(text(f"EXPLAIN {AS_OF}"), params))
            assert "ix_ledger_postings_account_time" in plan and "Sort" not in plan, plan
        else:
            params["t"] = params["t"].replace(tzinfo=None)
            plan = "\n".join(str(r[-1]) for r in s.execute(text(f"EXPLAIN QUERY PLAN {AS_OF}"),
                                                           params))
            assert "USING INDEX ix_ledger_postings_account_time" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
