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
    """An open review case about the tenant's organisation (officers decide; nobody else reads)."""
    from compliance.cases.service import open_structuring_case
    from kernel.parties import Organisation

    org_id = tenant_organisation(ctx, tenant)
    if org_id is None:
        return None
    with ctx.db.transaction() as s:
        case = open_structuring_case(s, s.get(Organisation, org_id), "matrix test case",
                                     {"payments": []}, ctx.now, "test")
        case_id = case.id
    return Owned(case_id, _org_scopes(ctx, org_id))
