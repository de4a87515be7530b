"""idempotency records: whose key each is and the bytes its answer holds, so what one caller
keeps over 24 hours can be bounded (issue #19, point 12). Records stored before hold nulls and
count for nobody; they are gone within a day.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('stored_bytes', sa.Integer(), nullable=True))
        batch_op.create_index('ix_idempotency_record_subject_created_at',
                              ['subject', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_record_subject_created_at')
        batch_op.drop_column('stored_bytes')
        batch_op.drop_column('subject')
