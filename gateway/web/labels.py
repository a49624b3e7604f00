"""Words that reach pages from data (roles, sign-in reasons), marked here for translation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "subcentre_staff": _l("sub-centre staff"),
    "buyer": _l("buyer"),
    "seller": _l("seller"),
    "finance": _l("finance"),
    "compliance_officer": _l("compliance officer"),
    "admin": _l("administrator"),
}

SIGN_IN_REASONS = {
    "email or password is wrong": _l("email or password is wrong"),
    "this account is disabled": _l("this account is disabled"),
    "too many failed sign-ins: the account is locked for a while":
        _l("too many failed sign-ins: the account is locked for a while"),
}
