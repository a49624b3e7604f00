"""listing search vectors: PostgreSQL ranks free text from a narrow side table

EXPLAIN (ANALYZE, BUFFERS) at 100,000 listings showed where free-text search spent its time:
ts_rank needs each match's tsvector, and a common term matches ~20% of the catalogue, so the
search read ~13,500 heap pages of the wide ``listings`` table (about 1.1 kB a row, half of it
the stored vector) to rank 20,000 rows. The vectors now live in ``listing_search_vectors``
(listing id + vector, ~70 MB instead of ~150 MB), the search ranks there and joins the best
few to ``listings`` by primary key. ``listings.search_vector`` (0010) goes away, which also
halves the rows every other listing query reads.

A trigger keeps the side table in step with ``listings.search_text`` (the same pattern as
SQLite's FTS5 table, which stays as it is); a deleted listing takes its vector with it (FK
cascade). Like the FTS5 table, the side table is not in the models (gateway.schema.UNMODELLED_*).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 17:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

SYNC_FUNCTION = """
CREATE FUNCTION listing_search_vectors_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO listing_search_vectors (listing_id, search_vector)
    VALUES (NEW.id, to_tsvector('simple', coalesce(NEW.search_text, '')))
    ON CONFLICT (listing_id) DO UPDATE SET search_vector = EXCLUDED.search_vector;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE listing_search_vectors ("
               " listing_id INTEGER NOT NULL,"
               " search_vector tsvector NOT NULL,"
               " CONSTRAINT pk_listing_search_vectors PRIMARY KEY (listing_id),"
               " CONSTRAINT fk_listing_search_vectors_listing_id_listings FOREIGN KEY (listing_id)"
               "  REFERENCES listings (id) ON DELETE CASCADE)")
    op.execute("INSERT INTO listing_search_vectors (listing_id, search_vector) "
               "SELECT id, to_tsvector('simple', coalesce(search_text, '')) FROM listings")
    op.execute("CREATE INDEX ix_listing_search_vectors_vector ON listing_search_vectors "
               "USING gin (search_vector)")
    op.execute(SYNC_FUNCTION)
    op.execute("CREATE TRIGGER listing_search_vectors_ins AFTER INSERT ON listings "
               "FOR EACH ROW EXECUTE FUNCTION listing_search_vectors_sync()")
    op.execute("CREATE TRIGGER listing_search_vectors_upd AFTER UPDATE OF search_text ON listings "
               "FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) "
               "EXECUTE FUNCTION listing_search_vectors_sync()")
    op.execute("DROP INDEX IF EXISTS ix_listings_search_vector")
    op.execute("ALTER TABLE listings DROP COLUMN IF EXISTS search_vector")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE listings ADD COLUMN search_vector tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_text, ''))) STORED")
    op.execute("CREATE INDEX ix_listings_search_vector ON listings USING gin (search_vector)")
    op.execute("DROP TRIGGER IF EXISTS listing_search_vectors_upd ON listings")
    op.execute("DROP TRIGGER IF EXISTS listing_search_vectors_ins ON listings")
    op.execute("DROP FUNCTION IF EXISTS listing_search_vectors_sync()")
    op.execute("DROP TABLE IF EXISTS listing_search_vectors")
