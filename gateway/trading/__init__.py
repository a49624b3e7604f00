"""Trading: ascending auctions, negotiated prices, fixed-price listings with a notice period,
the deals they end in (handed to settlement as a plan and reported to the core), demand
matching and price guidance.

Modules (each works in the caller's session and transaction; the caller commits):

- ``auctions``: ``create_auction``, ``register`` (deposit hold), ``place_bid`` (``BidRefused``
  with a ``reason`` from ``errors.BID_REFUSALS``), ``close_auction``, ``buyer_view``, ``bid_log``;
- ``negotiation``: ``register_interest``, ``make_offer``, ``accept``, ``public_notice``,
  ``sign_contract``, ``withdraw``, ``expire_due``;
- ``fixed_price``: ``open_notice``, ``register_intent``, ``close_notice``, ``extend``,
  ``withdraw``; ``calendar``: working days per country from data;
- ``deposits``: ``record_receipt`` (finance), ``hold_deposit``, ``apply_deposit``,
  ``release_deposit``;
- ``deals``: ``strike_deal`` (compliance gates, plan, core report), ``sign_contract``;
- ``events``: the core feed's ``deal.struck`` (a domestic deal ends the gateway's trading);
- ``tick``: the periodic job behind ``flask --app wsgi trading tick``;
- ``matching``: demands and their ranked listings; ``valuation``: comparables and relief
  from royalty;
- ``api``: the HTTP routes (``/api/v1/auctions``, ``/deposits``, ``/deals``,
  ``/negotiations``, ``/notices``, ``/demands``, ``/listings/{id}/price-guidance``...).
"""
