"""``flask --app wsgi ledger check`` passes on a sound ledger and names what a tamper broke."""
from __future__ import annotations

from sqlalchemy import text

from kernel.clock import FrozenClock
from kernel.money import Money
from settlement.ledger import credit, debit, post_transfer
from tests.conftest import TEST_CONFIG
from tests.integration.ledger.conftest import ACTOR, fund, open_accounts


def test_ledger_check_passes_then_names_a_tampered_balance_and_posting(
        backend: str, fresh_db_url: str, clock: FrozenClock) -> None:
    from gateway.app import create_app

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url})
    db = app.extensions["gateway.db"]
    with db.transaction() as s:
        accts = open_accounts(s, clock)
        fund(s, accts, "100.00", "USD", "fund", clock)
        post_transfer(s, key="pay", legs=[debit(accts.escrow_usd, Money("40.00", "USD")),
                                          credit(accts.payable_usd, Money("40.00", "USD"))],
                      at=clock.now(), actor=ACTOR)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["ledger", "check"])
    assert ok.exit_code == 0, ok.output
    assert "ledger ok" in ok.output

    with db.transaction() as s:
        s.execute(text("UPDATE ledger_accounts SET posted_minor = posted_minor + 1 WHERE id = :a"),
                  {"a": accts.payable_usd})
    bad = runner.invoke(args=["ledger", "check"])
    assert bad.exit_code == 1
    assert (f"account {accts.payable_usd}: running balance 40.01 USD but its postings sum to "
            f"40.00 USD") in bad.output

    # past the immutability trigger (only an owner of the tables can do this), a posting edit
    with db.transaction() as s:
        if backend == "postgresql":
            s.execute(text("ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_immutable"))
        else:
            s.execute(text("DROP TRIGGER ledger_postings_no_update"))
        s.execute(text("UPDATE ledger_postings SET amount_minor = 4100 WHERE account_id = :a"),
                  {"a": accts.payable_usd})
    worse = runner.invoke(args=["ledger", "check"])
    assert worse.exit_code == 1
    assert "currency USD does not sum to zero: debits - credits = -1.00 USD" in worse.output
    assert "is unbalanced in USD" in worse.output
    assert "the chain gives" in worse.output
    db.engine.dispose()
