"""establishments: an index in list order per authority

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 17:50:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_establishment_authority_name', 'establishment',
                    ['authority_id', 'name', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_establishment_authority_name', table_name='establishment')
