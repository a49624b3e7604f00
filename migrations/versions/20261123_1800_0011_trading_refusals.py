"""trading gaps: refused bids, listing passes, closed demands, deposits applied to instructions

- ``trading_bid_refusals``: every refused bid with its reason, amount and time;
- ``trading_listing_passes``: why a buyer passed on a listing;
- ``trading_demands.closed_at`` / ``close_reason`` (a closed demand matches nothing);
- ``settlement_instructions.deposit_minor`` / ``deposit_booked_minor``: the buyer's deposit
  applied to an instruction (the buyer pays in the gross less it).

The two columns with a CHECK that names another column are added with the constraint in the
column definition on SQLite (``ALTER TABLE ... ADD COLUMN ... CHECK``, which SQLite tests
against existing rows since 3.37), because a batch rebuild of a table other tables reference
would drop it under ``PRAGMA foreign_keys=ON``; PostgreSQL adds the column and then the
named constraint.

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-23 18:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import CreateColumn

import kernel.db

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None

BID_REFUSALS = ("auction_not_open", "not_registered", "not_invited", "currency_mismatch",
                "below_starting_price", "increment_not_met", "already_highest",
                "party_not_cleared")
PASS_REASONS = ("too_early_stage", "benefit_unclear", "commercial_route_unclear",
                "description_unclear", "price", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _add_column_with_check(table: str, column: sa.Column, name: str, check: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        spec = str(CreateColumn(column).compile(dialect=bind.dialect))
        op.execute(f"ALTER TABLE {table} ADD COLUMN {spec} CONSTRAINT {name} CHECK ({check})")
    else:
        op.add_column(table, column)
        op.create_check_constraint(name, table, check)


def upgrade() -> None:
    op.create_table('trading_bid_refusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('bidder_org_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.CHAR(length=3), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('attempted_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempted_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint(_in("reason", BID_REFUSALS), name=op.f('ck_trading_bid_refusals_reason_known')),
    sa.ForeignKeyConstraint(['auction_id'], ['trading_auctions.id'], name=op.f('fk_trading_bid_refusals_auction_id_trading_auctions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bidder_org_id'], ['organisations.id'], name=op.f('fk_trading_bid_refusals_bidder_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_bid_refusals'))
    )
    with op.batch_alter_table('trading_bid_refusals', schema=None) as batch_op:
        batch_op.create_index('ix_trading_bid_refusals_auction_at', ['auction_id', 'attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trading_bid_refusals_bidder_org_id'), ['bidder_org_id'], unique=False)

    op.create_table('trading_listing_passes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('passed_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('passed_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint(_in("reason", PASS_REASONS), name=op.f('ck_trading_listing_passes_reason_known')),
    sa.ForeignKeyConstraint(['demand_id'], ['trading_demands.id'], name=op.f('fk_trading_listing_passes_demand_id_trading_demands')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_trading_listing_passes_listing_id_listings')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_trading_listing_passes_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_listing_passes')),
    sa.UniqueConstraint('listing_id', 'org_id', name=op.f('uq_trading_listing_passes_listing_id_org_id'))
    )
    with op.batch_alter_table('trading_listing_passes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_listing_passes_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trading_listing_passes_org_id'), ['org_id'], unique=False)

    _add_column_with_check(
        'trading_demands', sa.Column('closed_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
        'ck_trading_demands_closed_when', "(state = 'closed') = (closed_at IS NOT NULL)")
    op.add_column('trading_demands', sa.Column('close_reason', sa.String(length=300), nullable=True))
    _add_column_with_check(
        'settlement_instructions',
        sa.Column('deposit_minor', sa.BigInteger(), server_default='0', nullable=False),
        'ck_settlement_instructions_deposit_below_gross',
        'deposit_minor >= 0 AND deposit_minor < gross_minor')
    op.add_column('settlement_instructions',
                  sa.Column('deposit_booked_minor', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('ck_settlement_instructions_deposit_below_gross',
                           'settlement_instructions', type_='check')
        op.drop_constraint('ck_trading_demands_closed_when', 'trading_demands', type_='check')
    # on SQLite the CHECK belongs to its column's definition and goes with the column
    op.drop_column('settlement_instructions', 'deposit_booked_minor')
    op.drop_column('settlement_instructions', 'deposit_minor')
    op.drop_column('trading_demands', 'close_reason')
    op.drop_column('trading_demands', 'closed_at')
    with op.batch_alter_table('trading_listing_passes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trading_listing_passes_org_id'))
        batch_op.drop_index(batch_op.f('ix_trading_listing_passes_listing_id'))
    op.drop_table('trading_listing_passes')
    with op.batch_alter_table('trading_bid_refusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trading_bid_refusals_bidder_org_id'))
        batch_op.drop_index('ix_trading_bid_refusals_auction_at')
    op.drop_table('trading_bid_refusals')
