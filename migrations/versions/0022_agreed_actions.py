"""agreed actions as rows (issue #17, point 3): each action agreed at a visit has an owner, a
due date and the day it was done (and the later visit it was done at), so that a school's open
actions and an officer's caseload are plain SQL. The visit's JSON list moves into the rows.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 22:30:00
"""
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timezone

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    actions = op.create_table(
        'agreed_action',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('visit_id', sa.Uuid(), sa.ForeignKey('visit.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('establishment_id', sa.Uuid(), sa.ForeignKey('establishment.id'),
                  nullable=False),
        sa.Column('authority_id', sa.Uuid(), sa.ForeignKey('authority.id'), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('done_on', sa.Date(), nullable=True),
        sa.Column('done_at_visit_id', sa.Uuid(), sa.ForeignKey('visit.id', ondelete='SET NULL'),
                  nullable=True),
    )
    for column in ('visit_id', 'establishment_id', 'authority_id', 'due_on', 'done_on'):
        op.create_index(f'ix_agreed_action_{column}', 'agreed_action', [column])
    bind = op.get_bind()
    visit = sa.table('visit', sa.column('id', sa.Uuid()), sa.column('establishment_id', sa.Uuid()),
                     sa.column('authority_id', sa.Uuid()), sa.column('agreed_actions', sa.JSON()),
                     sa.column('created_at', UTCDateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    rows = []
    for v in bind.execute(sa.select(visit)):
        listed = v.agreed_actions if isinstance(v.agreed_actions, list) else json.loads(
            v.agreed_actions or '[]')
        for position, action in enumerate(listed):
            due = action.get('due')
            rows.append({
                'id': uuid.uuid4(), 'version': 1, 'created_at': v.created_at or now,
                'updated_at': now, 'visit_id': v.id, 'establishment_id': v.establishment_id,
                'authority_id': v.authority_id, 'position': position,
                'description': action.get('description', ''), 'owner': action.get('owner', ''),
                'due_on': date.fromisoformat(due) if due else None, 'done_on': None,
                'done_at_visit_id': None})
    if rows:
        op.bulk_insert(actions, rows)
        # Those visits now read with their actions' ids: marked as last told in an older form,
        # `migrate` (audit/feed.complete) gives each a fresh entry, so the feed stays a copy of
        # what GET answers.
        told = sa.table('change_record', sa.column('resource_type', sa.String()),
                        sa.column('resource_id', sa.String()),
                        sa.column('representation', sa.Integer()))
        changed = sorted({str(r['visit_id']) for r in rows})
        for start in range(0, len(changed), 500):
            bind.execute(told.update().where(
                told.c.resource_type == 'visit',
                told.c.resource_id.in_(changed[start:start + 500])).values(representation=1))
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('agreed_actions')


def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreed_actions', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
    op.drop_table('agreed_action')
