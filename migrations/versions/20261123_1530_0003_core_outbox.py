"""core_outbox: the embedded core's tables, the outbox to the core and the feed cursor

Follows the compliance migration (0005) in the linear history.

Revision ID: 0003
Revises: 0005
Create Date: 2026-11-23 15:16:08.217811
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0003'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_deals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('core_deal_id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.CHAR(length=64), nullable=False),
    sa.Column('listing_core_id', sa.String(length=40), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_deals')),
    sa.UniqueConstraint('core_deal_id', name=op.f('uq_core_deals_core_deal_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_core_deals_idempotency_key'))
    )
    with op.batch_alter_table('core_deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_deals_listing_core_id'), ['listing_core_id'], unique=False)

    op.create_table('core_events',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('occurred_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('seq > 0', name=op.f('ck_core_events_seq_positive')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_core_events'))
    )
    op.create_table('core_feed_cursors',
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('last_seq >= 0', name=op.f('ck_core_feed_cursors_last_seq_not_negative')),
    sa.PrimaryKeyConstraint('consumer', name=op.f('pk_core_feed_cursors'))
    )
    op.create_table('core_feed_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_core_feed_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_feed_head'))
    )
    op.create_table('core_listings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('core_id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.CHAR(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('payload_hash', sa.CHAR(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('published', 'withdrawn')", name=op.f('ck_core_listings_status_known')),
    sa.CheckConstraint('version > 0', name=op.f('ck_core_listings_version_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_listings')),
    sa.UniqueConstraint('core_id', name=op.f('uq_core_listings_core_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_core_listings_idempotency_key'))
    )
    op.create_table('core_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('aggregate_type', sa.String(length=64), nullable=False),
    sa.Column('aggregate_id', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('core_ref', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('result', sa.String(length=40), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('publish_listing', 'update_listing', 'withdraw_listing', 'report_deal')", name=op.f('ck_core_outbox_kind_known')),
    sa.CheckConstraint("status <> 'delivered' OR delivered_at IS NOT NULL", name=op.f('ck_core_outbox_delivered_has_time')),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f('ck_core_outbox_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_core_outbox_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_core_outbox_idempotency_key'))
    )
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_core_outbox_aggregate', ['aggregate_type', 'aggregate_id', 'id'], unique=False)
        batch_op.create_index('ix_core_outbox_due', ['status', 'next_attempt_at'], unique=False)

    # the feed's single head row, locked by every append (as audit_chain_head)
    op.execute("INSERT INTO core_feed_head (id, seq) VALUES (1, 0)")


def downgrade() -> None:
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_core_outbox_due')
        batch_op.drop_index('ix_core_outbox_aggregate')

    op.drop_table('core_outbox')
    op.drop_table('core_listings')
    op.drop_table('core_feed_head')
    op.drop_table('core_feed_cursors')
    op.drop_table('core_events')
    with op.batch_alter_table('core_deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_deals_listing_core_id'))

    op.drop_table('core_deals')
