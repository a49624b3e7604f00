"""Fixed-price listings: the notice period, intents, extension, withdrawal."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from gateway.auth.access import AUTHENTICATED, allow, require_principal
from gateway.auth.principal import Principal
from gateway.db import db_session, get_clock
from gateway.idempotency import idempotent
from kernel.errors import PermissionDenied

from .. import fixed_price
from ..models import FixedPriceNotice, Intent
from ..schemas import (
    ExtendArgs,
    FixedPriceNoticeSchema,
    NoticeCreateSchema,
)
from .common import STAFF, _buyer_org, _listing, _seller_side, _staff_of, blp


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
