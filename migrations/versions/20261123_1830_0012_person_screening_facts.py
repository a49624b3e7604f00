"""people: nationality and date of birth, for screening against listed individuals

Both optional: many contacts are filed without them, and screening then says it compared the
name alone (and reviews from a lower score).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 18:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


# plain ALTER TABLE on both databases (SQLite >= 3.35 drops columns itself): a batch rebuild of
# a table other tables reference would trip PRAGMA foreign_keys=ON
def upgrade() -> None:
    op.add_column("people", sa.Column("nationality", sa.String(length=2), nullable=True))
    op.add_column("people", sa.Column("date_of_birth", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.drop_column("people", "date_of_birth")
    op.drop_column("people", "nationality")
