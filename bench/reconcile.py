"""Reconciliation at scale: 100,000 open expected payments, a camt.053 of 100,000 entries.

The generator writes realistic noise and remembers the truth (which entry pays which
instructions): references exact, spaced, lower-cased or with other separators in free text,
SHA charges deducted, FX receipts through AmtDtls, one payment for several instructions,
partial payments, payments without a reference (amount + date + name), decoys that match
nothing (some carrying an RF reference one slip away from an open instruction's, with another
amount and a stranger's name: must not be matched), near-duplicate instructions (same payer,
amount and date: must go to the queue) and RF references typed with one slip (a character
wrong, two swapped or one dropped: repaired by their check digits). It then imports and matches on
SQLite and on a throwaway PostgreSQL, and prints import time, matching time, posting time
(separately: the 30-second target covers import + matching) and precision / recall of the
automatic matches against the truth. Never run by the tests.

    .venv/bin/python bench/reconcile.py [--entries 100000] [--only sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import os
import datetime as dt
import random
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402
from moneyed import Money  # noqa: E402
from sqlalchemy import select  # noqa: E402

from gateway.health import alembic_config  # noqa: E402
from kernel.db import Database  # noqa: E402
from settlement.reconciliation.expected import ExpectedPayment  # noqa: E402
from settlement.reconciliation.importer import import_statement, register_bank_account  # noqa: E402
from settlement.reconciliation.matching.engine import match_statements  # noqa: E402
from settlement.reconciliation.matching.references import make_rf  # noqa: E402
from settlement.reconciliation.models import Allocation, Match, StatementLineRecord  # noqa: E402
from settlement.reconciliation.posting import post_matches  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.reconciliation import MemorySource  # noqa: E402

NOW = dt.datetime(2026, 3, 31, 18, tzinfo=dt.timezone.utc)
IBAN = "DE89370400440532013000"
START = dt.date(2026, 3, 1)
SYLLABLES = ("ka ri to mo na lu be sa vi de ro ta ne ko pa li mu ze fa gu ha jo ky "
             "ve xi qa wo ba so").split()
SUFFIX = ("GmbH", "Ltd", "Inc.", "ApS", "Co., Ltd.", "AB", "BV", "SA", "LLC", "Oy")
KIND = ("Labs", "Technology", "Robotics", "Photonics", "Bio", "Materials", "Systems",
        "Instruments", "Energy", "Semiconductor")


def company(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()
    word2 = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
    return f"{word} {word2} {rng.choice(KIND)} {rng.choice(SUFFIX)}"


def payer_variant(rng: random.Random, name: str) -> str:
    """How a bank prints the payer: case, punctuation, legal form dropped."""
    choice = rng.random()
    if choice < 0.4:
        return name.upper().replace(",", "").replace(".", "")
    if choice < 0.7:
        return " ".join(name.split()[:-1]) if name.split()[-1] in SUFFIX else name
    return name


def mangle_human(rng: random.Random, ref: str) -> str:
    sep = rng.choice([" ", "", "/", ".", "_", " - "])
    out = ref.replace("-", sep)
    return out.lower() if rng.random() < 0.5 else out


def slip(rng: random.Random, rf: str) -> str:
    """``rf`` as a payer might mistype it: one body character wrong, two neighbours swapped
    or one dropped (never the same text; its check digits then fail)."""
    while True:
        i = rng.randrange(4, len(rf) - 1)
        how = rng.random()
        if how < 0.5:
            out = rf[:i] + rng.choice("0123456789".replace(rf[i], "")) + rf[i + 1:]
        elif how < 0.8:
            out = rf[:i] + rf[i + 1] + rf[i] + rf[i + 2:]
        else:
            out = rf[:i] + rf[i + 1:]
        if out != rf:
            return out


def spaced_rf(rng: random.Random, rf: str) -> str:
    out = " ".join(rf[i:i + 4] for i in range(0, len(rf), 4))
    return out.lower() if rng.random() < 0.3 else out


class Gen:
    """Entries (as XML) and expected payments, with the truth of who pays what."""

    def __init__(self, n_entries: int, n_expected: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.n_entries = n_entries
        self.n_expected = n_expected
        self.pays: list[ExpectedPayment] = []
        self.entries: list[str] = []
        self.truth: list[set[str]] = []     # per entry (line_no - 1)
        self.balance = Decimal("1000000.00")
        self.mix: Counter[str] = Counter()
        self.kinds: list[str] = []   # per entry: the noise it was generated with
        self.current = ""

    def payment(self, *, amount: Decimal | None = None, name: str | None = None,
                ccy: str = "EUR", due: dt.date | None = None, bearer: str | None = "SHA",
                direction: str = "in") -> ExpectedPayment:
        i = len(self.pays) + 1
        plan, n = divmod(i, 100)
        ref = f"STX-2026-{plan:06d}-{n:02d}"
        pay = ExpectedPayment(
            instruction_id=f"I{i}", reference=ref, rf_reference=make_rf(f"2026{plan:06d}{n:02d}"),
            amount=Money(amount or Decimal(self.rng.randint(10000, 5000000)) / 100, ccy),
            direction=direction,
            due_date=due or START + dt.timedelta(days=self.rng.randint(0, 27)),
            counterparty_name=name or company(self.rng), charge_bearer=bearer)
        self.pays.append(pay)
        return pay

    def entry(self, amount: Decimal, truth: set[str], *, direction: str = "CRDT",
              value: dt.date, e2e: str | None = None, strd: str | None = None,
              ustrd: str | None = None, name: str | None = None,
              instd: tuple[str, str] | None = None, rate: str | None = None,
              charges: str | None = None) -> None:
        n = len(self.entries) + 1
        parts = [f"<Ntry><Amt Ccy=\"EUR\">{amount:.2f}</Amt><CdtDbtInd>{direction}</CdtDbtInd>"
                 f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{value}</Dt></BookgDt>"
                 f"<ValDt><Dt>{value}</Dt></ValDt><AcctSvcrRef>BNK{n:08d}</AcctSvcrRef>"
                 "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
                 "</Fmly></Domn></BkTxCd>"]
        parts.append("<NtryDtls><TxDtls>")
        parts.append(f"<Refs><EndToEndId>{e2e or 'NOTPROVIDED'}</EndToEndId></Refs>")
        if instd:
            parts.append(f"<AmtDtls><InstdAmt><Amt Ccy=\"{instd[1]}\">{instd[0]}</Amt></InstdAmt>"
                         f"<TxAmt><Amt Ccy=\"EUR\">{amount:.2f}</Amt><CcyXchg><SrcCcy>{instd[1]}"
                         f"</SrcCcy><XchgRate>{rate}</XchgRate></CcyXchg></TxAmt></AmtDtls>")
        if charges:
            parts.append(f"<Chrgs><Rcrd><Amt Ccy=\"EUR\">{charges}</Amt>"
                         "<CdtDbtInd>DBIT</CdtDbtInd></Rcrd></Chrgs>")
        if name:
            role = "Dbtr" if direction == "CRDT" else "Cdtr"
            parts.append(f"<RltdPties><{role}><Pty><Nm>{name}</Nm></Pty></{role}></RltdPties>")
        if ustrd or strd:
            parts.append("<RmtInf>")
            if ustrd:
                parts.append(f"<Ustrd>{ustrd}</Ustrd>")
            if strd:
                parts.append(f"<Strd><CdtrRefInf><Ref>{strd}</Ref></CdtrRefInf></Strd>")
            parts.append("</RmtInf>")
        parts.append("</TxDtls></NtryDtls></Ntry>")
        self.entries.append("".join(parts))
        self.truth.append(truth)
        self.kinds.append(self.current)
        self.balance += amount if direction == "CRDT" else -amount

    def value_of(self, pay: ExpectedPayment) -> dt.date:
        return pay.due_date + dt.timedelta(days=self.rng.randint(-2, 3))

    def build(self) -> None:
        r = self.rng
        while len(self.entries) < self.n_entries:
            x = r.random()
            self.current = ("exact_reference" if x < 0.50 else "mangled_reference" if x < 0.65
                            else "charges_deducted" if x < 0.73 else "amount_date_name"
                            if x < 0.80 else "grouped_one_line" if x < 0.83 else
                            "partial_payments" if x < 0.86 else "fx_receipt" if x < 0.89 else
                            "payout" if x < 0.93 else "decoy" if x < 0.97 else
                            "near_duplicate" if x < 0.99 else "rf_slip")
            if x < 0.50:      # exact reference in EndToEndId or the structured reference
                p = self.payment()
                where = r.random()
                self.entry(p.amount.amount, {p.instruction_id}, value=self.value_of(p),
                           e2e=p.reference if where < 0.5 else None,
                           strd=p.rf_reference if where >= 0.5 else None,
                           name=payer_variant(r, p.counterparty_name or ""))
                self.mix["exact_reference"] += 1
            elif x < 0.65:    # reference mangled in the free text
                p = self.payment()
                ref = mangle_human(r, p.reference) if r.random() < 0.6 else \
                    spaced_rf(r, p.rf_reference or "")
                self.entry(p.amount.amount, {p.instruction_id}, value=self.value_of(p),
                           ustrd=f"Invoice {r.randint(1000, 9999)} {ref} licence fee",
                           name=payer_variant(r, p.counterparty_name or ""))
                self.mix["mangled_reference"] += 1
            elif x < 0.73:    # SHA: charges deducted on the way, reference in text
                p = self.payment()
                fee = Decimal(r.choice([1000, 1500, 2000, 2500, 3500])) / 100
                stated = f"{fee:.2f}" if r.random() < 0.5 else None
                self.entry(p.amount.amount - fee, {p.instruction_id}, value=self.value_of(p),
                           ustrd=f"{mangle_human(r, p.reference)}", charges=stated,
                           name=payer_variant(r, p.counterparty_name or ""))
                self.mix["charges_deducted"] += 1
            elif x < 0.80:    # no reference: amount + value date + name
                p = self.payment()
                self.entry(p.amount.amount, {p.instruction_id}, value=self.value_of(p),
                           ustrd="payment as agreed",
                           name=payer_variant(r, p.counterparty_name or ""))
                self.mix["amount_date_name"] += 1
            elif x < 0.83:    # one payment for several instructions of one payer, no reference
                name = company(r)
                due = START + dt.timedelta(days=r.randint(0, 27))
                ps = [self.payment(name=name, due=due) for _ in range(r.randint(2, 3))]
                self.entry(sum(p.amount.amount for p in ps), {p.instruction_id for p in ps},
                           value=due + dt.timedelta(days=1), ustrd="several invoices",
                           name=payer_variant(r, name))
                self.mix["grouped_one_line"] += 1
            elif x < 0.86:    # two partial payments of one instruction, reference in text
                p = self.payment()
                first = (p.amount.amount * Decimal(r.randint(20, 80)) / 100).quantize(
                    Decimal("0.01"))
                for part in (first, p.amount.amount - first):
                    self.entry(part, {p.instruction_id}, value=self.value_of(p),
                               ustrd=f"part payment {mangle_human(r, p.reference)}",
                               name=payer_variant(r, p.counterparty_name or ""))
                self.mix["partial_payments"] += 2
            elif x < 0.89:    # FX receipt: USD instructed, EUR booked at the rate
                usd = Decimal(r.randint(10000, 2000000)) / 100
                p = self.payment(amount=usd, ccy="USD")
                rate = Decimal("0.9") + Decimal(r.randint(0, 500)) / 10000
                eur = (usd * rate).quantize(Decimal("0.01"))
                self.entry(eur, {p.instruction_id}, value=self.value_of(p),
                           e2e=p.reference if r.random() < 0.5 else None,
                           instd=(f"{usd:.2f}", "USD"), rate=str(rate),
                           name=payer_variant(r, p.counterparty_name or ""))
                self.mix["fx_receipt"] += 1
            elif x < 0.93:    # payouts we made, reference in EndToEndId
                p = self.payment(direction="out", bearer="OUR")
                self.entry(p.amount.amount, {p.instruction_id}, direction="DBIT",
                           value=self.value_of(p), e2e=p.reference,
                           name=p.counterparty_name)
                self.mix["payout"] += 1
            elif x < 0.97:    # decoys: money nobody announced
                text = f"REF {r.randint(10**8, 10**9)} misc"
                if r.random() < 0.25 and self.pays:
                    # a stranger's payment whose RF is one slip from one of ours: not ours
                    other = self.pays[r.randrange(len(self.pays))]
                    text = f"ref {spaced_rf(r, slip(r, other.rf_reference or ''))}"
                self.entry(Decimal(r.randint(100, 900000)) / 100, set(),
                           value=START + dt.timedelta(days=r.randint(0, 27)),
                           ustrd=text, name=company(r))
                self.mix["decoy"] += 1
            elif x < 0.99:    # near-duplicate instructions: only finance can tell them apart
                name = company(r)
                due = START + dt.timedelta(days=r.randint(0, 27))
                amount = Decimal(r.randint(10000, 500000)) / 100
                p = self.payment(name=name, due=due, amount=amount)
                self.payment(name=name, due=due, amount=amount)
                self.entry(amount, {p.instruction_id}, value=due, ustrd="invoice",
                           name=payer_variant(r, name))
                self.mix["near_duplicate"] += 1
            else:             # the RF typed with one slip in the free text
                p = self.payment()
                typed = slip(r, p.rf_reference or "")
                self.entry(p.amount.amount, {p.instruction_id}, value=self.value_of(p),
                           ustrd=f"ref {spaced_rf(r, typed)} licence",
                           name=payer_variant(r, p.counterparty_name or ""))
                self.mix["rf_slip"] += 1
        while len(self.pays) < self.n_expected:   # announced, not (yet) paid
            self.payment()

    def xml(self) -> bytes:
        closing = self.balance
        head = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
                "<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-04-01T06:00:00"
                "</CreDtTm></GrpHdr><Stmt><Id>BENCH-2026-03</Id>"
                "<CreDtTm>2026-04-01T06:00:00+01:00</CreDtTm>"
                f"<Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>")
        bal = ("<Bal><Tp><CdOrPrtry><Cd>{}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{:.2f}</Amt>"
               "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{}</Dt></Dt></Bal>")
        body = (bal.format("OPBD", Decimal("1000000.00"), "2026-02-28")
                + bal.format("CLBD", closing, "2026-03-31"))
        return (head + body + "\n" + "\n".join(self.entries)
                + "\n</Stmt></BkToCstmrStmt></Document>\n").encode()


UNDECIDABLE = ("near_duplicate",)  # must go to finance, by design


def load() -> str:
    """The 1-minute load average: the machine is shared, so wall times scale with it."""
    return f"{os.getloadavg()[0]:.2f}"


def score(db: Database, gen: Gen) -> tuple[float, float, float, Counter[str]]:
    with db.session() as s:
        rows = s.execute(select(StatementLineRecord.line_no, Match.instruction_id, Match.rule)
                         .join(Allocation, Allocation.line_id == StatementLineRecord.id)
                         .join(Match, Match.id == Allocation.match_id)).all()
    got = {(r.line_no - 1, r.instruction_id) for r in rows}
    wrong_rules: Counter[str] = Counter()
    for r in rows:
        if (r.instruction_id not in gen.truth[r.line_no - 1]):
            wrong_rules[r.rule] += 1
    truth = {(i, iid) for i, t in enumerate(gen.truth) for iid in t}
    correct = len(got & truth)
    decidable = {(i, iid) for i, iid in truth if gen.kinds[i] not in UNDECIDABLE}
    return ((correct / len(got) if got else 1.0), correct / len(truth),
            len(got & decidable) / len(decidable), wrong_rules)


def bench(name: str, url: str, gen: Gen, data: bytes) -> None:
    command.upgrade(alembic_config(url), "head")
    db = Database(url)
    with db.transaction() as s:
        register_bank_account(s, identifier=IBAN, currency="EUR", name="bench", at=NOW,
                              actor="bench")
    source = MemorySource(gen.pays)
    print(f"\n== {name}  (load average {load()})")
    t0, c0 = time.perf_counter(), time.process_time()
    with db.transaction() as s:
        result = import_statement(
            s, data, "camt053", at=NOW, actor="bench",
            progress=lambda m: print(f"{time.perf_counter() - t0:6.1f} s {m}")
            if "stored" not in m or "100000/" in m else None)
    t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
    print(f"import: {result.line_count} lines in {t_import:.1f} s (this process's CPU "
          f"{c_import:.1f} s)")
    t0, c0 = time.perf_counter(), time.process_time()
    with db.transaction() as s:
        summary = match_statements(s, source, at=NOW, actor="bench",
                                   progress=lambda m: print(f"{time.perf_counter() - t0:6.1f} s {m}"))
    t_match, c_match = time.perf_counter() - t0, time.process_time() - c0
    print(f"matching: {t_match:.1f} s (CPU {c_match:.1f} s); matched lines per rule "
          f"{dict(summary.by_rule)}; exceptions {dict(summary.exceptions)}")
    print(f"import + matching: {t_import + t_match:.1f} s wall, {c_import + c_match:.1f} s CPU "
          f"in this process (target < 30 s); load average now {load()}")
    t0 = time.perf_counter()
    with db.transaction() as s:
        posted = post_matches(s, source, at=NOW, actor="bench", batch=2000)
    t_post = time.perf_counter() - t0
    print(f"posting to the ledger (separate): {posted.transfers} transfers, "
          f"{posted.matches} matches in {t_post:.1f} s")
    precision, recall, decidable, wrong = score(db, gen)
    print(f"precision {precision:.4%} (target >= 99.9%), recall {recall:.4%} (target >= 98%); "
          f"recall over the entries a machine may decide (without {', '.join(UNDECIDABLE)}) "
          f"{decidable:.4%}" + (f"; wrong matches by rule {dict(wrong)}" if wrong else ""))
    db.engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--expected", type=int, default=None)
    ap.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    gen = Gen(args.entries, args.expected or args.entries)
    gen.build()
    data = gen.xml()
    print(f"generated {len(gen.entries)} entries, {len(gen.pays)} expected payments, "
          f"{len(data) / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s; mix {dict(gen.mix)}")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.db", gen, data)
    if args.only in (None, "postgresql"):
        server = PostgresServer().start()
        try:
            bench("PostgreSQL", server.create_database("bench"), gen, data)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
