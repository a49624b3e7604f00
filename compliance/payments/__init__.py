"""Payment rules settlement calls before any payout: tax filing, structuring, holds."""
