"""vse: what the school is told. When a cycle was scheduled (from then on its school sees it,
even if it is later cancelled) and its cancellation: when, by whom (`school` or `authority`)
and why.

The cycles already there: `scheduled_at` from the audit log's `vse_cycle.schedule` event
(else, for a cycle past `proposed` and not cancelled, its creation); a cancelled cycle's
`cancelled_at` is its last change (a cancelled cycle is not edited) and `cancelled_by` the
authority (only the authority could cancel before this); its reason was not recorded.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:00:00
"""
import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
SCHEDULED = ('scheduled', 'in_progress', 'reported', 'closed')


def _backfill() -> None:
    connection = op.get_bind()
    moment = app.core.types.UTCDateTime(timezone=True)
    cycles = sa.table('vse_cycle', sa.column('id', sa.Uuid()), sa.column('status', sa.String()),
                      sa.column('created_at', moment), sa.column('updated_at', moment),
                      sa.column('scheduled_at', moment), sa.column('cancelled_at', moment),
                      sa.column('cancelled_by', sa.String()))
    audit = sa.table('audit_event', sa.column('resource_id', sa.String()),
                     sa.column('resource_type', sa.String()), sa.column('action', sa.String()),
                     sa.column('occurred_at', moment))
    scheduled: dict[str, datetime] = {
        resource_id: at for resource_id, at in connection.execute(
            sa.select(audit.c.resource_id, sa.func.min(audit.c.occurred_at))
            .where(audit.c.resource_type == 'vse_cycle', audit.c.action == 'vse_cycle.schedule')
            .group_by(audit.c.resource_id))}
    rows = connection.execute(sa.select(cycles.c.id, cycles.c.status, cycles.c.created_at,
                                        cycles.c.updated_at)
                              .where(cycles.c.status != 'proposed')).all()
    changes = []
    for row_id, status, created_at, updated_at in rows:
        at = scheduled.get(str(uuid.UUID(str(row_id))))
        if at is None and status in SCHEDULED:
            at = created_at
        cancelled = status == 'cancelled'
        changes.append({'row_id': row_id, 'scheduled': at,
                        'cancelled': updated_at if cancelled else None,
                        'by': 'authority' if cancelled else None})
    update = (sa.update(cycles).where(cycles.c.id == sa.bindparam('row_id'))
              .values(scheduled_at=sa.bindparam('scheduled'),
                      cancelled_at=sa.bindparam('cancelled'), cancelled_by=sa.bindparam('by')))
    for start in range(0, len(changes), BATCH):
        connection.execute(update, changes[start:start + BATCH])


def upgrade() -> None:
    with op.batch_alter_table('vse_cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheduled_at', app.core.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', app.core.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('cancellation_reason', sa.Text(), nullable=True))
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table('vse_cycle', schema=None) as batch_op:
        batch_op.drop_column('cancellation_reason')
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('scheduled_at')
