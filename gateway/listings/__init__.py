"""Listings: technology offered "bring in" (inbound) or "go out" (outbound) by a sub-centre for a
seller organisation, with rights confirmation, a lifecycle written as data, bulk import, and
browse/search for buyers."""
