"""vse requests and clpl bookings (issue #19, points 2 and 8).

- `vse_cycle.request_reason`: why the school asked for a VSE. A school's request carries its
  wished dates, quality indicators and this reason; the summary is the team's findings alone.
  Requests made before kept any reason in `summary`; those stay where they are.
- `uq_clpl_registration_participant` gains `establishment_id`: one active registration per
  person, event and school, so a headteacher's booking is never refused for a booking made by
  another school or by the event's managers (which would tell the headteacher about it).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
# After 0017 (issue #19 too, also written on 0015): one head while both are in the tree.
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status <> 'cancelled'")


def upgrade() -> None:
    with op.batch_alter_table('vse_cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('clpl_registration', schema=None) as batch_op:
        batch_op.drop_index('uq_clpl_registration_participant', sqlite_where=ACTIVE,
                            postgresql_where=ACTIVE)
        batch_op.create_index('uq_clpl_registration_participant',
                              ['event_id', 'participant_email', 'establishment_id'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade() -> None:
    # Back to one active registration per person and event: of the people booked by more
    # than one school, the latest bookings beyond the first are cancelled.
    registrations = sa.table('clpl_registration', sa.column('id', sa.Uuid()),
                             sa.column('event_id', sa.Uuid()),
                             sa.column('participant_email', sa.String()),
                             sa.column('status', sa.String()), sa.column('sequence', sa.Integer()))
    first = sa.func.row_number().over(
        partition_by=(registrations.c.event_id, registrations.c.participant_email),
        order_by=registrations.c.sequence)
    ranked = (sa.select(registrations.c.id, first.label('n'))
              .where(registrations.c.status != 'cancelled',
                     registrations.c.participant_email.is_not(None)).subquery())
    connection = op.get_bind()
    extra = [row.id for row in connection.execute(sa.select(ranked.c.id).where(ranked.c.n > 1))]
    if extra:
        connection.execute(sa.update(registrations).where(registrations.c.id.in_(extra))
                           .values(status='cancelled'))
    with op.batch_alter_table('clpl_registration', schema=None) as batch_op:
        batch_op.drop_index('uq_clpl_registration_participant', sqlite_where=ACTIVE,
                            postgresql_where=ACTIVE)
        batch_op.create_index('uq_clpl_registration_participant',
                              ['event_id', 'participant_email'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    with op.batch_alter_table('vse_cycle', schema=None) as batch_op:
        batch_op.drop_column('request_reason')
