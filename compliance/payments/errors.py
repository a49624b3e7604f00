"""Errors of the payment rules."""
from __future__ import annotations

from kernel.errors import Conflict, InvalidInput


class PaymentCheckInvalid(InvalidInput):
    """A payment check with impossible values (non-positive amounts, unknown kind...)."""

    code = "payment_check_invalid"


class TaxFilingExists(Conflict):
    """The contract has a tax filing record already (one per contract covers its payments)."""

    code = "tax_filing_exists"
