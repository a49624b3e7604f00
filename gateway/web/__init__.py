"""Server-rendered pages: sign-in, sign-out, language, and each role's start page."""
from __future__ import annotations

from flask import Flask

from gateway.web import (  # noqa: F401  (routes register on bp)
    buyer,
    buyer_trading,
    finance,
    officer,
    officer_records,
    staff,
    staff_trading,
)
from gateway.web.views import bp


def register_web(app: Flask) -> None:
    from gateway.reconciliation import pages as _reconciliation_queue  # noqa: F401 - adds routes
    from gateway.reconciliation import web as _reconciliation_pages  # noqa: F401 - adds routes

    app.register_blueprint(bp)
