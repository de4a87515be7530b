"""change feed: each entry's natural key (a school's SEED code, a cluster's name), on
tombstones too, so a consumer that keys its copy by code can apply a delete; and which
representation its data holds (null: the stored row, as written before; 2: the document GET
answers). `migrate` then restates every record last told as a stored row (app/audit/feed.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("change_record", sa.Column("natural_key", sa.JSON(), nullable=True))
    op.add_column("change_record", sa.Column("representation", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("change_record", "representation")
    op.drop_column("change_record", "natural_key")
