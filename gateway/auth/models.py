"""Users, their roles and scopes, and API tokens."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CHAR, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, UTCDateTime

ROLES = ("subcentre_staff", "buyer", "seller", "finance", "compliance_officer", "admin")


class User(Base):
    """A person who signs in. Staff are bound to one sub-centre; buyers and sellers to one
    organisation; finance, compliance officers and admins to neither."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('subcentre_staff', 'buyer', 'seller', 'finance', 'compliance_officer', 'admin')",
            name="role_known",
        ),
        CheckConstraint("role <> 'subcentre_staff' OR subcentre_id IS NOT NULL", name="staff_has_subcentre"),
        CheckConstraint("role NOT IN ('buyer', 'seller') OR organisation_id IS NOT NULL",
                        name="party_has_organisation"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    subcentre_id: Mapped[int | None] = mapped_column(ForeignKey("sub_centres.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")


class ApiToken(Base):
    """An API token: shown once when issued, stored as its SHA-256 only."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(CHAR(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")
