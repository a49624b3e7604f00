"""Domain errors in the reader's language.

A domain error carries a stable ``code`` and an English ``detail`` built by the service (with
ids and amounts in it). Pages show the sentence for the code, translated, filled from the
error's own fields where it has them (the limit of a write-off, the line of a bad file), and
keep the service's detail beside it for the record (marked ``lang="en"``). An error without a
sentence here shows its detail alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kernel.errors import DomainError

#: one sentence per error code that reaches the finance and compliance pages
ERROR_TEXTS: dict[str, Any] = {
    # statement files
    "statement_invalid": _l("The statement file cannot be used."),
    "statement_malformed": _l("The statement file has a missing or malformed element or cell."),
    "statement_unsafe_xml": _l("The statement file declares a DOCTYPE or entities and is refused "
                               "for safety."),
    "statement_too_large": _l("The statement file is larger than the limit."),
    "statement_unsupported_format": _l("This is not a camt.053 statement, or the CSV profile, "
                                       "account or currency is missing or unknown."),
    "statement_balance_mismatch": _l("The opening balance plus the entries does not give the "
                                     "closing balance."),
    "statement_duplicate": _l("This statement was imported before; nothing was written."),
    "bank_account_unknown": _l("No bank account is registered for the statement's account and "
                               "currency."),
    # the exceptions queue
    "reconciliation_exception_not_found": _l("There is no such item in the exceptions queue."),
    "reconciliation_match_not_found": _l("There is no such match."),
    "reconciliation_exception_closed": _l("This item was resolved already."),
    "instruction_already_matched": _l("The instruction is fully matched already; an instruction "
                                      "is never matched twice."),
    "line_already_allocated": _l("The statement line has no unallocated amount left for that."),
    "reconciliation_invalid_allocation": _l("The allocation does not add up (amounts, currencies "
                                            "or directions)."),
    "reconciliation_reversal_pays_nothing": _l("A reversal, or the entry it undoes, pays no "
                                               "instruction: it is not matched."),
    "write_off_above_limit": _l("The difference of %(difference)s %(currency)s is above the "
                                "write-off limit of %(limit)s %(currency)s."),
    "match_already_reverted": _l("The match was undone already."),
    "instruction_unknown": _l("The instruction is not known."),
    # compliance records
    "classification_required": _l("The subject is not classified for this record: licences are "
                                  "for restricted technology, registrations for free technology."),
    "record_out_of_order": _l("The records are in an order the rules forbid."),
    "record_duplicate": _l("This record was recorded already."),
    # settlement steps on the dashboard
    "settlement_transition_refused": _l("The instruction is not in a state that allows this "
                                        "step."),
    "settlement_amount_mismatch": _l("The amount is not the amount the instruction expects."),
    "amount_precision": _l("The amount has more decimals than the currency allows."),
    "invalid_currency": _l("The currency is not a known ISO 4217 code."),
    # generic
    "invalid_input": _l("The input breaks a rule."),
    "not_found": _l("That was not found."),
    "conflict": _l("That clashes with the current state."),
}


@dataclass(frozen=True)
class ErrorText:
    """What a page shows of a refusal: the translated sentence, where it is (a file's line or
    element), and the service's own detail."""

    text: str
    where: str
    detail: str
    field: str | None

    def __str__(self) -> str:
        return " ".join(p for p in (self.text, self.where) if p)


def _where(exc: DomainError) -> str:
    line, element, column = (exc.extra.get(k) for k in ("line", "element", "column"))
    parts = []
    if element:
        parts.append(_("element %(element)s", element=element))
    if column:
        parts.append(_("column %(column)s", column=column))
    if line is not None:
        parts.append(_("line %(line)s", line=line))
    return _("(at %(where)s)", where=", ".join(parts)) if parts else ""


def error_text(exc: DomainError) -> ErrorText:
    """The page's words for ``exc``: its code's sentence (the nearest base class's when the
    code has none), filled from the error's fields."""
    sentence = None
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if code in ERROR_TEXTS:
            sentence = ERROR_TEXTS[code]
            break
    if sentence is None:
        return ErrorText(exc.detail, "", "", exc.field)
    text = str(sentence)
    if "%(" in text:
        try:
            text = text % dict(exc.extra)
        except (KeyError, TypeError, ValueError):  # the error lacks a field the sentence names
            return ErrorText(exc.detail, _where(exc), "", exc.field)
    return ErrorText(text, _where(exc), exc.detail, exc.field)


def page_errors(exc: DomainError) -> dict[str, list[ErrorText]]:
    """``exc`` keyed by the form field it belongs to (``_form`` when none)."""
    return {exc.field or "_form": [error_text(exc)]}
