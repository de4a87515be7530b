"""Fault tests run real server processes against PostgreSQL: SQLite is one process's embedded
file, where neither a second server nor a database that goes away means anything."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.core.config import Settings
from tests.reliability.servers import Server, server_url

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A mark, not a skip inside a fixture: the servers (session fixtures) must not even start.
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="fault tests need PostgreSQL: set TEST_DATABASE_URL "
                                   "(CI's PostgreSQL run does)")
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(skip)


@pytest.fixture
def start_server(app: FastAPI, settings: Settings, database_url: str, tmp_path: Path
                 ) -> Iterator[Callable[..., Server]]:
    """Start a server on the test database (migrated by `app`); stopped after the test.
    `name` tags its connections; `via` is a proxy port to reach the database through.
    Import bodies spool to the test's own directory: a killed server leaves its file behind."""
    started: list[Server] = []

    def start(name: str = "sih-reliability", via: int | None = None, **env: Any) -> Server:
        url = server_url(database_url, name=name, port=via)
        env = {"import_spool_dir": tmp_path, **env}
        server = Server(settings, url, **{k: str(v) for k, v in env.items()})
        started.append(server)
        return server.wait_until_up()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="package")  # stopped once this directory's tests are done
def two_servers(app: FastAPI, settings: Settings, database_url: str) -> Iterator[list[Server]]:
    """Two replicas on one database, shared by the tests that only send them traffic."""
    servers: list[Server] = []
    try:
        for n in (1, 2):
            # 10 connections each at most: the PostgreSQL cluster is shared with other runs.
            servers.append(Server(settings, server_url(database_url, name=f"sih-replica-{n}"),
                                  db_pool_size="5"))
        yield [server.wait_until_up() for server in servers]
    finally:
        for server in servers:
            server.stop()
