"""HTTP layer of compliance."""
