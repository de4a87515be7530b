"""change feed: ordered by (txid, seq) instead of one lock every writer waits on

Each change row gets the id of the transaction that wrote it (`txid`); readers serve only rows
below the horizon no running transaction can write under (see app/audit/models.py). Rows
already written get txid 0, so they stay before every new row and a cursor issued before
(its seq) keeps its place.

On PostgreSQL a trigger sets txid: the transaction's id (pg_current_xact_id), raised to the
highest txid among the same resource's earlier changes, so that one resource's changes keep
their commit order. SQLite has one writer at a time: txid stays 0 there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TXID = "(pg_current_xact_id()::text)::bigint"

TRIGGER_FUNCTION = """
CREATE FUNCTION change_record_txid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The writing transaction's id, or the highest of this resource's earlier changes if
    -- that is higher (a younger transaction changed it and committed first).
    NEW.txid := greatest((pg_current_xact_id()::text)::bigint, (
        SELECT max(c.txid) FROM change_record AS c
        WHERE c.resource_id = NEW.resource_id AND c.resource_type = NEW.resource_type));
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # A constant default fills the rows already there without rewriting the table.
    op.add_column('change_record', sa.Column('txid', sa.BigInteger(), nullable=False,
                                             server_default=sa.text('0')))
    if postgresql:
        op.alter_column('change_record', 'txid', server_default=sa.text(TXID))
        op.execute(TRIGGER_FUNCTION)
        op.execute("CREATE TRIGGER change_record_txid BEFORE INSERT ON change_record "
                   "FOR EACH ROW EXECUTE FUNCTION change_record_txid()")
    op.create_index('ix_change_record_txid_seq', 'change_record', ['txid', 'seq'], unique=False)
    op.create_index('ix_change_record_resource_id_txid', 'change_record',
                    ['resource_id', 'txid'], unique=False)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_index('ix_change_record_resource_id_txid', table_name='change_record')
    op.drop_index('ix_change_record_txid_seq', table_name='change_record')
    if postgresql:
        op.execute("DROP TRIGGER change_record_txid ON change_record")
        op.execute("DROP FUNCTION change_record_txid()")
    with op.batch_alter_table('change_record', schema=None) as batch_op:
        batch_op.drop_column('txid')
