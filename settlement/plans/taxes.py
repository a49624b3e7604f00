"""Taxes on payments to non-residents, as data with their sources, and the arithmetic.

Rules (FORMATS.md, from secondary sources: keep them as data and check the primary texts
before relying on a rate):

- Withholding enterprise income tax on royalties and licence fees paid to a non-resident
  enterprise: 10% of the VAT-exclusive gross (Enterprise Income Tax Law art. 3, 4 and 27;
  Implementation Regulations art. 91 lower the statutory 20% to 10%; the base excludes VAT
  under SAT Announcement 2017 No. 37), unless a tax treaty gives a lower rate AND the payee
  has shown treaty residency (SAT Announcement 2019 No. 35: the payee keeps the proof and the
  withholding agent collects the form). Income from an assignment (transfer of property) is
  withheld at the statutory 10% without a treaty reduction here: treaty capital-gains
  articles need case-by-case review. Technology services performed abroad carry none.
- VAT: 6% on technology services and on licences / assignments of technology (Caishui 2016
  No. 36); technology transfer and development contracts certified by the science and
  technology authorities are exempt (same circular, annex 3). The contract price is taken to
  include VAT, so VAT = price - price / 1.06, withheld by the domestic payer on the
  non-resident's behalf.

``TREATY_ROYALTY_RATES`` holds the cap each treaty's royalties article puts on tax in China
for royalties for patents, know-how and copyrights (not the lower "adjusted amount" rates
some treaties give for equipment rentals). Sources: the treaty texts as published by the SAT
(国家税务总局, 税收条约), cross-checked against a secondary table (lowtax.net, "China: table of
treaty rates", TreatyPro) in November 2026:

- US 10%: China-US agreement 1984, art. 11 (equipment: 10% of 70%).
- CA 10%: China-Canada agreement 1986, art. 12.
- NL 10%: China-Netherlands agreement 2013, art. 12 (equipment: 10% of 60%).
- DK 10%: China-Denmark agreement 2012, art. 12 (equipment: 10% of 70%).
- KR 10%: China-Korea agreement 1994, art. 12.
- JP 10%: China-Japan agreement 1983, art. 12.
- GB 10%: China-UK agreement 2011, art. 12 (equipment: 10% of 60%).
- KW 10%: China-Kuwait agreement 1989, art. 12.
- HK 7%: Mainland-Hong Kong arrangement 2006, art. 12 as amended by the second protocol
  (2008).

For most partners the treaty cap equals the statutory 10%, so proof of residency changes the
figure only for Hong Kong (7%) among these; the rule text still names the treaty.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from moneyed import Money

from kernel.money import from_minor, quantize, to_minor

from .fees import percent
from .terms import TransactionType

STATUTORY_WITHHOLDING_RATE = Decimal("0.10")
VAT_RATE = Decimal("0.06")

TREATY_ROYALTY_RATES: dict[str, tuple[Decimal, str]] = {
    "US": (Decimal("0.10"), "China-US tax agreement (1984) art. 11"),
    "CA": (Decimal("0.10"), "China-Canada tax agreement (1986) art. 12"),
    "NL": (Decimal("0.10"), "China-Netherlands tax agreement (2013) art. 12"),
    "DK": (Decimal("0.10"), "China-Denmark tax agreement (2012) art. 12"),
    "KR": (Decimal("0.10"), "China-Korea tax agreement (1994) art. 12"),
    "JP": (Decimal("0.10"), "China-Japan tax agreement (1983) art. 12"),
    "GB": (Decimal("0.10"), "China-UK tax agreement (2011) art. 12"),
    "KW": (Decimal("0.10"), "China-Kuwait tax agreement (1989) art. 12"),
    "HK": (Decimal("0.07"), "Mainland-Hong Kong arrangement (2006) art. 12, second protocol"),
}

#: transaction types whose VAT a certification exempts
CERTIFIABLE = frozenset({TransactionType.LICENCE, TransactionType.ASSIGNMENT,
                         TransactionType.DEVELOPMENT})


@dataclass(frozen=True)
class TaxRule:
    """A tax that applies, at ``rate``, and the words that say why."""

    kind: str  # "withholding" or "vat"
    rate: Decimal
    text: str


def withholding_rule(transaction_type: TransactionType, payee_residency: str, *,
                     treaty_proven: bool, home_country: str = "CN") -> TaxRule | None:
    """The withholding income tax rule for a payment to ``payee_residency``, or None."""
    if payee_residency == home_country:
        return None
    if transaction_type is TransactionType.LICENCE:
        treaty = TREATY_ROYALTY_RATES.get(payee_residency)
        if treaty is not None and treaty_proven and treaty[0] <= STATUTORY_WITHHOLDING_RATE:
            return TaxRule("withholding", treaty[0],
                           f"withholding income tax on royalties {percent(treaty[0])}%: treaty "
                           f"rate, {treaty[1]}, payee's {payee_residency} residency shown")
        why = ("no treaty residency shown" if treaty is not None and not treaty_proven
               else "no treaty rate on file" if treaty is None else "treaty rate not lower")
        return TaxRule("withholding", STATUTORY_WITHHOLDING_RATE,
                       f"withholding income tax on royalties "
                       f"{percent(STATUTORY_WITHHOLDING_RATE)}%: statutory rate ({why})")
    if transaction_type is TransactionType.ASSIGNMENT:
        return TaxRule("withholding", STATUTORY_WITHHOLDING_RATE,
                       f"withholding income tax on property transfer income "
                       f"{percent(STATUTORY_WITHHOLDING_RATE)}%: statutory rate, no treaty "
                       f"reduction applied")
    return None


def vat_rule(transaction_type: TransactionType, payee_residency: str, *, certified: bool,
             home_country: str = "CN") -> TaxRule | None:
    """The VAT withheld on a payment to a non-resident, or None (resident payee, or exempt)."""
    if payee_residency == home_country:
        return None
    if certified and transaction_type in CERTIFIABLE:
        return TaxRule("vat", Decimal(0), "VAT exempt: certified technology transfer / "
                                          "development contract")
    return TaxRule("vat", VAT_RATE,
                   f"VAT {percent(VAT_RATE)}% on {str(transaction_type).replace('_', ' ')}, "
                   f"included in the price (price / 1.06 x 6%)")


@dataclass(frozen=True)
class TaxFigures:
    """What the taxes take from one gross payment (all in the gross's currency)."""

    vat: Money
    withholding: Money
    base: Money  # the VAT-exclusive amount withholding is computed on


def compute_taxes(gross: Money, vat: TaxRule | None, withholding: TaxRule | None) -> TaxFigures:
    """VAT out of a VAT-inclusive ``gross`` (base = gross / (1 + rate), rounded half-even to
    the minor unit; VAT = gross - base), then withholding = base x rate (half-even)."""
    ccy = gross.currency.code
    if vat is not None and vat.rate > 0:
        base = quantize(gross.amount / (1 + vat.rate), ccy, ROUND_HALF_EVEN)
    else:
        base = gross
    vat_amount = from_minor(to_minor(gross) - to_minor(base), ccy)
    wht = (quantize(base.amount * withholding.rate, ccy, ROUND_HALF_EVEN)
           if withholding is not None else from_minor(0, ccy))
    return TaxFigures(vat_amount, wht, base)
