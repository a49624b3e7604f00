"""Who may call what: every route declares a rule, enforced before the view runs.

``@allow("finance", "admin")`` admits those roles; ``@allow(AUTHENTICATED)`` any signed-in user;
``@public`` anyone. Scope (own sub-centre, own organisation) is checked by the services and
queries with the ``Principal``. A test walks the URL map and fails on any route without a rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

from flask import g, request, session as web_session
from flask_wtf.csrf import CSRFError, validate_csrf

from gateway.auth.models import ROLES, User
from gateway.auth.principal import Principal
from gateway.auth.service import user_for_token
from gateway.db import SAFE_METHODS, db_session, get_clock
from gateway.errors import Unauthenticated
from kernel.errors import PermissionDenied

AUTHENTICATED = "*"


@dataclass(frozen=True)
class AccessRule:
    roles: frozenset[str]
    public: bool = False

    def describe(self) -> str:
        if self.public:
            return "public"
        return "any signed-in user" if AUTHENTICATED in self.roles else ", ".join(sorted(self.roles))


def _principal_of(user: User, via: str) -> Principal:
    return Principal(user.id, user.role, user.subcentre_id, user.organisation_id, user.locale, via)


def current_principal(optional: bool = False) -> Principal | None:
    """The caller, from a Bearer token or the web session cookie; cached per request."""
    if "principal" in g:
        return g.principal
    principal = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use 'Authorization: Bearer <token>'")
        user = user_for_token(db_session(), token.strip(), get_clock().now())
        if user is None:
            raise Unauthenticated("the token is unknown, expired or revoked")
        principal = _principal_of(user, "token")
        g.principal_user = user  # held, so the session's (weak) identity map keeps it for get()
    elif "uid" in web_session:
        user = db_session().get(User, web_session["uid"])
        if user is not None and user.active:
            principal = _principal_of(user, "session")
            if request.method not in SAFE_METHODS and request.blueprint != "web":
                # API calls riding on the browser's cookie must prove they come from our pages
                try:
                    validate_csrf(request.headers.get("X-CSRFToken", ""))
                except CSRFError as exc:
                    raise PermissionDenied(f"CSRF check failed: {exc.description}") from None
                except Exception:
                    raise PermissionDenied("CSRF check failed: missing or invalid X-CSRFToken") from None
        else:
            web_session.clear()
    if principal is None and not optional:
        raise Unauthenticated("sign in or send an API token")
    g.principal = principal
    return principal


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise Unauthenticated("sign in or send an API token")
    return principal


def allow(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    unknown = set(roles) - set(ROLES) - {AUTHENTICATED}
    if unknown or not roles:
        raise ValueError(f"unknown roles in access rule: {unknown or 'none given'}")
    rule = AccessRule(frozenset(roles))

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = require_principal()
            if AUTHENTICATED not in rule.roles and principal.role not in rule.roles:
                raise PermissionDenied(f"this needs one of the roles: {rule.describe()}")
            return view(*args, **kwargs)

        guarded.access_rule = rule  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    view.access_rule = AccessRule(frozenset(), public=True)  # type: ignore[attr-defined]
    return view


def rule_for(view_func: Callable[..., Any], method: str) -> AccessRule | None:
    """The rule a URL-map endpoint declares for ``method`` (MethodViews per method)."""
    view_class = getattr(view_func, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        return getattr(handler, "access_rule", None)
    return getattr(view_func, "access_rule", None)
