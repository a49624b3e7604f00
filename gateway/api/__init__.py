"""Registers every API blueprint on the app's flask-smorest ``Api``."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from gateway.extensions import csrf
from gateway.schemas import money_openapi


def register_api(app: Flask, api: Api) -> None:
    from gateway.audit.api import blp as audit_blp
    from gateway.auth.api import blp as auth_blp
    from gateway.compliance.api import blp as compliance_blp
    from gateway.listings.api import blp as listings_blp
    from gateway.parties.api import blp as parties_blp
    from gateway.reconciliation.api import blp as reconciliation_blp
    from gateway.settlement.api import blp as settlement_blp
    from gateway.trading.api import blp as trading_blp

    api.ma_plugin.converter.add_attribute_function(money_openapi)
    for blp in (auth_blp, parties_blp, audit_blp, compliance_blp, listings_blp, settlement_blp,
                reconciliation_blp, trading_blp):
        # API clients authenticate with tokens; cookie-borne API calls are CSRF-checked in
        # gateway.auth.access with the X-CSRFToken header instead of a form field
        csrf.exempt(blp)
        api.register_blueprint(blp)
