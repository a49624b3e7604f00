"""The trading API: auctions (registration, bids, the bid log), deposits, negotiations, deals.

Who may do what:
- staff of the listing's sub-centre (or an admin) open auctions, act for the seller in a
  negotiation, record contract signing, and read the full bid log once the auction closed;
- the seller organisation's own users may act for the seller in a negotiation;
- buyers register, bid and negotiate for their own organisation only, and see the current
  price, the end, their own bids -- never other bidders' identities nor the reserve;
- finance records deposits received (crediting the buyer's deposit account).
"""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from gateway.api.spec import may_answer
from gateway.auth.access import AUTHENTICATED, allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock, get_db
from gateway.idempotency import idempotent
from gateway.listings.access import owns
from gateway.listings.models import Listing
from kernel.errors import NotFound, PermissionDenied

from . import (  # noqa: F401  (events: the feed handlers)
    auctions,
    deals,
    deposits,
    events,
    fixed_price,
    matching,
    negotiation,
    valuation,
)
from .models import Deal, Demand, FixedPriceNotice, Intent, Negotiation
from .schemas import (
    AuctionCreateSchema,
    AuctionRegistrationSchema,
    AuctionSchema,
    BidArgs,
    BidLogSchema,
    BidSchema,
    ContractSigningArgs,
    DealSchema,
    DemandCreateSchema,
    DemandMatchPageSchema,
    DemandSchema,
    DepositArgs,
    DepositBalanceArgs,
    DepositBalanceSchema,
    ExtendArgs,
    FixedPriceNoticeSchema,
    ListingMatchPageSchema,
    NegotiationCreateSchema,
    NegotiationSchema,
    NegotiationWithdrawArgs,
    NoticeCreateSchema,
    OfferArgs,
    OfferSchema,
    PriceGuidanceSchema,
    PriceNoticePageSchema,
    RoyaltyArgs,
    RoyaltyValueSchema,
)

blp = Blueprint("trading", __name__, url_prefix="/api/v1",
                description="Trading: auctions, deposits, negotiations, deals")

STAFF = ("subcentre_staff", "admin")
#: roles that read every deal and auction (oversight)
OVERSIGHT = frozenset({"admin", "finance", "compliance_officer"})


def _buyer_org(p: Principal) -> int:
    if p.organisation_id is None:
        raise PermissionDenied("your user is not linked to an organisation")
    return p.organisation_id


def _listing(listing_id: int) -> Listing:
    listing = db_session().get(Listing, listing_id)
    if listing is None:
        raise NotFound(f"no listing {listing_id}")
    return listing


def _staff_of(p: Principal, listing: Listing) -> bool:
    return p.role == "admin" or (p.role == "subcentre_staff" and owns(p, listing))


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


def _load_deal(deal_id: int, p: Principal) -> Deal:
    deal = db_session().get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"no deal {deal_id}")
    ok = (p.role in OVERSIGHT
          or (p.role == "subcentre_staff" and p.subcentre_id == deal.subcentre_id)
          or (p.role == "buyer" and p.organisation_id == deal.buyer_org_id)
          or (p.role == "seller" and p.organisation_id == deal.seller_org_id))
    if not ok:
        raise NotFound(f"no deal {deal_id}")
    return deal


@blp.route("/deals/<int:deal_id>")
class DealItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, DealSchema)
    def get(self, deal_id: int) -> Deal:
        """A deal, for its parties, the sub-centre and oversight roles."""
        return _load_deal(deal_id, require_principal())


@blp.route("/deals/<int:deal_id>/contract")
class DealContract(MethodView):
    @allow(*STAFF)
    @blp.arguments(ContractSigningArgs)
    @blp.response(200, DealSchema)
    def post(self, args: dict[str, Any], deal_id: int) -> Deal:
        """Record the contract's signing date (registration due 60 days later)."""
        p = require_principal()
        deal = _load_deal(deal_id, p)
        return deals.sign_contract(db_session(), deal.id, args["signed_on"],
                                   now=get_clock().now(), actor=p.actor)


def _load_negotiation(negotiation_id: int, p: Principal) -> tuple[Negotiation, Listing, str | None]:
    """The negotiation and the side the caller acts for (None: read only)."""
    n = negotiation.get_negotiation(db_session(), negotiation_id)
    listing = _listing(n.listing_id)
    side = None
    if p.role == "buyer" and p.organisation_id == n.buyer_org_id:
        side = "buyer"
    elif _staff_of(p, listing) or (p.role == "seller" and p.organisation_id == listing.seller_id):
        side = "seller"
    elif p.role not in OVERSIGHT:
        raise NotFound(f"no negotiation {negotiation_id}")
    return n, listing, side


def _side(p: Principal, negotiation_id: int) -> str:
    _n, _l, side = _load_negotiation(negotiation_id, p)
    if side is None:
        raise PermissionDenied("you are not a party to this negotiation")
    return side


@blp.route("/negotiations")
class Negotiations(MethodView):
    @allow("buyer")
    @idempotent
    @blp.arguments(NegotiationCreateSchema)
    @blp.response(201, NegotiationSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register the caller's organisation's interest in a negotiated-price listing."""
        p = require_principal()
        return negotiation.register_interest(db_session(), args["listing_id"], _buyer_org(p),
                                             now=get_clock().now(), actor=p.actor,
                                             notice_days=args["notice_days"]), 201


@blp.route("/negotiations/<int:negotiation_id>")
class NegotiationItem(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin", "finance", "compliance_officer")
    @blp.response(200, NegotiationSchema)
    def get(self, negotiation_id: int) -> Negotiation:
        n, _l, _s = _load_negotiation(negotiation_id, require_principal())
        return n


@blp.route("/negotiations/<int:negotiation_id>/offers")
class Offers(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin")
    @blp.arguments(OfferArgs)
    @blp.response(201, OfferSchema)
    def post(self, args: dict[str, Any], negotiation_id: int) -> Any:
        """An offer or counter-offer from the caller's side, in turn."""
        p = require_principal()
        return negotiation.make_offer(db_session(), negotiation_id, _side(p, negotiation_id),
                                      args["amount"], args["terms"], now=get_clock().now(),
                                      actor=p.actor), 201


@blp.route("/negotiations/<int:negotiation_id>/accept")
class Accept(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin")
    @blp.response(200, NegotiationSchema)
    def post(self, negotiation_id: int) -> Negotiation:
        """Accept the other side's latest offer: agreed; the public notice starts."""
        p = require_principal()
        return negotiation.accept(db_session(), negotiation_id, _side(p, negotiation_id),
                                  now=get_clock().now(), actor=p.actor)


@blp.route("/negotiations/<int:negotiation_id>/withdraw")
class Withdraw(MethodView):
    @allow("buyer", "seller", "subcentre_staff", "admin")
    @blp.arguments(NegotiationWithdrawArgs)
    @blp.response(200, NegotiationSchema)
    def post(self, args: dict[str, Any], negotiation_id: int) -> Negotiation:
        p = require_principal()
        return negotiation.withdraw(db_session(), negotiation_id, _side(p, negotiation_id),
                                    now=get_clock().now(), actor=p.actor, reason=args["reason"])


@blp.route("/negotiations/<int:negotiation_id>/contract")
class NegotiationContract(MethodView):
    @allow(*STAFF)
    @blp.arguments(ContractSigningArgs)
    @blp.response(200, NegotiationSchema)
    def post(self, args: dict[str, Any], negotiation_id: int) -> Negotiation:
        """After the notice period: the contract is signed and the deal struck."""
        p = require_principal()
        if _side(p, negotiation_id) != "seller":
            raise PermissionDenied("staff of the listing's sub-centre record the signing")
        return negotiation.sign_contract(db_session(), negotiation_id, args["signed_on"],
                                         now=get_clock().now(), actor=p.actor)


@blp.route("/notices")
class Notices(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, PriceNoticePageSchema)
    def get(self) -> dict[str, Any]:
        """Agreed negotiated prices under public notice: the achievement and the price."""
        s = db_session()
        rows = s.execute(select(Negotiation).where(Negotiation.state == "agreed")
                         .order_by(Negotiation.id).limit(200)).scalars()
        return {"items": [negotiation.public_notice(s, n) for n in rows]}


def _notice_out(n: FixedPriceNotice, p: Principal) -> dict[str, Any]:
    """Buyers see how many intend to buy and whether they do, never who."""
    s = db_session()
    intents = list(s.execute(select(Intent).where(Intent.notice_id == n.id)).scalars())
    out = {name: getattr(n, name) for name in (
        "id", "listing_id", "state", "price", "deposit", "increment", "working_days", "starts_at",
        "ends_at", "threshold", "extensions", "auction_id", "deal_id")}
    out["intending_buyers"] = sum(1 for i in intents if i.state != "released")
    out["my_intent"] = p.organisation_id is not None and any(
        i.org_id == p.organisation_id for i in intents)
    return out


def _seller_side(p: Principal, listing: Listing) -> bool:
    return _staff_of(p, listing) or (p.role == "seller" and p.organisation_id == listing.seller_id)


@blp.route("/notices/fixed-price")
class FixedPriceNotices(MethodView):
    @allow(*STAFF)
    @idempotent
    @blp.arguments(NoticeCreateSchema)
    @blp.response(201, FixedPriceNoticeSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Open the notice period of a published fixed-price listing of the caller's sub-centre."""
        p = require_principal()
        listing = _listing(args.pop("listing_id"))
        if not _staff_of(p, listing):
            raise PermissionDenied("this listing belongs to another sub-centre")
        n = fixed_price.open_notice(db_session(), listing, now=get_clock().now(), actor=p.actor, **args)
        return _notice_out(n, p), 201


@blp.route("/notices/fixed-price/<int:notice_id>")
class FixedPriceNoticeItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, FixedPriceNoticeSchema)
    def get(self, notice_id: int) -> dict[str, Any]:
        return _notice_out(fixed_price.get_notice(db_session(), notice_id), require_principal())


@blp.route("/notices/fixed-price/<int:notice_id>/intents")
class Intents(MethodView):
    @allow("buyer")
    @idempotent
    @blp.response(201, FixedPriceNoticeSchema)
    def post(self, notice_id: int) -> Any:
        """Intend to buy at the listed price for the caller's organisation (deposit held)."""
        p = require_principal()
        s = db_session()
        fixed_price.register_intent(s, notice_id, _buyer_org(p), now=get_clock().now(), actor=p.actor)
        return _notice_out(fixed_price.get_notice(s, notice_id), p), 201


@blp.route("/notices/fixed-price/<int:notice_id>/extend")
class ExtendNotice(MethodView):
    @allow("subcentre_staff", "seller", "admin")
    @blp.arguments(ExtendArgs)
    @blp.response(200, FixedPriceNoticeSchema)
    def post(self, args: dict[str, Any], notice_id: int) -> dict[str, Any]:
        """Extend a notice that found no buyer (at least 5 working days)."""
        p = require_principal()
        s = db_session()
        if not _seller_side(p, _listing(fixed_price.get_notice(s, notice_id).listing_id)):
            raise PermissionDenied("only the seller's side extends the notice")
        n = fixed_price.extend(s, notice_id, args["working_days"], now=get_clock().now(), actor=p.actor)
        return _notice_out(n, p)


@blp.route("/notices/fixed-price/<int:notice_id>/withdraw")
class WithdrawNotice(MethodView):
    @allow("subcentre_staff", "seller", "admin")
    @blp.response(200, FixedPriceNoticeSchema)
    def post(self, notice_id: int) -> dict[str, Any]:
        """Withdraw the listing after a notice without a buyer."""
        p = require_principal()
        n = fixed_price.withdraw(db_session(), notice_id, p, now=get_clock().now())
        return _notice_out(n, p)


def _load_demand(demand_id: int, p: Principal) -> Demand:
    demand = db_session().get(Demand, demand_id)
    if demand is None or not (p.role in OVERSIGHT or p.role == "subcentre_staff"
                              or (p.role == "buyer" and p.organisation_id == demand.org_id)):
        raise NotFound(f"no demand {demand_id}")
    return demand


@blp.route("/demands")
class Demands(MethodView):
    @allow("buyer")
    @idempotent
    @blp.arguments(DemandCreateSchema)
    @blp.response(201, DemandSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Post a technology demand for the caller's organisation."""
        p = require_principal()
        return matching.create_demand(db_session(), _buyer_org(p), args, now=get_clock().now(),
                                      actor=p.actor), 201


@blp.route("/demands/<int:demand_id>")
class DemandItem(MethodView):
    @allow("buyer", "subcentre_staff", "admin", "finance", "compliance_officer")
    @blp.response(200, DemandSchema)
    def get(self, demand_id: int) -> Demand:
        return _load_demand(demand_id, require_principal())


@blp.route("/demands/<int:demand_id>/matches")
class DemandMatches(MethodView):
    @allow("buyer", "subcentre_staff", "admin", "finance", "compliance_officer")
    @blp.response(200, ListingMatchPageSchema)
    def get(self, demand_id: int) -> dict[str, Any]:
        """Published listings of the demand's direction, best first, with the score's parts."""
        p = require_principal()
        s = db_session()
        demand = _load_demand(demand_id, p)
        ranked = matching.matches_for_demand(s, demand, on=get_clock().now().date())
        return {"items": [{"listing_id": x.id, "reference": x.reference, "title_zh": x.title_zh,
                           "title_en": x.title_en, "headline_price": x.headline_price,
                           "trl": x.trl, "score": m.score, "parts": m.parts, "notes": m.notes}
                          for x, m in ranked]}


@blp.route("/listings/<int:listing_id>/matching-demands")
class ListingDemands(MethodView):
    @allow("subcentre_staff", "admin")
    @blp.response(200, DemandMatchPageSchema)
    def get(self, listing_id: int) -> dict[str, Any]:
        """For the listing's sub-centre: the open demands the listing matches."""
        p = require_principal()
        listing = _listing(listing_id)
        if not _staff_of(p, listing):
            raise NotFound(f"no listing {listing_id}")
        ranked = matching.demands_for_listing(db_session(), listing, on=get_clock().now().date())
        return {"items": [{"demand_id": d.id, "title": d.title, "org_id": d.org_id,
                           "score": m.score, "parts": m.parts, "notes": m.notes}
                          for d, m in ranked]}


@blp.route("/listings/<int:listing_id>/price-guidance")
class PriceGuidance(MethodView):
    @allow("subcentre_staff", "admin", "seller", "buyer")
    @blp.response(200, PriceGuidanceSchema)
    def get(self, listing_id: int) -> dict[str, Any]:
        """Comparable past deals and their price range in the listing's currency. Staff of the
        sub-centre (and the seller) see the comparables in full; buyers see the ranges and
        prices, never the parties."""
        from gateway.listings.access import can_read

        p = require_principal()
        listing = _listing(listing_id)
        if not can_read(p, listing):
            raise NotFound(f"no listing {listing_id}")
        guidance = valuation.comparables(db_session(), listing)
        guidance["remaining_patent_years"] = valuation.remaining_years(listing, get_clock().now().date())
        if not (p.role == "admin" or _seller_side(p, listing)):
            guidance = valuation.for_buyers(guidance)
        return guidance


@blp.route("/valuation/relief-from-royalty")
class ReliefFromRoyalty(MethodView):
    @allow("subcentre_staff", "admin")
    @blp.arguments(RoyaltyArgs)
    @blp.response(200, RoyaltyValueSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Relief-from-royalty value with its inputs and every step."""
        return valuation.relief_from_royalty(**args)
