"""FX through the ledger by the trading-account method, and realised FX gain or loss.

A conversion posts four legs so each currency balances on its own: the from-account gives up
``amount_from`` against the FX position (trading) account in that currency, and the to-account
receives the converted amount against the FX position account in the other currency. Position
accounts are credit-normal: a credit balance in a foreign currency is the exchange being long
it, and the reporting-currency position account carries what those holdings cost.

When (part of) a foreign position is sold, weighted-average cost (``settlement.fx``'s
``realise_fx_position``) says how much of the reporting-currency position is gain or loss, and
``post_realised_fx`` moves that amount to the ``fx_gain_loss`` account.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from moneyed import Money
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.audit import record_event
from kernel.money import from_minor, to_minor
from settlement.fx import FxMovement, PositionResult, Quote, convert, realise_fx_position

from .errors import CurrencyMismatch, InvalidPosting
from .models import Account, Posting, Transfer
from .service import Leg, PostedTransfer, TransferSpec, _lock_accounts, _post


def _quote_details(quote: Quote, amount_from: Money, amount_to: Money) -> dict[str, Any]:
    return {
        "from": quote.from_ccy, "to": quote.to_ccy, "rate": str(quote.rate),
        "mid_rate": str(quote.mid_rate), "spread_bps": str(quote.spread_bps), "side": quote.side,
        "as_of": quote.as_of.isoformat(),
        "amount_from": str(amount_from.amount), "amount_to": str(amount_to.amount),
        "path": [{"base": leg.rate.base, "quote": leg.rate.quote, "rate": str(leg.rate.rate),
                  "as_of": leg.rate.as_of.isoformat(), "source": leg.rate.source,
                  "inverted": leg.inverted} for leg in quote.path],
    }


def post_fx_conversion(session: Session, *, from_account_id: int, to_account_id: int,
                       amount_from: Money, quote: Quote, position_from_id: int,
                       position_to_id: int, key: str, at: dt.datetime, actor: str,
                       description: str = "") -> PostedTransfer:
    """Convert ``amount_from`` out of one account into another at ``quote`` (four legs).

    The from-account is reduced (the side opposite its normal one) and the to-account
    increased (its normal side) by ``convert(amount_from, quote)``; the FX position accounts
    (purpose ``fx_position``, one per currency) take the other side of each. The quote's rate
    and path are stored on the transfer.
    """
    if quote.from_ccy == quote.to_ccy:
        raise CurrencyMismatch("an FX conversion needs two currencies", field="quote")
    amount_to = convert(amount_from, quote.to_ccy, quote)
    if to_minor(amount_to) <= 0:
        raise InvalidPosting(f"{amount_from} converts to {amount_to}", field="amount_from")
    session.flush()
    states = _lock_accounts(session, [from_account_id, to_account_id, position_from_id,
                                      position_to_id])
    for pid, ccy in ((position_from_id, quote.from_ccy), (position_to_id, quote.to_ccy)):
        purpose = session.execute(select(Account.purpose).where(Account.id == pid)).scalar_one()
        if purpose != "fx_position" or states[pid].currency != ccy:
            raise CurrencyMismatch(f"account {pid} is not the {ccy} FX position account",
                                   field="position")
    src, dst = states[from_account_id], states[to_account_id]
    give = "credit" if src.normal_side == "debit" else "debit"
    take = dst.normal_side
    other = {"debit": "credit", "credit": "debit"}
    legs = [Leg(from_account_id, give, amount_from),
            Leg(position_from_id, other[give], amount_from),
            Leg(position_to_id, other[take], amount_to),
            Leg(to_account_id, take, amount_to)]
    details = _quote_details(quote, amount_from, amount_to)
    spec = TransferSpec(key, legs, description or f"FX {quote.from_ccy}->{quote.to_ccy}",
                        kind="fx_conversion", fx_rate=quote.rate, fx_details=details)
    (result,), _ = _post(session, [spec], at=at, actor=actor, states=states)
    if not result.replayed:
        record_event(session, actor=actor, action="ledger.fx_converted",
                     entity_type="ledger_transfer", entity_id=result.id, at=at,
                     after={"from": amount_from, "to": amount_to, "rate": quote.rate})
    return result


def fx_position_movements(session: Session, *, position_id: int,
                          reporting_position_id: int) -> list[FxMovement]:
    """The movements of a foreign FX position, valued by the reporting-currency legs of the
    same conversions: a credit to the position (currency in) at what the reporting position
    paid, a debit (currency out) at what it received. A conversion without a leg on the
    reporting position cannot be valued this way and is refused."""
    p = Posting.__table__.c
    t = Transfer.__table__.c
    rows = session.execute(
        select(p.transfer_id, p.side, p.amount_minor, p.currency, t.posted_at)
        .join(Transfer.__table__, t.id == p.transfer_id)
        .where(p.account_id == position_id, t.kind == "fx_conversion").order_by(p.id)).all()
    values = {r.transfer_id: r for r in session.execute(
        select(p.transfer_id, p.side, p.amount_minor, p.currency)
        .where(p.account_id == reporting_position_id,
               p.transfer_id.in_([r.transfer_id for r in rows]))).all()}
    out = []
    for r in rows:
        v = values.get(r.transfer_id)
        if v is None:
            raise CurrencyMismatch(f"conversion {r.transfer_id} did not go through the "
                                   "reporting currency's position", field="position")
        sign = 1 if r.side == "credit" else -1
        out.append(FxMovement(r.posted_at.date(), from_minor(sign * r.amount_minor, r.currency),
                              from_minor(v.amount_minor, v.currency)))
    return out


def post_realised_fx(session: Session, *, position_id: int, reporting_position_id: int,
                     gain_loss_account_id: int, key: str, at: dt.datetime,
                     actor: str) -> tuple[PositionResult, PostedTransfer | None]:
    """Recognise the realised FX result of a foreign position not yet posted.

    Runs the position's movements through weighted-average cost, subtracts what earlier calls
    already posted, and moves the rest between the reporting-currency position account and
    ``gain_loss_account_id`` (credit the gain account for a gain, debit it for a loss).
    Returns the position's result and the transfer (None when there was nothing to post).
    """
    session.flush()
    states = _lock_accounts(session, [position_id, reporting_position_id, gain_loss_account_id])
    foreign, reporting = states[position_id].currency, states[reporting_position_id].currency
    if states[gain_loss_account_id].currency != reporting:
        raise CurrencyMismatch("the gain/loss account must be in the reporting currency",
                               field="gain_loss_account_id")
    result = realise_fx_position(
        fx_position_movements(session, position_id=position_id,
                              reporting_position_id=reporting_position_id), foreign, reporting)
    posted = 0
    for details in session.execute(select(Transfer.fx_details).where(
            Transfer.kind == "fx_gain_loss")).scalars():
        d = json.loads(details or "{}")
        if d.get("position_id") == position_id and d.get("reporting_position_id") == \
                reporting_position_id:
            posted += int(d["realised_minor"])
    todo = to_minor(result.realised) - posted
    if todo == 0:
        return result, None
    amount = from_minor(abs(todo), reporting)
    legs = ([Leg(reporting_position_id, "debit", amount), Leg(gain_loss_account_id, "credit", amount)]
            if todo > 0 else
            [Leg(gain_loss_account_id, "debit", amount), Leg(reporting_position_id, "credit", amount)])
    spec = TransferSpec(key, legs, f"realised FX {'gain' if todo > 0 else 'loss'} on {foreign}",
                        kind="fx_gain_loss",
                        fx_details={"position_id": position_id,
                                    "reporting_position_id": reporting_position_id,
                                    "realised_minor": todo, "foreign": foreign,
                                    "reporting": reporting})
    (transfer,), _ = _post(session, [spec], at=at, actor=actor, states=states)
    if not transfer.replayed:
        record_event(session, actor=actor, action="ledger.fx_realised",
                     entity_type="ledger_transfer", entity_id=transfer.id, at=at,
                     after={"foreign": foreign, "realised": from_minor(todo, reporting)})
    return result, transfer


__all__ = ["post_fx_conversion", "post_realised_fx", "fx_position_movements"]
