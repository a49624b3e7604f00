"""The trading API: auctions (registration, bids, the bid log), deposits, negotiations,
fixed-price notices, deals, demands and price guidance -- one module per mode, one blueprint.

Who may do what:
- staff of the listing's sub-centre (or an admin) open auctions, act for the seller in a
  negotiation, record contract signing, and read the full bid log (with the refused bids)
  once the auction closed, and the reasons buyers gave for passing on their listings;
- the seller organisation's own users may act for the seller in a negotiation;
- buyers register, bid and negotiate for their own organisation only, and see the current
  price, the end, their own bids -- never other bidders' identities nor the reserve; they
  post, close and read their own demands and say why they pass on a listing;
- finance records deposits received (crediting the buyer's deposit account).
"""
from __future__ import annotations

from .. import events  # noqa: F401  (the core feed's handlers)
# the route modules, in the order their routes are registered (and documented)
from . import auctions, deals, negotiations, notices, demands, valuation  # noqa: F401,I001
from .common import blp

__all__ = ["blp"]
