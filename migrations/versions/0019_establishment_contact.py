"""establishment contact details and location (issue #16, point 1).

What the school roll import dropped: the school's address lines and postcode, phone, email and
website, the UPRN of its building, its data zone, the Scottish Government's 6- and 8-fold
urban/rural classes, its coordinates and its denomination. All nullable: the schools already
stored have none of them until their council's file is imported again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-14 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('denomination', 'address_lines', 'postcode', 'phone', 'email', 'website', 'uprn',
           'data_zone', 'urban_rural_6fold', 'urban_rural_8fold', 'latitude', 'longitude')


def upgrade() -> None:
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('denomination', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('address_lines', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('postcode', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('website', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('uprn', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('data_zone', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('urban_rural_6fold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('urban_rural_8fold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Numeric(precision=10, scale=7), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Numeric(precision=10, scale=7),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
