"""Catalogues, suggestions, classification outcomes, licences, registrations and the gates."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from compliance.export_control.catalogue import parse_catalogue_csv
from compliance.export_control.errors import (CatalogueFormatError, ClassificationRequired,
                                              RecordOutOfOrder, UnknownCatalogueEntry)
from compliance.export_control.gates import deal_gate, payment_gate
from compliance.export_control.models import Catalogue, Classification
from compliance.export_control.records import (record_certification, record_licence,
                                               record_registration, vat_exempt)
from compliance.export_control.service import (SubjectRef, classify, request_classification, suggest_entries)
from kernel.audit import AuditEvent
from kernel.db import Database
from tests.conftest import START
from tests.support.compliance import load_demo_catalogue

OFFICER = "user:officer"
D = dt.date
LISTING = SubjectRef("listing", "42")


def _codes(s) -> list[str]:
    return [e.action for e in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]


def test_the_demo_catalogue_loads_once_and_is_labelled_a_subset(db: Database) -> None:
    with db.transaction() as s:
        cat, outcome = load_demo_catalogue(s, START)
        assert outcome == "loaded" and cat.entry_count >= 15
        assert "SUBSET" in cat.source_note and cat.version == "demo-subset-2025"
        assert load_demo_catalogue(s, START)[1] == "unchanged"
        assert "catalogue.loaded" in _codes(s)


@pytest.mark.parametrize("row, where", [
    ("86501X,restricted,x,信息处理,Info,,,,", "line 2"),
    ("086501J,restricted,x,信息处理,Info,,,,", "ends in J"),
    ("086501X,restricted,x,,Info,,,,", "title_zh"),
])
def test_a_malformed_catalogue_names_the_bad_line(row: str, where: str) -> None:
    data = ("code,control_level,industry,title_zh,title_en,scope,keywords,ipc,revision\n" + row + "\n").encode()
    with pytest.raises(CatalogueFormatError) as err:
        parse_catalogue_csv(data, "export", file="cat.csv")
    assert where in err.value.detail and "line 2" in err.value.detail


def test_suggestions_rank_by_keywords_bigrams_and_ipc(db: Database) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, START)
        zh = suggest_entries(s, "export", "基于用户行为数据的个性化推荐算法与信息推送平台")
        assert zh[0].code == "086501X"
        en = suggest_entries(s, "export", "A personalised recommendation engine for short videos")
        assert en[0].code == "086501X" and "personalised recommendation" in en[0].keywords
        by_ipc = suggest_entries(s, "export", "a new method", ipc_classes=["H01M 4/58"])
        assert by_ipc[0].code == "184004X" and by_ipc[0].ipc == ("H01M4/58",)
        assert suggest_entries(s, "export", "a new kind of garden chair") == []


def test_classification_outcomes_and_their_gates(db: Database) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, START)
        pending = request_classification(s, LISTING, "export", "稀土萃取分离工艺 rare earth", START, "staff")
        assert pending.status == "pending" and "053201J" in pending.suggestions
        assert not deal_gate(s, LISTING, D(2026, 12, 1), direction="export").allowed
        prohibited = classify(s, LISTING, "export", "053201J", OFFICER, "rare earth separation", START)
        assert prohibited.id == pending.id and prohibited.requirement == "blocked"
        gate = deal_gate(s, LISTING, D(2026, 12, 1), direction="export")
        assert not gate.allowed and gate.reasons[0].code == "prohibited_technology"
        assert gate.catalogue_version == "demo-subset-2025"
        assert not payment_gate(s, LISTING, "C-1", D(2026, 12, 1)).allowed
        # re-classified as free: the earlier decision is superseded
        free = classify(s, LISTING, "export", None, OFFICER, "only the recycling step is offered", START)
        assert free.requirement == "registration_required"
        assert s.get(Classification, prohibited.id).status == "superseded"
        assert deal_gate(s, LISTING, D(2026, 12, 1)).allowed
        with pytest.raises(UnknownCatalogueEntry):
            classify(s, LISTING, "export", "999999X", OFFICER, "typo", START)
        assert "classification.decided" in _codes(s)


def test_restricted_export_needs_a_letter_of_intent_before_the_deal_and_a_valid_licence_to_pay(db: Database) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, START)
        classify(s, LISTING, "export", "086501X", OFFICER, "recommendation engine", START)
        gate = deal_gate(s, LISTING, D(2026, 12, 1), direction="export")
        assert [r.code for r in gate.reasons] == ["letter_of_intent_missing"]
        assert gate.requirement == "licence_required"
        with pytest.raises(RecordOutOfOrder):  # the licence follows the letter of intent
            record_licence(s, LISTING, "export", "licence", number="L-1", authority="MOFCOM",
                           scope="source code", issued_on=D(2026, 12, 1), valid_from=D(2026, 12, 1),
                           valid_to=D(2027, 12, 1), now=START, actor=OFFICER)
        with pytest.raises(RecordOutOfOrder):  # and comes before the contract is signed
            record_licence(s, LISTING, "export", "letter_of_intent", number="LOI-1",
                           authority="MOFCOM", scope="x", issued_on=D(2026, 12, 1),
                           valid_from=D(2026, 12, 1), valid_to=D(2029, 12, 1), now=START,
                           actor=OFFICER, contract_signed_on=D(2026, 11, 1))
        record_licence(s, LISTING, "export", "letter_of_intent", number="LOI-1", authority="MOFCOM",
                       scope="recommendation model and training code", issued_on=D(2026, 12, 1),
                       valid_from=D(2026, 12, 1), valid_to=D(2029, 12, 1), now=START, actor=OFFICER)
        assert deal_gate(s, LISTING, D(2026, 12, 2), direction="export").allowed
        assert not deal_gate(s, LISTING, D(2026, 11, 30), direction="export").allowed
        pay = payment_gate(s, LISTING, "C-7", D(2027, 1, 5), direction="export")
        assert [r.code for r in pay.reasons] == ["licence_missing"]
        record_licence(s, LISTING, "export", "licence", number="L-1", authority="MOFCOM",
                       scope="recommendation model", issued_on=D(2027, 1, 2),
                       valid_from=D(2027, 1, 2), valid_to=D(2027, 6, 30), now=START, actor=OFFICER)
        assert payment_gate(s, LISTING, "C-7", D(2027, 1, 5), direction="export").allowed
        late = payment_gate(s, LISTING, "C-7", D(2027, 7, 1), direction="export")
        assert [r.code for r in late.reasons] == ["licence_expired"]
        assert {"letter_of_intent.recorded", "licence.recorded"} <= set(_codes(s))


def test_free_technology_needs_a_confirmed_registration_before_payout(db: Database) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, START)
        with pytest.raises(ClassificationRequired):
            record_registration(s, LISTING, "export", "C-9", signed_on=D(2026, 12, 1), now=START,
                                actor=OFFICER)
        classify(s, LISTING, "export", None, OFFICER, "not in the catalogue", START)
        assert [r.code for r in payment_gate(s, LISTING, "C-9", D(2027, 1, 5)).reasons] == \
            ["registration_missing"]
        reg = record_registration(s, LISTING, "export", "C-9", signed_on=D(2026, 12, 1), now=START,
                                  actor=OFFICER)
        assert reg.status == "submitted" and reg.due_on == D(2027, 1, 30)
        assert [r.code for r in payment_gate(s, LISTING, "C-9", D(2027, 1, 5)).reasons] == \
            ["registration_unconfirmed"]
        reg = record_registration(s, LISTING, "export", "C-9", signed_on=D(2026, 12, 1), now=START,
                                  actor=OFFICER, registration_number="2026110000123",
                                  registered_on=D(2027, 2, 10))
        assert reg.status == "confirmed" and reg.late  # 71 days after signing
        assert not payment_gate(s, LISTING, "C-9", D(2027, 2, 9)).allowed
        assert payment_gate(s, LISTING, "C-9", D(2027, 2, 10)).allowed
        with pytest.raises(RecordOutOfOrder):
            record_registration(s, LISTING, "export", "C-9", signed_on=D(2026, 12, 1), now=START,
                                actor=OFFICER, registration_number="X", registered_on=D(2027, 2, 11))


def test_embargoed_destinations_are_blocked(db: Database) -> None:
    with db.transaction() as s:
        load_demo_catalogue(s, START)
        classify(s, LISTING, "export", None, OFFICER, "free", START)
        gate = deal_gate(s, LISTING, D(2026, 12, 1), direction="export", counterparty_country="KP")
        assert [r.code for r in gate.reasons] == ["embargoed_country"]
        assert deal_gate(s, LISTING, D(2026, 12, 1), direction="export", counterparty_country="DK").allowed


def test_a_technology_contract_certification_is_a_separate_record(db: Database) -> None:
    with db.transaction() as s:
        record_certification(s, "C-5", certificate_number="JS-2027-001", authority="Shenzhen STB",
                             certified_on=D(2027, 1, 3), now=START, actor=OFFICER)
        assert vat_exempt(s, "C-5", D(2027, 1, 3)) and not vat_exempt(s, "C-5", D(2027, 1, 2))
        assert not vat_exempt(s, "C-6", D(2027, 1, 3))
        assert s.execute(select(Catalogue)).first() is None
