"""Sign-in for API clients, tokens, the caller's own profile, and user administration."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from gateway.auth import service
from gateway.auth.access import AUTHENTICATED, allow, public, require_principal
from gateway.auth.models import ApiToken, User
from gateway.auth.schemas import (
    IssuedTokenSchema, SignInSchema, TokenListSchema, TokenRequestSchema, TokenSchema,
    UserListSchema, UserSchema,
)
from gateway.db import db_session, get_clock, get_db
from gateway.extensions import limiter
from gateway.idempotency import idempotent
from gateway.pagination import paginate
from gateway.schemas import PageArgs
from kernel.errors import NotFound, PermissionDenied

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in, tokens and users")


def login_policy() -> service.LoginPolicy:
    cfg = current_app.config
    return service.LoginPolicy(cfg["LOGIN_MAX_FAILURES"], dt.timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"]))


def _token_lifetime(days: int | None) -> dt.timedelta:
    return dt.timedelta(days=days or current_app.config["TOKEN_DEFAULT_DAYS"])


def _caller() -> str:
    """The rate-limit key of a signed-in caller: the user, whichever address or token they use."""
    return require_principal().actor


def _issued(token: ApiToken, plain: str) -> dict[str, Any]:
    fields = ("id", "name", "prefix", "user_id", "created_at", "expires_at", "revoked_at")
    return {**{f: getattr(token, f) for f in fields}, "token": plain}


@blp.route("/auth/token")
class SignIn(MethodView):
    @public
    @limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
    @blp.arguments(SignInSchema)
    @blp.response(201, IssuedTokenSchema)
    @blp.alt_response(401, response="UNAUTHORIZED", description="wrong credentials, or locked")
    @blp.doc(security=[])
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Exchange email and password for an API token (rate-limited, locks after failures)."""
        now = get_clock().now()
        user_id = service.sign_in(get_db(), args["email"], args["password"], now, login_policy())
        session = db_session()
        user = session.get(User, user_id)
        token, plain = service.issue_token(session, user, name=args["name"], now=now,
                                           valid_for=_token_lifetime(args["expires_in_days"]),
                                           actor=f"user:{user_id}")
        return _issued(token, plain)


@blp.route("/me")
class Me(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, UserSchema)
    def get(self) -> User:
        """The caller's own profile, role and scope."""
        return db_session().get(User, require_principal().user_id)


@blp.route("/tokens")
class Tokens(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, TokenListSchema)
    def get(self, page: dict[str, Any]) -> dict[str, Any]:
        """The caller's own tokens (never their secrets)."""
        stmt = select(ApiToken).where(ApiToken.user_id == require_principal().user_id)
        items, nxt = paginate(db_session(), stmt, ApiToken.id, cursor=page.get("cursor"), limit=page["limit"])
        return {"items": items, "next": nxt}

    @allow(AUTHENTICATED)
    @limiter.limit(lambda: current_app.config["TOKEN_RATE_LIMIT"], key_func=_caller)
    @idempotent
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, IssuedTokenSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Issue another token for the caller; the secret is in this response only (rate-limited
        per user)."""
        principal = require_principal()
        session = db_session()
        token, plain = service.issue_token(
            session, session.get(User, principal.user_id), name=args["name"],
            now=get_clock().now(), valid_for=_token_lifetime(args["expires_in_days"]),
            actor=principal.actor)
        return _issued(token, plain)


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, TokenSchema)
    def delete(self, token_id: int) -> ApiToken:
        """Revoke a token: the caller's own, or anyone's for an admin."""
        principal = require_principal()
        token = db_session().get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"no token {token_id}")
        if token.user_id != principal.user_id and principal.role != "admin":
            raise PermissionDenied("you may revoke only your own tokens")
        return service.revoke_token(db_session(), token, now=get_clock().now(), actor=principal.actor)


@blp.route("/users")
class Users(MethodView):
    @allow("admin")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, UserListSchema)
    def get(self, page: dict[str, Any]) -> dict[str, Any]:
        """All users (administrators only)."""
        items, nxt = paginate(db_session(), select(User), User.id, cursor=page.get("cursor"), limit=page["limit"])
        return {"items": items, "next": nxt}

    @allow("admin")
    @idempotent
    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, args: dict[str, Any]) -> User:
        """Create a user with a role and, where the role needs one, a scope."""
        principal = require_principal()
        return service.create_user(
            db_session(), email=args["email"], password=args["password"], role=args["role"],
            display_name=args["display_name"], now=get_clock().now(), actor=principal.actor,
            subcentre_code=args["subcentre"], organisation_id=args["organisation_id"],
            locale=args["locale"])
