"""The advice as PDF, with fpdf2: pure Python (fontTools and Pillow underneath), no system
libraries, embeds a subset of a TrueType font so Chinese and Korean text renders. WeasyPrint
would render the HTML itself but needs Pango and cairo from the system, which CI and the
developers' machines would have to install; fpdf2 needs only a CJK font file, which
``make deps`` already installs (fonts-wqy-zenhei)."""
from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF

from kernel.errors import Unavailable

from .advice import Advice

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def cjk_font() -> Path:
    """A font with Chinese and Korean glyphs: ``SETTLEMENT_PDF_FONT`` or a system one."""
    for candidate in (os.environ.get("SETTLEMENT_PDF_FONT"), *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise Unavailable("no CJK font for PDF advices: install fonts-wqy-zenhei or set "
                      "SETTLEMENT_PDF_FONT")


def render_advice_pdf(advice: Advice) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"{advice.title} {advice.ref}")
    pdf.set_creator("techtrade-gateway")
    pdf.add_font("cjk", fname=str(cjk_font()))
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, advice.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    for label, value in ((advice.labels["to"], advice.party_name),
                         (advice.labels["reference"], advice.rf_printed),
                         (advice.labels["human_ref"], advice.ref),
                         (advice.labels["deal"], advice.deal_ref),
                         (advice.labels["due"], advice.due),
                         (advice.labels["status"], advice.status)):
        pdf.cell(60, 7, label)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for row in advice.rows:
        pdf.cell(60, 7, row.label)
        pdf.cell(45, 7, row.amount, align="R")
        pdf.cell(15, 7, row.rate)
        pdf.ln(7)
        if row.rule:
            pdf.set_font("cjk", size=7)
            pdf.multi_cell(0, 4, row.rule, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("cjk", size=10)
    if advice.rate:
        pdf.cell(60, 7, advice.labels["rate"])
        pdf.cell(45, 7, advice.rate, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=12)
    pdf.cell(60, 9, advice.headline_label)
    pdf.cell(45, 9, advice.headline, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
