"""insight: critical indicators and their values per session

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('critical_indicator',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('region_id', sa.Uuid(), nullable=True),
    sa.Column('authority_id', sa.Uuid(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('baseline_session', sa.String(length=7), nullable=True),
    sa.Column('target_session', sa.String(length=7), nullable=True),
    sa.CheckConstraint('(authority_id IS NULL) <> (region_id IS NULL)',
                       name='ck_critical_indicator_owner'),
    sa.ForeignKeyConstraint(['authority_id'], ['authority.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('critical_indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_critical_indicator_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_critical_indicator_region_id'), ['region_id'], unique=False)

    op.create_table('critical_indicator_value',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('indicator_id', sa.Uuid(), nullable=False),
    sa.Column('session', sa.String(length=7), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['critical_indicator.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('indicator_id', 'session', name='uq_critical_indicator_value_session')
    )
    with op.batch_alter_table('critical_indicator_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_critical_indicator_value_indicator_id'), ['indicator_id'], unique=False)

    # For the summaries: a school's current support status in one index lookup.
    with op.batch_alter_table('support_status', schema=None) as batch_op:
        batch_op.create_index('ix_support_status_establishment_current',
                              ['establishment_id', 'is_current'], unique=False)
    # For the summaries: distinct CLPL participants read in email order.
    with op.batch_alter_table('clpl_registration', schema=None) as batch_op:
        batch_op.create_index('ix_clpl_registration_people',
                              ['status', 'participant_email', 'event_id', 'authority_id', 'attended'],
                              unique=False)
        batch_op.create_index('ix_clpl_registration_event_status',
                              ['event_id', 'status', 'attended'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('clpl_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_clpl_registration_event_status')
        batch_op.drop_index('ix_clpl_registration_people')
    with op.batch_alter_table('support_status', schema=None) as batch_op:
        batch_op.drop_index('ix_support_status_establishment_current')

    with op.batch_alter_table('critical_indicator_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_critical_indicator_value_indicator_id'))

    op.drop_table('critical_indicator_value')
    with op.batch_alter_table('critical_indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_critical_indicator_region_id'))
        batch_op.drop_index(batch_op.f('ix_critical_indicator_authority_id'))

    op.drop_table('critical_indicator')
