"""Sub-centres of the international trading centre, and the organisations that trade."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CHAR, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, UTCDateTime

ORGANISATION_TYPES = ("university", "company", "research_institute", "government", "other")


class SubCentre(Base):
    """An overseas office of the exchange (US, Canada, Netherlands, ...), or a domestic centre."""

    __tablename__ = "sub_centres"
    __table_args__ = (
        CheckConstraint("length(country) = 2", name="country_iso2"),
        CheckConstraint("length(home_currency) = 3", name="currency_iso"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(CHAR(2))
    home_currency: Mapped[str] = mapped_column(CHAR(3))
    locale: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Organisation(Base):
    """A university, company or research institute that buys or sells technology."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("length(country) = 2", name="country_iso2"),
        CheckConstraint("length(tax_residency) = 2", name="tax_residency_iso2"),
        CheckConstraint(
            "org_type IN ('university', 'company', 'research_institute', 'government', 'other')",
            name="org_type_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    legal_name_latin: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(CHAR(2))
    org_type: Mapped[str] = mapped_column(String(32))
    tax_residency: Mapped[str] = mapped_column(CHAR(2))
    #: the sub-centre that represents this organisation (sellers it files listings for)
    subcentre_id: Mapped[int | None] = mapped_column(ForeignKey("sub_centres.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    subcentre: Mapped[SubCentre | None] = relationship()
    people: Mapped[list["Person"]] = relationship(back_populates="organisation")


class Person(Base):
    """Someone at an organisation, with their role there (signatory, contact, inventor...)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    full_name_latin: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    # what sanctions screening compares with a listed individual, when the person's documents
    # give it: nationality (ISO 3166 alpha-2) and date of birth as precise as known
    # (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``); an employer's country says nothing of either
    nationality: Mapped[str | None] = mapped_column(String(2))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))

    organisation: Mapped[Organisation] = relationship(back_populates="people")
