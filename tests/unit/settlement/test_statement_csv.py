"""CSV statements through the shipped profiles, and the faults they report by line and column."""
from __future__ import annotations

from datetime import date

import pytest
from moneyed import Money

from settlement.reconciliation.statements import (
    PROFILES,
    BalanceMismatch,
    CsvProfile,
    MalformedStatement,
    StatementTooLarge,
    UnsupportedStatementFormat,
    get_profile,
    parse_csv_statement,
    statement_fingerprint,
)

GENERIC_CSV = (
    "Date,Value Date,Amount,Currency,Reference,End-to-End ID,Description,Counterparty,"
    "Counterparty Account\n"
    '2024-03-01,2024-03-01,1500.00,USD,BR-1,E2E-1,"Invoice 17, licence",Acme Inc.,US1234\n'
    "2024-03-02,,-250.50,USD,BR-2,,Bank fees,First Bank,\n"
)

DE_CSV = (
    "Kontonummer:;DE89370400440532013000\n"
    "Zeitraum:;01.03.2024 - 31.03.2024\n"
    "Kontostand:;1.000,00 EUR\n"
    "\n"
    "Buchungstag;Valutadatum;Auftraggeber/Empfänger;IBAN;Buchungstext;Verwendungszweck;"
    "Kundenreferenz;Soll;Haben;Währung\n"
    "01.03.2024;01.03.2024;Müller Technik GmbH;DE02120300000000202051;Gutschrift;"
    "RF18539007547034 Lizenzgebühr;KREF-1;;12.345,67;EUR\n"
    "04.03.24;05.03.24;Deutsches Patentamt;DE02100100100006820101;Überweisung;Gebühr;"
    "KREF-2;-345,67;;EUR\n"
)

CN_CSV = (
    "账号:6222021234567890123,户名:国际技术交易中心\n"
    "交易日期,起息日,借贷标志,交易金额,币种,对方户名,对方账号,摘要,交易流水号,余额\n"
    '2024-03-01,2024-03-01,贷,"1,000,000.00",人民币,深圳某科技有限公司,6222020000000001,'
    '技术转让款 RF18539007547034,SN0001,"1,500,000.00"\n'
    '2024/03/02,20240302,借,"2,000.50",人民币,中国银行,,手续费,SN0002,"1,497,999.50"\n'
)


def _generic(data: str = GENERIC_CSV, **kw):
    kw.setdefault("opening_balance", Money("1000.00", "USD"))
    kw.setdefault("closing_balance", Money("2249.50", "USD"))
    return parse_csv_statement(data.encode(), "generic", account="US-ACC-1", currency="USD", **kw)


def _cn(data: str = CN_CSV, **kw):
    return parse_csv_statement(data.encode("gb18030"), get_profile("cn_jie_dai"),
                               account="6222021234567890123", currency="CNY", **kw)


def test_the_generic_profile_reads_a_signed_amount_column():
    s = _generic()
    assert (s.statement_id, s.currency, s.source_format) == (
        "US-ACC-1:2024-03-01:2024-03-02", "USD", "csv:generic")
    assert (s.opening_date, s.closing_date) == (date(2024, 3, 1), date(2024, 3, 2))
    first, second = s.lines
    assert (first.amount, first.direction, first.status) == (Money("1500.00", "USD"), "CRDT",
                                                             "BOOK")
    assert (first.entry_ref, first.end_to_end_id, first.remittance_text) == (
        "BR-1", "E2E-1", "Invoice 17, licence")
    assert (first.debtor_name, first.debtor_account, first.creditor_name) == (
        "Acme Inc.", "US1234", None)
    assert (second.amount, second.direction, second.value_date) == (
        Money("250.50", "USD"), "DBIT", None)
    assert (second.creditor_name, second.debtor_name) == ("First Bank", None)
    assert [(x.line_no, x.source_line) for x in s.lines] == [(1, 2), (2, 3)]


def test_a_csv_statement_that_does_not_balance_is_refused():
    with pytest.raises(BalanceMismatch) as info:
        _generic(closing_balance=Money("2249.49", "USD"))
    assert info.value.extra["difference"] == "-0.01"


def test_a_profile_without_balance_column_needs_the_balances_given():
    with pytest.raises(MalformedStatement, match="opening_balance and closing_balance"):
        parse_csv_statement(GENERIC_CSV.encode(), "generic", account="A", currency="USD")


def test_the_german_profile_reads_decimal_commas_and_soll_haben_columns():
    s = parse_csv_statement(DE_CSV.encode("cp1252"), "de_soll_haben",
                            account="DE89370400440532013000", currency="EUR",
                            opening_balance=Money("1000.00", "EUR"),
                            closing_balance=Money("13000.00", "EUR"))
    credit, debit = s.lines
    assert (credit.amount, credit.direction) == (Money("12345.67", "EUR"), "CRDT")
    assert credit.debtor_name == "Müller Technik GmbH"
    assert credit.remittance_text == "Gutschrift RF18539007547034 Lizenzgebühr"
    assert (debit.amount, debit.direction) == (Money("345.67", "EUR"), "DBIT")
    assert (debit.booking_date, debit.value_date) == (date(2024, 3, 4), date(2024, 3, 5))
    assert (debit.creditor_name, debit.creditor_account) == ("Deutsches Patentamt",
                                                             "DE02100100100006820101")
    assert [x.source_line for x in s.lines] == [6, 7]  # after four skipped lines and the header


def test_the_chinese_profile_reads_jie_dai_and_derives_balances_from_the_running_column():
    s = _cn()
    income, fee = s.lines
    assert (income.amount, income.direction, income.entry_ref) == (
        Money("1000000.00", "CNY"), "CRDT", "SN0001")
    assert income.debtor_name == "深圳某科技有限公司"
    assert (fee.amount, fee.direction) == (Money("2000.50", "CNY"), "DBIT")
    assert fee.value_date == date(2024, 3, 2)
    assert s.opening_balance == Money("500000.00", "CNY")
    assert s.closing_balance == Money("1497999.50", "CNY")


def test_a_broken_running_balance_names_its_line_and_column():
    with pytest.raises(MalformedStatement, match="1497999.50") as info:
        _cn(CN_CSV.replace('"1,497,999.50"', '"1,497,999.00"'))
    assert (info.value.line, info.value.column) == (4, "余额")


def test_given_balances_must_agree_with_the_running_balance_column():
    assert _cn(opening_balance=Money("500000.00", "CNY")).lines
    with pytest.raises(MalformedStatement, match="opening_balance"):
        _cn(opening_balance=Money("1.00", "CNY"))


@pytest.mark.parametrize(("old", "new", "line", "column", "message"), [
    ("-250.50", "-250.505", 3, "Amount", "at most 2 decimals"),
    ("-250.50", '"-250,50"', 3, "Amount", "not an amount"),
    ("-250.50", "-1e3", 3, "Amount", "not an amount"),
    ("-250.50", "", 3, "Amount", "missing"),
    ("2024-03-02", "02/03/2024", 3, "Date", "not a date"),
    ("1500.00,USD", "1500.00,EUR", 2, "Currency", "not the statement currency"),
])
def test_a_bad_cell_is_named_by_line_and_column(old, new, line, column, message):
    with pytest.raises(MalformedStatement, match=message) as info:
        _generic(GENERIC_CSV.replace(old, new, 1))
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.to_dict()["column"] == column


@pytest.mark.parametrize(("old", "new", "message"), [
    (";;12.345,67;", ";1,00;12.345,67;", "both debit and credit"),
    (";;12.345,67;", ";;;", "neither debit nor credit"),
    (";;12.345,67;", ";;12.34,67;", "not an amount"),
    (";;12.345,67;", ";;-12.345,67;", "credit cannot be negative"),
])
def test_soll_haben_rows_must_fill_exactly_one_side(old, new, message):
    data = DE_CSV.replace(old, new).encode("cp1252")
    with pytest.raises(MalformedStatement, match=message) as info:
        parse_csv_statement(data, "de_soll_haben", account="A", currency="EUR",
                            opening_balance=Money(0, "EUR"), closing_balance=Money(0, "EUR"))
    assert info.value.line == 6


def test_an_unknown_indicator_is_refused():
    with pytest.raises(MalformedStatement, match="neither a debit nor a credit") as info:
        _cn(CN_CSV.replace(",借,", ",出,"))
    assert (info.value.line, info.value.column) == (4, "借贷标志")


def test_a_missing_header_column_is_named():
    with pytest.raises(MalformedStatement, match="lacks") as info:
        _generic(GENERIC_CSV.replace("Value Date", "Valuta"))
    assert (info.value.line, info.value.column) == (1, "Value Date")


def test_a_row_with_the_wrong_number_of_cells_is_named():
    with pytest.raises(MalformedStatement, match="10 cells where the header has 9") as info:
        _generic(GENERIC_CSV.replace("First Bank,", "First Bank,,"))
    assert info.value.line == 3


def test_bytes_that_are_not_the_profile_encoding_name_their_line():
    data = GENERIC_CSV.encode().replace(b"Bank fees", b"Bank \xff fees")
    with pytest.raises(MalformedStatement, match="utf-8") as info:
        parse_csv_statement(data, "generic", account="A", currency="USD")
    assert info.value.line == 3


def test_line_numbers_count_quoted_line_breaks():
    data = GENERIC_CSV.replace('"Invoice 17, licence"', '"Invoice 17,\nlicence"')
    data = data.replace("-250.50", "x")
    with pytest.raises(MalformedStatement) as info:
        _generic(data)
    assert info.value.line == 4


def test_custom_profiles_read_indicator_columns_and_newest_first_files():
    profile = CsvProfile(name="bank_x", date_column="Booked", amount_column="Amt",
                         indicator_column="D/C", date_formats=("%d/%m/%Y",),
                         newest_first=True, delimiter="|")
    data = "Booked|Amt|D/C\n02/03/2024|5.00|d\n01/03/2024|10.00|C\n"
    s = parse_csv_statement(data.encode(), profile, account="X", currency="GBP",
                            opening_balance=Money(0, "GBP"), closing_balance=Money(5, "GBP"))
    assert [(x.line_no, x.source_line, x.direction) for x in s.lines] == [
        (1, 3, "CRDT"), (2, 2, "DBIT")]
    assert s.opening_date == date(2024, 3, 1)


def test_a_profile_must_choose_one_amount_layout():
    with pytest.raises(ValueError, match="amount_column"):
        CsvProfile(name="bad", date_column="D", amount_column="A", debit_column="S",
                   credit_column="H")
    with pytest.raises(ValueError, match="amount_column"):
        CsvProfile(name="bad", date_column="D", debit_column="S")


def test_the_registry_ships_three_profiles_and_refuses_unknown_names():
    assert set(PROFILES) == {"generic", "de_soll_haben", "cn_jie_dai"}
    assert get_profile("generic") is PROFILES["generic"]
    with pytest.raises(UnsupportedStatementFormat, match="known: cn_jie_dai"):
        get_profile("mt940")


def test_a_csv_over_the_size_limit_is_refused():
    with pytest.raises(StatementTooLarge):
        _generic(max_bytes=50)


def test_a_re_exported_csv_with_other_quoting_has_the_same_fingerprint():
    first = _generic()
    again = _generic(GENERIC_CSV.replace("BR-1,", '"BR-1",').replace(",Bank fees,",
                                                                       ",  Bank   fees ,"))
    assert first.file_sha256 != again.file_sha256
    assert statement_fingerprint(first) == statement_fingerprint(again)
    changed = _generic(GENERIC_CSV.replace("BR-2", "BR-3"))
    assert statement_fingerprint(changed) != statement_fingerprint(first)
