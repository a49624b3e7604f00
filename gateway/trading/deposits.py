"""Deposits as ledger money: the buyer pays the deposit into the exchange's bank account;
finance records the receipt, which credits the buyer's ``deposit`` account; registering to bid
(or an intent on a fixed-price listing) places a hold on that account. At the close the
winner's hold is committed into the buyer's escrow for the deal (the deposit applied to the
price) and the others are voided (released).
"""
from __future__ import annotations

import datetime as dt

from moneyed import Money
from sqlalchemy.orm import Session

from kernel.money import to_minor
from kernel.parties import Organisation
from settlement.ledger import errors as ledger_errors
from settlement.ledger.balances import Balance, get_balance
from settlement.ledger.holds import commit_hold, place_hold, void_hold
from settlement.ledger.service import credit, debit, get_or_open_account, post_transfer

from .errors import DepositMissing, InvalidTrading

#: how long a deposit hold lives after the scheduled end if nothing resolves it (the tick's
#: ``expire_holds`` then releases it)
HOLD_GRACE = dt.timedelta(days=30)


def deposit_account(session: Session, org_id: int, currency: str, *, at: dt.datetime,
                    actor: str) -> int:
    return get_or_open_account(session, owner_type="organisation", owner_id=org_id,
                               purpose="deposit", currency=currency, at=at, actor=actor).id


def deposit_balance(session: Session, org_id: int, currency: str, *, at: dt.datetime,
                    actor: str) -> Balance:
    return get_balance(session, deposit_account(session, org_id, currency, at=at, actor=actor))


def record_receipt(session: Session, org_id: int, amount: Money, *, key: str, at: dt.datetime,
                   actor: str, reference: str = "") -> int:
    """Finance records a deposit received on the exchange's bank account for ``org_id``:
    debit the exchange's bank account, credit the buyer's deposit account. Idempotent by
    ``key``. Returns the transfer id."""
    if session.get(Organisation, org_id) is None:
        raise InvalidTrading(f"no organisation {org_id}", field="org_id")
    if to_minor(amount) <= 0:
        raise InvalidTrading("a deposit must be positive", field="amount")
    ccy = amount.currency.code
    bank = get_or_open_account(session, owner_type="exchange", owner_id=0, purpose="bank",
                               currency=ccy, at=at, actor=actor).id
    dep = deposit_account(session, org_id, ccy, at=at, actor=actor)
    posted = post_transfer(session, key=f"deposit-receipt:{key}",
                           legs=[debit(bank, amount), credit(dep, amount)], at=at, actor=actor,
                           description=f"deposit received for organisation {org_id} {reference}"[:255])
    return posted.id


def hold_deposit(session: Session, org_id: int, amount: Money, *, key: str, until: dt.datetime,
                 at: dt.datetime, actor: str) -> int:
    """Set the deposit aside on the buyer's deposit account; ``DepositMissing`` (with available
    and required) when the account does not hold enough."""
    account = deposit_account(session, org_id, amount.currency.code, at=at, actor=actor)
    try:
        return place_hold(session, account, amount, key=key, expires_at=until + HOLD_GRACE,
                          at=at, actor=actor).id
    except ledger_errors.InsufficientFunds as exc:
        raise DepositMissing(
            f"the deposit of {amount.amount} {amount.currency.code} has not been received "
            "(record the receipt first)", field="deposit",
            required={"amount": str(amount.amount), "currency": amount.currency.code},
            available=exc.extra.get("available")) from None


def apply_deposit(session: Session, hold_id: int, org_id: int, currency: str, *, key: str,
                  at: dt.datetime, actor: str) -> None:
    """The winner's deposit goes towards the price: commit the hold into the buyer's escrow."""
    escrow = get_or_open_account(session, owner_type="organisation", owner_id=org_id,
                                 purpose="buyer_escrow", currency=currency, at=at, actor=actor).id
    commit_hold(session, hold_id, key=key, at=at, actor=actor, to_account_id=escrow,
                description=f"deposit applied to deal ({key})"[:255])


def release_deposit(session: Session, hold_id: int, *, at: dt.datetime, actor: str) -> None:
    hold = void_hold(session, hold_id, at=at, actor=actor)
    del hold
