"""The ECB XML and rates-CSV loaders: whole documents or clear errors, never a partial load."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.errors import InvalidInput
from settlement.fx import Rate, RateDocumentError, load_demo_rates, parse_ecb_xml, \
    parse_rates_csv
from settlement.fx.sources import DATA_DIR

HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        b'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
        b'<gesmes:subject>Reference rates</gesmes:subject>\n'
        b'<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>\n')


def ecb(days: str) -> bytes:
    """An ECB envelope around the given day Cubes."""
    return HEAD + b"<Cube>" + days.encode() + b"</Cube>\n</gesmes:Envelope>\n"


DAILY = ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="1.1614"/>'
            '<Cube currency="JPY" rate="178.77"/><Cube currency="KRW" rate="1545.04"/></Cube>')


def test_daily_file_gives_eur_based_rates_with_exact_decimals():
    rates = parse_ecb_xml(DAILY)
    assert rates == [
        Rate("EUR", "USD", Decimal("1.1614"), date(2026, 11, 20), "ECB"),
        Rate("EUR", "JPY", Decimal("178.77"), date(2026, 11, 20), "ECB"),
        Rate("EUR", "KRW", Decimal("1545.04"), date(2026, 11, 20), "ECB"),
    ]
    assert str(rates[0].rate) == "1.1614"


def test_the_ecbs_own_layout_with_single_quotes_tabs_and_a_trailing_comment_parses():
    document = (
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" "
        "xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n"
        "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
        "\t<Cube>\n\t\t<Cube time='2026-11-20'>\n"
        "\t\t\t<Cube currency='USD' rate='1.1614'/>\n"
        "\t\t\t<Cube currency='HUF' rate='381.9'/>\n"
        "\t\t</Cube>\n\t</Cube>\n</gesmes:Envelope>\n<!-- cached copy -->\n").encode()
    assert [(r.quote, r.rate) for r in parse_ecb_xml(document)] == [
        ("USD", Decimal("1.1614")), ("HUF", Decimal("381.9"))]


def test_history_file_gives_every_day_newest_first_with_the_source_named():
    rates = parse_ecb_xml(ecb(
        '<Cube time="2026-11-20"><Cube currency="USD" rate="1.1614"/></Cube>'
        '<Cube time="2026-11-19"><Cube currency="USD" rate="1.1601"/></Cube>'), source="ECB-hist")
    assert [(r.as_of, r.rate, r.source) for r in rates] == [
        (date(2026, 11, 20), Decimal("1.1614"), "ECB-hist"),
        (date(2026, 11, 19), Decimal("1.1601"), "ECB-hist")]


def test_withdrawn_codes_in_old_history_are_skipped_not_refused():
    rates = parse_ecb_xml(ecb('<Cube time="2007-12-31"><Cube currency="CYP" rate="0.585274"/>'
                              '<Cube currency="USD" rate="1.4721"/></Cube>'))
    assert [r.quote for r in rates] == ["USD"]


def test_shipped_demo_data_covers_sixty_business_days_and_the_gulf_currencies():
    rates = load_demo_rates()
    ecb_days = {r.as_of for r in rates if r.source == "ECB-demo"}
    assert len(ecb_days) == 60 and max(ecb_days) == date(2026, 11, 20)
    assert all(d.weekday() < 5 for d in ecb_days)
    assert {r.quote for r in rates} == {"USD", "CNY", "JPY", "KRW", "DKK", "CAD", "HKD", "GBP",
                                        "CHF", "SEK", "KWD", "BHD"}
    assert b"generated" in (DATA_DIR / "eurofxref-hist-demo.xml").read_bytes()


@pytest.mark.parametrize("document, words", [
    (DAILY[: len(DAILY) // 2], "not well-formed"),
    (DAILY[:-25], "not well-formed"),
    (b"", "not well-formed"),
    (b"\x89PNG\r\n\x1a\n garbage", "not well-formed"),
    (b"<html><body>Service unavailable</body></html>", "root element"),
    (HEAD + b"</gesmes:Envelope>", "one top-level Cube"),
    (ecb(""), "no dated Cube"),
    (ecb('<Cube><Cube currency="USD" rate="1.1"/></Cube>'), "day 1: date None"),
    (ecb('<Cube time="20-11-2026"><Cube currency="USD" rate="1.1"/></Cube>'), "YYYY-MM-DD"),
    (ecb('<Cube time="2026-02-30"><Cube currency="USD" rate="1.1"/></Cube>'), "does not exist"),
    (ecb('<Cube time="2026-11-20"></Cube>'), "day 2026-11-20: no rates"),
    (ecb('<Cube time="2026-11-20"><Cube rate="1.1"/></Cube>'), "without a currency"),
    (ecb('<Cube time="2026-11-20"><Cube currency="XYZ" rate="1.1"/></Cube>'),
     "2026-11-20, XYZ: unknown currency code"),
    (ecb('<Cube time="2026-11-20"><Cube currency="EUR" rate="1"/></Cube>'), "unknown currency"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD"/></Cube>'), "USD: rate None"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="abc"/></Cube>'), "plain decimal"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="NaN"/></Cube>'), "plain decimal"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="-1.1"/></Cube>'), "plain decimal"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="1e3"/></Cube>'), "plain decimal"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="0.0000"/></Cube>'), "not positive"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="1.1"/>'
         '<Cube currency="USD" rate="1.2"/></Cube>'), "USD: currency listed twice"),
    (ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="1.1"/></Cube>'
         '<Cube time="2026-11-20"><Cube currency="USD" rate="1.1"/></Cube>'), "appears twice"),
])
def test_bad_documents_are_refused_whole_with_the_problem_named(document, words):
    with pytest.raises(RateDocumentError, match=words) as caught:
        parse_ecb_xml(document)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.code == "fx_bad_rate_document"


def test_an_error_late_in_the_document_returns_nothing_from_the_good_days_before_it():
    document = ecb('<Cube time="2026-11-20"><Cube currency="USD" rate="1.1614"/></Cube>'
                   '<Cube time="2026-11-19"><Cube currency="USD" rate="-1"/></Cube>')
    with pytest.raises(RateDocumentError, match="day 2026-11-19, USD"):
        parse_ecb_xml(document)


@pytest.mark.parametrize("prologue", [
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE gesmes:Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">',
])
def test_hostile_xml_with_a_doctype_or_entities_is_refused(prologue):
    body = DAILY.replace(b'<?xml version="1.0" encoding="UTF-8"?>\n', b"")
    with pytest.raises(RateDocumentError, match="hostile"):
        parse_ecb_xml(b'<?xml version="1.0"?>\n' + prologue + b"\n" + body)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(
    st.dates(date(2000, 1, 1), date(2030, 12, 31)),
    st.dictionaries(st.sampled_from(["USD", "JPY", "KRW", "CNY", "GBP", "CHF", "DKK"]),
                    st.decimals(Decimal("0.00001"), Decimal("99999"), places=5),
                    min_size=1, max_size=7),
    min_size=1, max_size=5))
def test_any_wellformed_document_parses_back_to_exactly_what_was_written(days):
    body = "".join(
        f'<Cube time="{day}">' + "".join(f'<Cube currency="{c}" rate="{r}"/>'
                                         for c, r in quotes.items()) + "</Cube>"
        for day, quotes in sorted(days.items(), reverse=True))
    parsed = parse_ecb_xml(ecb(body))
    assert {(r.as_of, r.quote, r.rate) for r in parsed} == {
        (day, c, r) for day, quotes in days.items() for c, r in quotes.items()}


CSV = """# rates the ECB does not publish
base,quote,rate,as_of,source

EUR,KWD,0.355414,2026-11-19,demo-bank
USD,BHD,0.376,2026-11-20,Central Bank of Bahrain
"""


def test_rates_csv_gives_the_rates_it_lists():
    assert parse_rates_csv(CSV) == [
        Rate("EUR", "KWD", Decimal("0.355414"), date(2026, 11, 19), "demo-bank"),
        Rate("USD", "BHD", Decimal("0.376"), date(2026, 11, 20), "Central Bank of Bahrain")]


def test_rates_csv_accepts_a_byte_order_mark_and_an_empty_body():
    assert parse_rates_csv("\ufeffbase,quote,rate,as_of,source\r\n") == []


@pytest.mark.parametrize("row, words", [
    ("EUR,KWD,0.355414,2026-11-19", "line 6: expected 5 fields, got 4"),
    ("EUR,KWX,0.355414,2026-11-19,b", "line 6: quote 'KWX' is not an ISO 4217"),
    ("EUR,EUR,1,2026-11-19,b", "line 6: a rate needs two currencies"),
    ("EUR,KWD,0.3,2026-11-19,", "line 6: a rate needs a source"),
    ("EUR,KWD,zero,2026-11-19,b", "line 6: rate 'zero' is not a plain decimal"),
    ("EUR,KWD,0,2026-11-19,b", "line 6: rate '0' is not positive"),
    ("EUR,KWD,0.3,19/11/2026,b", "line 6: date '19/11/2026' is not YYYY-MM-DD"),
    ("EUR,KWD,0.3,2026-13-01,b", "line 6: date '2026-13-01' does not exist"),
    ("EUR,KWD,0.36,2026-11-19,other", "line 6: EUR/KWD on 2026-11-19 given twice"),
])
def test_a_bad_csv_row_is_refused_with_its_line_number(row, words):
    with pytest.raises(RateDocumentError, match=words) as caught:
        parse_rates_csv(CSV + row + "\n")
    assert caught.value.extra["line"] == 6


@pytest.mark.parametrize("text", ["", "# only a comment\n", "quote,base,rate,as_of,source\n"])
def test_a_csv_without_the_documented_header_is_refused(text):
    with pytest.raises(RateDocumentError, match="header"):
        parse_rates_csv(text)


def test_rates_csv_in_every_day_of_a_range_loads_in_order():
    start = date(2026, 11, 2)
    lines = ["base,quote,rate,as_of,source"] + [
        f"USD,KWD,0.3065{i},{start + timedelta(days=i)},x" for i in range(5)]
    assert [r.as_of.day for r in parse_rates_csv("\n".join(lines))] == [2, 3, 4, 5, 6]
