"""recon_exceptions: the ``reversal`` kind

A camt.053 entry with ``RvslInd`` undoes an earlier entry and is never matched as a payment: it
goes to the exceptions queue as ``reversal`` (with the entry it undoes). The kind's CHECK gains
the value. PostgreSQL swaps the named constraint; SQLite keeps a CHECK in the table's
definition, so the table is rebuilt from its full definition below (no other table references
it, so the rebuild is safe under ``PRAGMA foreign_keys=ON``), partial unique indexes included.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kernel.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

KINDS = ("unmatched_line", "ambiguous", "difference", "already_matched", "unpaid_instruction")
NAME = "ck_recon_exceptions_kind"
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _table(kinds: tuple[str, ...]) -> sa.Table:
    """recon_exceptions as migration 0008 created it, with ``kinds`` allowed."""
    return sa.Table(
        'recon_exceptions', sa.MetaData(),
        sa.Column('id', ID, nullable=False),
        sa.Column('bank_account_id', ID, nullable=True),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('line_id', ID, nullable=True),
        sa.Column('instruction_id', sa.String(length=64), nullable=True),
        sa.Column('currency', sa.CHAR(length=3), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('item_date', sa.Date(), nullable=True),
        sa.Column('candidates', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.String(length=200), nullable=True),
        sa.Column('resolution', sa.String(length=24), nullable=True),
        sa.Column('match_id', ID, nullable=True),
        sa.CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)",
                           name=op.f('ck_recon_exceptions_resolved_has_time')),
        sa.CheckConstraint(_in("kind", kinds), name=op.f(NAME)),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_recon_exceptions_status')),
        sa.CheckConstraint('line_id IS NOT NULL OR instruction_id IS NOT NULL',
                           name=op.f('ck_recon_exceptions_subject')),
        sa.ForeignKeyConstraint(['bank_account_id'], ['recon_bank_accounts.id'],
                                name=op.f('fk_recon_exceptions_bank_account_id_recon_bank_accounts')),
        sa.ForeignKeyConstraint(['line_id'], ['recon_statement_lines.id'],
                                name=op.f('fk_recon_exceptions_line_id_recon_statement_lines')),
        sa.ForeignKeyConstraint(['match_id'], ['recon_matches.id'],
                                name=op.f('fk_recon_exceptions_match_id_recon_matches')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_exceptions')),
        sa.Index('ix_recon_exceptions_account_status', 'bank_account_id', 'status'),
        sa.Index('ix_recon_exceptions_open_instruction', 'instruction_id', unique=True,
                 sqlite_where=sa.text("status = 'open' AND line_id IS NULL")),
        sa.Index('ix_recon_exceptions_open_line', 'line_id', unique=True,
                 sqlite_where=sa.text("status = 'open' AND line_id IS NOT NULL")),
    )


def _allow(kinds: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # the copy's definition carries the new CHECK; the rows are copied across as they are
        with op.batch_alter_table('recon_exceptions', copy_from=_table(kinds),
                                  recreate="always"):
            pass
    else:
        op.drop_constraint(op.f(NAME), 'recon_exceptions', type_='check')
        op.create_check_constraint(op.f(NAME), 'recon_exceptions', _in("kind", kinds))


def upgrade() -> None:
    _allow(KINDS + ("reversal",))


def downgrade() -> None:
    # a reversal item becomes an unmatched line again (what it was queued as before)
    op.execute("UPDATE recon_exceptions SET kind = 'unmatched_line' WHERE kind = 'reversal'")
    _allow(KINDS)
