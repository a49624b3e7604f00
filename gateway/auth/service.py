"""Creating users, checking passwords with lock-out, and issuing / verifying API tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.auth.models import ROLES, ApiToken, User
from kernel.audit import record_event
from kernel.db import Database
from kernel.errors import Conflict, InvalidInput, NotFound
from kernel.parties import Organisation, SubCentre

TOKEN_PREFIX = "tt_"
# a hash to compare against when the user does not exist, so timing does not reveal who does
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class InvalidCredentials(InvalidInput):
    """The email or password is wrong, or the account is locked or disabled."""

    kind = "unauthenticated"
    code = "invalid_credentials"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, *, email: str, password: str, role: str, display_name: str,
                now: dt.datetime, actor: str, subcentre_code: str | None = None,
                organisation_id: int | None = None, locale: str = "en") -> User:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    if len(password) < 12:
        raise InvalidInput("password must have at least 12 characters", field="password")
    email = email.strip().lower()
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user with email {email} exists", field="email")
    subcentre_id = None
    if role == "subcentre_staff":
        if not subcentre_code:
            raise InvalidInput("sub-centre staff need a sub-centre", field="subcentre")
        sc = session.execute(select(SubCentre).where(SubCentre.code == subcentre_code)).scalar_one_or_none()
        if sc is None:
            raise NotFound(f"no sub-centre {subcentre_code}", field="subcentre")
        subcentre_id = sc.id
    if role in ("buyer", "seller"):
        if organisation_id is None:
            raise InvalidInput(f"a {role} needs an organisation", field="organisation_id")
        if session.get(Organisation, organisation_id) is None:
            raise NotFound(f"no organisation {organisation_id}", field="organisation_id")
    elif organisation_id is not None:
        raise InvalidInput(f"a {role} is not bound to an organisation", field="organisation_id")
    user = User(email=email, display_name=display_name,
                password_hash=generate_password_hash(password, method="scrypt"), role=role,
                subcentre_id=subcentre_id, organisation_id=organisation_id, locale=locale,
                active=True, failed_logins=0, created_at=now)
    session.add(user)
    session.flush()
    record_event(session, actor=actor, action="user.created", entity_type="user", entity_id=user.id,
                 at=now, after={"role": role, "subcentre_id": subcentre_id,
                                "organisation_id": organisation_id})
    return user


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout: dt.timedelta


def check_password(session: Session, email: str, password: str, now: dt.datetime,
                   policy: LoginPolicy) -> User:
    """Return the user if the password is right; count failures and lock the account.

    The caller commits this session whether or not it raises: a failed attempt must be counted
    even though the request fails.
    """
    user = session.execute(
        select(User).where(User.email == email.strip().lower()).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidCredentials("email or password is wrong")
    if not user.active:
        raise InvalidCredentials("this account is disabled")
    if user.locked_until is not None and user.locked_until > now:
        raise InvalidCredentials("too many failed sign-ins: the account is locked for a while",
                                 locked_until=user.locked_until.isoformat())
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + policy.lockout
            user.failed_logins = 0
            record_event(session, actor=f"user:{user.id}", action="user.locked", entity_type="user",
                         entity_id=user.id, at=now,
                         after={"locked_until": user.locked_until})
        raise InvalidCredentials("email or password is wrong")
    user.failed_logins = 0
    user.locked_until = None
    return user


def sign_in(db: Database, email: str, password: str, now: dt.datetime,
            policy: LoginPolicy) -> int:
    """Check a password in a transaction of its own, so that failures are counted (and the
    account locked) even though the request that carried them fails. Returns the user id."""
    with db.transaction() as session:
        try:
            return check_password(session, email, password, now, policy).id
        except InvalidCredentials as exc:
            failure = exc
    raise failure


def issue_token(session: Session, user: User, *, name: str, now: dt.datetime,
                valid_for: dt.timedelta, actor: str) -> tuple[ApiToken, str]:
    """Create a token; the plain text is returned once and never stored."""
    if valid_for <= dt.timedelta(0) or valid_for > dt.timedelta(days=366):
        raise InvalidInput("a token is valid for between 1 and 366 days", field="expires_in_days")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plain), prefix=plain[:10],
                     created_at=now, expires_at=now + valid_for)
    session.add(token)
    session.flush()
    record_event(session, actor=actor, action="token.issued", entity_type="api_token",
                 entity_id=token.id, at=now,
                 after={"user_id": user.id, "expires_at": token.expires_at})
    return token, plain


def user_for_token(session: Session, plain: str, now: dt.datetime) -> User | None:
    """The active user behind a valid token, in one query (this runs on every API call)."""
    row = session.execute(
        select(ApiToken.revoked_at, ApiToken.expires_at, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(plain))
    ).one_or_none()
    if row is None:
        return None
    revoked_at, expires_at, user = row
    if revoked_at is not None or expires_at <= now or not user.active:
        return None
    return user


def revoke_token(session: Session, token: ApiToken, *, now: dt.datetime, actor: str) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now
        record_event(session, actor=actor, action="token.revoked", entity_type="api_token",
                     entity_id=token.id, at=now, after={"user_id": token.user_id})
    return token
