"""trios: each authority's trio programme for a session (the focus every trio takes and how
many central and trio meetings it holds), and the schools that left a trio, which its past
meetings and peer reviews still name (issue #21).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'trio_programme',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('authority_id', sa.Uuid(), nullable=False),
        sa.Column('session', sa.String(length=7), nullable=False),
        sa.Column('indicator_codes', sa.JSON(), nullable=True),
        sa.Column('central_meetings', sa.Integer(), nullable=True),
        sa.Column('trio_meetings', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['authority_id'], ['authority.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('authority_id', 'session', name='uq_trio_programme_session'),
    )
    with op.batch_alter_table('trio_programme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trio_programme_authority_id'), ['authority_id'],
                              unique=False)
    with op.batch_alter_table('trio', schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_members', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('trio', schema=None) as batch_op:
        batch_op.drop_column('former_members')
    with op.batch_alter_table('trio_programme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trio_programme_authority_id'))
    op.drop_table('trio_programme')
