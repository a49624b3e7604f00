"""Column-mapping profiles for banks that deliver statements as CSV, and their registry.

A profile is data: which columns hold what, how numbers and dates are written, and which of the
three amount layouts the bank uses (a signed amount; separate debit and credit columns; an
unsigned amount plus a debit/credit indicator). Adding a bank means adding a profile here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from settlement.reconciliation.statements.errors import UnsupportedStatementFormat


@dataclass(frozen=True)
class CsvProfile:
    """How one bank's CSV export is laid out."""

    name: str
    date_column: str
    delimiter: str = ","
    encoding: str = "utf-8-sig"          # -sig drops the BOM spreadsheet exports often start with
    quotechar: str = '"'
    skip_rows: int = 0                   # physical lines before the header (bank, account, period)
    skip_footer_rows: int = 0            # non-empty rows after the data (totals, disclaimers)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    value_date_column: str | None = None
    decimal_separator: str = "."
    thousands_separator: str = ""
    # Amount layout: exactly one of (amount_column), (amount_column + indicator_column),
    # (debit_column + credit_column).
    amount_column: str | None = None
    indicator_column: str | None = None
    credit_indicators: tuple[str, ...] = ("C", "CR", "CRDT")
    debit_indicators: tuple[str, ...] = ("D", "DR", "DBIT")
    debit_column: str | None = None
    credit_column: str | None = None
    currency_column: str | None = None
    currency_aliases: Mapping[str, str] = field(default_factory=dict, hash=False)
    reference_column: str | None = None          # the bank's reference of the row
    end_to_end_column: str | None = None
    remittance_columns: tuple[str, ...] = ()     # joined with a space
    counterparty_column: str | None = None
    counterparty_account_column: str | None = None
    balance_column: str | None = None            # running balance after the row
    newest_first: bool = False                   # rows listed latest first

    def __post_init__(self) -> None:
        signed = self.amount_column is not None
        split = self.debit_column is not None or self.credit_column is not None
        if signed == split or (split and None in (self.debit_column, self.credit_column)):
            raise ValueError(f"profile {self.name!r}: give amount_column (optionally with "
                             "indicator_column) or both debit_column and credit_column")
        if self.decimal_separator not in (".", ",") or (
                self.thousands_separator == self.decimal_separator):
            raise ValueError(f"profile {self.name!r}: bad decimal/thousands separators")

    def required_columns(self) -> tuple[str, ...]:
        """Every column the header must contain."""
        names = (self.date_column, self.value_date_column, self.amount_column,
                 self.indicator_column, self.debit_column, self.credit_column,
                 self.currency_column, self.reference_column, self.end_to_end_column,
                 *self.remittance_columns, self.counterparty_column,
                 self.counterparty_account_column, self.balance_column)
        return tuple(n for n in names if n is not None)


GENERIC = CsvProfile(
    name="generic",
    date_column="Date", value_date_column="Value Date",
    amount_column="Amount", currency_column="Currency",
    reference_column="Reference", end_to_end_column="End-to-End ID",
    remittance_columns=("Description",),
    counterparty_column="Counterparty", counterparty_account_column="Counterparty Account",
)

# German online-banking export: semicolons, Windows-1252, 31.12.2024, 1.234,56, Soll/Haben.
DE_SOLL_HABEN = CsvProfile(
    name="de_soll_haben",
    delimiter=";", encoding="cp1252", skip_rows=4,
    date_column="Buchungstag", value_date_column="Valutadatum",
    date_formats=("%d.%m.%Y", "%d.%m.%y"),
    decimal_separator=",", thousands_separator=".",
    debit_column="Soll", credit_column="Haben", currency_column="Währung",
    reference_column="Kundenreferenz", remittance_columns=("Buchungstext", "Verwendungszweck"),
    counterparty_column="Auftraggeber/Empfänger", counterparty_account_column="IBAN",
)

# Chinese corporate online-banking export: GB18030, 借 (debit) / 贷 (credit) flag, running
# balance (余额), currency written in Chinese.
CN_JIE_DAI = CsvProfile(
    name="cn_jie_dai",
    encoding="gb18030", skip_rows=1,
    date_column="交易日期", value_date_column="起息日",
    date_formats=("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"),
    thousands_separator=",",
    amount_column="交易金额", indicator_column="借贷标志",
    credit_indicators=("贷",), debit_indicators=("借",),
    currency_column="币种",
    currency_aliases={"人民币": "CNY", "RMB": "CNY", "美元": "USD", "欧元": "EUR",
                      "港币": "HKD", "港元": "HKD"},
    reference_column="交易流水号", remittance_columns=("摘要",),
    counterparty_column="对方户名", counterparty_account_column="对方账号",
    balance_column="余额",
)

PROFILES: Mapping[str, CsvProfile] = MappingProxyType(
    {p.name: p for p in (GENERIC, DE_SOLL_HABEN, CN_JIE_DAI)}
)


def get_profile(name: str) -> CsvProfile:
    """The registered profile called ``name``; ``UnsupportedStatementFormat`` if none is."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UnsupportedStatementFormat(
            f"no CSV statement profile {name!r}; known: {', '.join(sorted(PROFILES))}",
            profile=name) from None
