"""Demo data for `make run`: sub-centres, organisations, users and known demo tokens.

Loading is idempotent: records are looked up by their natural keys and created only when
missing, so running it on every start changes nothing the second time.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.auth.models import ApiToken, User
from gateway.auth.service import create_user, hash_token
from kernel.audit import record_event
from kernel.parties import Organisation, SubCentre
from settlement.fx import load_demo_rates
from settlement.fx.store import store_rates

SUBCENTRES = [
    # code, zh, en, country, currency, locale, tz
    ("US", "美国分中心", "United States Sub-centre", "US", "USD", "en_US", "America/New_York"),
    ("CA", "加拿大分中心", "Canada Sub-centre", "CA", "CAD", "en_CA", "America/Toronto"),
    ("NL", "荷兰分中心", "Netherlands Sub-centre", "NL", "EUR", "nl_NL", "Europe/Amsterdam"),
    ("DK", "丹麦分中心", "Denmark Sub-centre", "DK", "DKK", "da_DK", "Europe/Copenhagen"),
    ("KR", "韩国分中心", "Korea Sub-centre", "KR", "KRW", "ko_KR", "Asia/Seoul"),
    ("HK", "香港办事处", "Hong Kong Office", "HK", "HKD", "zh_HK", "Asia/Hong_Kong"),
    ("GBA", "粤港澳大湾区中心", "Greater Bay Area Centre", "CN", "CNY", "zh_CN", "Asia/Shanghai"),
]

ORGANISATIONS = [
    # legal name, latin, country, type, tax residency, sub-centre code
    ("Massachusetts Photonics Institute", "Massachusetts Photonics Institute", "US", "research_institute", "US", "US"),
    ("Aarhus BioMaterials ApS", "Aarhus BioMaterials ApS", "DK", "company", "DK", "DK"),
    ("Delft Water Technologies B.V.", "Delft Water Technologies B.V.", "NL", "company", "NL", "NL"),
    ("한빛반도체 주식회사", "Hanbit Semiconductor Co., Ltd.", "KR", "company", "KR", "KR"),
    ("深圳智造科技有限公司", "Shenzhen Zhizao Technology Co., Ltd.", "CN", "company", "CN", "GBA"),
    ("华南理工大学", "South China University of Technology", "CN", "university", "CN", "GBA"),
]

DEMO_PASSWORD = "demo-password-2026"

# (email, name, role, sub-centre, organisation latin name, demo token)
USERS = [
    ("admin@demo.example", "Demo Admin", "admin", None, None, "tt_demo_admin_token_0000000000000001"),
    ("staff.us@demo.example", "US Staff", "subcentre_staff", "US", None, "tt_demo_staff_us_token_00000000000002"),
    ("staff.dk@demo.example", "DK Staff", "subcentre_staff", "DK", None, "tt_demo_staff_dk_token_00000000000003"),
    ("buyer@demo.example", "Shenzhen Buyer", "buyer", None, "Shenzhen Zhizao Technology Co., Ltd.",
     "tt_demo_buyer_token_000000000000004"),
    ("buyer2@demo.example", "SCUT Buyer", "buyer", None, "South China University of Technology",
     "tt_demo_buyer2_token_00000000000005"),
    ("seller@demo.example", "MPI Seller", "seller", None, "Massachusetts Photonics Institute",
     "tt_demo_seller_token_00000000000006"),
    ("finance@demo.example", "Finance Desk", "finance", None, None, "tt_demo_finance_token_0000000000007"),
    ("compliance@demo.example", "Compliance Officer", "compliance_officer", None, None,
     "tt_demo_compliance_token_00000000008"),
]


def load_demo(session: Session, now: dt.datetime, progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Create whatever demo records are missing; return how many of each were created."""
    created = {"sub_centres": 0, "organisations": 0, "users": 0, "tokens": 0}
    actor = "system:demo"
    codes: dict[str, int] = {}
    for code, zh, en, country, ccy, locale, tz in SUBCENTRES:
        sc = session.execute(select(SubCentre).where(SubCentre.code == code)).scalar_one_or_none()
        if sc is None:
            sc = SubCentre(code=code, name_zh=zh, name_en=en, country=country, home_currency=ccy,
                           locale=locale, timezone=tz, active=True)
            session.add(sc)
            session.flush()
            record_event(session, actor=actor, action="subcentre.created", entity_type="sub_centre",
                         entity_id=sc.id, at=now, after={"code": code})
            created["sub_centres"] += 1
        codes[code] = sc.id
    progress(f"sub-centres: {len(codes)}")
    orgs: dict[str, int] = {}
    for name, latin, country, kind, tax, sc_code in ORGANISATIONS:
        org = session.execute(select(Organisation).where(Organisation.legal_name_latin == latin)).scalar_one_or_none()
        if org is None:
            org = Organisation(legal_name=name, legal_name_latin=latin, country=country, org_type=kind,
                               tax_residency=tax, subcentre_id=codes[sc_code], created_at=now)
            session.add(org)
            session.flush()
            record_event(session, actor=actor, action="organisation.created", entity_type="organisation",
                         entity_id=org.id, at=now, after={"country": country, "org_type": kind})
            created["organisations"] += 1
        orgs[latin] = org.id
    progress(f"organisations: {len(orgs)}")
    for email, name, role, sc_code, org_name, token in USERS:
        user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = create_user(session, email=email, password=DEMO_PASSWORD, role=role, display_name=name,
                               now=now, actor=actor, subcentre_code=sc_code,
                               organisation_id=orgs[org_name] if org_name else None)
            created["users"] += 1
        if session.execute(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))).first() is None:
            session.add(ApiToken(user_id=user.id, name="demo", token_hash=hash_token(token), prefix=token[:10],
                                 created_at=now, expires_at=now + dt.timedelta(days=3650)))
            created["tokens"] += 1
    progress(f"users: {len(USERS)}")
    created["fx_rates"] = store_rates(session, load_demo_rates(), now=now, actor=actor).inserted
    progress("fx rates: offline demo file")
    from compliance.export_control.catalogue import parse_catalogue_csv
    from compliance.export_control.service import load_catalogue

    data_dir = Path(__file__).resolve().parent.parent / "compliance" / "export_control" / "data"
    for direction in ("export", "import"):
        data = (data_dir / f"{direction}-catalogue-subset.csv").read_bytes()
        _cat, outcome = load_catalogue(session, parse_catalogue_csv(data, direction), now, actor)
        created[f"{direction}_catalogue"] = int(outcome == "loaded")
        progress(f"{direction} catalogue: demo subset")
    from gateway.demo_listings import load_demo_listings

    created["listings"] = load_demo_listings(session, now)
    progress("listings: published demo listings")
    return created
