"""Trading: ascending auctions, negotiated prices, fixed-price listings with a notice period,
and the deals they end in (handed to settlement as a plan and reported to the core)."""
