"""settlement plans: plans, instructions with RF references, instruction lines

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:32:49.236188
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settlement_plans',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('deal_id', sa.BigInteger(), nullable=False),
    sa.Column('deal_ref', sa.String(length=64), nullable=False),
    sa.Column('contract_ref', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('buyer_org_id', sa.Integer(), nullable=False),
    sa.Column('seller_org_id', sa.Integer(), nullable=False),
    sa.Column('subcentre_id', sa.Integer(), nullable=True),
    sa.Column('broker_org_id', sa.Integer(), nullable=True),
    sa.Column('contract_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('payin_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('payout_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('price_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('transaction_type', sa.String(length=24), nullable=False),
    sa.Column('rate_policy', sa.String(length=8), nullable=False),
    sa.Column('spread_bps', kernel.db.ExactDecimal(), nullable=False),
    sa.Column('payin_lock_id', sa.Integer(), nullable=True),
    sa.Column('payout_lock_id', sa.Integer(), nullable=True),
    sa.Column('fee_rate', kernel.db.ExactDecimal(), nullable=False),
    sa.Column('fee_minimum_minor', sa.BigInteger(), nullable=False),
    sa.Column('fee_cap_minor', sa.BigInteger(), nullable=False),
    sa.Column('fee_shares', sa.String(length=32), nullable=False),
    sa.Column('payee_tax_residency', sa.String(length=2), nullable=False),
    sa.Column('treaty_proof_ref', sa.String(length=100), nullable=True),
    sa.Column('certification_ref', sa.String(length=100), nullable=True),
    sa.Column('registration_ref', sa.String(length=100), nullable=True),
    sa.Column('royalty_rate', kernel.db.ExactDecimal(), nullable=True),
    sa.Column('royalty_period', sa.String(length=10), nullable=True),
    sa.Column('royalty_starts_on', sa.Date(), nullable=True),
    sa.Column('royalty_minimum_minor', sa.BigInteger(), nullable=True),
    sa.Column('royalty_years_closed', sa.Integer(), nullable=False),
    sa.Column('terms_json', sa.Text(), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("direction IN ('inbound', 'outbound')", name=op.f('ck_settlement_plans_direction')),
    sa.CheckConstraint("rate_policy = 'spot' OR payin_currency = contract_currency OR payin_lock_id IS NOT NULL", name=op.f('ck_settlement_plans_lock_for_payin')),
    sa.CheckConstraint("rate_policy IN ('lock', 'spot')", name=op.f('ck_settlement_plans_rate_policy')),
    sa.CheckConstraint("royalty_period IS NULL OR royalty_period IN ('quarter', 'half_year', 'year')", name=op.f('ck_settlement_plans_royalty_period')),
    sa.CheckConstraint("status IN ('active', 'completed', 'cancelled')", name=op.f('ck_settlement_plans_status')),
    sa.CheckConstraint("transaction_type IN ('licence', 'assignment', 'development', 'technology_service')", name=op.f('ck_settlement_plans_transaction_type')),
    sa.CheckConstraint('(royalty_rate IS NULL) = (royalty_period IS NULL)', name=op.f('ck_settlement_plans_royalty_terms')),
    sa.CheckConstraint('buyer_org_id <> seller_org_id', name=op.f('ck_settlement_plans_two_parties')),
    sa.CheckConstraint('fee_minimum_minor >= 0 AND fee_minimum_minor <= fee_cap_minor', name=op.f('ck_settlement_plans_fee_bounds')),
    sa.CheckConstraint('price_currency = contract_currency', name=op.f('ck_settlement_plans_price_in_contract_currency')),
    sa.CheckConstraint('price_minor > 0', name=op.f('ck_settlement_plans_price_positive')),
    sa.CheckConstraint('royalty_years_closed >= 0', name=op.f('ck_settlement_plans_royalty_years_closed')),
    sa.ForeignKeyConstraint(['broker_org_id'], ['organisations.id'], name=op.f('fk_settlement_plans_broker_org_id_organisations')),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organisations.id'], name=op.f('fk_settlement_plans_buyer_org_id_organisations')),
    sa.ForeignKeyConstraint(['payin_lock_id'], ['fx_rate_locks.id'], name=op.f('fk_settlement_plans_payin_lock_id_fx_rate_locks')),
    sa.ForeignKeyConstraint(['payout_lock_id'], ['fx_rate_locks.id'], name=op.f('fk_settlement_plans_payout_lock_id_fx_rate_locks')),
    sa.ForeignKeyConstraint(['seller_org_id'], ['organisations.id'], name=op.f('fk_settlement_plans_seller_org_id_organisations')),
    sa.ForeignKeyConstraint(['subcentre_id'], ['sub_centres.id'], name=op.f('fk_settlement_plans_subcentre_id_sub_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_plans')),
    sa.UniqueConstraint('deal_ref', name=op.f('uq_settlement_plans_deal_ref'))
    )
    with op.batch_alter_table('settlement_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_plans_buyer_org_id'), ['buyer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_plans_seller_org_id'), ['seller_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_plans_subcentre_id'), ['subcentre_id'], unique=False)

    op.create_table('settlement_instructions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('rf_reference', sa.String(length=25), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('held_reason', sa.Text(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_event', sa.String(length=100), nullable=True),
    sa.Column('event_recorded_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('net_sales_minor', sa.BigInteger(), nullable=True),
    sa.Column('payer_org_id', sa.Integer(), nullable=False),
    sa.Column('payee_org_id', sa.Integer(), nullable=False),
    sa.Column('gross_minor', sa.BigInteger(), nullable=False),
    sa.Column('gross_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('payin_minor', sa.BigInteger(), nullable=True),
    sa.Column('payin_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('payout_minor', sa.BigInteger(), nullable=True),
    sa.Column('payout_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('payin_rate', kernel.db.ExactDecimal(), nullable=True),
    sa.Column('payin_mid_rate', kernel.db.ExactDecimal(), nullable=True),
    sa.Column('payout_rate', kernel.db.ExactDecimal(), nullable=True),
    sa.Column('payin_lock_id', sa.Integer(), nullable=True),
    sa.Column('payout_lock_id', sa.Integer(), nullable=True),
    sa.Column('received_bank_ref', sa.String(length=100), nullable=True),
    sa.Column('payout_bank_ref', sa.String(length=100), nullable=True),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('funds_received_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('converted_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_out_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('settled_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'held') = (held_reason IS NOT NULL)", name=op.f('ck_settlement_instructions_held_has_reason')),
    sa.CheckConstraint("kind IN ('upfront', 'milestone', 'royalty', 'royalty_topup')", name=op.f('ck_settlement_instructions_kind')),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled') OR payin_minor IS NOT NULL", name=op.f('ck_settlement_instructions_priced_when_due')),
    sa.CheckConstraint("status IN ('scheduled', 'due', 'funds_received', 'compliance_released', 'converted', 'paid_out', 'settled', 'held', 'cancelled')", name=op.f('ck_settlement_instructions_status')),
    sa.CheckConstraint("status NOT IN ('paid_out', 'settled') OR payout_minor IS NOT NULL", name=op.f('ck_settlement_instructions_payout_known_when_paid')),
    sa.CheckConstraint('due_on IS NOT NULL OR due_event IS NOT NULL', name=op.f('ck_settlement_instructions_due_when')),
    sa.CheckConstraint('gross_minor > 0', name=op.f('ck_settlement_instructions_gross_positive')),
    sa.CheckConstraint('payin_minor IS NULL OR payin_minor > 0', name=op.f('ck_settlement_instructions_payin_positive')),
    sa.CheckConstraint('payout_minor IS NULL OR payout_minor > 0', name=op.f('ck_settlement_instructions_payout_positive')),
    sa.ForeignKeyConstraint(['payee_org_id'], ['organisations.id'], name=op.f('fk_settlement_instructions_payee_org_id_organisations')),
    sa.ForeignKeyConstraint(['payer_org_id'], ['organisations.id'], name=op.f('fk_settlement_instructions_payer_org_id_organisations')),
    sa.ForeignKeyConstraint(['payin_lock_id'], ['fx_rate_locks.id'], name=op.f('fk_settlement_instructions_payin_lock_id_fx_rate_locks')),
    sa.ForeignKeyConstraint(['payout_lock_id'], ['fx_rate_locks.id'], name=op.f('fk_settlement_instructions_payout_lock_id_fx_rate_locks')),
    sa.ForeignKeyConstraint(['plan_id'], ['settlement_plans.id'], name=op.f('fk_settlement_instructions_plan_id_settlement_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_instructions')),
    sa.UniqueConstraint('plan_id', 'kind', 'period_start', name=op.f('uq_settlement_instructions_plan_id_kind_period_start')),
    sa.UniqueConstraint('plan_id', 'seq', name=op.f('uq_settlement_instructions_plan_id_seq')),
    sa.UniqueConstraint('ref', name=op.f('uq_settlement_instructions_ref')),
    sa.UniqueConstraint('rf_reference', name=op.f('uq_settlement_instructions_rf_reference'))
    )
    with op.batch_alter_table('settlement_instructions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_instructions_payee_org_id'), ['payee_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_instructions_payer_org_id'), ['payer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_instructions_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index('ix_settlement_instructions_status_due', ['status', 'due_on'], unique=False)

    op.create_table('settlement_instruction_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('rate', kernel.db.ExactDecimal(), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('amount_currency', sa.CHAR(length=3), nullable=False),
    sa.Column('booked_minor', sa.BigInteger(), nullable=True),
    sa.Column('booked_currency', sa.CHAR(length=3), nullable=False),
    sa.CheckConstraint("kind IN ('gross', 'fee_exchange', 'fee_subcentre', 'fee_broker', 'vat', 'withholding', 'fx_margin', 'net')", name=op.f('ck_settlement_instruction_lines_kind')),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_settlement_instruction_lines_amount_not_negative')),
    sa.CheckConstraint('booked_minor IS NULL OR booked_minor >= 0', name=op.f('ck_settlement_instruction_lines_booked_not_negative')),
    sa.ForeignKeyConstraint(['instruction_id'], ['settlement_instructions.id'], name=op.f('fk_settlement_instruction_lines_instruction_id_settlement_instructions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_instruction_lines')),
    sa.UniqueConstraint('instruction_id', 'kind', name=op.f('uq_settlement_instruction_lines_instruction_id_kind'))
    )
    with op.batch_alter_table('settlement_instruction_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_instruction_lines_instruction_id'), ['instruction_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('settlement_instruction_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_instruction_lines_instruction_id'))

    op.drop_table('settlement_instruction_lines')
    with op.batch_alter_table('settlement_instructions', schema=None) as batch_op:
        batch_op.drop_index('ix_settlement_instructions_status_due')
        batch_op.drop_index(batch_op.f('ix_settlement_instructions_plan_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_instructions_payer_org_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_instructions_payee_org_id'))

    op.drop_table('settlement_instructions')
    with op.batch_alter_table('settlement_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_plans_subcentre_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_plans_seller_org_id'))
        batch_op.drop_index(batch_op.f('ix_settlement_plans_buyer_org_id'))

    op.drop_table('settlement_plans')
