"""visits through their life (issue #17, point 3): a visit can be planned, with its focus and
an agenda sent to the school ahead; an authority says which kinds of final visit count toward
its minimum (support and challenge, plan review and VSE unless it says otherwise).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTED = '\'["support_and_challenge", "plan_review", "vse"]\''


def upgrade() -> None:
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_visit_kinds', sa.JSON(), nullable=False,
                                      server_default=sa.text(COUNTED)))
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('focus', sa.String(length=200), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('agenda', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))


def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('agenda')
        batch_op.drop_column('focus')
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.drop_column('counted_visit_kinds')
