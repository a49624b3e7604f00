"""A small ledger client for the fault tests: posts transfers ``fault-0`` .. ``fault-<N-1>`` in a
loop, one transaction each, printing ``posted <i> <id> <replayed>`` after each commit.

    python -m tests.support.ledger_poster DATABASE_URL COUNT

Run with ``GATEWAY_FAIL_AT=ledger.postings_inserted@K`` it dies (exit 137) inside the K-th
posting's transaction; SIGKILLed, it dies wherever it is. Rerun with the same COUNT, it retries
every key: those already posted come back as replays, the rest are posted.
"""
from __future__ import annotations

import datetime as dt
import sys

from kernel.db import Database
from kernel.money import Money
from settlement.ledger import credit, debit, get_or_open_account, post_transfer

AMOUNT = Money("12.34", "USD")


def main(url: str, count: int) -> None:
    db = Database(url)
    now = dt.datetime.now(dt.timezone.utc)
    with db.transaction() as s:
        escrow = get_or_open_account(s, owner_type="organisation", owner_id=1,
                                     purpose="buyer_escrow", currency="USD", at=now,
                                     actor="test:faults", no_negative=False).id
        payable = get_or_open_account(s, owner_type="organisation", owner_id=2,
                                      purpose="seller_payable", currency="USD", at=now,
                                      actor="test:faults").id
    for i in range(count):
        with db.transaction() as s:
            posted = post_transfer(s, key=f"fault-{i}", legs=[debit(escrow, AMOUNT), credit(payable, AMOUNT)],
                                   at=dt.datetime.now(dt.timezone.utc), actor="test:faults",
                                   description=f"fault test {i}")
        print(f"posted {i} {posted.id} {posted.replayed}", flush=True)
    db.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
