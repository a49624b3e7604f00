"""fx rates

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 15:12:04.540783
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fx_rate_locks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_ccy', sa.CHAR(length=3), nullable=False),
    sa.Column('to_ccy', sa.CHAR(length=3), nullable=False),
    sa.Column('rate', kernel.db.ExactDecimal(), nullable=False),
    sa.Column('mid_rate', kernel.db.ExactDecimal(), nullable=False),
    sa.Column('spread_bps', kernel.db.ExactDecimal(), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('locked_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('purpose', sa.String(length=100), nullable=False),
    sa.CheckConstraint('from_ccy <> to_ccy', name=op.f('ck_fx_rate_locks_two_currencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fx_rate_locks'))
    )
    op.create_table('fx_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base', sa.CHAR(length=3), nullable=False),
    sa.Column('quote', sa.CHAR(length=3), nullable=False),
    sa.Column('rate', kernel.db.ExactDecimal(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('base <> quote', name=op.f('ck_fx_rates_two_currencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fx_rates')),
    sa.UniqueConstraint('base', 'quote', 'as_of', 'source', name=op.f('uq_fx_rates_base_quote_as_of_source'))
    )
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.create_index('ix_fx_rates_lookup', ['base', 'quote', 'as_of'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_fx_rates_lookup')

    op.drop_table('fx_rates')
    op.drop_table('fx_rate_locks')
