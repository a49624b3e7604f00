"""trading: auctions, bids, negotiations, fixed-price notices, working-day calendar, deals, demands

Revision ID: 0009
Revises: 0010
Create Date: 2026-11-23 16:09:59.470800
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0009'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trading_calendar_days',
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.CheckConstraint("kind IN ('holiday', 'working')", name=op.f('ck_trading_calendar_days_kind_known')),
    sa.PrimaryKeyConstraint('country', 'day', name=op.f('pk_trading_calendar_days'))
    )
    op.create_table('trading_calendar_weekends',
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('weekday', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('country', 'weekday', name=op.f('pk_trading_calendar_weekends'))
    )
    op.create_table('trading_deal_sequences',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_trading_deal_sequences'))
    )
    op.create_table('trading_demands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=True),
    sa.Column('technology_field', sa.String(length=32), nullable=True),
    sa.Column('ipc_classes', sa.JSON(), nullable=False),
    sa.Column('trl_min', sa.Integer(), nullable=True),
    sa.Column('budget_minor', sa.BigInteger(), nullable=True),
    sa.Column('budget_currency', sa.CHAR(length=3), nullable=True),
    sa.Column('territory', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("direction IN ('inbound', 'outbound')", name=op.f('ck_trading_demands_direction_known')),
    sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_trading_demands_state_known')),
    sa.CheckConstraint('budget_minor IS NULL OR budget_minor > 0', name=op.f('ck_trading_demands_budget_positive')),
    sa.CheckConstraint('trl_min IS NULL OR trl_min BETWEEN 1 AND 9', name=op.f('ck_trading_demands_trl_1_to_9')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_trading_demands_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_demands'))
    )
    with op.batch_alter_table('trading_demands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_demands_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_trading_demands_state_direction', ['state', 'direction'], unique=False)

    op.create_table('trading_auctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.CHAR(length=3), nullable=False),
    sa.Column('starting_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('reserve_minor', sa.BigInteger(), nullable=True),
    sa.Column('increment_minor', sa.BigInteger(), nullable=False),
    sa.Column('deposit_minor', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_end', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('snipe_window_minutes', sa.Integer(), nullable=False),
    sa.Column('snipe_extension_minutes', sa.Integer(), nullable=False),
    sa.Column('invited_only', sa.Boolean(), nullable=False),
    sa.Column('high_bid_id', sa.Integer(), nullable=True),
    sa.Column('high_minor', sa.BigInteger(), nullable=True),
    sa.Column('bid_count', sa.Integer(), nullable=False),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('open', 'won', 'failed', 'cancelled')", name=op.f('ck_trading_auctions_state_known')),
    sa.CheckConstraint('deposit_minor >= 0', name=op.f('ck_trading_auctions_deposit_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_trading_auctions_period_ordered')),
    sa.CheckConstraint('increment_minor > 0', name=op.f('ck_trading_auctions_increment_positive')),
    sa.CheckConstraint('reserve_minor IS NULL OR reserve_minor >= starting_price_minor', name=op.f('ck_trading_auctions_reserve_over_start')),
    sa.CheckConstraint('snipe_window_minutes >= 0 AND snipe_extension_minutes >= 0', name=op.f('ck_trading_auctions_snipe_not_negative')),
    sa.CheckConstraint('starting_price_minor >= 0', name=op.f('ck_trading_auctions_starting_not_negative')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_trading_auctions_listing_id_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_auctions'))
    )
    with op.batch_alter_table('trading_auctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_auctions_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index('ix_trading_auctions_state_ends', ['state', 'ends_at'], unique=False)

    op.create_table('trading_deals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('buyer_org_id', sa.Integer(), nullable=False),
    sa.Column('seller_org_id', sa.Integer(), nullable=False),
    sa.Column('subcentre_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.CHAR(length=3), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('deposit_applied_minor', sa.BigInteger(), nullable=False),
    sa.Column('transaction_type', sa.String(length=32), nullable=False),
    sa.Column('territory', sa.JSON(), nullable=False),
    sa.Column('payment_terms', sa.JSON(), nullable=False),
    sa.Column('core_deal_ref', sa.String(length=64), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('contract_signed_on', sa.Date(), nullable=True),
    sa.Column('registration_due_on', sa.Date(), nullable=True),
    sa.Column('struck_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('struck_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("channel IN ('auction', 'negotiated', 'fixed_price')", name=op.f('ck_trading_deals_channel_known')),
    sa.CheckConstraint("state IN ('struck', 'contract_signed')", name=op.f('ck_trading_deals_state_known')),
    sa.CheckConstraint('(contract_signed_on IS NULL) = (registration_due_on IS NULL)', name=op.f('ck_trading_deals_registration_due_with_signing')),
    sa.CheckConstraint('buyer_org_id <> seller_org_id', name=op.f('ck_trading_deals_two_parties')),
    sa.CheckConstraint('price_minor > 0', name=op.f('ck_trading_deals_price_positive')),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organisations.id'], name=op.f('fk_trading_deals_buyer_org_id_organisations')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_trading_deals_listing_id_listings')),
    sa.ForeignKeyConstraint(['seller_org_id'], ['organisations.id'], name=op.f('fk_trading_deals_seller_org_id_organisations')),
    sa.ForeignKeyConstraint(['subcentre_id'], ['sub_centres.id'], name=op.f('fk_trading_deals_subcentre_id_sub_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_deals')),
    sa.UniqueConstraint('listing_id', name=op.f('uq_trading_deals_listing_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_trading_deals_reference'))
    )
    with op.batch_alter_table('trading_deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_deals_buyer_org_id'), ['buyer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trading_deals_seller_org_id'), ['seller_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trading_deals_subcentre_id'), ['subcentre_id'], unique=False)

    op.create_table('trading_fixed_price_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.CHAR(length=3), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('deposit_minor', sa.BigInteger(), nullable=False),
    sa.Column('increment_minor', sa.BigInteger(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('starts_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('open', 'no_buyer', 'sold', 'auctioned', 'withdrawn')", name=op.f('ck_trading_fixed_price_notices_state_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_trading_fixed_price_notices_period_ordered')),
    sa.CheckConstraint('increment_minor > 0', name=op.f('ck_trading_fixed_price_notices_increment_positive')),
    sa.CheckConstraint('threshold >= 2', name=op.f('ck_trading_fixed_price_notices_threshold_two_or_more')),
    sa.CheckConstraint('working_days > 0', name=op.f('ck_trading_fixed_price_notices_working_days_positive')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_trading_fixed_price_notices_listing_id_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_fixed_price_notices'))
    )
    with op.batch_alter_table('trading_fixed_price_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_fixed_price_notices_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index('ix_trading_fixed_price_notices_state_ends', ['state', 'ends_at'], unique=False)

    op.create_table('trading_negotiations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('buyer_org_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('next_side', sa.String(length=8), nullable=True),
    sa.Column('expires_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('notice_ends_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_offer_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("next_side IS NULL OR next_side IN ('buyer', 'seller')", name=op.f('ck_trading_negotiations_side_known')),
    sa.CheckConstraint("state IN ('open', 'agreed', 'final', 'withdrawn', 'expired')", name=op.f('ck_trading_negotiations_state_known')),
    sa.CheckConstraint('notice_days >= 0', name=op.f('ck_trading_negotiations_notice_not_negative')),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organisations.id'], name=op.f('fk_trading_negotiations_buyer_org_id_organisations')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_trading_negotiations_listing_id_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_negotiations'))
    )
    with op.batch_alter_table('trading_negotiations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_negotiations_buyer_org_id'), ['buyer_org_id'], unique=False)
        batch_op.create_index('ix_trading_negotiations_listing_state', ['listing_id', 'state'], unique=False)

    op.create_table('trading_auction_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('registered_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('registered', 'released', 'applied')", name=op.f('ck_trading_auction_participants_state_known')),
    sa.ForeignKeyConstraint(['auction_id'], ['trading_auctions.id'], name=op.f('fk_trading_auction_participants_auction_id_trading_auctions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_trading_auction_participants_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_auction_participants')),
    sa.UniqueConstraint('auction_id', 'org_id', name=op.f('uq_trading_auction_participants_auction_id_org_id'))
    )
    with op.batch_alter_table('trading_auction_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_auction_participants_org_id'), ['org_id'], unique=False)

    op.create_table('trading_bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('bidder_org_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.CHAR(length=3), nullable=False),
    sa.Column('placed_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('placed_by', sa.String(length=64), nullable=False),
    sa.Column('ends_at_after', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_trading_bids_amount_positive')),
    sa.ForeignKeyConstraint(['auction_id'], ['trading_auctions.id'], name=op.f('fk_trading_bids_auction_id_trading_auctions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bidder_org_id'], ['organisations.id'], name=op.f('fk_trading_bids_bidder_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_bids')),
    sa.UniqueConstraint('auction_id', 'amount_minor', name=op.f('uq_trading_bids_auction_id_amount_minor')),
    sa.UniqueConstraint('auction_id', 'seq', name=op.f('uq_trading_bids_auction_id_seq'))
    )
    with op.batch_alter_table('trading_bids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_bids_bidder_org_id'), ['bidder_org_id'], unique=False)

    op.create_table('trading_intents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('registered_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('registered', 'released', 'applied', 'moved_to_auction')", name=op.f('ck_trading_intents_state_known')),
    sa.ForeignKeyConstraint(['notice_id'], ['trading_fixed_price_notices.id'], name=op.f('fk_trading_intents_notice_id_trading_fixed_price_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_trading_intents_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_intents')),
    sa.UniqueConstraint('notice_id', 'org_id', name=op.f('uq_trading_intents_notice_id_org_id'))
    )
    with op.batch_alter_table('trading_intents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trading_intents_org_id'), ['org_id'], unique=False)

    op.create_table('trading_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('negotiation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.CHAR(length=3), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('made_by', sa.String(length=64), nullable=False),
    sa.Column('made_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('buyer', 'seller')", name=op.f('ck_trading_offers_side_known')),
    sa.CheckConstraint("state IN ('open', 'superseded', 'accepted', 'withdrawn', 'expired')", name=op.f('ck_trading_offers_state_known')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_trading_offers_amount_positive')),
    sa.ForeignKeyConstraint(['negotiation_id'], ['trading_negotiations.id'], name=op.f('fk_trading_offers_negotiation_id_trading_negotiations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trading_offers')),
    sa.UniqueConstraint('negotiation_id', 'seq', name=op.f('uq_trading_offers_negotiation_id_seq'))
    )


def downgrade() -> None:
    op.drop_table('trading_offers')
    with op.batch_alter_table('trading_intents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trading_intents_org_id'))

    op.drop_table('trading_intents')
    with op.batch_alter_table('trading_bids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trading_bids_bidder_org_id'))

    op.drop_table('trading_bids')
    with op.batch_alter_table('trading_auction_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trading_auction_participants_org_id'))

    op.drop_table('trading_auction_participants')
    with op.batch_alter_table('trading_negotiations', schema=None) as batch_op:
        batch_op.drop_index('ix_trading_negotiations_listing_state')
        batch_op.drop_index(batch_op.f('ix_trading_negotiations_buyer_org_id'))

    op.drop_table('trading_negotiations')
    with op.batch_alter_table('trading_fixed_price_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_trading_fixed_price_notices_state_ends')
        batch_op.drop_index(batch_op.f('ix_trading_fixed_price_notices_listing_id'))

    op.drop_table('trading_fixed_price_notices')
    with op.batch_alter_table('trading_deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trading_deals_subcentre_id'))
        batch_op.drop_index(batch_op.f('ix_trading_deals_seller_org_id'))
        batch_op.drop_index(batch_op.f('ix_trading_deals_buyer_org_id'))

    op.drop_table('trading_deals')
    with op.batch_alter_table('trading_auctions', schema=None) as batch_op:
        batch_op.drop_index('ix_trading_auctions_state_ends')
        batch_op.drop_index(batch_op.f('ix_trading_auctions_listing_id'))

    op.drop_table('trading_auctions')
    with op.batch_alter_table('trading_demands', schema=None) as batch_op:
        batch_op.drop_index('ix_trading_demands_state_direction')
        batch_op.drop_index(batch_op.f('ix_trading_demands_org_id'))

    op.drop_table('trading_demands')
    op.drop_table('trading_deal_sequences')
    op.drop_table('trading_calendar_weekends')
    op.drop_table('trading_calendar_days')
