"""areas: an authority's areas as named things, which schools and clusters point to

Until now an area was free text on each school and cluster, compared as text: "Blanytre" and
"Blantyre", "St Leonard's" and "St Leonards" were different areas, and the trio rule "same
area" split them. Now each authority has its areas (`area`: a name unique within the
authority as folded, app/core/text.fold, and the names it had before), and schools and
clusters hold `area_id` beside the name their reads answer with.

The areas are built from the text already there, authority by authority: names that fold to
the same text (case, accents, apostrophes and spacing aside) are one area, named by the
spelling most used (among equals, the longest: the one with its apostrophe or accent). Rows
whose text was another spelling take the area's name, and a new version (so `updated_since`
finds them). Trios naming an area take its name too. Names that fold to nothing are no area.
Misspellings that fold differently ("Blanytre") are for the authority to merge
(POST /areas/{id}/merge).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00
"""
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.core.types
from app.core.text import fold

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _spelling(text: str | None) -> str:
    return " ".join((text or "").split())


def upgrade() -> None:
    op.create_table(
        'area',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('authority_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_folded', sa.Text(), server_default='', nullable=False),
        sa.Column('former_names', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['authority_id'], ['authority.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('authority_id', 'name_folded', name='uq_area_authority_name'),
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_authority_id'), ['authority_id'], unique=False)
    for table_name in ('cluster', 'establishment'):
        if op.get_bind().dialect.name == 'sqlite':
            # SQLite adds a column with its REFERENCES in place (alembic would rebuild the
            # table, which the tables pointing to it forbid while foreign keys are on).
            op.execute(f'ALTER TABLE {table_name} ADD COLUMN area_id CHAR(32) REFERENCES area (id)')
        else:
            op.add_column(table_name, sa.Column('area_id', sa.Uuid(), sa.ForeignKey('area.id'),
                                                nullable=True))
        op.create_index(op.f(f'ix_{table_name}_area_id'), table_name, ['area_id'], unique=False)
    _build_areas()


def _build_areas() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    tables = {name: sa.table(name, sa.column('id', sa.Uuid()), sa.column('authority_id', sa.Uuid()),
                             sa.column('area', sa.String()), sa.column('area_id', sa.Uuid()),
                             sa.column('version', sa.Integer()),
                             sa.column('updated_at', app.core.types.UTCDateTime(timezone=True)))
              for name in ('cluster', 'establishment')}
    rows = {name: connection.execute(sa.select(t.c.id, t.c.authority_id, t.c.area)
                                     .where(t.c.area.is_not(None))).all()
            for name, t in tables.items()}
    spellings: dict[tuple[uuid.UUID, str], Counter[str]] = defaultdict(Counter)
    for found in rows.values():
        for _id, authority_id, text in found:
            if fold(text or ""):
                spellings[authority_id, fold(text)][_spelling(text)] += 1
    area = sa.table('area', sa.column('id', sa.Uuid()), sa.column('version', sa.Integer()),
                    sa.column('created_at', app.core.types.UTCDateTime(timezone=True)),
                    sa.column('updated_at', app.core.types.UTCDateTime(timezone=True)),
                    sa.column('authority_id', sa.Uuid()), sa.column('name', sa.String()),
                    sa.column('name_folded', sa.Text()), sa.column('former_names', sa.JSON()))
    areas: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, str]] = {}
    for (authority_id, folded), counts in sorted(spellings.items(), key=lambda i: (str(i[0][0]), i[0][1])):
        name = max(counts, key=lambda s: (counts[s], len(s), s))[:200]
        areas[authority_id, folded] = (uuid.uuid4(), name)
    if areas:
        connection.execute(sa.insert(area), [
            {'id': area_id, 'version': 1, 'created_at': now, 'updated_at': now,
             'authority_id': authority_id, 'name': name, 'name_folded': folded, 'former_names': []}
            for (authority_id, folded), (area_id, name) in areas.items()])
    for name, table in tables.items():
        same = (sa.update(table).where(table.c.id == sa.bindparam('row_id'))
                .values(area_id=sa.bindparam('new_area_id')))
        respelt = (sa.update(table).where(table.c.id == sa.bindparam('row_id'))
                   .values(area_id=sa.bindparam('new_area_id'), area=sa.bindparam('new_area'),
                           version=table.c.version + 1, updated_at=now))
        unchanged, changed, cleared = [], [], []
        for row_id, authority_id, text in rows[name]:
            found = areas.get((authority_id, fold(text or "")))
            if found is None:
                cleared.append({'row_id': row_id, 'new_area_id': None, 'new_area': None})
            elif found[1] == text:
                unchanged.append({'row_id': row_id, 'new_area_id': found[0]})
            else:
                changed.append({'row_id': row_id, 'new_area_id': found[0], 'new_area': found[1]})
        for statement, batch in ((same, unchanged), (respelt, changed), (respelt, cleared)):
            for start in range(0, len(batch), BATCH):
                connection.execute(statement, batch[start:start + BATCH])
    trio = sa.table('trio', sa.column('id', sa.Uuid()), sa.column('authority_id', sa.Uuid()),
                    sa.column('area', sa.String()), sa.column('version', sa.Integer()),
                    sa.column('updated_at', app.core.types.UTCDateTime(timezone=True)))
    respelt_trio = (sa.update(trio).where(trio.c.id == sa.bindparam('row_id'))
                    .values(area=sa.bindparam('new_area'), version=trio.c.version + 1,
                            updated_at=now))
    renamed = []
    for row_id, authority_id, text in connection.execute(
            sa.select(trio.c.id, trio.c.authority_id, trio.c.area).where(trio.c.area.is_not(None))):
        found = areas.get((authority_id, fold(text or "")))
        if found is not None and found[1] != text:
            renamed.append({'row_id': row_id, 'new_area': found[1]})
    if renamed:
        connection.execute(respelt_trio, renamed)


def downgrade() -> None:
    for table_name in ('establishment', 'cluster'):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table_name}_area_id'))
            batch_op.drop_column('area_id')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_authority_id'))
    op.drop_table('area')
