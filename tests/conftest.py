"""One suite, two databases: SQLite by default, PostgreSQL when TEST_DATABASE_URL says so.

The schema is built by the real migrations once per run; each test then starts from the
reference data only (regions, authorities, frameworks), whatever the previous test wrote."""

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.core.security import generate_private_pem
from app.main import create_app
from tests.factories import Factory

REFERENCE_TABLES = {"framework", "framework_indicator", "nif_entry", "region", "authority",
                    "alembic_version"}
TEST_KEY = generate_private_pem()


def _postgres_database(base_url: str) -> Iterator[str]:
    """A throwaway database per run, so runs never see each other's rows."""
    url = make_url(base_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"sih_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured and configured.startswith("postgresql"):
        yield from _postgres_database(configured)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test", database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        jwt_private_keys=json.dumps({"test-1": TEST_KEY}),
        jwt_active_kid="test-1",
        auth_rate_limit_per_ip=100_000, auth_rate_limit_per_account=100_000,
        rate_limit_per_principal="",  # tests/identity/test_principal_limits.py turns it on
        log_json=True, log_level="WARNING",
    )


def migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parents[1]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    from app.cli import load_reference

    application = create_app(settings)
    engine: Engine = application.state.engine
    migrate(engine)
    with Session(engine) as session:
        load_reference(session)
        session.commit()
    yield application
    engine.dispose()


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> Engine:
    engine: Engine = app.state.engine
    return engine


@pytest.fixture(scope="session")
def reference_ids(engine: Engine) -> dict[str, set[str]]:
    """Rows loaded from the reference data, which every test keeps."""
    with engine.connect() as connection:
        return {
            table: {str(r[0]) for r in connection.execute(text(f"SELECT id FROM {table}"))}  # noqa: S608
            for table in ("region", "authority", "framework")
        }


def _reset(engine: Engine, keep: dict[str, set[str]]) -> None:
    from app.models import metadata

    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name in REFERENCE_TABLES:
                continue
            connection.execute(table.delete())
        for name in ("framework", "authority", "region"):
            table = metadata.tables[name]
            ids = [uuid.UUID(i) for i in keep[name]]
            connection.execute(table.delete().where(table.c.id.not_in(ids)))
        # Tests may change reference rows (settings, names); put the counters back.
        authority = metadata.tables["authority"]
        connection.execute(authority.update().values(min_visits_per_session=4))


@pytest.fixture(scope="session")
def arrange_engine(engine: Engine, settings: Settings) -> Iterator[Engine]:
    """The tests' own connections, apart from the app's pool: each test's server disposes
    that pool when it stops, and a connection the test's session held at that moment would
    be orphaned, open until garbage collection (enough of them and PostgreSQL refuses new
    clients). On SQLite the app begins every transaction IMMEDIATE (so concurrent writers
    queue); a test that only reads must not hold that lock while it calls the API, so its
    session begins the default, deferred way."""
    if engine.dialect.name != "sqlite":
        own = make_engine(settings)
        yield own
        own.dispose()
        return
    plain = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30})
    # Foreign keys hold for the tests' writes too (SQLite enforces them per connection).
    event.listen(plain, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    yield plain
    plain.dispose()


@pytest.fixture
def db(engine: Engine, arrange_engine: Engine,
       reference_ids: dict[str, set[str]]) -> Iterator[Session]:
    """A session for arranging and checking; every test starts from reference data only."""
    _reset(engine, reference_ids)
    with Session(arrange_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def api(app: FastAPI, db: Session) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tuned(app: FastAPI) -> Iterator[Callable[..., Settings]]:
    """Change the running app's settings for one test (rate limits, TTLs) and restore them."""
    original = app.state.settings

    def tune(**overrides: Any) -> Settings:
        changed: Settings = original.model_copy(update=overrides)
        app.state.settings = changed
        return changed

    yield tune
    app.state.settings = original


@pytest.fixture
def make(db: Session, app: FastAPI) -> Factory:
    return Factory(db, app)


@pytest.fixture
def run(settings: Settings, db, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    """Run the CLI against the test database, with settings read afresh from the environment."""
    db.commit()  # on SQLite an open read in the test session would block the CLI's writes
    for name in ("SIH_ENVIRONMENT", "SIH_DATABASE_URL", "SIH_JWT_PRIVATE_KEYS", "SIH_JWT_ACTIVE_KID",
                 "SIH_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        get_settings.cache_clear()
        try:
            return runner.invoke(cli, list(args), env=env)
        finally:
            get_settings.cache_clear()

    yield invoke
    get_settings.cache_clear()
