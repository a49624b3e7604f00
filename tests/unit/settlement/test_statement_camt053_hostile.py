"""Hostile or broken camt.053 files are refused with a StatementError, never anything else."""
from __future__ import annotations

import io
import random

import pytest

from kernel.errors import InvalidInput
from settlement.reconciliation.statements import (
    MalformedStatement,
    StatementTooLarge,
    UnsafeXml,
    UnsupportedStatementFormat,
    parse_camt053,
)
from tests.support import camt_builder as camt
from settlement.reconciliation.statements.source import MeteredReader



PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _with_dtd(dtd: str, body_entity: str = "") -> bytes:
    doc = camt.build(camt.Stmt(entries=[camt.Entry("1.00", txs=[camt.Tx(ustrd=("X",))])]))
    doc = doc.replace(PROLOG, PROLOG + dtd.encode() + b"\n", 1)
    return doc.replace(b"<Ustrd>X</Ustrd>", f"<Ustrd>{body_entity}</Ustrd>".encode())


class _Spy(io.BytesIO):
    """Records how far the parser read, to show a refused file is not read to its end."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def test_an_external_entity_xxe_is_refused_and_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = _with_dtd(f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>', "&xxe;")
    with pytest.raises(UnsafeXml) as info:
        parse_camt053(data)
    assert info.value.code == "statement_unsafe_xml" and info.value.line == 2
    assert "TOP-SECRET" not in str(info.value.to_dict())


def test_a_billion_laughs_entity_bomb_is_refused_before_expansion():
    lol = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    data = _with_dtd(f"<!DOCTYPE Document [{''.join(lol)}]>", "&lol9;")
    with pytest.raises(UnsafeXml):
        parse_camt053(data)


@pytest.mark.parametrize("dtd", [
    "<!DOCTYPE Document>",
    '<!DOCTYPE Document SYSTEM "http://attacker.example/camt.dtd">',
    '<!DOCTYPE Document PUBLIC "-//X//Y" "camt.dtd">',
])
def test_any_doctype_is_refused(dtd):
    with pytest.raises(UnsafeXml):
        parse_camt053(_with_dtd(dtd))


def test_a_doctype_hidden_in_utf16_is_refused():
    text = _with_dtd('<!DOCTYPE Document [<!ENTITY a "b">]>', "&a;").decode()
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(UnsafeXml):
        parse_camt053(data)


def test_the_parser_checks_the_dtd_itself_when_the_byte_scan_cannot_see_it(monkeypatch):
    # Should an encoding slip past the raw byte scan, the DTD libxml2 has read (never expanded)
    # is still seen and refused before the first element is handled.
    monkeypatch.setattr(MeteredReader, "__init__", _no_scan(MeteredReader.__init__))
    with pytest.raises(UnsafeXml):
        parse_camt053(_with_dtd('<!DOCTYPE Document [<!ENTITY a "b">]>', "&a;"))


def _no_scan(init):
    def patched(self, raw, max_bytes, *, refuse_dtd):
        init(self, raw, max_bytes, refuse_dtd=False)
    return patched


def test_a_file_over_the_size_limit_is_refused_while_reading():
    entries = [camt.Entry("1.00", ref=f"R{i}") for i in range(2000)]
    data = camt.build(camt.Stmt(entries=entries))
    spy = _Spy(data)
    with pytest.raises(StatementTooLarge) as info:
        parse_camt053(spy, max_bytes=100_000)
    assert info.value.extra["max_bytes"] == 100_000
    assert spy.tell() < len(data)  # refused before the whole file was read
    assert len(parse_camt053(data, max_bytes=len(data))[0].lines) == 2000


@pytest.mark.parametrize("data, message", [
    (b"", "XML"),
    (b"not xml at all", "XML"),
    (PROLOG + b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'>", "XML"),
    (PROLOG + b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'>"
     b"<BkToCstmrStmt/></Document>", "no statement"),
])
def test_broken_documents_raise_a_malformed_statement(data, message):
    with pytest.raises(MalformedStatement, match=message):
        parse_camt053(data)


def test_a_document_of_another_kind_is_refused_by_its_root():
    with pytest.raises(UnsupportedStatementFormat, match="root 'pain.001'") as info:
        parse_camt053(PROLOG + b"<pain.001><GrpHdr/></pain.001>")
    assert info.value.line == 2


def test_random_byte_mutations_parse_cleanly_or_raise_a_statement_error():
    base = camt.build(camt.Stmt(entries=[
        camt.Entry("9150.00", txs=[camt.Tx(amount="9150.00", e2e="E", instd=("10000.00", "USD"),
                                           rate="0.915", ustrd=("Inv 1",), dbtr_name="A",
                                           charges=("1.00", "EUR"))]),
        camt.Entry("30.00", direction="DBIT", reversal=True,
                   txs=[camt.Tx(amount="10.00"), camt.Tx(amount="20.00")]),
        camt.Entry("5.00", status="PDNG", booking=None),
    ]))
    rng = random.Random(20240301)  # fixed seed: bounded and reproducible, as DECISIONS asks
    alphabet = b"<>/&;!\"'=?[]-.0123456789ABCDEFabcdefxyz \n\x00\xff\xc3"
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(600):
        data = bytearray(base)
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(data))
            action = rng.random()
            if action < 0.5:
                data[pos] = rng.choice(alphabet)
            elif action < 0.75:
                del data[pos:pos + rng.randint(1, 20)]
            else:
                data[pos:pos] = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        try:
            parse_camt053(bytes(data))
            outcomes["parsed"] += 1
        except InvalidInput as exc:
            assert exc.code.startswith("statement_")
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0
