"""Alembic environment: the app's models are the target; batch mode so SQLite can ALTER."""

from alembic import context
from sqlalchemy.engine import Connection

from app.core.config import get_settings
from app.core.db import make_engine
from app.models import metadata

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        user_module_prefix="app.core.types.",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by the CLI or the tests
        run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    settings = get_settings()
    if url:
        settings = settings.model_copy(update={"database_url": url})
    engine = make_engine(settings)
    with engine.connect() as connection:
        run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
