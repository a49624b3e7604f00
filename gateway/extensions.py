"""Flask extensions, created unbound and attached by ``init_app`` in the app factory."""
from __future__ import annotations

from flask import request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

SUPPORTED_LOCALES = ("en", "zh_CN")

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    best = request.accept_languages.best_match(["en", "zh_CN", "zh"], default="en")
    return "zh_CN" if best.startswith("zh") else "en"


def select_timezone() -> str:
    """Staff read times in their sub-centre's zone; everyone else in the exchange's."""
    from flask import g

    from gateway.db import db_session
    from gateway.web.helpers import timezone_of

    return timezone_of(db_session(), g.get("principal"))


babel = Babel()
