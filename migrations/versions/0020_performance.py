"""performance data: ACEL figures, school statistics, external inspections (issue #16).

Also the import job's options (`sheet` of a workbook, the `session` a file is for), and room
for the .xlsx media type (65 characters) in `import_job.media_type`.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner(table: str, *, nullable: bool) -> sa.Column:
    return sa.Column(f'{table}_id', sa.Uuid(), sa.ForeignKey(f'{table}.id', ondelete='CASCADE'),
                     nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'acel_figure',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('scope', sa.String(40), nullable=False),
        _owner('authority', nullable=True), _owner('establishment', nullable=True),
        sa.Column('school_session', sa.String(7), nullable=False),
        sa.Column('stage', sa.String(16), nullable=False),
        sa.Column('organiser', sa.String(24), nullable=False),
        sa.Column('cohort', sa.Integer(), nullable=True),
        sa.Column('percent', sa.Numeric(9, 5), nullable=True),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('scope', 'school_session', 'stage', 'organiser', name='uq_acel_figure'),
    )
    op.create_index('ix_acel_figure_authority_id', 'acel_figure', ['authority_id'])
    op.create_index('ix_acel_figure_establishment_id', 'acel_figure', ['establishment_id'])
    op.create_index('ix_acel_figure_session_stage', 'acel_figure',
                    ['school_session', 'stage', 'organiser'])
    op.create_table(
        'school_statistics',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _owner('establishment', nullable=False), _owner('authority', nullable=False),
        sa.Column('school_session', sa.String(7), nullable=False),
        sa.Column('roll', sa.Integer(), nullable=True),
        sa.Column('roll_by_stage', sa.JSON(), nullable=False),
        sa.Column('fte_teachers', sa.Numeric(8, 2), nullable=True),
        sa.Column('pupil_teacher_ratio', sa.Numeric(6, 2), nullable=True),
        sa.Column('average_class_size', sa.Numeric(6, 2), nullable=True),
        sa.Column('asn_pupils', sa.Integer(), nullable=True),
        sa.Column('eal_pupils', sa.Integer(), nullable=True),
        sa.Column('gaelic_pupils', sa.Integer(), nullable=True),
        sa.Column('fsm_p1_p5_pupils', sa.Integer(), nullable=True),
        sa.Column('fsm_p1_p5_percent', sa.Numeric(6, 2), nullable=True),
        sa.Column('fsm_p6_s6_pupils', sa.Integer(), nullable=True),
        sa.Column('fsm_p6_s6_percent', sa.Numeric(6, 2), nullable=True),
        sa.Column('simd_quintiles', sa.JSON(), nullable=False),
        sa.Column('urban_rural', sa.String(64), nullable=True),
        sa.Column('denomination', sa.String(64), nullable=True),
        sa.Column('attendance_percent', sa.Numeric(6, 2), nullable=True),
        sa.Column('exclusions_per_1000', sa.Numeric(8, 2), nullable=True),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('establishment_id', 'school_session', name='uq_school_statistics'),
    )
    op.create_index('ix_school_statistics_authority_id', 'school_statistics', ['authority_id'])
    op.create_table(
        'inspection',
        sa.Column('id', sa.Uuid(), primary_key=True),
        _owner('establishment', nullable=False), _owner('authority', nullable=False),
        sa.Column('body', sa.String(32), nullable=False),
        sa.Column('inspected_on', sa.Date(), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=True),
        sa.Column('framework_code', sa.String(32), nullable=False),
        sa.Column('note', sa.String(500), nullable=True),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('establishment_id', 'body', 'inspected_on', name='uq_inspection'),
    )
    op.create_index('ix_inspection_authority_date', 'inspection', ['authority_id', 'inspected_on'])
    op.create_table(
        'inspection_grade',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('inspection_id', sa.Uuid(), sa.ForeignKey('inspection.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('indicator_code', sa.String(16), nullable=False),
        sa.Column('grade', sa.Integer(), nullable=False),
        sa.UniqueConstraint('inspection_id', 'indicator_code', name='uq_inspection_grade'),
    )
    op.create_index('ix_inspection_grade_indicator', 'inspection_grade', ['indicator_code'])
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.alter_column('media_type', existing_type=sa.String(64), type_=sa.String(128),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('options')
        batch_op.alter_column('media_type', existing_type=sa.String(128), type_=sa.String(64),
                              existing_nullable=False)
    op.drop_table('inspection_grade')
    op.drop_table('inspection')
    op.drop_table('school_statistics')
    op.drop_table('acel_figure')
