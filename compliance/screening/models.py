"""Stored watch lists, their versions and entries, and every screening made against them.

A list version keeps its entries (as the loader's JSON) after it is superseded, so any stored
screening can be replayed against exactly the versions it used.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CHAR, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, ExactDecimal, UTCDateTime

LIST_FORMATS = ("ofac", "un", "csv")
VERSION_STATUSES = ("loading", "active", "superseded", "failed")
DECISIONS = ("clear", "review", "block")


class WatchList(Base):
    """A named list (``OFAC-SDN``, ``UN-SC``, ``CN-UEL``...) and the format it is loaded from."""

    __tablename__ = "watch_lists"
    __table_args__ = (CheckConstraint("format IN ('ofac', 'un', 'csv')", name="format_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list["ListVersion"]] = relationship(back_populates="watch_list")


class ListVersion(Base):
    """One load of a list: its file set's SHA-256, when it was loaded and whether it is in force.

    At most one version per list is ``active`` (a partial unique index on both databases). A
    failed load is recorded with its error and never becomes active.
    """

    __tablename__ = "list_versions"
    __table_args__ = (
        UniqueConstraint("watch_list_id", "version_id"),
        CheckConstraint("status IN ('loading', 'active', 'superseded', 'failed')",
                        name="status_known"),
        CheckConstraint("entry_count >= 0", name="entry_count_non_negative"),
        CheckConstraint("status <> 'failed' OR error IS NOT NULL", name="failure_has_error"),
        Index("ix_list_versions_one_active", "watch_list_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_list_id: Mapped[int] = mapped_column(ForeignKey("watch_lists.id"), index=True)
    version_id: Mapped[str] = mapped_column(CHAR(64))
    status: Mapped[str] = mapped_column(String(16))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    source_files: Mapped[str] = mapped_column(Text, default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    loaded_by: Mapped[str] = mapped_column(String(200))

    watch_list: Mapped[WatchList] = relationship(back_populates="versions")


class ListEntryRecord(Base):
    """One entry of one list version: the loader's value as JSON, plus its names and hash.

    ``content_hash`` is the SHA-256 of the canonical JSON; an entry whose hash differs from the
    one a false positive was cleared against is reconsidered.
    """

    __tablename__ = "list_entries"
    __table_args__ = (UniqueConstraint("list_version_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"), index=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(16))
    primary_name: Mapped[str] = mapped_column(String(500))
    #: every name of the entry, one a line, for people reading the table
    names: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(CHAR(64))
    data: Mapped[str] = mapped_column(Text)


class ScreeningRecord(Base):
    """One screening of a party: what was asked, against which versions, and the answer.

    ``results`` holds ``ScreeningResult.to_dict()`` of each query (the original-script and the
    Latin name), so a replay compares field for field.
    """

    __tablename__ = "screening_records"
    __table_args__ = (
        CheckConstraint("decision IN ('clear', 'review', 'block')", name="decision_known"),
        CheckConstraint("(organisation_id IS NULL) <> (person_id IS NULL)", name="one_party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    screened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    party_hash: Mapped[str] = mapped_column(CHAR(64))
    queries: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(8))
    top_score: Mapped[Decimal] = mapped_column(ExactDecimal())
    hits: Mapped[str] = mapped_column(Text)
    results: Mapped[str] = mapped_column(Text)
    #: JSON ``[[list_name, version_sha256], ...]``
    list_versions: Mapped[str] = mapped_column(Text)
    matcher_version: Mapped[str] = mapped_column(String(200))
    thresholds: Mapped[str] = mapped_column(Text)
