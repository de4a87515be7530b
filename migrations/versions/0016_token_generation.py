"""identity: each user's token generation, carried by their access tokens (claim `gen`), so a
password change, a sign-out everywhere or a reused refresh token refuses every access token
issued before it at once (issue #19, point 6). And the `users:write` scope goes: no rule ever
gave it a meaning (integration clients manage no people), so it is taken off the clients that
held it (point 13).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:00:00
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REMOVED_SCOPE = 'users:write'


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_generation', sa.Integer(), nullable=False,
                                      server_default='0'))
    clients = sa.table('integration_client', sa.column('id', sa.Uuid()),
                       sa.column('scopes', sa.JSON()))
    connection = op.get_bind()
    for client_id, scopes in connection.execute(sa.select(clients.c.id, clients.c.scopes)):
        held = json.loads(scopes) if isinstance(scopes, str) else scopes
        if held and REMOVED_SCOPE in held:
            connection.execute(clients.update().where(clients.c.id == client_id).values(
                scopes=[scope for scope in held if scope != REMOVED_SCOPE]))


def downgrade() -> None:
    # The removed scope is not given back: it granted nothing.
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('token_generation')
