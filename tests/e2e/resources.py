"""Tenants and the resources they own, keyed by the URL parameter that names them.

The access matrix (test_access_matrix.py) and Schemathesis (test_schemathesis.py) fill route
parameters from here: for ``/organisations/<int:org_id>`` the ``org_id`` factory gives the id of
an organisation a given tenant owns, and the scopes that may reach it. A new area whose routes
take a new parameter (``listing_id``, ``bid_id``, ``deal_id``, ``instruction_id``...) registers
a factory with ``@resource("listing_id", ...)``; the matrix fails naming any route parameter
without one, so no route goes untested.

Scopes are plain strings: ``user:<id>``, ``org:<id>``, ``subcentre:<id>``. A caller reaches a
resource when their scopes meet the resource's, when their role is one of the kind's
``global_roles`` (admin, finance and compliance see every organisation), or when the kind is
``shared`` reference data (sub-centres).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select

from kernel.db import Database

GLOBAL_READERS = frozenset({"admin", "finance", "compliance_officer"})


@dataclass
class Tenancy:
    """Everyone the matrix signs in as, with their role and scopes, over one database."""

    db: Database
    now: dt.datetime
    parties: dict[str, Any]
    users: dict[str, dict[str, Any]]  # key -> {"id", "headers", "role", "subcentre_id", "organisation_id"}
    cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    def scopes(self, key: str) -> set[str]:
        u = self.users[key]
        out = {f"user:{u['id']}"}
        if u.get("organisation_id"):
            out.add(f"org:{u['organisation_id']}")
        if u.get("subcentre_id"):
            out.add(f"subcentre:{u['subcentre_id']}")
        return out

    def role(self, key: str) -> str:
        return self.users[key]["role"]


@dataclass(frozen=True)
class Owned:
    """A resource made for a tenant: the value for the URL, and the scopes that may reach it."""

    value: Any
    scopes: frozenset[str]


@dataclass(frozen=True)
class ResourceKind:
    param: str
    make: Callable[[Tenancy, str], Owned | None]  # None: this tenant owns no such thing
    global_roles: frozenset[str] = GLOBAL_READERS
    shared: bool = False  # reference data everyone signed in may read

    def owned_by(self, ctx: Tenancy, tenant: str) -> Owned | None:
        key = (self.param, tenant)
        if key not in ctx.cache:
            ctx.cache[key] = self.make(ctx, tenant)
        return ctx.cache[key]

    def reachable(self, ctx: Tenancy, caller: str, owned: Owned) -> bool:
        return (self.shared or ctx.role(caller) in self.global_roles
                or bool(ctx.scopes(caller) & owned.scopes))


RESOURCES: dict[str, ResourceKind] = {}


def resource(param: str, *, global_roles: frozenset[str] = GLOBAL_READERS,
             shared: bool = False) -> Callable[[Callable[[Tenancy, str], Owned | None]], Any]:
    def register(make: Callable[[Tenancy, str], Owned | None]) -> Any:
        RESOURCES[param] = ResourceKind(param, make, global_roles, shared)
        return make

    return register


# -- the parties ------------------------------------------------------------------------------

def _org_scopes(ctx: Tenancy, org_id: int) -> frozenset[str]:
    from kernel.parties import Organisation

    with ctx.db.session() as s:
        sc = s.get(Organisation, org_id).subcentre_id
    return frozenset({f"org:{org_id}"} | ({f"subcentre:{sc}"} if sc else set()))


def tenant_organisation(ctx: Tenancy, tenant: str) -> int | None:
    """The organisation a tenant acts for: their own (buyers, sellers), or for staff one their
    sub-centre represents; None for roles with no tenancy."""
    from kernel.parties import Organisation

    u = ctx.users[tenant]
    if u.get("organisation_id"):
        return u["organisation_id"]
    if u.get("subcentre_id"):
        with ctx.db.session() as s:
            return s.execute(select(Organisation.id).where(
                Organisation.subcentre_id == u["subcentre_id"]).order_by(Organisation.id)
                .limit(1)).scalar_one_or_none()
    return None


@resource("org_id")
def _organisation(ctx: Tenancy, tenant: str) -> Owned | None:
    org_id = tenant_organisation(ctx, tenant)
    return None if org_id is None else Owned(org_id, _org_scopes(ctx, org_id))


@resource("code", shared=True)
def _subcentre(ctx: Tenancy, tenant: str) -> Owned | None:
    from kernel.parties import SubCentre

    sc_id = ctx.users[tenant].get("subcentre_id")
    if sc_id is None:
        return None
    with ctx.db.session() as s:
        return Owned(s.get(SubCentre, sc_id).code, frozenset({f"subcentre:{sc_id}"}))


# -- auth ---------------------------------------------------------------------------------------

@resource("token_id", global_roles=frozenset({"admin"}))
def _token(ctx: Tenancy, tenant: str) -> Owned | None:
    from gateway.auth.models import ApiToken

    uid = ctx.users[tenant]["id"]
    with ctx.db.session() as s:
        tid = s.execute(select(ApiToken.id).where(ApiToken.user_id == uid)
                        .order_by(ApiToken.id).limit(1)).scalar_one()
    return Owned(tid, frozenset({f"user:{uid}"}))


# -- compliance ---------------------------------------------------------------------------------

@resource("case_id", global_roles=frozenset({"admin", "compliance_officer"}))
def _case(ctx: Tenancy, tenant: str) -> Owned | None:
    """An open review case about an organisation beside the tenant's (officers decide; nobody
    else reads). A separate organisation, so that the case does not stop the tenant's own
    organisation from trading in the other factories."""
    from compliance.cases.service import open_structuring_case
    from kernel.parties import Organisation

    org_id = tenant_organisation(ctx, tenant)
    if org_id is None:
        return None
    with ctx.db.transaction() as s:
        mine = s.get(Organisation, org_id)
        other = Organisation(legal_name=f"Reviewed party of {tenant}", legal_name_latin=f"Reviewed party of {tenant}",
                             country=mine.country, org_type="company", tax_residency=mine.tax_residency,
                             subcentre_id=mine.subcentre_id, created_at=ctx.now)
        s.add(other)
        s.flush()
        case = open_structuring_case(s, other, "matrix test case", {"payments": []}, ctx.now, "test")
        case_id = case.id
    return Owned(case_id, _org_scopes(ctx, org_id))


# -- listings -----------------------------------------------------------------------------------

def _listing_of(ctx: Tenancy, tenant: str) -> tuple[int, int, frozenset[str]] | None:
    """A draft filed by the tenant's sub-centre for an organisation it represents: (listing id,
    asset id, scopes). Buyers and roles without a sub-centre behind them own none."""
    from gateway.listings import service
    from kernel.parties import Organisation
    from tests.support.listings import Staff, draft_data

    key = ("_listing", tenant)
    if key not in ctx.cache:
        u = ctx.users[tenant]
        org_id = tenant_organisation(ctx, tenant) if u["role"] in ("subcentre_staff", "seller") else None
        found = None
        if org_id is not None:
            with ctx.db.transaction() as s:
                sc = u.get("subcentre_id") or s.get(Organisation, org_id).subcentre_id
                if sc is not None:
                    staff = Staff(sc)
                    listing = service.create_listing(s, draft_data(org_id), subcentre_id=sc,
                                                     actor=staff, now=ctx.now)
                    asset = service.add_asset(s, listing, {
                        "kind": "patent", "title": "Matrix patent", "jurisdiction": "US",
                        "number": f"US{9000000 + listing.id}B2", "status": "granted",
                        "expires_on": dt.date(2036, 1, 1)}, staff, ctx.now)
                    found = (listing.id, asset.id, frozenset({f"subcentre:{sc}", f"org:{org_id}"}))
        ctx.cache[key] = found
    return ctx.cache[key]


@resource("listing_id", global_roles=frozenset({"admin", "compliance_officer"}))
def _listing(ctx: Tenancy, tenant: str) -> Owned | None:
    found = _listing_of(ctx, tenant)
    return None if found is None else Owned(found[0], found[2])


@resource("asset_id", global_roles=frozenset({"admin", "compliance_officer"}))
def _asset(ctx: Tenancy, tenant: str) -> Owned | None:
    found = _listing_of(ctx, tenant)
    return None if found is None else Owned(found[1], found[2])


@resource("action", shared=True)
def _action(ctx: Tenancy, tenant: str) -> Owned | None:
    """The transition a route names (a draft's first step)."""
    return Owned("submit", frozenset())


# -- settlement plans ---------------------------------------------------------------------------

def _plan_of(ctx: Tenancy, tenant: str) -> tuple[int, str, int, frozenset[str]] | None:
    """A plan whose buyer is the tenant's organisation and whose seller is a fresh organisation
    no one else represents: (plan id, deal ref, first instruction id, scopes)."""
    from decimal import Decimal

    from moneyed import Money

    from kernel.parties import Organisation
    from settlement.fx import load_demo_rates
    from settlement.fx.models import FxRate
    from settlement.fx.store import store_rates
    from settlement.plans import PlanConfig, create_plan
    from settlement.plans.terms import (
        DealTerms, Direction, RatePolicy, RoyaltyPeriod, RoyaltyTerms, Schedule, TransactionType,
    )

    key = ("_plan", tenant)
    if key not in ctx.cache:
        org_id = tenant_organisation(ctx, tenant)
        found = None
        if org_id is not None:
            with ctx.db.transaction() as s:
                if not s.execute(select(FxRate.id).limit(1)).first():  # tax figures are kept in CNY too
                    store_rates(s, load_demo_rates(), now=ctx.now, actor="test")
                seller = Organisation(legal_name=f"Counterparty of {tenant}", legal_name_latin=f"Counterparty of {tenant}",
                                      country="US", org_type="company", tax_residency="US",
                                      subcentre_id=None, created_at=ctx.now)
                s.add(seller)
                s.flush()
                sc = s.get(Organisation, org_id).subcentre_id
                usd = Money("10000.00", "USD")
                plan = create_plan(s, DealTerms(
                    deal_id=900 + org_id, deal_ref=f"D-MATRIX-{tenant}", contract_ref=f"C-MATRIX-{tenant}",
                    direction=Direction.INBOUND, buyer_org_id=org_id, seller_org_id=seller.id,
                    subcentre_id=sc, contract_currency="USD", payin_currency="USD", payout_currency="USD",
                    price=usd, schedule=Schedule(
                        upfront=usd, upfront_due_on=ctx.now.date(),
                        royalty=RoyaltyTerms(Decimal("0.05"), RoyaltyPeriod.QUARTER, ROYALTY_START)),
                    transaction_type=TransactionType.LICENCE, rate_policy=RatePolicy.LOCK,
                    payee_tax_residency="US"), now=ctx.now, actor="test",
                    config=PlanConfig(spread_bps=Decimal(30), max_staleness_business_days=3))
                scopes = {f"org:{org_id}", f"org:{seller.id}"} | ({f"subcentre:{sc}"} if sc else set())
                found = (plan.id, plan.deal_ref, plan.instructions[0].id, frozenset(scopes))
        ctx.cache[key] = found
    return ctx.cache[key]


PLAN_READERS = frozenset({"admin", "finance"})
ROYALTY_START = dt.date(2026, 7, 1)
#: bodies for write routes whose valid values Schemathesis cannot guess (a royalty period must
#: be one of the plan's quarters)
EXAMPLE_BODIES = {
    ("POST", "/api/v1/settlement/plans/<int:plan_id>/royalty-reports"): {
        "period_start": "2026-07-01", "period_end": "2026-09-30",
        "net_sales": {"amount": "1000.00", "currency": "USD"}},
    # trading steps whose turn or state Schemathesis cannot arrange
    ("POST", "/api/v1/deals/<int:deal_id>/contract"): {"signed_on": "2026-11-23"},
    ("POST", "/api/v1/negotiations/<int:negotiation_id>/contract"): {"signed_on": "2026-11-23"},
    ("POST", "/api/v1/negotiations/<int:negotiation_id>/offers"): {
        "amount": {"amount": "150000.00", "currency": "USD"}, "terms": {}},
    # buyers pass on published listings only; the matrix's listings are drafts
    ("POST", "/api/v1/listings/<int:listing_id>/passes"): {"reason": "price"},
    ("POST", "/api/v1/demands/<int:demand_id>/close"): {"reason": "found elsewhere"},
}


@resource("plan_id", global_roles=PLAN_READERS)
def _plan(ctx: Tenancy, tenant: str) -> Owned | None:
    found = _plan_of(ctx, tenant)
    return None if found is None else Owned(found[0], found[3])


@resource("deal_ref", global_roles=PLAN_READERS)
def _deal_ref(ctx: Tenancy, tenant: str) -> Owned | None:
    found = _plan_of(ctx, tenant)
    return None if found is None else Owned(found[1], found[3])


@resource("instruction_id", global_roles=PLAN_READERS)
def _instruction(ctx: Tenancy, tenant: str) -> Owned | None:
    found = _plan_of(ctx, tenant)
    return None if found is None else Owned(found[2], found[3])


# -- reconciliation (finance's own work: no tenant reaches it) ----------------------------------

FINANCE = frozenset({"admin", "finance"})


def _reconciliation(ctx: Tenancy) -> tuple[int, int]:
    """One imported statement: a line matched to an expected payment by its reference, and a
    line nobody expected (an exception). (exception id, match id)."""
    from kernel.clock import FrozenClock
    from settlement.reconciliation.importer import register_bank_account
    from settlement.reconciliation.models import Match, ReconException
    from tests.integration.reconciliation_fixtures import IBAN, entry, load, run
    from tests.support.reconciliation import MemorySource, expected, human_ref

    key = ("_recon", "*")
    if key not in ctx.cache:
        clock = FrozenClock(ctx.now)
        with ctx.db.transaction() as s:
            register_bank_account(s, identifier=IBAN, currency="EUR", name="Main EUR", at=ctx.now,
                                  actor="test")
        load(ctx.db, clock, entry("100.00", ref="M1", e2e=human_ref(1, 1)),
             entry("55.00", ref="M2"), opening="1000.00")
        run(ctx.db, clock, MemorySource([expected(1, "100.00")]))
        with ctx.db.session() as s:
            exc = s.execute(select(ReconException.id).order_by(ReconException.id)).scalars().first()
            match = s.execute(select(Match.id).order_by(Match.id)).scalars().first()
        ctx.cache[key] = (exc, match)
    return ctx.cache[key]


@resource("exception_id", global_roles=FINANCE)
def _exception(ctx: Tenancy, tenant: str) -> Owned | None:
    return Owned(_reconciliation(ctx)[0], frozenset())


@resource("match_id", global_roles=FINANCE)
def _match(ctx: Tenancy, tenant: str) -> Owned | None:
    return Owned(_reconciliation(ctx)[1], frozenset())


@resource("classification_id", global_roles=frozenset({"admin", "compliance_officer"}))
def _classification(ctx: Tenancy, tenant: str) -> Owned | None:
    """A pending classification of the tenant's listing (officers decide)."""
    from compliance.export_control.errors import NoActiveCatalogue
    from compliance.export_control.service import SubjectRef, active_catalogue, request_classification
    from tests.support.compliance import load_demo_catalogue

    found = _listing_of(ctx, tenant)
    if found is None:
        return None
    with ctx.db.transaction() as s:
        try:
            active_catalogue(s, "export")
        except NoActiveCatalogue:
            load_demo_catalogue(s, ctx.now)
        row = request_classification(s, SubjectRef("listing", str(found[0])), "export",
                                     "matrix listing", ctx.now, "test")
        return Owned(row.id, found[2])


# -- trading --------------------------------------------------------------------------------------

OVERSIGHT = frozenset({"admin", "finance", "compliance_officer"})


def _buyer_org(ctx: Tenancy, tenant: str) -> int | None:
    """The organisation a buyer tenant trades for (screened, as trading requires)."""
    from compliance.screening.service import screen_party
    from kernel.parties import Organisation

    u = ctx.users[tenant]
    if u["role"] != "buyer":
        return None
    key = ("_screened", tenant)
    if key not in ctx.cache:
        with ctx.db.transaction() as s:
            screen_party(s, s.get(Organisation, u["organisation_id"]), "matrix", ctx.now, "test")
        ctx.cache[key] = True
    return u["organisation_id"]


def _trading_seller(ctx: Tenancy) -> int:
    """A seller of the US sub-centre kept apart from the other factories (whose review cases
    about the tenants' organisations would stop its listings from being published)."""
    from kernel.parties import Organisation

    key = ("_trading_seller", "*")
    if key not in ctx.cache:
        with ctx.db.transaction() as s:
            org = Organisation(legal_name="Matrix Optics Inc.", legal_name_latin="Matrix Optics Inc.",
                               country="US", org_type="company", tax_residency="US",
                               subcentre_id=ctx.parties["us"], created_at=ctx.now)
            s.add(org)
            s.flush()
            ctx.cache[key] = org.id
    return ctx.cache[key]


def _published(ctx: Tenancy, key: str, mode: str) -> int:
    """One published listing of the US sub-centre in a pricing mode (made once per matrix)."""
    from tests.support.trading import published_listing

    cache_key = ("_published", key)
    if cache_key not in ctx.cache:
        parties = {**ctx.parties, "seller_us": _trading_seller(ctx)}
        with ctx.db.transaction() as s:
            ctx.cache[cache_key] = published_listing(s, parties, ctx.now, mode).id
    return ctx.cache[cache_key]


def _seller_side(ctx: Tenancy) -> frozenset[str]:
    return frozenset({f"org:{_trading_seller(ctx)}", f"subcentre:{ctx.parties['us']}"})


@resource("auction_id", shared=True)
def _auction(ctx: Tenancy, tenant: str) -> Owned | None:
    """A public auction (everyone signed in may look; only buyers register and bid)."""
    from moneyed import Money

    from gateway.listings.models import Listing
    from gateway.trading import auctions

    key = ("_auction", "*")
    if key not in ctx.cache:
        listing_id = _published(ctx, "auction", "auction")
        with ctx.db.transaction() as s:
            ctx.cache[key] = auctions.create_auction(
                s, s.get(Listing, listing_id), starts_at=ctx.now, ends_at=ctx.now + dt.timedelta(days=1),
                increment=Money("1000.00", "USD"), deposit=Money("10000.00", "USD"), now=ctx.now,
                actor="test").id
    return Owned(ctx.cache[key], _seller_side(ctx))


@resource("notice_id", shared=True)
def _notice(ctx: Tenancy, tenant: str) -> Owned | None:
    """A public fixed-price notice."""
    from moneyed import Money

    from gateway.listings.models import Listing
    from gateway.trading import fixed_price

    key = ("_notice", "*")
    if key not in ctx.cache:
        listing_id = _published(ctx, "fixed", "fixed_price")
        with ctx.db.transaction() as s:
            ctx.cache[key] = fixed_price.open_notice(
                s, s.get(Listing, listing_id), deposit=Money("10000.00", "USD"),
                increment=Money("1000.00", "USD"), now=ctx.now, actor="test").id
    return Owned(ctx.cache[key], _seller_side(ctx))


@resource("negotiation_id", global_roles=OVERSIGHT)
def _negotiation(ctx: Tenancy, tenant: str) -> Owned | None:
    """The buyer tenant's negotiation on the shared negotiated listing."""
    from gateway.trading import negotiation

    org = _buyer_org(ctx, tenant)
    if org is None:
        return None
    listing_id = _published(ctx, "negotiated", "negotiated")
    with ctx.db.transaction() as s:
        n = negotiation.register_interest(s, listing_id, org, now=ctx.now, actor="test")
        return Owned(n.id, _seller_side(ctx) | {f"org:{org}"})


@resource("deal_id", global_roles=OVERSIGHT)
def _deal(ctx: Tenancy, tenant: str) -> Owned | None:
    """A deal the buyer tenant struck by negotiation on a listing of its own."""
    from moneyed import Money

    from gateway.trading import negotiation

    org = _buyer_org(ctx, tenant)
    if org is None:
        return None
    listing_id = _published(ctx, f"deal-{tenant}", "negotiated")
    with ctx.db.transaction() as s:
        n = negotiation.register_interest(s, listing_id, org, now=ctx.now, actor="test", notice_days=0)
        negotiation.make_offer(s, n.id, "seller", Money("200000.00", "USD"), {}, now=ctx.now, actor="test")
        negotiation.accept(s, n.id, "buyer", now=ctx.now, actor="test")
        negotiation.sign_contract(s, n.id, ctx.now.date(), now=ctx.now, actor="test")
        return Owned(n.deal_id, _seller_side(ctx) | {f"org:{org}"})


@resource("demand_id", global_roles=OVERSIGHT | {"subcentre_staff"})
def _demand(ctx: Tenancy, tenant: str) -> Owned | None:
    """A buyer's technology demand (every sub-centre's staff may read demands)."""
    from gateway.trading import matching

    org = _buyer_org(ctx, tenant)
    if org is None:
        return None
    with ctx.db.transaction() as s:
        d = matching.create_demand(s, org, {"direction": "inbound", "title": "图像识别技术 image recognition",
                                            "trl_min": 4}, now=ctx.now, actor="test")
        return Owned(d.id, frozenset({f"org:{org}"}))
