"""Payment rules: the tax filing threshold, structuring, and holds from parties and licences."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from compliance.cases.models import ScreeningCase
from compliance.cases.service import clear_case
from compliance.config import ComplianceConfig
from compliance.export_control.service import SubjectRef, classify
from compliance.export_control.records import record_registration
from compliance.payments.errors import PaymentCheckInvalid, TaxFilingExists
from compliance.payments.models import PaymentCheckLog
from compliance.payments.service import PaymentCheck, check_payment, record_tax_filing
from compliance.screening.service import screen_party
from kernel.audit import AuditEvent
from kernel.db import Database
from tests.conftest import START
from tests.support.compliance import WATCH_V1, load_demo_catalogue, load_watch, make_org

D = dt.date
OFFICER = "user:officer"
SUBJECT = SubjectRef("listing", "7")


@pytest.fixture
def payee(db: Database) -> int:
    """A screened, clear payee and a free-technology listing with registered contracts."""
    with db.transaction() as s:
        load_watch(s, WATCH_V1, START)
        load_demo_catalogue(s, START)
        org = make_org(s, "Delft Water Technologies B.V.", country="NL")
        assert screen_party(s, org, "onboarding", START, "test").decision == "clear"
        classify(s, SUBJECT, "export", None, OFFICER, "membrane know-how, not listed", START)
        for n in range(1, 5):
            record_registration(s, SUBJECT, "export", f"C-{n}", signed_on=D(2026, 10, 1), now=START,
                                actor=OFFICER, registration_number=f"R-{n}", registered_on=D(2026, 10, 5))
        return org.id


def _check(org_id: int, usd_cents: int, on: dt.date, contract: str = "C-1", ref: str | None = None,
           kind: str = "royalty") -> PaymentCheck:
    from compliance.party import PartyRef

    return PaymentCheck(contract_ref=contract, payee_party=PartyRef("organisation", org_id),
                        amount_minor=usd_cents * 7, currency="CNY", usd_equivalent_minor=usd_cents,
                        usd_rate=Decimal("0.1428"), kind=kind, on=on, payment_ref=ref, subject=SUBJECT)


def test_a_clean_payment_is_released_and_logged(db: Database, payee: int) -> None:
    with db.transaction() as s:
        decision = check_payment(s, _check(payee, 1_000_000, D(2026, 11, 1)), START, "settlement")
        assert decision.released and decision.reasons == ()
        log = s.get(PaymentCheckLog, decision.check_id)
        assert log.usd_rate == Decimal("0.1428") and log.decision == "release"
        assert s.execute(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)
                         ).scalar_one() == "payment_check.release"


def test_above_the_threshold_needs_a_tax_filing_and_one_filing_covers_later_payments(db: Database, payee: int) -> None:
    with db.transaction() as s:
        held = check_payment(s, _check(payee, 5_000_001, D(2026, 11, 1)), START, "settlement")
        assert held.decision == "hold" and [r.code for r in held.reasons] == ["tax_filing_required"]
        # exactly USD 50,000.00 is not above the threshold
        assert check_payment(s, _check(payee, 5_000_000, D(2026, 11, 1), "C-2"), START, "s").released
        record_tax_filing(s, "C-1", filing_number="TF-1", authority="Shenzhen Tax Bureau",
                          filed_on=D(2026, 11, 2), now=START, actor=OFFICER)
        with pytest.raises(TaxFilingExists):
            record_tax_filing(s, "C-1", filing_number="TF-2", authority="x", filed_on=D(2026, 11, 2),
                              now=START, actor=OFFICER)
        assert check_payment(s, _check(payee, 5_000_001, D(2026, 11, 2)), START, "settlement").released
        assert check_payment(s, _check(payee, 9_000_000, D(2027, 3, 1)), START, "settlement").released
        # not for refunds of deposits
        assert check_payment(s, _check(payee, 9_000_000, D(2026, 11, 2), "C-3", kind="deposit_refund"),
                             START, "s").released


def test_split_payments_within_the_window_open_a_case_and_hold(db: Database, payee: int) -> None:
    cfg = ComplianceConfig(structuring_window_days=30)
    with db.transaction() as s:
        first = check_payment(s, _check(payee, 3_000_000, D(2026, 11, 1), "C-1", "P-1"), START, "s", cfg)
        assert first.released
        # the same payment checked again counts once
        assert check_payment(s, _check(payee, 3_000_000, D(2026, 11, 1), "C-1", "P-1"), START, "s", cfg).released
        second = check_payment(s, _check(payee, 2_500_000, D(2026, 11, 20), "C-2", "P-2"), START, "s", cfg)
        assert second.decision == "hold" and [r.code for r in second.reasons] == ["structuring_suspected"]
        case = s.get(ScreeningCase, second.case_id)
        assert case.kind == "structuring" and case.status == "open"
        # the payee is now under review: any payment holds
        third = check_payment(s, _check(payee, 100_00, D(2026, 11, 21), "C-3", "P-3"), START, "s", cfg)
        assert "party_under_review" in [r.code for r in third.reasons]
        clear_case(s, case.id, OFFICER, "two separate licences, invoices seen", START)
        assert check_payment(s, _check(payee, 2_500_000, D(2026, 11, 20), "C-2", "P-2"), START, "s", cfg).released
        assert "structuring_case.opened" in s.execute(select(AuditEvent.action)).scalars().all()


def test_payments_outside_the_window_do_not_add_up(db: Database, payee: int) -> None:
    cfg = ComplianceConfig(structuring_window_days=14)
    with db.transaction() as s:
        assert check_payment(s, _check(payee, 3_000_000, D(2026, 11, 1), ref="P-1"), START, "s", cfg).released
        assert check_payment(s, _check(payee, 3_000_000, D(2026, 11, 15), ref="P-2"), START, "s", cfg).released
        held = check_payment(s, _check(payee, 3_000_000, D(2026, 11, 16), ref="P-3"), START, "s", cfg)
        assert held.decision == "hold"


def test_a_party_under_review_or_an_unregistered_contract_holds(db: Database, payee: int) -> None:
    with db.transaction() as s:
        flagged = make_org(s, "Rosoboronexport", country="RU")
        assert screen_party(s, flagged, "onboarding", START, "test").case is not None
        held = check_payment(s, _check(flagged.id, 100_00, D(2026, 11, 1)), START, "s")
        assert [r.code for r in held.reasons] == ["party_under_review"]
        unregistered = check_payment(s, _check(payee, 100_00, D(2026, 11, 1), "C-99"), START, "s")
        assert [r.code for r in unregistered.reasons] == ["registration_missing"]
        no_subject = PaymentCheck("C-1", flagged, 1, "USD", 1, Decimal("1"), "service", D(2026, 11, 1))
        assert "export_control_unknown" in [r.code for r in check_payment(s, no_subject, START, "s").reasons]
        with pytest.raises(PaymentCheckInvalid):
            check_payment(s, PaymentCheck("C-1", flagged, 0, "USD", 1, Decimal("1"), "service",
                                          D(2026, 11, 1)), START, "s")


def test_a_domestic_payout_is_not_held_for_a_tax_filing_nor_counted_as_structuring(
        db: Database, payee: int) -> None:
    """The filing and structuring rules are about money leaving the country: the same payments
    that hold when outbound are released when the payee is paid at home."""
    cfg = ComplianceConfig(structuring_window_days=30)
    with db.transaction() as s:
        big = _check(payee, 9_000_000, D(2026, 11, 1), "C-1", "P-1")
        assert [r.code for r in check_payment(s, big, START, "s", cfg).reasons] == ["tax_filing_required"]
        home = check_payment(s, replace(big, outbound=False, payment_ref="P-2"), START, "s", cfg)
        assert home.released and home.reasons == ()
        event = s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
        assert event.action == "payment_check.release"
        assert json.loads(event.payload)["data"]["outbound"] is False
        # split domestic payments under the threshold add up to nothing
        for n, day in ((3, 2), (4, 3)):
            split = replace(_check(payee, 3_000_000, D(2026, 11, day), f"C-{n}", f"P-{n}"), outbound=False)
            decision = check_payment(s, split, START, "s", cfg)
            assert decision.released and decision.case_id is None
        assert s.execute(select(ScreeningCase.id).where(ScreeningCase.kind == "structuring")).first() is None


def test_the_settlement_gate_passes_on_whether_the_payment_leaves_the_country(
        db: Database, payee: int, clock) -> None:
    """Through the gateway's gate: an outbound request above USD 50,000 holds for the tax filing,
    the same request paid to a resident payee is released."""
    from gateway.settlement.gate import CompliancePaymentGate
    from settlement.plans import PaymentRequest

    with db.transaction() as s:
        # the gate asks about technology brought in for outbound money, sent out otherwise
        load_demo_catalogue(s, START, "import")
        classify(s, SUBJECT, "import", None, OFFICER, "membrane know-how, not listed", START)
        gate = CompliancePaymentGate(ComplianceConfig(), clock, subject_for=lambda _s, _r: SUBJECT)
        request = PaymentRequest(
            contract_ref="C-1", payee_party=payee, amount_minor=63_000_000, currency="CNY",
            usd_equivalent_minor=9_000_000, usd_rate=Decimal("0.1428"), kind="royalty",
            on=D(2026, 11, 1), instruction_ref="STX-1", payer_party=payee, outbound=True)
        held = gate.check(s, request)
        assert held.outcome == "hold" and len(held.reasons) == 1, held.reasons
        assert held.reasons[0].startswith("tax_filing_required:")
        assert gate.check(s, replace(request, outbound=False, instruction_ref="STX-2")).released
