"""listing search vector: a stored tsvector column with its GIN index on PostgreSQL

Free-text relevance (ts_rank) over an expression index recomputed to_tsvector for every
matching row, which made common words slow (bench/listings.py). PostgreSQL now keeps the
vector in a generated column. SQLite keeps its FTS5 table; neither object is in the models
(see gateway.schema.UNMODELLED_*), because each exists on one database only.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-23 16:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_listings_search_tsv")
    op.execute("ALTER TABLE listings ADD COLUMN search_vector tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_text, ''))) STORED")
    op.execute("CREATE INDEX ix_listings_search_vector ON listings USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_listings_search_vector")
    op.execute("ALTER TABLE listings DROP COLUMN IF EXISTS search_vector")
    op.execute("CREATE INDEX ix_listings_search_tsv ON listings USING gin "
               "(to_tsvector('simple', search_text))")
