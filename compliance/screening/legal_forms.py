"""Legal-form words stripped from the ends of organisation names, as data.

Written as publishers and registries spell them, in their own scripts; ``normalise`` runs each
through the same pipeline as names (so "Co., Ltd." becomes the tokens ``co ltd`` and 有限公司
becomes ``you xian gong si``), which keeps this table readable and in step with the normaliser.
Only whole trailing or leading token runs are removed, and never the last remaining token.
"""
from __future__ import annotations

LEGAL_FORMS: tuple[str, ...] = (
    # English-speaking jurisdictions
    "Co.", "Company", "Corp.", "Corporation", "Inc.", "Incorporated", "Ltd.", "Limited",
    "LLC", "L.L.C.", "LLP", "LP", "L.P.", "PLC", "P.L.C.", "PLLC", "Pty", "Pty Ltd",
    "Co., Ltd.", "Company Limited", "Limited Liability Company",
    # Continental Europe
    "GmbH", "GmbH & Co. KG", "AG", "KG", "KGaA", "e.K.", "UG", "SE",
    "B.V.", "N.V.", "V.O.F.", "ApS", "A/S", "I/S", "K/S", "P/S", "AB", "Oy", "Oyj", "AS", "ASA",
    "S.A.", "S.A.S.", "SAS", "SARL", "S.à r.l.", "S.p.A.", "S.r.l.", "S.L.", "S.A. de C.V.",
    "Sp. z o.o.", "s.r.o.", "a.s.", "Kft.", "Zrt.", "d.o.o.", "OÜ",
    # Russia and the CIS (Cyrillic and Latin spellings)
    "ООО", "ОАО", "ЗАО", "ПАО", "АО", "ИП", "ТОО", "OOO", "OAO", "ZAO", "PAO", "AO", "TOO",
    # Chinese, Japanese, Korean
    "有限公司", "有限责任公司", "有限責任公司", "股份有限公司", "集团有限公司", "集团股份有限公司",
    "(有限公司)", "公司", "株式会社", "有限会社", "合同会社", "Kabushiki Kaisha", "K.K.",
    "주식회사", "유한회사", "(주)", "Chusik Hoesa", "Jusik Hoesa",
    # Elsewhere
    "Sdn. Bhd.", "Bhd.", "Pte. Ltd.", "Pte Ltd", "PT", "Tbk", "JSC", "OJSC", "CJSC", "PJSC",
    "FZE", "FZCO", "FZ-LLC", "W.L.L.", "WLL", "S.A.L.", "Ltda.", "S.A.C.", "EIRL", "A.Ş.",
)
