"""the plan's year after agreement (issue #17, point 5): dated measures per outcome, a
feedback thread per priority, and the Pupil Equity Fund spend and impact in the standards and
quality report.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _priority() -> sa.Column:
    return sa.Column('priority_id', sa.Uuid(),
                     sa.ForeignKey('plan_priority.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.create_table(
        'outcome_measure',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _priority(),
        sa.Column('outcome_index', sa.Integer(), nullable=False),
        sa.Column('measured_on', sa.Date(), nullable=False),
        sa.Column('value', sa.String(200), nullable=False),
        sa.Column('commentary', sa.Text(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.Uuid(), nullable=True),
        sa.Column('recorded_by_label', sa.String(254), nullable=False),
    )
    op.create_index('ix_outcome_measure_priority_id', 'outcome_measure', ['priority_id'])
    op.create_index('ix_outcome_measure_measured_on', 'outcome_measure', ['measured_on'])
    op.create_table(
        'priority_feedback',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _priority(),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Uuid(), nullable=True),
        sa.Column('author_label', sa.String(254), nullable=False),
        sa.Column('author_role', sa.String(32), nullable=False),
        sa.Column('posted_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_priority_feedback_priority_id', 'priority_feedback', ['priority_id'])
    op.create_index('ix_priority_feedback_posted_at', 'priority_feedback', ['posted_at'])
    with op.batch_alter_table('quality_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pef_spend', sa.Numeric(12, 2), nullable=True))
        batch_op.add_column(sa.Column('pef_impact', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))


def downgrade() -> None:
    with op.batch_alter_table('quality_report', schema=None) as batch_op:
        batch_op.drop_column('pef_impact')
        batch_op.drop_column('pef_spend')
    op.drop_table('priority_feedback')
    op.drop_table('outcome_measure')
