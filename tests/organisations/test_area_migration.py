"""Migration 0014 builds each authority's areas from the free text already stored: spellings
that fold to the same name (case, accents, apostrophes, spacing) are one area, named by the
spelling most used; rows spelt otherwise take its name and a new version; trios naming it too.
Misspellings that fold differently stay apart, for the authority to merge."""

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine

from tests.core.test_migrations import _config

BEFORE = "0013"


def _upgrade(engine: sa.Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _filled(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values`, and a plain value for every other column that needs one."""
    now = datetime.now(UTC)
    plain = {sa.Integer: 1, sa.Boolean: False, sa.JSON: [], sa.DateTime: now, sa.Text: "",
             sa.String: "x"}
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        row[column.name] = next((v for t, v in plain.items() if isinstance(column.type, t)),
                                uuid.uuid4().hex if column.name == "id" else "x")
    return row


def test_areas_are_built_from_the_text_already_stored(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'areas.db'}")
    try:
        _upgrade(engine, BEFORE)
        meta = sa.MetaData()
        meta.reflect(engine)
        authority, cluster, school, trio = (meta.tables[n] for n in (
            "authority", "cluster", "establishment", "trio"))
        slc, nl = uuid.uuid4().hex, uuid.uuid4().hex  # as SQLite holds a Uuid
        spelt = ["St Leonard's", "St Leonard's", "st leonards", "Blanytre", "Blantyre",
                 " Blantyre ", "'", None]
        with engine.begin() as connection:
            for authority_id, code in ((slc, "S12000029"), (nl, "S12000050")):
                connection.execute(sa.insert(authority), _filled(authority, {
                    "id": authority_id, "code": code, "name": code, "min_visits_per_session": 4}))
            for n, area in enumerate(spelt):
                connection.execute(sa.insert(school), _filled(school, {
                    "id": uuid.uuid4().hex, "code": f"{8000000 + n}", "name": f"School {n}",
                    "sector": "primary", "authority_id": slc, "area": area, "version": 1}))
            connection.execute(sa.insert(school), _filled(school, {
                "id": uuid.uuid4().hex, "code": "8000100", "name": "Elsewhere", "sector": "primary",
                "authority_id": nl, "area": "St Leonards", "version": 1}))
            connection.execute(sa.insert(cluster), _filled(cluster, {
                "id": uuid.uuid4().hex, "authority_id": slc, "name": "Calderglen", "area": "ST LEONARDS",
                "version": 1}))
            connection.execute(sa.insert(trio), _filled(trio, {
                "id": uuid.uuid4().hex, "authority_id": slc, "session": "2025-26", "kind": "trio",
                "name": "", "area": "st leonard's", "indicator_codes": ["2.3"], "overrides": [],
                "version": 1}))
        _upgrade(engine, "0014")
        with engine.connect() as connection:
            areas = {(row.authority_id, row.name): row for row in connection.execute(
                sa.text("SELECT id, authority_id, name, name_folded FROM area"))}
            schools = {row.name: row for row in connection.execute(
                sa.text("SELECT name, area, area_id, version FROM establishment"))}
            clusters = list(connection.execute(sa.text("SELECT area, area_id, version FROM cluster")))
            trios = list(connection.execute(sa.text("SELECT area, version FROM trio")))
        assert set(areas) == {(slc, "St Leonard's"), (slc, "Blanytre"), (slc, "Blantyre"),
                              (nl, "St Leonards")}
        by_name = {name: row for (_a, name), row in areas.items()}
        leonards = by_name["St Leonard's"].id
        for n in (0, 1, 2):
            assert (schools[f"School {n}"].area, schools[f"School {n}"].area_id) == (
                "St Leonard's", leonards)
        assert schools["School 0"].version == 1 and schools["School 2"].version == 2  # respelt
        assert schools["School 3"].area_id == by_name["Blanytre"].id  # a misspelling: merged later
        assert schools["School 5"].area == "Blantyre" and schools["School 5"].version == 2
        assert (schools["School 6"].area, schools["School 6"].area_id) == (None, None)  # "'"
        assert schools["School 7"].area_id is None
        assert schools["Elsewhere"].area_id == by_name["St Leonards"].id  # its own authority's
        assert [(c.area, c.area_id, c.version) for c in clusters] == [("St Leonard's", leonards, 2)]
        assert [(t.area, t.version) for t in trios] == [("St Leonard's", 2)]
    finally:
        engine.dispose()
