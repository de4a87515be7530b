"""VSE that the school and its team can see (issue #17, point 4): a cycle names its team's lead
(an officer of the authority); the team records findings (evidence and proposed grades per QI)
while it is in progress; the school's own grade per QI is kept from before the visit.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('vse_cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_vse_cycle_lead_id'), ['lead_id'], unique=False)
        batch_op.create_foreign_key('fk_vse_cycle_lead_id_app_user', 'app_user', ['lead_id'], ['id'])
    op.create_table(
        'vse_school_grade',
        sa.Column('vse_id', sa.Uuid(), nullable=False),
        sa.Column('indicator_code', sa.String(length=16), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('grade', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['vse_id'], ['vse_cycle.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('vse_id', 'indicator_code'),
    )
    op.create_table(
        'vse_finding',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('vse_id', sa.Uuid(), nullable=False),
        sa.Column('authority_id', sa.Uuid(), nullable=False),
        sa.Column('indicator_code', sa.String(length=16), nullable=False),
        sa.Column('author_id', sa.Uuid(), nullable=True),
        sa.Column('author_name', sa.String(length=200), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('proposed_grade', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['vse_id'], ['vse_cycle.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['authority_id'], ['authority.id']),
        sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('vse_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vse_finding_vse_id'), ['vse_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vse_finding_authority_id'), ['authority_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vse_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vse_finding_authority_id'))
        batch_op.drop_index(batch_op.f('ix_vse_finding_vse_id'))
    op.drop_table('vse_finding')
    op.drop_table('vse_school_grade')
    with op.batch_alter_table('vse_cycle', schema=None) as batch_op:
        batch_op.drop_constraint('fk_vse_cycle_lead_id_app_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_vse_cycle_lead_id'))
        batch_op.drop_column('lead_id')
