"""search: folded copies of the searched names and titles

`q` compares folded text (app/core/text.py: accents dropped, any Unicode normal form, plain
apostrophes, case folded) on both databases, so each searched table keeps its searched text
folded: authority, cluster, establishment and user names, CLPL event titles. The rows already
there are folded here with the same Python function the application uses.

No index: a search is "contains", which a B-tree cannot serve, and no extension is assumed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.text import fold

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLDED = {  # table: (source column, folded column)
    'authority': ('name', 'name_folded'),
    'cluster': ('name', 'name_folded'),
    'establishment': ('name', 'name_folded'),
    'app_user': ('name', 'name_folded'),
    'clpl_event': ('title', 'title_folded'),
}
BATCH = 1000


def _backfill(table_name: str, source: str, folded: str) -> None:
    connection = op.get_bind()
    table = sa.table(table_name, sa.column('id', sa.Uuid()), sa.column(source, sa.Text()),
                     sa.column(folded, sa.Text()))
    rows = connection.execute(sa.select(table.c.id, table.c[source])).all()
    update = (sa.update(table).where(table.c.id == sa.bindparam('row_id'))
              .values({folded: sa.bindparam('folded_text')}))
    for start in range(0, len(rows), BATCH):
        connection.execute(update, [{'row_id': row_id, 'folded_text': fold(text or '')}
                                    for row_id, text in rows[start:start + BATCH]])


def upgrade() -> None:
    for table_name, (source, folded) in FOLDED.items():
        # The default '' fills the column for the rows already there; they are folded next.
        op.add_column(table_name, sa.Column(folded, sa.Text(), nullable=False,
                                            server_default=sa.text("''")))
        _backfill(table_name, source, folded)


def downgrade() -> None:
    for table_name, (_source, folded) in FOLDED.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column(folded)
