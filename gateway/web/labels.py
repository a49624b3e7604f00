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

STATE_LABELS = {
    "draft": _l("draft"), "submitted": _l("submitted"), "in_review": _l("in review"),
    "cleared": _l("cleared"), "blocked": _l("blocked"), "licence_required": _l("licence required"),
    "published": _l("published"), "under_negotiation": _l("under negotiation"),
    "in_notice_period": _l("in notice period"), "in_auction": _l("in auction"),
    "deal_struck": _l("deal struck"), "withdrawn": _l("withdrawn"), "expired": _l("expired"),
}

FIELD_LABELS = {
    "ai": _l("artificial intelligence"), "ict": _l("information and communication"),
    "semiconductors": _l("semiconductors"), "biotech": _l("biotechnology"), "pharma": _l("pharmaceuticals"),
    "medical_devices": _l("medical devices"), "new_energy": _l("new energy"),
    "new_materials": _l("new materials"), "advanced_manufacturing": _l("advanced manufacturing"),
    "agriculture": _l("agriculture"), "environment": _l("environment"), "aerospace": _l("aerospace"),
    "transport": _l("transport"), "other": _l("other"),
}

TRANSACTION_LABELS = {
    "assignment": _l("assignment"), "exclusive_licence": _l("exclusive licence"),
    "sole_licence": _l("sole licence"), "non_exclusive_licence": _l("non-exclusive licence"),
    "technical_service": _l("technical service"),
}

PRICING_LABELS = {"negotiated": _l("negotiated"), "fixed_price": _l("fixed price"), "auction": _l("auction")}

DIRECTION_LABELS = {"inbound": _l("bring in"), "outbound": _l("go out")}

ASSET_LABELS = {"patent": _l("patent"), "software_copyright": _l("software copyright"),
                "know_how": _l("know-how")}

PATENT_STATUS_LABELS = {"application": _l("application"), "granted": _l("granted"),
                        "lapsed": _l("lapsed"), "revoked": _l("revoked")}

# what an instruction is for; a milestone also shows its own label from the contract terms, and
# royalty lines their period, both as written in the terms
INSTRUCTION_KIND_LABELS = {
    "upfront": _l("upfront payment"), "milestone": _l("milestone"), "royalty": _l("royalty"),
    "royalty_topup": _l("minimum royalty top-up"),
}

INSTRUCTION_STATUS_LABELS = {
    "scheduled": _l("scheduled"), "due": _l("due"), "funds_received": _l("funds received"),
    "compliance_released": _l("released by compliance"), "converted": _l("converted"),
    "paid_out": _l("paid out"), "settled": _l("settled"), "held": _l("held"),
    "cancelled": _l("cancelled"),
}

#: what publication_checks reports, in the reader's words
CHECK_LABELS = {
    "compliance_not_cleared": _l("Compliance has not cleared the listing yet."),
    "text_missing": _l("Title and abstract are needed in both Chinese and English."),
    "no_ip_assets": _l("Add the patents, software copyrights or know-how offered."),
    "ownership_unconfirmed": _l("No ownership evidence recorded for an asset."),
    "ownership_mismatch": _l("The registered owner of an asset is not the seller."),
    "patent_expired": _l("A patent has expired."),
    "patent_not_in_force": _l("A patent is not in force."),
    "period_missing": _l("Set the listing period."),
    "period_over": _l("The listing period is already over."),
}

#: an asset's ownership evidence on the staff listing page
OWNERSHIP_LABELS = {
    "matches": _l("the registered owner matches the seller"),
    "mismatch": _l("the registered owner is not the seller"),
    "missing": _l("no ownership evidence recorded"),
}

#: why a party is not clear (``party_clearance`` reasons), in the reader's words
CLEARANCE_LABELS = {
    "embargoed_country": _l("its country is under a comprehensive embargo"),
    "not_screened": _l("not screened under its current name and country"),
    "party_under_review": _l("a screening case is under review"),
    "party_blocked": _l("a screening case confirmed a match"),
}

CASE_STATUS_LABELS = {"open": _l("open"), "cleared": _l("cleared"), "confirmed": _l("confirmed")}

CONTROL_LABELS = {"prohibited": _l("prohibited"), "restricted": _l("restricted"), "free": _l("free")}

ACTION_LABELS = {"submit": _l("Submit for review"), "publish": _l("Publish"), "withdraw": _l("Withdraw")}

EXCEPTION_KIND_LABELS = {
    "unmatched_line": _l("unmatched line"), "ambiguous": _l("ambiguous"),
    "difference": _l("amount differs"), "already_matched": _l("instruction already matched"),
    "unpaid_instruction": _l("unpaid instruction"), "reversal": _l("reversal"),
}

RESOLUTION_LABELS = {"matched": _l("matched"), "split": _l("split"), "written_off": _l("written off")}

#: the matching rule (or how a candidate was found)
RULE_LABELS = {
    "reference": _l("reference"), "reference_group": _l("reference, several instructions"),
    "amount_date_name": _l("amount, date and name"),
    "grouped_one_line": _l("one line, several instructions"),
    "grouped_partials": _l("several lines, one instruction"), "manual": _l("by hand"),
    "suggestion": _l("suggestion"), "unmatched": _l("unmatched before"),
    "reversed_match": _l("match of the entry reversed"),
}
