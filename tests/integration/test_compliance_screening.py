"""Stored screening: list versions, stored and replayable results, cases, memory, re-screening."""
from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from compliance.cases.errors import CaseAlreadyDecided, ReasonRequired
from compliance.cases.models import ScreeningCase
from compliance.cases.service import clear_case, confirm_case, party_clearance
from compliance.config import ComplianceConfig
from compliance.party import text_digest
from compliance.screening import MATCHER_VERSION, ListFormatError, ScreeningThresholds, file_set_version, parse_generic_csv
from compliance.screening.models import ListVersion, ScreeningRecord
from compliance.screening.rescreen import rescreen
from compliance.screening.service import (INDEX_CACHE, active_versions, current_index,
                                          record_failed_load, replay_screening, screen_party)
from kernel.audit import AuditEvent, verify_chain
from kernel.db import Database
from tests.conftest import START
from tests.support.compliance import WATCH_V1, WATCH_V2, load_watch, make_org

OFFICER = "user:officer"


def _actions(s) -> list[str]:
    return list(s.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())


def test_a_good_list_becomes_active_and_a_malformed_file_leaves_it_in_force(db: Database) -> None:
    with db.transaction() as s:
        first = load_watch(s, WATCH_V1, START)
        assert first.outcome == "activated" and first.entry_count == 3
    bad = (WATCH_V2 + "UEL-5,,,entity,CN,\n").encode()
    with pytest.raises(ListFormatError) as err:
        parse_generic_csv(bad, list_name="CN-UEL", file="uel.csv")
    assert "line 6" in err.value.detail
    with db.transaction() as s:
        record_failed_load(s, "CN-UEL", "csv", file_set_version([("uel.csv", bad)]),
                           err.value.detail, START, "test:loader")
    with db.transaction() as s:
        versions = s.execute(select(ListVersion.status, ListVersion.version_id)
                             .order_by(ListVersion.id)).all()
        assert [v[0] for v in versions] == ["active", "failed"]
        assert active_versions(s)[0][1] == first.version_id
        org = make_org(s, "华为技术有限公司", "Huawei Technologies Co., Ltd.")
        # screening carries on against the last good version
        assert screen_party(s, org, "onboarding", START, "test").decision != "clear"
        assert "screening_list.load_failed" in _actions(s)


def test_a_new_version_supersedes_and_the_same_file_again_changes_nothing(db: Database) -> None:
    with db.transaction() as s:
        v1 = load_watch(s, WATCH_V1, START)
        again = load_watch(s, WATCH_V1, START)
        assert again.outcome == "unchanged"
        v2 = load_watch(s, WATCH_V2, START)
        assert v2.superseded == v1.version_id
        statuses = dict(s.execute(select(ListVersion.version_id, ListVersion.status)).all())
        assert statuses == {v1.version_id: "superseded", v2.version_id: "active"}
        back = load_watch(s, WATCH_V1, START)
        assert back.outcome == "reactivated" and back.entry_count == 3


def test_a_screening_is_stored_with_its_versions_and_replays_the_same(db: Database) -> None:
    with db.transaction() as s:
        v1 = load_watch(s, WATCH_V1, START)
        org = make_org(s, "Рособоронэкспорт", "Rosoboronexport", country="RU")
        outcome = screen_party(s, org, "onboarding", START, "test")
        record = s.get(ScreeningRecord, outcome.record.id)
        assert json.loads(record.list_versions) == [["CN-UEL", v1.version_id]]
        assert record.matcher_version and json.loads(record.thresholds)["review"] == ScreeningThresholds().review
        hits = json.loads(record.hits)
        assert hits[0]["entry_id"] == "UEL-2" and hits[0]["score"]["final_score"] > 0.9
        load_watch(s, WATCH_V2, START)  # a newer version does not change the replay
        replay = replay_screening(s, record.id)
        assert replay.same, (replay.stored, replay.replayed)


def test_thresholds_come_from_config(db: Database) -> None:
    strict = ComplianceConfig(screening=ScreeningThresholds(review=0.99, block=0.995))
    with db.transaction() as s:
        load_watch(s, WATCH_V1, START)
        org = make_org(s, "Nordik Drone Systems", country="DK")
        assert screen_party(s, org, "t", START, "test").decision != "clear"
        assert screen_party(s, org, "t", START, "test", strict).decision == "clear"
        assert ComplianceConfig.from_mapping(
            {"COMPLIANCE_SCREENING": '{"review": 0.9, "block": 0.98}'}).screening.review == 0.9


def test_a_hit_opens_a_case_confirming_blocks_the_party(db: Database) -> None:
    with db.transaction() as s:
        load_watch(s, WATCH_V1, START)
        org = make_org(s, "华为技术有限公司", "Huawei Technologies Co., Ltd.")
        outcome = screen_party(s, org, "onboarding", START, "test")
        case = outcome.case
        assert case is not None and case.status == "open" and case.hits[0].entry_id == "UEL-1"
        clearance = party_clearance(s, org)
        assert not clearance.allowed
        assert [r.code for r in clearance.reasons] == ["party_under_review"]
        with pytest.raises(ReasonRequired):
            confirm_case(s, case.id, OFFICER, "  ", START)
        confirm_case(s, case.id, OFFICER, "same registration number as the listed entity", START)
        clearance = party_clearance(s, org)
        assert [r.code for r in clearance.reasons] == ["party_blocked"]
        with pytest.raises(CaseAlreadyDecided):
            clear_case(s, case.id, OFFICER, "changed my mind", START)
        # a confirmed match is not opened again
        assert screen_party(s, org, "again", START, "test").case is None
        assert {"screening_case.opened", "screening_case.confirmed"} <= set(_actions(s))


def _payload(s, action: str) -> dict:
    event = s.execute(select(AuditEvent).where(AuditEvent.action == action)
                      .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    return json.loads(event.payload)


def test_the_screening_and_the_case_decision_audit_their_inputs(db: Database) -> None:
    """The audit events carry what produced the decision: the list version, the matcher version
    and every hit's score, as stored on the screening record and the case."""
    with db.transaction() as s:
        v1 = load_watch(s, WATCH_V1, START)
        # a near name in another country than the listed one: a review, not a block
        org = make_org(s, "Nordik Drone Systems", country="SE")
        outcome = screen_party(s, org, "onboarding", START, "test")
        assert outcome.decision == "review" and outcome.case is not None
        record = s.get(ScreeningRecord, outcome.record.id)
        stored = json.loads(record.hits)
        assert stored[0]["entry_id"] == "UEL-3" and stored[0]["score"]["final_score"] < 1.0
        performed = _payload(s, "screening.performed")
        assert performed["entity"] == {"type": "screening_record", "id": str(record.id)}
        assert performed["after"] == {"decision": "review", "party": f"organisation:{org.id}"}
        data = performed["data"]
        assert data["list_versions"] == [["CN-UEL", v1.version_id]]
        assert data["matcher_version"] == record.matcher_version == MATCHER_VERSION
        assert data["top_score"] == str(stored[0]["score"]["final_score"])
        assert [(h["list"], h["entry_id"], h["score"]) for h in data["hits"]] == [
            ("CN-UEL", h["entry_id"], str(h["score"]["final_score"])) for h in stored]
        opened = _payload(s, "screening_case.opened")["data"]
        assert opened["screening_record_id"] == record.id
        assert [(h["version"], h["entry_id"], h["score"], h["name_score"]) for h in opened["hits"]] == [
            (v1.version_id, h["entry_id"], str(h["score"]["final_score"]), str(h["score"]["name_score"]))
            for h in stored]
        reason = "a Danish drone maker of the same name, registry number checked"
        confirm_case(s, outcome.case.id, OFFICER, reason, START)
        decided = _payload(s, "screening_case.confirmed")
        assert decided["actor"] == OFFICER and decided["entity"]["id"] == str(outcome.case.id)
        assert (decided["before"], decided["after"]) == ({"status": "open"}, {"status": "confirmed"})
        assert decided["data"]["kind"] == "screening" and decided["data"]["severity"] == "review"
        assert [(h["list"], h["version"], h["entry_id"], Decimal(h["score"]))
                for h in decided["data"]["hits"]] == [
            (h.list_name, h.list_version, h.entry_id, h.score) for h in outcome.case.hits]
        assert decided["data"]["hits"][0]["version"] == v1.version_id
        # the officer's words are kept on the case; the chain holds their digest only
        assert decided["data"]["reason_sha256"] == text_digest(reason)
        assert reason not in json.dumps(decided, ensure_ascii=False)
        assert verify_chain(s).ok


def test_an_unscreened_party_is_not_cleared_and_a_clear_one_is(db: Database) -> None:
    with db.transaction() as s:
        load_watch(s, WATCH_V1, START)
        org = make_org(s, "Delft Water Technologies B.V.", country="NL")
        assert [r.code for r in party_clearance(s, org).reasons] == ["not_screened"]
        assert screen_party(s, org, "onboarding", START, "test").decision == "clear"
        assert party_clearance(s, org).allowed
        embargoed = make_org(s, "Pyongyang Trading", country="KP")
        screen_party(s, embargoed, "onboarding", START, "test")
        assert [r.code for r in party_clearance(s, embargoed).reasons] == ["embargoed_country"]


def test_a_cleared_false_positive_is_remembered_until_the_entry_or_the_party_changes(db: Database) -> None:
    with db.transaction() as s:
        load_watch(s, WATCH_V1, START)
        org = make_org(s, "Rosoboronexport", country="RU")
        case = screen_party(s, org, "onboarding", START, "test").case
        clear_case(s, case.id, OFFICER, "a different company with a similar name", START)
        assert party_clearance(s, org).allowed
        assert screen_party(s, org, "again", START, "test").case is None
        # UEL-2's content changes in v2 (a new alias): reconsidered
        load_watch(s, WATCH_V2, START)
        reopened = screen_party(s, org, "after v2", START, "test").case
        assert reopened is not None and [h.entry_id for h in reopened.hits] == ["UEL-2"]
        clear_case(s, reopened.id, OFFICER, "still a different company", START)
        assert screen_party(s, org, "again", START, "test").case is None
        # the party's name changes: reconsidered too
        org.legal_name_latin = "Rosoboronexport JSC"
        s.flush()
        assert party_clearance(s, org).reasons[0].code == "not_screened"
        assert screen_party(s, org, "renamed", START, "test").case is not None


def test_rescreen_opens_cases_only_for_new_hits(db: Database) -> None:
    with db.transaction() as s:
        load_watch(s, WATCH_V1, START)
        huawei = make_org(s, "华为技术有限公司", "Huawei Technologies Co., Ltd.")
        kestrel = make_org(s, "Kestrel Photonics Lab Inc.", country="US")
        make_org(s, "Delft Water Technologies B.V.", country="NL")
        first = rescreen(s, START, "system:rescreen")
        assert first.new_cases == 1  # Huawei only; Kestrel is not on v1
        before = s.execute(select(func.count()).select_from(ScreeningCase)).scalar_one()
        again = rescreen(s, START, "system:rescreen")
        assert again.skipped == again.parties and again.new_cases == 0
        load_watch(s, WATCH_V2, START)
        progress: list[tuple[int, int]] = []
        delta = rescreen(s, START, "system:rescreen", progress=lambda d, t: progress.append((d, t)))
        assert progress[-1] == (delta.parties, delta.parties)
        new = [s.get(ScreeningCase, i) for i in delta.case_ids]
        assert [c.organisation_id for c in new] == [kestrel.id]  # Huawei's case is still open
        assert s.execute(select(func.count()).select_from(ScreeningCase)).scalar_one() == before + 1
        assert not party_clearance(s, huawei).allowed
        assert "screening.rescreened" in _actions(s)
        assert verify_chain(s).ok


def test_the_index_is_built_once_per_version_set(db: Database) -> None:
    with db.transaction() as s:
        # a version no other test built (the cache is per process and keyed by content)
        load_watch(s, WATCH_V1 + f"UEL-9,Probe {uuid.uuid4().hex} Ltd,,entity,GB,x\n", START)
        builds = INDEX_CACHE.builds
        first = current_index(s)
        assert current_index(s) is first
        for i in range(3):
            screen_party(s, make_org(s, f"Probe {i} Ltd", country="GB"), "t", START, "test")
        assert INDEX_CACHE.builds == builds + 1
