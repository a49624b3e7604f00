"""HTTP API, CLI and report page for reconciliation (the services live in
``settlement.reconciliation``)."""
