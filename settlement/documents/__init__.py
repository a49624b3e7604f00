"""Settlement documents: the settlement advice each party gets (HTML and PDF, in the party's
locale and currency, formatted by Babel) and the statement of account per organisation and
period (with CSV export). Rendered with Jinja directly and fpdf2: no Flask here."""
from .advice import Advice, AdviceRow, advice_for, party_locale, render_advice_html
from .pdf import render_advice_pdf
from .statement import Statement, StatementLine, statement_csv, statement_of_account

__all__ = ["Advice", "AdviceRow", "advice_for", "party_locale", "render_advice_html",
           "render_advice_pdf", "Statement", "StatementLine", "statement_of_account",
           "statement_csv"]
