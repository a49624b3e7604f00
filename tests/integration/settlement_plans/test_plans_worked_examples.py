"""Settlement plans from deal terms, worked by hand (the arithmetic is in the comments).

Rates (conftest): USD->CNY mid 7.1, EUR->CNY 7.668, USD->KRW 1400, USD->JPY 150, USD->KWD 0.31.
Margin 30 bps: paying customers get mid x 1.003, receiving customers mid x 0.997.
Fee 2% (min USD 150.00, cap USD 5,000.00, converted at mid), split 60:30:10.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kernel.clock import FrozenClock, utc
from kernel.db import Database
from kernel.money import Money
from settlement.fx.models import FxRateLock
from settlement.ledger import Account, Transfer, check_ledger, get_balance
from settlement.plans import (
    DealTerms, Direction, Milestone, RatePolicy, RoyaltyPeriod, RoyaltyTerms, Schedule,
    SettlementInstruction, TransactionType, create_plan, get_plan, is_valid_rf, run_due,
    submit_royalty_report,
)
from settlement.plans.errors import AmountMismatch, PlanExists, RoyaltyReportRefused
from settlement.plans.service import record_funds_received, record_milestone_event

from .conftest import ACTOR, CONFIG, TaxFilingGate, World, record_tax_filing


def usd(v: str) -> Money:
    return Money(v, "USD")


def lines(instr: SettlementInstruction) -> dict[str, tuple[Money, Money | None]]:
    return {ln.kind: (ln.amount, ln.booked) for ln in instr.lines}


def balance(s, owner_type: str, owner_id: int, purpose: str, ccy: str) -> Money:
    acct = s.execute(select(Account).where(
        Account.owner_type == owner_type, Account.owner_id == owner_id,
        Account.purpose == purpose, Account.currency == ccy)).scalar_one()
    return get_balance(s, acct.id).posted


def bring_in_terms(w: World, **over) -> DealTerms:
    base = dict(
        deal_id=1, deal_ref="D-2026-0001", contract_ref="C-2026-0001",
        direction=Direction.INBOUND, buyer_org_id=w.buyer_cn, seller_org_id=w.seller_hk,
        subcentre_id=w.hk, broker_org_id=w.broker, contract_currency="USD",
        payin_currency="CNY", payout_currency="USD", price=usd("200000.00"),
        schedule=Schedule(
            upfront=usd("100000.00"), upfront_due_on=dt.date(2026, 11, 23),
            milestones=(Milestone("first samples", usd("60000.00"), due_on=dt.date(2027, 3, 1)),
                        Milestone("prototype accepted", usd("40000.00"),
                                  event="prototype accepted")),
            royalty=RoyaltyTerms(Decimal("0.05"), RoyaltyPeriod.QUARTER, dt.date(2027, 1, 1),
                                 minimum_annual=usd("20000.00"))),
        transaction_type=TransactionType.LICENCE, rate_policy=RatePolicy.LOCK,
        payee_tax_residency="HK", treaty_residency_proof_ref="HK-IRD-CoR-2026-5512",
        contract_registration_ref="REG-2026-88")
    base.update(over)
    return DealTerms(**base)


def test_bring_in_licence_upfront_is_priced_with_the_lock_and_the_hk_treaty_rate(
        db: Database, clock: FrozenClock, world: World) -> None:
    with db.transaction() as s:
        plan = create_plan(s, bring_in_terms(world), now=clock.now(), actor=ACTOR, config=CONFIG)
        up, m1, m2 = plan.instructions
        # the lock: USD->CNY mid 7.1 x 1.003 = 7.1213 (buyer pays); stored on the plan
        lock = s.get(FxRateLock, plan.payin_lock_id)
        assert (lock.mid_rate, lock.rate, lock.side) == (Decimal("7.1"), Decimal("7.1213"), "pay")
        assert plan.payout_lock_id is None  # payout in the contract currency: no conversion
        assert up.ref == f"STX-2026-{plan.id:06d}-01" and is_valid_rf(up.rf_reference)
        assert up.rf_reference.endswith(f"STX2026{plan.id:06d}01")
        assert [i.status for i in plan.instructions] == ["scheduled"] * 3
        assert m2.due_on is None and m2.due_event == "prototype accepted"
        # upfront USD 100,000.00:
        #   fee 2% = 2,000.00 -> 60:30:10 = 1,200.00 / 600.00 / 200.00
        #   VAT: 100,000.00 / 1.06 = 94,339.6226 -> base 94,339.62, VAT 5,660.38
        #   withholding, HK treaty 7% (residency shown): 94,339.62 x 0.07 = 6,603.7734 -> 6,603.77
        #   net 100,000.00 - 2,000.00 - 5,660.38 - 6,603.77 = 85,735.85
        # pay-in: 100,000.00 x 7.1213 = CNY 712,130.00; at mid 710,000.00 -> margin 2,130.00
        # 710,000.00 split in proportion (x 7.1): 8,520.00 / 4,260.00 / 1,420.00 /
        #   VAT 40,188.698 / WHT 46,886.767 / net 608,724.535 -> floors in fen leave 2 fen,
        #   which go to the largest remainders (.8 VAT, .7 WHT): 40,188.70 / 46,886.77 / 608,724.53
        cny = lambda v: Money(v, "CNY")  # noqa: E731
        assert lines(up) == {
            "gross": (usd("100000.00"), cny("712130.00")),
            "fee_exchange": (usd("1200.00"), cny("8520.00")),
            "fee_subcentre": (usd("600.00"), cny("4260.00")),
            "fee_broker": (usd("200.00"), cny("1420.00")),
            "vat": (usd("5660.38"), cny("40188.70")),
            "withholding": (usd("6603.77"), cny("46886.77")),
            "net": (usd("85735.85"), cny("608724.53")),
            "fx_margin": (usd("0.00"), cny("2130.00")),
        }
        assert up.line("withholding").rate == Decimal("0.07")
        assert "treaty" in up.line("withholding").rule and "Hong Kong" in up.line("withholding").rule
        assert up.line("vat").rate == Decimal("0.06")
        assert (up.payin, up.payout) == (cny("712130.00"), usd("85735.85"))
        # milestone 1, USD 60,000.00: fee 1,200.00; base 56,603.77 (60,000 / 1.06 = 56,603.7736),
        # VAT 3,396.23; WHT 7% 3,962.2639 -> 3,962.26; net 60,000 - 1,200 - 3,396.23 - 3,962.26
        # = 51,441.51; pay-in 60,000.00 x 7.1213 = CNY 427,278.00
        assert (m1.line("net").amount, m1.payin) == (usd("51441.51"), cny("427278.00"))
        assert check_ledger(s) == []
    with db.transaction() as s, pytest.raises(PlanExists):
        create_plan(s, bring_in_terms(world), now=clock.now(), actor=ACTOR, config=CONFIG)


def test_payout_above_usd_50000_is_held_until_a_tax_filing_record_is_given(
        db: Database, clock: FrozenClock, world: World, gate: TaxFilingGate) -> None:
    with db.transaction() as s:
        plan_id = create_plan(s, bring_in_terms(world), now=clock.now(), actor=ACTOR,
                              config=CONFIG).id
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    assert summary.made_due == 1  # the upfront fee is due today; the milestones are not
    with db.transaction() as s:
        up = get_plan(s, plan_id).instructions[0]
        assert up.status == "due"
        with pytest.raises(AmountMismatch):
            record_funds_received(s, up.id, Money("712129.99", "CNY"), now=clock.now(), actor=ACTOR)
        record_funds_received(s, up.id, Money("712130.00", "CNY"), now=clock.now(), actor=ACTOR,
                              bank_ref="CAMT-0001")
        # a second confirmation of the same money is a replay, not a second receipt
        record_funds_received(s, up.id, Money("712130.00", "CNY"), now=clock.now(), actor=ACTOR)
    clock.advance(hours=1)
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    assert (summary.held, summary.released) == (1, 0)
    with db.transaction() as s:
        up = get_plan(s, plan_id).instructions[0]
        # net USD 85,735.85 > 50,000.00, outbound royalty: held with the gate's reason
        assert up.status == "held" and "tax filing record" in up.held_reason
        assert gate.checked[-1].usd_equivalent_minor == 8_573_585
        assert balance(s, "organisation", world.buyer_cn, "buyer_escrow", "CNY") == \
            Money("712130.00", "CNY")
        assert check_ledger(s) == []
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)  # still held, nothing new written
    with db.transaction() as s:
        record_tax_filing(s, "C-2026-0001", "TF-2026-31", clock.now().date())
    clock.advance(hours=1)
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    assert (summary.released, summary.converted, summary.paid_out) == (1, 1, 1)
    with db.transaction() as s:
        up = get_plan(s, plan_id).instructions[0]
        assert up.status == "paid_out" and up.held_reason is None
        cny = lambda v: Money(v, "CNY")  # noqa: E731
        # the release split the escrow; the exchange's fee income is its share + the FX margin:
        # 8,520.00 + 2,130.00 = 10,650.00
        assert balance(s, "organisation", world.buyer_cn, "buyer_escrow", "CNY") == cny("0.00")
        assert balance(s, "exchange", 0, "fee_income", "CNY") == cny("10650.00")
        assert balance(s, "sub_centre", world.hk, "fee_income", "CNY") == cny("4260.00")
        assert balance(s, "organisation", world.broker, "fee_income", "CNY") == cny("1420.00")
        assert balance(s, "exchange", 0, "vat_payable", "CNY") == cny("40188.70")
        assert balance(s, "exchange", 0, "withholding_tax_payable", "CNY") == cny("46886.77")
        # converted CNY 608,724.53 -> USD 85,735.85 through the FX positions, then paid out
        assert balance(s, "organisation", world.seller_hk, "seller_payable", "CNY") == cny("0.00")
        assert balance(s, "organisation", world.seller_hk, "seller_payable", "USD") == usd("0.00")
        assert balance(s, "exchange", 0, "fx_position", "CNY") == cny("608724.53")
        assert balance(s, "exchange", 0, "fx_position", "USD") == usd("-85735.85")
        # sent, in transit until the statement (reconciliation) or finance confirms it left
        assert balance(s, "exchange", 0, "suspense", "USD") == usd("85735.85")
        keys = set(s.execute(select(Transfer.key).where(
            Transfer.key.like(f"settlement:{up.id}:%"))).scalars())
        assert keys == {f"settlement:{up.id}:{k}" for k in
                        ("funds_received", "compliance_released", "converted", "paid_out")}
        assert check_ledger(s) == []
    # the filing covers the contract's later payments: milestone 1 (net 51,441.51) goes through
    clock.set(utc(2027, 3, 1, 9))
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    with db.transaction() as s:
        m1 = get_plan(s, plan_id).instructions[1]
        record_funds_received(s, m1.id, Money("427278.00", "CNY"), now=clock.now(), actor=ACTOR)
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    with db.session() as s:
        assert get_plan(s, plan_id).instructions[1].status == "paid_out"
        assert check_ledger(s) == []


def test_event_milestone_and_royalties_with_the_minimum_annual_top_up(
        db: Database, clock: FrozenClock, world: World, gate: TaxFilingGate) -> None:
    with db.transaction() as s:
        plan_id = create_plan(s, bring_in_terms(world), now=clock.now(), actor=ACTOR,
                              config=CONFIG).id
    clock.set(utc(2027, 4, 2, 9))
    with db.transaction() as s:
        m2 = record_milestone_event(s, plan_id, "prototype accepted", now=clock.now(), actor=ACTOR)
        assert m2.due_on == dt.date(2027, 4, 2)
        # Q1 2027 net sales USD 150,000.00 x 5% = 7,500.00
        #   fee 2% = 150.00 (= the minimum), 90.00 / 45.00 / 15.00
        #   base 7,500 / 1.06 = 7,075.4717 -> 7,075.47, VAT 424.53; WHT 7% = 495.2829 -> 495.28
        #   net 7,500.00 - 150.00 - 424.53 - 495.28 = 6,430.19; pay-in 7,500 x 7.1213 = 53,409.75
        roy = submit_royalty_report(s, plan_id, period_start=dt.date(2027, 1, 1),
                                    period_end=dt.date(2027, 3, 31),
                                    net_sales=usd("150000.00"), now=clock.now(), actor=ACTOR,
                                    config=CONFIG)
        assert roy.seq == 4 and roy.ref.endswith("-04") and roy.kind == "royalty"
        assert roy.gross == usd("7500.00")
        assert [roy.line(k).amount for k in ("fee_exchange", "fee_subcentre", "fee_broker",
                                             "vat", "withholding", "net")] == [
            usd("90.00"), usd("45.00"), usd("15.00"), usd("424.53"), usd("495.28"),
            usd("6430.19")]
        assert roy.payin == Money("53409.75", "CNY")
        with pytest.raises(RoyaltyReportRefused):  # reported twice
            submit_royalty_report(s, plan_id, period_start=dt.date(2027, 1, 1),
                                  period_end=dt.date(2027, 3, 31), net_sales=usd("1.00"),
                                  now=clock.now(), actor=ACTOR, config=CONFIG)
        with pytest.raises(RoyaltyReportRefused):  # not one of the contract's quarters
            submit_royalty_report(s, plan_id, period_start=dt.date(2027, 2, 1),
                                  period_end=dt.date(2027, 3, 31), net_sales=usd("1.00"),
                                  now=clock.now(), actor=ACTOR, config=CONFIG)
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    # upfront (overdue), milestone 1 (due 2027-03-01), the accepted prototype, the royalty
    assert summary.made_due == 4
    # royalty year 1 is 2027-01-01..2027-12-31; only Q1 reported (7,500.00): at year end the
    # top-up is 20,000.00 - 7,500.00 = 12,500.00, due on the day the year is closed
    clock.set(utc(2028, 1, 3, 9))
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    assert summary.topups == 1
    assert run_due(db, now=clock.now(), gate=gate, config=CONFIG).topups == 0  # idempotent
    with db.transaction() as s:
        plan = get_plan(s, plan_id)
        topup = plan.instructions[-1]
        assert (topup.kind, topup.gross, topup.status) == ("royalty_topup", usd("12500.00"), "due")
        assert plan.royalty_years_closed == 1
        with pytest.raises(RoyaltyReportRefused):  # the year is closed
            submit_royalty_report(s, plan_id, period_start=dt.date(2027, 4, 1),
                                  period_end=dt.date(2027, 6, 30), net_sales=usd("10.00"),
                                  now=clock.now(), actor=ACTOR, config=CONFIG)
        assert check_ledger(s) == []


def test_go_out_assignment_paid_in_eur_to_a_domestic_seller_in_cny_at_spot(
        db: Database, clock: FrozenClock, world: World, gate: TaxFilingGate) -> None:
    terms = DealTerms(
        deal_id=2, deal_ref="D-2026-0002", contract_ref="C-2026-0002",
        direction=Direction.OUTBOUND, buyer_org_id=world.buyer_dk, seller_org_id=world.seller_cn,
        subcentre_id=world.dk, contract_currency="EUR", payin_currency="EUR",
        payout_currency="CNY", price=Money("80000.00", "EUR"),
        schedule=Schedule(upfront=Money("80000.00", "EUR"), upfront_due_on=dt.date(2026, 11, 23)),
        transaction_type=TransactionType.ASSIGNMENT, rate_policy=RatePolicy.SPOT,
        payee_tax_residency="CN")
    with db.transaction() as s:
        plan = create_plan(s, terms, now=clock.now(), actor=ACTOR, config=CONFIG)
        (up,) = plan.instructions
        assert plan.payin_lock_id is None and plan.payout_lock_id is None  # spot
        # min/cap USD 150.00 / 5,000.00 at USD->EUR 1/1.08: 138.888.. -> 138.89, 4,629.63
        assert (plan.fee_minimum_minor, plan.fee_cap_minor) == (13889, 462963)
        assert plan.fee_shares == "70:30:0"  # no broker: the exchange takes the broker's share
        # 2% of EUR 80,000.00 = 1,600.00 -> 70:30 = 1,120.00 / 480.00; seller resident in CN:
        # no withholding, no VAT withheld; net 78,400.00
        eur = lambda v: Money(v, "EUR")  # noqa: E731
        assert {k: a for k, (a, _) in lines(up).items()} == {
            "gross": eur("80000.00"), "fee_exchange": eur("1120.00"),
            "fee_subcentre": eur("480.00"), "net": eur("78400.00")}
        assert up.payin is None  # spot: priced when due
        uid = up.id
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    with db.transaction() as s:
        up = s.get(SettlementInstruction, uid)
        assert up.status == "due" and up.payin == eur("80000.00")  # pay-in = contract: no FX
        record_funds_received(s, uid, eur("80000.00"), now=clock.now(), actor=ACTOR)
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    assert summary.paid_out == 1
    with db.session() as s:
        up = s.get(SettlementInstruction, uid)
        # spot payout EUR->CNY: mid 7.668 x 0.997 = 7.644996 (seller receives);
        # 78,400.00 x 7.644996 = 599,367.6864 -> CNY 599,367.69
        assert up.payout_rate == Decimal("7.644996")
        assert up.payout == Money("599367.69", "CNY") and up.status == "paid_out"
        assert s.get(FxRateLock, up.payout_lock_id).purpose == f"spot payout {up.ref}"
        # not outbound (the payee is resident): released although above USD 50,000
        assert gate.checked[-1].outbound is False and gate.checked[-1].kind == "assignment"
        assert balance(s, "exchange", 0, "fee_income", "EUR") == eur("1120.00")
        assert balance(s, "sub_centre", world.dk, "fee_income", "EUR") == eur("480.00")
        assert balance(s, "exchange", 0, "suspense", "CNY") == Money("599367.69", "CNY")
        assert check_ledger(s) == []


def _single(w: World, ref: str, seller: int, ccy: str, amount: str, payin: str, payout: str,
            residency: str, proof: str | None, ttype=TransactionType.LICENCE,
            buyer: int | None = None) -> DealTerms:
    return DealTerms(
        deal_id=9, deal_ref=ref, direction=Direction.INBOUND,
        buyer_org_id=buyer or w.buyer_cn, seller_org_id=seller, subcentre_id=None,
        contract_currency=ccy, payin_currency=payin, payout_currency=payout,
        price=Money(amount, ccy),
        schedule=Schedule(upfront=Money(amount, ccy), upfront_due_on=dt.date(2026, 11, 23)),
        transaction_type=ttype, rate_policy=RatePolicy.LOCK, payee_tax_residency=residency,
        treaty_residency_proof_ref=proof)


def _pay_through(db: Database, clock: FrozenClock, gate, plan_id: int) -> SettlementInstruction:
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    with db.transaction() as s:
        (instr,) = get_plan(s, plan_id).instructions
        record_funds_received(s, instr.id, instr.payin, now=clock.now(), actor=ACTOR)
    run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    with db.session() as s:
        instr = s.get(SettlementInstruction, instr.id)
        assert instr.status == "paid_out"
        assert check_ledger(s) == []
        return instr


def test_krw_contract_with_no_decimals_paid_in_cny(db: Database, clock: FrozenClock,
                                                  world: World, gate: TaxFilingGate) -> None:
    with db.transaction() as s:
        plan = create_plan(s, _single(world, "D-KRW", world.seller_kr, "KRW", "70000000", "CNY",
                                      "KRW", "KR", "KR-NTS-7781"), now=clock.now(), actor=ACTOR,
                           config=CONFIG)
        (i,) = plan.instructions
        # fee 2% = KRW 1,400,000 (min/cap at 1400: 210,000 / 7,000,000); no sub-centre, no
        # broker: all to the exchange. VAT: 70,000,000 / 1.06 = 66,037,735.85 -> 66,037,736,
        # VAT 3,962,264; WHT KR treaty 10% = 6,603,773.6 -> 6,603,774;
        # net 70,000,000 - 1,400,000 - 3,962,264 - 6,603,774 = 58,033,962
        krw = lambda v: Money(v, "KRW")  # noqa: E731
        assert [i.line(k).amount for k in ("fee_exchange", "vat", "withholding", "net")] == [
            krw("1400000"), krw("3962264"), krw("6603774"), krw("58033962")]
        # KRW->CNY mid 7.668/1512 = 0.00507142857..; x 70,000,000 = 354,999.99999.. -> 355,000.00
        # with margin x 1.003: 356,064.9999.. -> 356,065.00; margin 1,065.00
        # 355,000.00 in proportion (x 355/700 in fen): fee 710,000 exact; VAT 2,009,433.886;
        # WHT 3,349,057.371; net 29,431,509.743 -> 1 fen left goes to VAT (.886)
        cny = lambda v: Money(v, "CNY")  # noqa: E731
        assert [i.line(k).booked for k in ("gross", "fee_exchange", "vat", "withholding", "net",
                                           "fx_margin")] == [
            cny("356065.00"), cny("7100.00"), cny("20094.34"), cny("33490.57"),
            cny("294315.09"), cny("1065.00")]
        assert i.payout == krw("58033962")
        plan_id = plan.id
    paid = _pay_through(db, clock, gate, plan_id)
    # 58,033,962 KRW at 1.08/1512 = USD 41,452.83: under the threshold, released
    assert gate.checked[-1].usd_equivalent_minor == 4_145_283
    assert paid.payout == Money("58033962", "KRW")


def test_jpy_pay_in_with_no_decimals_for_a_cny_contract(db: Database, clock: FrozenClock,
                                                       world: World, gate: TaxFilingGate) -> None:
    terms = _single(world, "D-JPY", world.seller_cn, "CNY", "300000.00", "JPY", "CNY", "CN", None,
                    buyer=world.buyer_jp)
    with db.transaction() as s:
        plan = create_plan(s, terms, now=clock.now(), actor=ACTOR, config=CONFIG)
        (i,) = plan.instructions
        # fee 2% = CNY 6,000.00 (min 150 x 7.1 = 1,065.00, cap 35,500.00); resident seller: no
        # taxes; net 294,000.00
        # CNY->JPY mid 162/7.668 = 21.12676056338..; x 300,000 = 6,338,028.17 -> JPY 6,338,028
        # with margin x 1.003 = 21.190140845..; x 300,000 = 6,357,042.25 -> JPY 6,357,042
        # margin 19,014; 6,338,028 split 2:98: fee 126,760.56 / net 6,211,267.44 -> the odd yen
        # goes to the fee (.56): 126,761 / 6,211,267
        jpy = lambda v: Money(v, "JPY")  # noqa: E731
        assert [i.line(k).booked for k in ("gross", "fee_exchange", "net", "fx_margin")] == [
            jpy("6357042"), jpy("126761"), jpy("6211267"), jpy("19014")]
        assert i.payout == Money("294000.00", "CNY")
        plan_id = plan.id
    paid = _pay_through(db, clock, gate, plan_id)
    with db.session() as s:
        t = s.execute(select(Transfer).where(Transfer.key == f"settlement:{paid.id}:converted")
                      ).scalar_one()
        # the conversion's effective rate: 294,000.00 CNY / 6,211,267 JPY
        assert t.kind == "fx_conversion" and t.fx_rate == Decimal("294000.00") / Decimal(6211267)


def test_kwd_payout_with_three_decimals(db: Database, clock: FrozenClock, world: World,
                                        gate: TaxFilingGate) -> None:
    # KW residency not shown: statutory 10%
    terms = _single(world, "D-KWD", world.seller_kw, "USD", "10000.00", "CNY", "KWD", "KW", None)
    with db.transaction() as s:
        plan = create_plan(s, terms, now=clock.now(), actor=ACTOR, config=CONFIG)
        (i,) = plan.instructions
        # fee 200.00; base 10,000 / 1.06 = 9,433.962 -> 9,433.96, VAT 566.04;
        # WHT 10% = 943.396 -> 943.40; net 10,000 - 200 - 566.04 - 943.40 = 8,290.56
        assert i.line("withholding").rate == Decimal("0.10")
        assert "no treaty residency shown" in i.line("withholding").rule
        assert i.line("net").amount == usd("8290.56")
        # pay-in 10,000 x 7.1213 = CNY 71,213.00 (margin 213.00)
        # payout lock USD->KWD: mid 0.3348/1.08 = 0.31 x 0.997 = 0.30907 (seller receives);
        # 8,290.56 x 0.30907 = 2,487.168 + 74.61504 + 0.5803392 = 2,562.3633792 -> KWD 2,562.363
        assert s.get(FxRateLock, plan.payout_lock_id).rate == Decimal("0.30907")
        assert i.payin == Money("71213.00", "CNY")
        assert i.payout == Money("2562.363", "KWD")
        plan_id = plan.id
    paid = _pay_through(db, clock, gate, plan_id)
    with db.session() as s:
        assert balance(s, "exchange", 0, "suspense", "KWD") == Money("2562.363", "KWD")
        n = s.execute(select(func.count()).select_from(Transfer).where(
            Transfer.key.like(f"settlement:{paid.id}:%"))).scalar()
        assert n == 4


def test_a_spot_instruction_without_a_fresh_rate_is_reported_and_the_others_go_on(
        db: Database, clock: FrozenClock, world: World, gate: TaxFilingGate) -> None:
    spot = _single(world, "D-SPOT", world.seller_us, "USD", "1000.00", "CNY", "USD", "US", None)
    spot = DealTerms(**{**spot.__dict__, "rate_policy": RatePolicy.SPOT})
    same = _single(world, "D-SAME", world.seller_us, "USD", "1000.00", "USD", "USD", "US", None)
    with db.transaction() as s:
        create_plan(s, spot, now=clock.now(), actor=ACTOR, config=CONFIG)
        create_plan(s, same, now=clock.now(), actor=ACTOR, config=CONFIG)
    # ten days later the stored rates are more than 3 business days old
    clock.set(utc(2026, 12, 3, 9))
    summary = run_due(db, now=clock.now(), gate=gate, config=CONFIG)
    assert summary.made_due == 1 and len(summary.errors) == 1
    assert "fx_stale_rate" in summary.errors[0] or "StaleRate" in summary.errors[0] \
        or "more than 3 business days" in summary.errors[0]
    with db.session() as s:
        statuses = dict(s.execute(select(SettlementInstruction.ref, SettlementInstruction.status)
                                  ).all())
        assert sorted(statuses.values()) == ["due", "scheduled"]
        assert check_ledger(s) == []
