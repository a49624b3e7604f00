"""People screened on their names alone (no nationality or date of birth filed): the stored
decision says so, and a hit that facts might have confirmed is reviewed. With the facts filed,
they are compared with the listed individual's and move the score either way."""
from __future__ import annotations

import json

from sqlalchemy import select

from compliance.cases.models import ScreeningCase
from compliance.cases.service import party_clearance
from compliance.screening import ScreeningThresholds
from compliance.screening.models import ScreeningRecord
from compliance.screening.service import replay_screening, screen_party
from kernel.audit import AuditEvent
from kernel.db import Database
from kernel.parties import Person
from tests.conftest import START
from tests.support.compliance import load_watch, make_org

PEOPLE_LIST = (
    "id,name,entity_type,country,date,programs\n"
    "P-1,\"KOZLOVSKY, Dmitri Valerievich\",individual,RU,1971,internal watch\n"
    "E-1,Nordic Drone Systems ApS,entity,DK,,internal watch\n"
)


def _person(s, org_id: int, name: str, **facts: str) -> Person:
    person = Person(organisation_id=org_id, full_name=name, role="signatory", **facts)
    s.add(person)
    s.flush()
    return person


def test_a_person_near_a_listed_individual_is_reviewed_and_the_case_says_name_only(db: Database) -> None:
    t = ScreeningThresholds()
    with db.transaction() as s:
        load_watch(s, PEOPLE_LIST, START, name="INTERNAL")
        org = make_org(s, "Delft Water Technologies B.V.", country="NL")
        person = _person(s, org.id, "Dmitri Koslovsky")
        outcome = screen_party(s, person, "onboarding", START, "test")
        assert outcome.decision == "review" and outcome.hits[0].entry_id == "P-1"
        # below the ordinary review threshold: only the name-only rule holds it
        assert t.review - t.name_only_margin <= outcome.hits[0].score.final_score < t.review
        assert outcome.hits[0].unverified == ("country", "date_of_birth")
        case = s.get(ScreeningCase, outcome.case.id)
        assert "name only" in case.summary
        detail = json.loads(case.detail)
        assert detail["evidence"] == ["name"]
        assert detail["review_from"] == str(round(t.review - t.name_only_margin, 4))
        assert any("name alone" in line for line in detail["explanation"])
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "screening.performed")
                          .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
        data = json.loads(event.payload)["data"]
        assert data["evidence"] == ["name"] and data["hits"][0]["unverified"] == ["country", "date_of_birth"]
        assert [r.code for r in party_clearance(s, person).reasons] == ["party_under_review"]
        assert replay_screening(s, outcome.record.id).same


def test_a_person_far_from_every_listed_name_is_cleared_with_the_evidence_stated(db: Database) -> None:
    with db.transaction() as s:
        load_watch(s, PEOPLE_LIST, START, name="INTERNAL")
        org = make_org(s, "Delft Water Technologies B.V.", country="NL")
        person = _person(s, org.id, "Anneke de Vries")
        outcome = screen_party(s, person, "onboarding", START, "test")
        assert outcome.decision == "clear" and outcome.case is None
        stored = json.loads(s.get(ScreeningRecord, outcome.record.id).results)
        assert stored[0]["evidence"] == ["name"] and "name alone" in stored[0]["explanation"][0]


def test_an_organisation_with_its_country_is_not_held_by_the_name_only_rule(db: Database) -> None:
    with db.transaction() as s:
        load_watch(s, PEOPLE_LIST, START, name="INTERNAL")
        org = make_org(s, "Dmitri Koslovsky Consulting", country="NL")
        outcome = screen_party(s, org, "onboarding", START, "test")
        stored = json.loads(s.get(ScreeningRecord, outcome.record.id).results)
        assert stored[0]["evidence"] == ["name", "country"]
        assert stored[0]["review_from"] == ScreeningThresholds().review


def test_a_person_whose_nationality_and_birth_year_agree_is_reviewed_on_the_full_evidence(db: Database) -> None:
    t = ScreeningThresholds()
    with db.transaction() as s:
        load_watch(s, PEOPLE_LIST, START, name="INTERNAL")
        org = make_org(s, "Delft Water Technologies B.V.", country="NL")
        bare = screen_party(s, _person(s, org.id, "Dmitri Koslovsky"), "onboarding", START, "test")
        person = _person(s, org.id, "Dmitri Koslovsky", nationality="RU", date_of_birth="1971-04-02")
        outcome = screen_party(s, person, "onboarding", START, "test")
        hit = outcome.hits[0]
        assert outcome.decision == "review" and hit.entry_id == "P-1" and hit.unverified == ()
        assert hit.score.final_score >= t.review > bare.hits[0].score.final_score
        stored = json.loads(s.get(ScreeningRecord, outcome.record.id).results)
        assert stored[0]["evidence"] == ["name", "country", "date_of_birth"]
        assert stored[0]["review_from"] == t.review  # the name-only margin no longer applies


def test_a_person_whose_facts_disagree_with_the_listed_individual_is_cleared(db: Database) -> None:
    with db.transaction() as s:
        load_watch(s, PEOPLE_LIST, START, name="INTERNAL")
        org = make_org(s, "Delft Water Technologies B.V.", country="NL")
        person = _person(s, org.id, "Dmitri Koslovsky", nationality="NL", date_of_birth="1990")
        outcome = screen_party(s, person, "onboarding", START, "test")
        assert outcome.decision == "clear" and outcome.case is None
        # filing a date of birth later changes what screening compared: the fingerprint moves
        from compliance.party import party_facts
        before = party_facts(s, person).fingerprint()
        person.date_of_birth = "1971"
        assert party_facts(s, person).fingerprint() != before
