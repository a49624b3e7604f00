"""Trading: ascending auctions, negotiated prices, fixed-price listings with a notice period,
the deals they end in (handed to settlement as a plan and reported to the core), demand
matching and price guidance.

Modules (each works in the caller's session and transaction; the caller commits):

- ``auctions``: ``create_auction``, ``register`` (deposit hold), ``place_bid`` (``BidRefused``
  with a ``reason`` from ``errors.BID_REFUSALS``), ``bid`` (``place_bid`` that also stores a
  refusal, in a transaction of its own: what front ends call), ``close_auction``,
  ``buyer_view``, ``bid_log``, ``refusal_log``;
- ``negotiation``: ``register_interest``, ``make_offer``, ``accept``, ``public_notice``,
  ``sign_contract``, ``withdraw``, ``expire_due``;
- ``fixed_price``: ``open_notice``, ``register_intent``, ``close_notice``, ``extend``,
  ``withdraw``; ``calendar``: working days per country from data; ``calendar_load``: CSV and
  iCalendar holiday files (``flask --app wsgi trading load-calendar``);
- ``deposits``: ``record_receipt`` (finance), ``hold_deposit``, ``apply_deposit``,
  ``release_deposit``;
- ``deals``: ``check_buyer_eligible`` (a "bring in" listing sells to domestic buyers, a "go
  out" listing to overseas ones: checked at interest, intent, auction registration and again
  at the deal), ``strike_deal`` (compliance gates, plan, core report), ``deal_currencies`` (a
  domestic buyer pays in CNY, a domestic seller is paid in CNY, others in the contract
  currency, unless the terms name them; the winner's deposit reduces the upfront payment),
  ``sign_contract``;
- ``events``: the core feed's ``deal.struck`` (a domestic deal ends the gateway's trading);
- ``tick``: the periodic job behind ``flask --app wsgi trading tick``;
- ``matching``: demands and their ranked listings; ``demands``: closing a demand, the
  reasons buyers give for passing on a listing; ``valuation``: comparables and relief from
  royalty;
- ``api``: the HTTP routes, one module per mode (``/api/v1/auctions``, ``/deposits``,
  ``/deals``, ``/negotiations``, ``/notices``, ``/demands``, ``/listings/{id}/passes``,
  ``/listings/{id}/price-guidance``...).
"""
