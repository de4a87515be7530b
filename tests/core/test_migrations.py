"""The migrations are the schema: they build exactly what the models say, and unwind cleanly."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine

from app.core.db import MIGRATIONS_DIR
from app.models import metadata

ROOT = Path(__file__).resolve().parents[2]


def _config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _run(engine: Engine, action: str, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_migrated_test_database_matches_the_models(engine: Engine):
    differences = _differences(engine)
    assert differences == [], (
        "The models and the migrations disagree; add a migration "
        f"(alembic revision --autogenerate): {differences}"
    )


def test_test_database_is_at_the_single_head(engine: Engine):
    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert len(heads) == 1, f"migration history has branched: {heads}"
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == tuple(heads)


def test_downgrade_to_base_and_upgrade_again_on_a_fresh_database(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'throwaway.db'}")
    try:
        _run(engine, "upgrade", "head")
        tables = set(inspect(engine).get_table_names())
        assert {"region", "authority", "cluster", "establishment", "audit_event"} <= tables

        _run(engine, "downgrade", "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        _run(engine, "upgrade", "head")
        assert set(inspect(engine).get_table_names()) == tables
        assert _differences(engine) == []
    finally:
        engine.dispose()
