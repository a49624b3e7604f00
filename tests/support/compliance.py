"""Small lists, parties and set-ups the compliance tests share."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from compliance.export_control.catalogue import parse_catalogue_csv
from compliance.export_control.service import load_catalogue
from compliance.screening import parse_generic_csv
from compliance.screening.service import load_list
from kernel.parties import Organisation

DEMO_CATALOGUE = (Path(__file__).resolve().parents[2] / "compliance" / "export_control" / "data"
                  / "export-catalogue-subset.csv")

HEADER = "id,name,aliases,entity_type,country,programs\n"
WATCH_V1 = HEADER + (
    "UEL-1,Huawei Technologies Co. Ltd.,华为技术有限公司,entity,CN,Entity List\n"
    "UEL-2,Rosoboronexport JSC,Рособоронэкспорт,entity,RU,Entity List\n"
    "UEL-3,Nordic Drone Systems ApS,,entity,DK,internal watch\n"
)
# v2: UEL-2 gains an alias (its content changes), UEL-4 is new, UEL-1 and UEL-3 unchanged
WATCH_V2 = HEADER + (
    "UEL-1,Huawei Technologies Co. Ltd.,华为技术有限公司,entity,CN,Entity List\n"
    "UEL-2,Rosoboronexport JSC,Рособоронэкспорт|Rosoboron Export,entity,RU,Entity List\n"
    "UEL-3,Nordic Drone Systems ApS,,entity,DK,internal watch\n"
    "UEL-4,Kestrel Photonics Lab Inc.,,entity,US,Entity List\n"
)


def load_watch(session: Session, text: str, now: dt.datetime, name: str = "CN-UEL"):
    return load_list(session, parse_generic_csv(text.encode(), list_name=name, file="uel.csv"),
                     now, "test:loader")


def make_org(session: Session, name: str, latin: str | None = None, country: str = "CN",
             subcentre_id: int | None = None, now: dt.datetime | None = None) -> Organisation:
    org = Organisation(legal_name=name, legal_name_latin=latin or name, country=country,
                       org_type="company", tax_residency=country, subcentre_id=subcentre_id,
                       created_at=now or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    session.add(org)
    session.flush()
    return org


def load_demo_catalogue(session: Session, now: dt.datetime, direction: str = "export"):
    path = DEMO_CATALOGUE.with_name(f"{direction}-catalogue-subset.csv")
    return load_catalogue(session, parse_catalogue_csv(path.read_bytes(), direction),
                          now, "test:loader")
