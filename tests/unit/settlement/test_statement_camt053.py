"""camt.053 statements of both versions parse into the lines the matcher needs."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from moneyed import Money

from settlement.reconciliation.statements import (
    BalanceMismatch,
    MalformedStatement,
    UnsupportedStatementFormat,
    parse_camt053,
    statement_fingerprint,
)
from tests.support import camt_builder as camt



Entry, Stmt, Tx, build, line_of = camt.Entry, camt.Stmt, camt.Tx, camt.build, camt.line_of
VERSIONS = pytest.mark.parametrize("version", ["02", "08"])
UETR = "7a5b2b4e-7c36-4f5e-9a0e-2f3c1d4b5a69"


def _one(data: bytes, **kw):
    [statement] = parse_camt053(data, **kw)
    return statement


@VERSIONS
def test_a_received_fx_payment_gives_every_field_the_matcher_uses(version):
    tx = Tx(e2e="E2E-42", instr_id="INSTR-42", uetr=UETR if version == "08" else None,
            amount="9150.00", instd=("10000.00", "USD"), rate="0.9150",
            ustrd=("Invoice 2024-17", "  licence   fee  "), strd_ref="RF18539007547034",
            dbtr_name="Acme Robotics Inc.", dbtr_iban="US12345678901234567890",
            cdtr_name="Tech Exchange", cdtr_iban="DE89370400440532013000",
            charges=("15.00", "EUR"))
    data = build(Stmt(entries=[Entry("9150.00", ref="BR-1", txs=[tx])]), version=version)
    s = _one(data)
    assert (s.statement_id, s.account_iban_or_id, s.currency) == (
        "STMT-2024-03-01", "DE89370400440532013000", "EUR")
    assert s.created_at == datetime(2024, 3, 2, 5, 0, tzinfo=timezone.utc)
    assert s.opening_balance == Money("1000.00", "EUR") and s.opening_date == date(2024, 2, 29)
    assert s.closing_balance == Money("10150.00", "EUR") and s.closing_date == date(2024, 3, 1)
    assert s.source_format == f"camt.053.001.{version}" and len(s.file_sha256) == 64
    [line] = s.lines
    assert line.amount == Money("9150.00", "EUR") and line.direction == "CRDT"
    assert (line.status, line.reversal, line.entry_ref) == ("BOOK", False, "BR-1")
    assert line.booking_date == line.value_date == date(2024, 3, 1)
    assert (line.end_to_end_id, line.instruction_id) == ("E2E-42", "INSTR-42")
    assert line.uetr == (UETR if version == "08" else None)
    assert line.structured_ref == "RF18539007547034"
    assert line.remittance_text == "Invoice 2024-17 licence fee"
    assert (line.debtor_name, line.debtor_account) == ("Acme Robotics Inc.",
                                                       "US12345678901234567890")
    assert (line.creditor_name, line.creditor_account) == ("Tech Exchange",
                                                           "DE89370400440532013000")
    assert line.instructed_amount == Money("10000.00", "USD")
    assert line.exchange_rate == Decimal("0.9150")
    assert line.charges == Money("15.00", "EUR")
    assert line.bank_tx_code == "PMNT/RCDT/ESCT"
    assert (line.line_no, line.batch_index) == (1, 0)
    assert line.source_line == line_of(data, "<TxDtls>")


@VERSIONS
def test_a_batched_entry_gives_one_line_per_transaction_with_the_entry_dates(version):
    batch = Entry("300.00", direction="DBIT", ref="BATCH-7", value="2024-03-04",
                  txs=[Tx(amount="100.00", e2e="A"), Tx(amount="150.00", e2e="B"),
                       Tx(amount="50.00", e2e="C", charges=("0.50", "EUR"))])
    data = build(Stmt(entries=[Entry("20.00"), batch]), version=version)
    lines = _one(data).lines
    assert [x.line_no for x in lines] == [1, 2, 3, 4]
    batched = lines[1:]
    assert [x.amount.amount for x in batched] == [Decimal("100.00"), Decimal("150.00"),
                                                  Decimal("50.00")]
    assert [x.batch_index for x in batched] == [0, 1, 2]
    assert {(x.entry_ref, x.direction, x.value_date, x.status) for x in batched} == {
        ("BATCH-7", "DBIT", date(2024, 3, 4), "BOOK")}
    assert [x.end_to_end_id for x in batched] == ["A", "B", "C"]
    assert [x.charges for x in batched] == [None, None, Money("0.50", "EUR")]
    assert [x.source_line for x in batched] == [line_of(data, "<TxDtls>", i) for i in (1, 2, 3)]


def test_a_batch_whose_transactions_do_not_add_up_is_refused():
    batch = Entry("300.00", txs=[Tx(amount="100.00"), Tx(amount="150.00")])
    data = build(Stmt(entries=[batch]))
    with pytest.raises(MalformedStatement, match="add up to 250.00") as info:
        parse_camt053(data)
    assert info.value.element == "Stmt[1]/Ntry[1]"
    assert info.value.line == line_of(data, "<Ntry>")


def test_a_batched_transaction_without_an_amount_is_refused():
    data = build(Stmt(entries=[Entry("300.00", txs=[Tx(amount="300.00"), Tx()])]))
    with pytest.raises(MalformedStatement, match="needs its amount") as info:
        parse_camt053(data)
    assert info.value.element == "Stmt[1]/Ntry[1]/NtryDtls/TxDtls[2]"


@VERSIONS
def test_pending_entries_are_kept_but_do_not_move_the_booked_balance(version):
    data = build(Stmt(entries=[Entry("70.00"), Entry("999.00", status="PDNG", booking=None)]),
                 version=version)
    s = _one(data)
    assert s.closing_balance == Money("1070.00", "EUR")
    assert [(x.status, x.booking_date) for x in s.lines] == [("BOOK", date(2024, 3, 1)),
                                                             ("PDNG", None)]


@VERSIONS
def test_a_reversal_moves_the_balance_the_way_its_indicator_says(version):
    # ISO 20022: a DBIT entry with RvslInd=true reverses an earlier credit; it is a debit.
    entries = [Entry("500.00", ref="IN-1"), Entry("500.00", direction="DBIT", reversal=True,
                                                  ref="IN-1-REV", btc="NRVS")]
    s = _one(build(Stmt(entries=entries, closing="1000.00"), version=version))
    assert [(x.direction, x.reversal) for x in s.lines] == [("CRDT", False), ("DBIT", True)]
    assert s.lines[1].bank_tx_code == "NRVS"


def test_banks_that_repeat_the_original_indicator_on_reversals_can_be_read():
    entries = [Entry("500.00"), Entry("500.00", direction="CRDT", reversal=True)]
    data = build(Stmt(entries=entries, closing="1000.00"))
    with pytest.raises(BalanceMismatch):
        parse_camt053(data)
    assert _one(data, reversal_flips_direction=True).closing_balance == Money("1000.00", "EUR")


def test_a_balance_mismatch_shows_expected_actual_and_difference():
    data = build(Stmt(entries=[Entry("70.00"), Entry("20.00", direction="DBIT")],
                      closing="1049.99"))
    with pytest.raises(BalanceMismatch) as info:
        parse_camt053(data)
    err = info.value
    assert err.code == "statement_balance_mismatch"
    assert (err.extra["expected_closing"], err.extra["actual_closing"],
            err.extra["difference"]) == ("1050.00", "1049.99", "-0.01")
    assert "1050.00" in err.detail and "1049.99" in err.detail
    assert err.line == line_of(data, "<Stmt>") and err.element == "Stmt[1]"
    assert parse_camt053(data, check_balances=False)[0].closing_balance.amount == Decimal(
        "1049.99")


def test_several_statements_in_one_document_come_back_in_order_sharing_the_file_hash():
    first = Stmt(id="S-1", entries=[Entry("10.00")])
    second = Stmt(id="S-2", iban=None, other_id="ACC-778899", ccy="JPY", opening="-5000",
                  entries=[Entry("7000", ccy="JPY", direction="CRDT")])
    a, b = parse_camt053(build(first, second))
    assert (a.statement_id, b.statement_id) == ("S-1", "S-2")
    assert b.account_iban_or_id == "ACC-778899"
    assert b.opening_balance == Money("-5000", "JPY") and b.closing_balance == Money(2000, "JPY")
    assert a.file_sha256 == b.file_sha256


def test_booking_date_times_give_the_bank_date_and_naive_creation_times_are_utc():
    data = build(Stmt(created="2024-03-02T06:00:00.123456789",
                      entries=[Entry("1.00", booking_dttm=True)]))
    s = _one(data)
    assert s.created_at == datetime(2024, 3, 2, 6, 0, 0, 123456, tzinfo=timezone.utc)
    assert s.lines[0].booking_date == date(2024, 3, 1)


def test_notprovided_end_to_end_ids_are_dropped_and_proprietary_codes_kept():
    data = build(Stmt(entries=[Entry("1.00", btc="XBANK-042", txs=[Tx(e2e="NOTPROVIDED")])]))
    line = _one(data).lines[0]
    assert line.end_to_end_id is None and line.bank_tx_code == "XBANK-042"


def test_entry_level_charges_belong_to_an_unbatched_entry():
    line = _one(build(Stmt(entries=[Entry("99.00", charges=("1.00", "EUR"))]))).lines[0]
    assert line.charges == Money("1.00", "EUR")


def test_other_camt053_versions_are_read_by_namespace_prefix():
    data = build(Stmt(entries=[Entry("5.00")]), version="08",
                 namespace="urn:iso:std:iso:20022:tech:xsd:camt.053.001.13")
    assert _one(data).source_format == "camt.053.001.13"


def test_a_camt054_or_other_document_is_refused():
    data = build(Stmt(), namespace="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08")
    with pytest.raises(UnsupportedStatementFormat, match="camt.054"):
        parse_camt053(data)


def test_paths_and_open_files_are_read_too(tmp_path):
    data = build(Stmt(entries=[Entry("5.00")]))
    path = tmp_path / "statement.xml"
    path.write_bytes(data)
    by_path, by_str, by_file = (_one(path), _one(str(path)), _one(io.BytesIO(data)))
    assert by_path == by_str == by_file == _one(data)


@pytest.mark.parametrize(
    ("bad", "good", "message", "element_tail", "tag"),
    [
        ('<Amt Ccy="EUR">70.001</Amt>', '<Amt Ccy="EUR">70.00</Amt>', "at most 2 decimals",
         "Ntry[1]/Amt", "<Amt Ccy=\"EUR\">70.001"),
        ('<Amt Ccy="EUR">70,00</Amt>', '<Amt Ccy="EUR">70.00</Amt>', "not a non-negative",
         "Ntry[1]/Amt", "70,00"),
        ('<Amt Ccy="EUR">-70.00</Amt>', '<Amt Ccy="EUR">70.00</Amt>', "not a non-negative",
         "Ntry[1]/Amt", "-70.00"),
        ('<Amt Ccy="EURO">70.00</Amt>', '<Amt Ccy="EUR">70.00</Amt>', "ISO 4217",
         "Ntry[1]/Amt", "EURO"),
        ('<Amt>70.00</Amt>', '<Amt Ccy="EUR">70.00</Amt>', "no Ccy", "Ntry[1]/Amt",
         "<Amt>70.00"),
        ("<Dt>2024-02-30</Dt>", "<Dt>2024-03-01</Dt>", "not a date", "Ntry[1]/BookgDt/Dt",
         "2024-02-30"),
        ("<CdtDbtInd>CRED</CdtDbtInd>", "<CdtDbtInd>CRDT</CdtDbtInd>", "not CRDT or DBIT",
         "Ntry[1]/CdtDbtInd", "CRED"),
        ("<XchgRate>abc</XchgRate>", "<XchgRate>0.9150</XchgRate>", "exchange rate",
         "TxAmt/CcyXchg/XchgRate", "abc"),
    ],
)
def test_malformed_elements_are_named_with_their_line(bad, good, message, element_tail, tag):
    data = build(Stmt(entries=[Entry("70.00", txs=[Tx(amount="70.00", rate="0.9150",
                                                      instd=("76.50", "USD"))])]))
    text = data.decode()
    # corrupt the entry's first occurrence after the balances
    head, sep, tail = text.partition("<Ntry>")
    data = (head + sep + tail.replace(good, bad, 1)).encode()
    with pytest.raises(MalformedStatement, match=message) as info:
        parse_camt053(data)
    assert info.value.element.endswith(element_tail)
    assert info.value.element.startswith("Stmt[1]/Ntry[1]")
    assert info.value.line == line_of(data, tag)
    assert info.value.to_dict()["line"] == info.value.line


def test_a_missing_entry_amount_names_the_entry():
    data = build(Stmt(entries=[Entry("1.00")]))
    head, sep, tail = data.decode().partition("<Ntry>")
    data = (head + sep + tail.replace('<Amt Ccy="EUR">1.00</Amt>', "", 1)).encode()
    with pytest.raises(MalformedStatement, match="required amount") as info:
        parse_camt053(data)
    assert info.value.element == "Stmt[1]/Ntry[1]/Amt"
    assert info.value.line == line_of(data, "<Ntry>")


def test_an_entry_in_another_currency_than_the_account_is_refused():
    data = build(Stmt(entries=[Entry("1.00", ccy="USD")], closing="1001.00"))
    with pytest.raises(MalformedStatement, match="entry is in USD"):
        parse_camt053(data)


def test_a_statement_without_closing_balance_is_refused():
    data = build(Stmt()).replace(b"<Cd>CLBD</Cd>", b"<Cd>ITBD</Cd>")
    with pytest.raises(MalformedStatement, match="lacks Bal CLBD") as info:
        parse_camt053(data)
    assert info.value.line == line_of(data, "<Stmt>")


def test_a_previously_closed_balance_stands_in_for_a_missing_opening_balance():
    data = build(Stmt(entries=[Entry("5.00")])).replace(b"<Cd>OPBD</Cd>", b"<Cd>PRCD</Cd>")
    assert _one(data).opening_balance == Money("1000.00", "EUR")


def test_the_same_statement_in_another_document_is_recognised_as_a_duplicate():
    stmt = Stmt(entries=[Entry("70.00", txs=[Tx(e2e="E-1")]), Entry("5.00", direction="DBIT")])
    alone = _one(build(stmt, version="08"))
    again, _other = parse_camt053(build(stmt, Stmt(id="S-2"), version="08"))
    assert alone.file_sha256 != again.file_sha256
    assert statement_fingerprint(alone) == statement_fingerprint(again)
    moved = _one(build(Stmt(entries=[Entry("70.00", txs=[Tx(e2e="E-1")]),
                                     Entry("5.00", direction="DBIT", value="2024-03-02")])))
    assert statement_fingerprint(moved) != statement_fingerprint(alone)
