"""ownership evidence: the reason staff accepted a registered owner that is not the seller

The gateway now compares the registered owner with the seller's names itself
(``matches_seller`` is its finding, no longer the caller's word). A mismatch still blocks
publication unless staff accept it with a reason (an assignment chain, a subsidiary...), kept
here beside the finding and in the audit event.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


# plain ALTER TABLE on both databases, as 0012 does
def upgrade() -> None:
    op.add_column("listing_ownership_evidence", sa.Column("mismatch_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("listing_ownership_evidence", "mismatch_reason")
