"""Auctions, registrations, bids and their log; deposits recorded by finance."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from gateway.api.spec import may_answer
from gateway.auth.access import AUTHENTICATED, allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock, get_db
from gateway.idempotency import idempotent
from kernel.errors import NotFound, PermissionDenied

from .. import auctions, deposits
from ..schemas import (
    AuctionCreateSchema,
    AuctionRegistrationSchema,
    AuctionSchema,
    BidArgs,
    BidLogSchema,
    BidSchema,
    DepositArgs,
    DepositBalanceArgs,
    DepositBalanceSchema,
)
from .common import OVERSIGHT, STAFF, _buyer_org, _listing, _staff_of, blp


def _auction_out(a: Any, p: Principal) -> dict[str, Any]:
    s = db_session()
    listing = _listing(a.listing_id)
    org = p.organisation_id if p.role == "buyer" else None
    out = auctions.buyer_view(s, a, org)
    out["reserve"] = a.reserve if (p.role in OVERSIGHT or _staff_of(p, listing)) else None
    out["deal_id"] = a.deal_id
    return out


@blp.route("/auctions")
class Auctions(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(AuctionCreateSchema)
    @blp.response(201, AuctionSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Open an auction on a published listing of the caller's sub-centre."""
        p = require_principal()
        listing = _listing(args.pop("listing_id"))
        if not _staff_of(p, listing):
            raise PermissionDenied("this listing belongs to another sub-centre")
        a = auctions.create_auction(db_session(), listing, now=get_clock().now(), actor=p.actor, **args)
        return _auction_out(a, p), 201


@blp.route("/auctions/<int:auction_id>")
class AuctionItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, AuctionSchema)
    def get(self, auction_id: int) -> dict[str, Any]:
        """The auction as the caller may see it (buyers: price, end, their own bids)."""
        p = require_principal()
        return _auction_out(auctions.get_auction(db_session(), auction_id), p)


@blp.route("/auctions/<int:auction_id>/registrations")
class Registrations(MethodView):
    @allow("buyer")
    @idempotent
    @blp.response(201, AuctionRegistrationSchema)
    def post(self, auction_id: int) -> Any:
        """Register the caller's organisation to bid: its deposit is held."""
        p = require_principal()
        return auctions.register(db_session(), auction_id, _buyer_org(p), now=get_clock().now(),
                                 actor=p.actor), 201


@blp.route("/auctions/<int:auction_id>/bids")
class Bids(MethodView):
    @allow("buyer")
    @idempotent
    @blp.arguments(BidArgs)
    @blp.response(201, BidSchema)
    def post(self, args: dict[str, Any], auction_id: int) -> Any:
        """Bid for the caller's organisation; a refusal is a 409 whose ``reason`` says why (and
        is kept in the auction's log)."""
        p = require_principal()
        return auctions.bid(get_db(), db_session(), auction_id, _buyer_org(p), args["amount"],
                            now=get_clock().now(), actor=p.actor), 201

    @allow("buyer", "subcentre_staff", "admin", "finance", "compliance_officer")
    @blp.response(200, BidLogSchema)
    def get(self, auction_id: int) -> dict[str, Any]:
        """Buyers: their own bids and refused bids. The seller's sub-centre: the full log
        (accepted bids with their bidders, and every refused bid with its reason) once the
        auction closed. Oversight roles: always."""
        p = require_principal()
        s = db_session()
        a = auctions.get_auction(s, auction_id)
        log = auctions.bid_log(s, a)
        if p.role == "buyer":
            org = _buyer_org(p)
            return {"items": [e for e in log if e["bidder_org_id"] == org],
                    "refused": auctions.refusal_log(s, a, org)}
        if p.role == "subcentre_staff":
            if not _staff_of(p, _listing(a.listing_id)):
                raise PermissionDenied("this auction belongs to another sub-centre")
            if a.state == "open":
                raise PermissionDenied("the bid log opens to the sub-centre after the close")
        return {"items": log, "refused": auctions.refusal_log(s, a)}


@blp.route("/deposits")
class Deposits(MethodView):
    @allow("finance", "admin")
    @idempotent
    @blp.arguments(DepositArgs)
    @blp.response(201, DepositBalanceSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Record a deposit received on the exchange's account: credits the buyer's deposit
        account (the bank reference makes it idempotent)."""
        p = require_principal()
        s, now = db_session(), get_clock().now()
        tid = deposits.record_receipt(s, args["org_id"], args["amount"],
                                      key=f"{args['org_id']}:{args['reference']}", at=now,
                                      actor=p.actor, reference=args["reference"])
        bal = deposits.deposit_balance(s, args["org_id"], args["amount"].currency.code, at=now,
                                       actor=p.actor)
        return {"org_id": args["org_id"], "posted": bal.posted, "pending": bal.pending,
                "available": bal.available, "transfer_id": tid}, 201

    @allow("finance", "admin", "buyer")
    @may_answer(404)  # an unknown organisation in the query
    @blp.arguments(DepositBalanceArgs, location="query")
    @blp.response(200, DepositBalanceSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A buyer's deposit balance (buyers: their own organisation's)."""
        p = require_principal()
        if p.role == "buyer" and args["org_id"] != _buyer_org(p):
            raise NotFound("no such deposit account")
        s = db_session()
        from settlement.ledger import Account, get_balance

        acc = s.execute(select(Account).where(
            Account.owner_type == "organisation", Account.owner_id == args["org_id"],
            Account.purpose == "deposit", Account.currency == args["currency"])).scalar_one_or_none()
        if acc is None:
            raise NotFound("no such deposit account")
        bal = get_balance(s, acc.id)
        return {"org_id": args["org_id"], "posted": bal.posted, "pending": bal.pending,
                "available": bal.available, "transfer_id": None}
