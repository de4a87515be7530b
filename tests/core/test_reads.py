"""core/reads: a SQLAlchemy statement run through the driver gives SQLAlchemy's rows."""

import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, bindparam, create_engine, select
from sqlalchemy.dialects import postgresql

from app.core.reads import driver_statement

things = Table("thing", MetaData(), Column("id", Uuid, primary_key=True), Column("name", String),
               Column("size", Integer))


def test_fixed_and_variable_parameters_reach_the_driver_processed():
    engine = create_engine("sqlite://")
    things.metadata.create_all(engine)
    ids = [uuid.uuid4() for _ in range(4)]
    with engine.begin() as connection:
        connection.execute(things.insert(), [{"id": i, "name": f"n{n}", "size": n}
                                             for n, i in enumerate(ids)])
    # An expanding IN of UUIDs fixed when built, a UUID and an int that vary per execution.
    statement = (select(things.c.name).where(things.c.id.in_(ids[:3]))
                 .where(things.c.id != bindparam("skip")).where(things.c.size >= bindparam("least"))
                 .order_by(things.c.name))
    compiled = driver_statement(statement, engine.dialect, {"skip": ids[0], "least": 0})
    raw = engine.raw_connection()
    try:
        for skip, least in [(ids[0], 0), (ids[1], 2), (ids[3], 0)]:
            ours = raw.driver_connection.execute(  # type: ignore[union-attr]
                compiled.sql, compiled.arguments({"skip": skip, "least": least})).fetchall()
            with engine.connect() as connection:
                theirs = connection.execute(statement, {"skip": skip, "least": least}).all()
            assert [tuple(r) for r in ours] == [tuple(r) for r in theirs]
            assert ours  # each case finds something, so a wrong argument would show
    finally:
        raw.close()


def test_a_driver_with_named_parameters_is_refused():
    with pytest.raises(ValueError, match="named parameters"):
        driver_statement(select(things.c.name).where(things.c.size == bindparam("size")),
                         postgresql.psycopg.dialect(), {"size": 1})
