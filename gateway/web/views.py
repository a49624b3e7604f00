from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from gateway.auth.access import AUTHENTICATED, allow, current_principal, public
from gateway.auth.api import login_policy
from gateway.auth.models import User
from gateway.auth.service import InvalidCredentials, sign_in
from gateway.db import db_session, get_clock, get_db
from gateway.extensions import SUPPORTED_LOCALES, limiter
from gateway.web import labels
from gateway.web.helpers import money, when
from gateway.web.labels import ROLE_LABELS, SIGN_IN_REASONS
from kernel.parties import SubCentre

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")


@bp.app_context_processor
def _inject() -> dict[str, object]:
    return {"principal": g.get("principal"), "locales": SUPPORTED_LOCALES, "role_labels": ROLE_LABELS,
            "get_locale": get_locale, "fmt_money": money, "fmt_when": when,
            "state_labels": labels.STATE_LABELS, "field_labels": labels.FIELD_LABELS,
            "transaction_labels": labels.TRANSACTION_LABELS, "pricing_labels": labels.PRICING_LABELS,
            "direction_labels": labels.DIRECTION_LABELS, "asset_labels": labels.ASSET_LABELS,
            "patent_status_labels": labels.PATENT_STATUS_LABELS, "check_labels": labels.CHECK_LABELS,
            "instruction_labels": labels.INSTRUCTION_STATUS_LABELS,
            "instruction_kind_labels": labels.INSTRUCTION_KIND_LABELS, "action_labels": labels.ACTION_LABELS,
            "case_labels": labels.CASE_STATUS_LABELS, "control_labels": labels.CONTROL_LABELS,
            "ownership_labels": labels.OWNERSHIP_LABELS, "clearance_labels": labels.CLEARANCE_LABELS}


def _safe_next(target: str | None) -> str:
    # only same-site relative paths: never redirect a signed-in user off the site
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.home")


@bp.get("/")
@public
def home() -> ResponseReturnValue:
    principal = current_principal(optional=True)
    if principal is None:
        return render_template("landing.html")
    user = db_session().get(User, principal.user_id)
    subcentres = db_session().execute(select(SubCentre).order_by(SubCentre.code)).scalars().all()
    return render_template("home.html", user=user, subcentres=subcentres)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        password = request.form.get("password", "")
        try:
            user_id = sign_in(get_db(), email, password, get_clock().now(), login_policy())
        except InvalidCredentials as exc:
            # the form comes back with the reason (a 200 page, as browsers expect of a form)
            error = _("Sign-in failed: %(reason)s", reason=SIGN_IN_REASONS.get(exc.detail, exc.detail))
        else:
            session.clear()
            session["uid"] = user_id
            user = db_session().get(User, user_id)
            session["locale"] = session.get("locale") or user.locale
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error)


@bp.post("/logout")
@allow(AUTHENTICATED)
def logout() -> ResponseReturnValue:
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("web.login"))


@bp.post("/language")
@public
def language() -> ResponseReturnValue:
    chosen = request.form.get("locale", "")
    if chosen in SUPPORTED_LOCALES:
        session["locale"] = chosen
    return redirect(_safe_next(request.form.get("next")))
